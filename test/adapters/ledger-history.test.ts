/**
 * The demand history in every ledger: the DynamoDB ledger on DynamoDB Local, the memory ledger,
 * the cache in front of the DynamoDB ledger (read through), and the faulty wrapper's faults; the
 * DynamoDB ledger's batch read under throttling, mocked.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CachedDemandHistoryLedger } from '../../adapters/cached-demand-history.js';
import { DynamoDbLedger } from '../../adapters/dynamodb-ledger.js';
import { MemoryLedger } from '../../adapters/memory-ledger.js';
import { ThrottlingError } from '../../domain/errors.js';
import type { Ledger } from '../../domain/ports.js';
import type { DemandDay } from '../../domain/types.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../fakes/dynamodb-local.js';
import { FaultyLedger } from '../../fakes/faulty-ledger.js';
import { createTestTable, type LocalTable } from '../support/dynamodb.js';

const KEEP_UNTIL = Date.UTC(2026, 10, 1);

function aDay(date: string, servers: number): DemandDay {
  const slots = Array.from({ length: 96 }, (_, i) => (i % 7 === 0 ? null : servers));
  return { date, slotMinutes: 15, queue: slots.map((v) => (v === null ? null : v * 10)), servers: slots };
}

function dates(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    new Date(Date.UTC(2026, 0, 1) + i * 86_400_000).toISOString().slice(0, 10),
  );
}

const ledgers: [string, () => Promise<{ ledger: Ledger; table?: LocalTable }>][] = [
  [
    'DynamoDbLedger on DynamoDB Local',
    async () => {
      const table = await createTestTable();
      return { ledger: new DynamoDbLedger(table.doc, { tableName: table.tableName }), table };
    },
  ],
  ['MemoryLedger', async () => ({ ledger: new MemoryLedger() })],
  [
    'CachedDemandHistoryLedger over DynamoDB Local',
    async () => {
      const table = await createTestTable();
      const inner = new DynamoDbLedger(table.doc, { tableName: table.tableName });
      return { ledger: new CachedDemandHistoryLedger(inner), table };
    },
  ],
];

describe.each(ledgers)('demand history: %s', (_, make) => {
  let ledger: Ledger;
  let table: LocalTable | undefined;

  beforeEach(async () => {
    ({ ledger, table } = await make());
  });

  afterEach(async () => {
    await table?.cleanup();
  });

  it('reads back the days it stored, oldest first, leaving out dates it has none for', async () => {
    await ledger.putDemandDay('job', aDay('2026-09-02', 3), KEEP_UNTIL);
    await ledger.putDemandDay('job', aDay('2026-09-01', 2), KEEP_UNTIL);
    const read = await ledger.demandHistory('job', ['2026-09-02', '2026-08-31', '2026-09-01', '2026-09-02']);
    expect(read).toEqual([aDay('2026-09-01', 2), aDay('2026-09-02', 3)]);
  });

  it('replaces a day whole, and keeps days per role', async () => {
    await ledger.putDemandDay('job', aDay('2026-09-01', 2), KEEP_UNTIL);
    await ledger.putDemandDay('job', aDay('2026-09-01', 5), KEEP_UNTIL);
    await ledger.putDemandDay('app', aDay('2026-09-01', 9), KEEP_UNTIL);
    expect(await ledger.demandHistory('job', ['2026-09-01'])).toEqual([aDay('2026-09-01', 5)]);
    expect(await ledger.demandHistory('app', ['2026-09-01'])).toEqual([aDay('2026-09-01', 9)]);
    expect(await ledger.demandHistory('web', ['2026-09-01'])).toEqual([]);
  });

  it('reads more days than one batch holds', async () => {
    const all = dates(130);
    for (const [i, date] of all.entries()) await ledger.putDemandDay('job', aDay(date, i % 5), KEEP_UNTIL);
    const read = await ledger.demandHistory('job', all);
    expect(read.map((d) => d.date)).toEqual(all);
    expect(read[129]).toEqual(aDay(all[129] as string, 129 % 5));
  });

  it('answers nothing for no dates', async () => {
    expect(await ledger.demandHistory('job', [])).toEqual([]);
  });
});

describe('demand history items on DynamoDB Local', () => {
  let table: LocalTable;

  beforeEach(async () => {
    table = await createTestTable();
  });

  afterEach(async () => {
    await table.cleanup();
  });

  it('stores one item per role and date, with its TTL in epoch seconds', async () => {
    const ledger = new DynamoDbLedger(table.doc, { tableName: table.tableName });
    await ledger.putDemandDay('job', aDay('2026-09-01', 2), KEEP_UNTIL + 999);
    const item = (
      await table.doc.send(
        new GetCommand({ TableName: table.tableName, Key: { pk: 'ROLE#job', sk: 'HISTORY#2026-09-01' } }),
      )
    ).Item;
    expect(item).toMatchObject({ date: '2026-09-01', slotMinutes: 15, expiresAt: KEEP_UNTIL / 1000 });
    expect(item?.servers).toHaveLength(96);
  });
});

describe('DynamoDbLedger demand history under throttling (mocked)', () => {
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
  );
  const mock = mockClient(doc);
  const ledger = new DynamoDbLedger(doc, { tableName: 'mocked' });
  const item = (date: string) => ({ pk: 'ROLE#job', sk: `HISTORY#${date}`, ...aDay(date, 1), expiresAt: 1 });

  afterEach(() => {
    mock.reset();
  });

  it('asks again for the keys DynamoDB left unprocessed', async () => {
    mock
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { mocked: [item('2026-09-01')] },
        UnprocessedKeys: { mocked: { Keys: [{ pk: 'ROLE#job', sk: 'HISTORY#2026-09-02' }] } },
      })
      .resolvesOnce({ Responses: { mocked: [item('2026-09-02')] } });
    const read = await ledger.demandHistory('job', ['2026-09-01', '2026-09-02']);
    expect(read.map((d) => d.date)).toEqual(['2026-09-01', '2026-09-02']);
    expect(mock.commandCalls(BatchGetCommand)[1]?.args[0].input.RequestItems?.mocked?.Keys).toEqual([
      { pk: 'ROLE#job', sk: 'HISTORY#2026-09-02' },
    ]);
  });

  it('gives up as throttled when keys stay unprocessed, and maps a refused call', async () => {
    mock
      .on(BatchGetCommand)
      .resolves({ UnprocessedKeys: { mocked: { Keys: [{ pk: 'ROLE#job', sk: 'HISTORY#2026-09-01' }] } } });
    await expect(ledger.demandHistory('job', ['2026-09-01'])).rejects.toBeInstanceOf(ThrottlingError);
    mock.reset();
    mock
      .on(BatchGetCommand)
      .rejects(Object.assign(new Error('rate exceeded'), { name: 'ThrottlingException' }));
    await expect(ledger.demandHistory('job', ['2026-09-01'])).rejects.toBeInstanceOf(ThrottlingError);
  });

  it('skips an item that is not a day (hand-edited, another version)', async () => {
    mock
      .on(BatchGetCommand)
      .resolves({ Responses: { mocked: [{ pk: 'ROLE#job', sk: 'HISTORY#2026-09-01', date: 5 }] } });
    expect(await ledger.demandHistory('job', ['2026-09-01'])).toEqual([]);
  });
});

describe('FaultyLedger demand history', () => {
  it('fails a history read or write on demand and passes the rest through', async () => {
    const faulty = new FaultyLedger(new MemoryLedger());
    faulty.failNext('putDemandDay', new ThrottlingError('slow down'));
    await expect(faulty.putDemandDay('job', aDay('2026-09-01', 1), KEEP_UNTIL)).rejects.toBeInstanceOf(
      ThrottlingError,
    );
    await faulty.putDemandDay('job', aDay('2026-09-01', 1), KEEP_UNTIL);
    faulty.failNext('demandHistory', new ThrottlingError('slow down'));
    await expect(faulty.demandHistory('job', ['2026-09-01'])).rejects.toBeInstanceOf(ThrottlingError);
    expect(await faulty.demandHistory('job', ['2026-09-01'])).toEqual([aDay('2026-09-01', 1)]);
  });
});
