import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoDbLedger } from '../../adapters/dynamodb-ledger.js';
import {
  ConflictError,
  InvalidRequestError,
  LeaseHeldError,
  NotFoundError,
  ThrottlingError,
  TransientError,
} from '../../domain/errors.js';
import type { JournalEntry, ServerRecord } from '../../domain/types.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../fakes/dynamodb-local.js';
import { createTestTable, type LocalTable } from '../support/dynamodb.js';

const NOW = Date.UTC(2026, 2, 2, 9, 0, 0);
const DAY_SECONDS = 86_400;

function serverRecord(overrides: Partial<ServerRecord> = {}): ServerRecord {
  return {
    role: 'app',
    intentId: 'intent-1',
    state: 'launching',
    createdAt: NOW,
    stateSince: NOW,
    registered: false,
    version: 0,
    ...overrides,
  };
}

function journalEntry(overrides: Partial<JournalEntry> = {}): JournalEntry {
  return { role: 'app', at: NOW, kind: 'plan', summary: 'hold', detail: {}, ...overrides };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('DynamoDbLedger on DynamoDB Local', () => {
  let table: LocalTable;
  let ledger: DynamoDbLedger;

  beforeEach(async () => {
    table = await createTestTable();
    ledger = new DynamoDbLedger(table.doc, { tableName: table.tableName });
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await table.cleanup();
  });

  async function rawItem(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const result = await table.doc.send(new GetCommand({ TableName: table.tableName, Key: { pk, sk } }));
    return result.Item;
  }

  describe('server records', () => {
    it('lists what createIntent wrote, per role, without storage keys', async () => {
      const first = serverRecord({ intentId: 'a', reason: 'schedule floor' });
      const second = serverRecord({
        intentId: 'b',
        instanceId: 'i-0b',
        state: 'booting',
        privateIp: '127.0.0.2',
        launchAttempt: 2,
        orphan: true,
      });
      await ledger.createIntent(first);
      await ledger.createIntent(second);
      await ledger.createIntent(serverRecord({ role: 'job', intentId: 'c' }));
      await ledger.recordSample('app', { at: NOW, length: 3 });
      await ledger.acquireLease('app', 'tick', NOW, 60_000);

      const listed = await ledger.listServers('app');

      expect(listed.sort((x, y) => x.intentId.localeCompare(y.intentId))).toEqual([first, second]);
      expect(await ledger.listServers('nobody')).toEqual([]);
    });

    it('reads one record by role and intent id, and nothing for another role or an unknown intent', async () => {
      const record = serverRecord({
        intentId: 'a',
        instanceId: 'i-0a',
        state: 'booting',
        privateIp: '127.0.0.2',
      });
      await ledger.createIntent(record);
      await ledger.createIntent(serverRecord({ role: 'job', intentId: 'b' }));
      expect(await ledger.getServer('app', 'a')).toEqual(record);
      expect(await ledger.getServer('job', 'a')).toBeUndefined();
      expect(await ledger.getServer('app', 'nobody')).toBeUndefined();
    });

    it('lists every page of a role with many records', async () => {
      const paged = new DynamoDbLedger(table.doc, { tableName: table.tableName, queryPageSize: 4 });
      const ids = Array.from({ length: 11 }, (_, i) => `intent-${String(i).padStart(2, '0')}`);
      for (const intentId of ids) await paged.createIntent(serverRecord({ intentId }));

      const listed = await paged.listServers('app');

      expect(listed.map((record) => record.intentId)).toEqual(ids);
    });

    it('refuses to record the same intent twice and keeps the first record', async () => {
      await ledger.createIntent(serverRecord({ reason: 'first' }));

      const error = await rejectionOf(ledger.createIntent(serverRecord({ reason: 'second' })));

      expect(error).toBeInstanceOf(ConflictError);
      expect(await ledger.listServers('app')).toEqual([serverRecord({ reason: 'first' })]);
    });

    it('lets exactly one of ten concurrent writers of one intent succeed', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => ledger.createIntent(serverRecord({ reason: `writer ${i}` }))),
      );

      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.filter((result) => result.status === 'rejected');
      expect(rejected).toHaveLength(9);
      for (const result of rejected) expect(result.reason).toBeInstanceOf(ConflictError);
      expect(await ledger.listServers('app')).toHaveLength(1);
    });

    it('applies a patch at the expected version and returns the record at version + 1', async () => {
      await ledger.createIntent(serverRecord());

      const updated = await ledger.updateServer('app', 'intent-1', 0, {
        state: 'pending',
        instanceId: 'i-0a',
        stateSince: NOW + 1000,
      });

      const expected = serverRecord({
        state: 'pending',
        instanceId: 'i-0a',
        stateSince: NOW + 1000,
        version: 1,
      });
      expect(updated).toEqual(expected);
      expect(await ledger.listServers('app')).toEqual([expected]);
    });

    it('keeps the Spot pool a server was launched in, its rebalance mark and the pool its replacement avoids', async () => {
      const replacement = serverRecord({
        intentId: 'replacement',
        avoidInstanceType: 'c5.large',
        avoidSubnetId: 'subnet-0123abcd',
      });
      await ledger.createIntent(serverRecord());
      await ledger.createIntent(replacement);

      const warned = await ledger.updateServer('app', 'intent-1', 0, {
        instanceType: 'c5.large',
        subnetId: 'subnet-0123abcd',
        rebalanceAt: NOW + 1000,
      });

      expect(warned).toMatchObject({ subnetId: 'subnet-0123abcd', rebalanceAt: NOW + 1000, version: 1 });
      const listed = await ledger.listServers('app');
      expect(listed.find((r) => r.intentId === 'intent-1')).toEqual(warned);
      expect(listed.find((r) => r.intentId === 'replacement')).toEqual(replacement);
    });

    it('rejects a stale version with ConflictError and changes nothing', async () => {
      await ledger.createIntent(serverRecord());
      await ledger.updateServer('app', 'intent-1', 0, { state: 'pending', stateSince: NOW + 1 });

      const error = await rejectionOf(ledger.updateServer('app', 'intent-1', 0, { registered: true }));

      expect(error).toBeInstanceOf(ConflictError);
      expect((error as Error).message).toContain('version 1');
      const [stored] = await ledger.listServers('app');
      expect(stored).toMatchObject({ registered: false, version: 1 });
    });

    it('rejects an update of a missing record with NotFoundError and creates nothing', async () => {
      const error = await rejectionOf(ledger.updateServer('app', 'ghost', 0, { registered: true }));

      expect(error).toBeInstanceOf(NotFoundError);
      expect(await ledger.listServers('app')).toEqual([]);
    });

    it('clears a field whose key is present with the value undefined, and keeps absent keys', async () => {
      await ledger.createIntent(
        serverRecord({
          state: 'draining',
          drainUntil: NOW + 300_000,
          reason: 'scale in',
          instanceId: 'i-0a',
        }),
      );

      const updated = await ledger.updateServer('app', 'intent-1', 0, {
        drainUntil: undefined,
        reason: 'kept',
      });

      expect(updated).not.toHaveProperty('drainUntil');
      expect(updated).toMatchObject({ reason: 'kept', instanceId: 'i-0a', state: 'draining', version: 1 });
      const raw = await rawItem('ROLE#app', 'SERVER#intent-1');
      expect(raw).not.toHaveProperty('drainUntil');
    });

    it('refuses a patch that clears a required field or touches identity, and changes nothing', async () => {
      await ledger.createIntent(serverRecord());

      const cleared = await rejectionOf(ledger.updateServer('app', 'intent-1', 0, { state: undefined }));
      const identity = await rejectionOf(
        ledger.updateServer('app', 'intent-1', 0, { role: 'job' } as unknown as Partial<ServerRecord>),
      );

      expect(cleared).toBeInstanceOf(InvalidRequestError);
      expect(identity).toBeInstanceOf(InvalidRequestError);
      expect(await ledger.listServers('app')).toEqual([serverRecord()]);
    });

    it('gives a terminated record a TTL counted from stateSince, and only a terminated one', async () => {
      const short = new DynamoDbLedger(table.doc, { tableName: table.tableName, terminatedTtlSeconds: 3600 });
      await short.createIntent(serverRecord());
      await short.updateServer('app', 'intent-1', 0, { state: 'terminating', stateSince: NOW + 10_000 });
      expect(await rawItem('ROLE#app', 'SERVER#intent-1')).not.toHaveProperty('expiresAt');

      const stateSince = NOW + 20_500;
      const updated = await short.updateServer('app', 'intent-1', 1, { state: 'terminated', stateSince });

      expect(updated).not.toHaveProperty('expiresAt');
      const raw = await rawItem('ROLE#app', 'SERVER#intent-1');
      expect(raw?.expiresAt).toBe(Math.floor(stateSince / 1000) + 3600);
    });

    it('defaults the terminated TTL to 7 days', async () => {
      await ledger.createIntent(serverRecord({ state: 'terminated' }));

      const raw = await rawItem('ROLE#app', 'SERVER#intent-1');

      expect(raw?.expiresAt).toBe(NOW / 1000 + 7 * DAY_SECONDS);
    });
  });

  describe('leases', () => {
    it('lets exactly one of ten racing owners take a free lease; the others learn who holds it', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => ledger.acquireLease('app', `owner-${i}`, NOW, 60_000)),
      );

      const won = results.filter((result) => result.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const winner = won[0]?.status === 'fulfilled' ? won[0].value : undefined;
      expect(winner).toMatchObject({ role: 'app', expiresAt: NOW + 60_000 });
      for (const result of results.filter((r) => r.status === 'rejected')) {
        expect(result.reason).toBeInstanceOf(LeaseHeldError);
        expect(result.reason).toMatchObject({ role: 'app', holder: winner?.owner, expiresAt: NOW + 60_000 });
      }
    });

    it('extends the lease when its owner acquires it again', async () => {
      await ledger.acquireLease('app', 'a', NOW, 1000);

      const extended = await ledger.acquireLease('app', 'a', NOW + 500, 1000);
      const error = await rejectionOf(ledger.acquireLease('app', 'b', NOW + 1200, 1000));

      expect(extended).toEqual({ role: 'app', owner: 'a', expiresAt: NOW + 1500 });
      expect(error).toBeInstanceOf(LeaseHeldError);
      expect(error).toMatchObject({ holder: 'a', expiresAt: NOW + 1500 });
    });

    it('hands an expired lease to another owner, but not at the very millisecond it ends', async () => {
      await ledger.acquireLease('app', 'a', NOW, 1000);

      const atExpiry = await rejectionOf(ledger.acquireLease('app', 'b', NOW + 1000, 1000));
      const taken = await ledger.acquireLease('app', 'b', NOW + 1001, 1000);

      expect(atExpiry).toBeInstanceOf(LeaseHeldError);
      expect(taken).toEqual({ role: 'app', owner: 'b', expiresAt: NOW + 2001 });
    });

    it('keeps leases per role', async () => {
      await ledger.acquireLease('app', 'a', NOW, 1000);

      await expect(ledger.acquireLease('job', 'b', NOW, 1000)).resolves.toMatchObject({ owner: 'b' });
    });

    it('ignores a release by a non-owner and frees the lease on release by its owner', async () => {
      await ledger.acquireLease('app', 'a', NOW, 60_000);

      await ledger.releaseLease('app', 'intruder');
      const stillHeld = await rejectionOf(ledger.acquireLease('app', 'b', NOW + 1, 60_000));
      await ledger.releaseLease('app', 'a');
      const taken = await ledger.acquireLease('app', 'b', NOW + 2, 60_000);

      expect(stillHeld).toMatchObject({ holder: 'a' });
      expect(taken.owner).toBe('b');
      await expect(ledger.releaseLease('job', 'nobody')).resolves.toBeUndefined();
    });
  });

  describe('queue samples', () => {
    it('stores samples with a TTL counted from the sample time', async () => {
      const short = new DynamoDbLedger(table.doc, { tableName: table.tableName, sampleTtlSeconds: 600 });
      await short.recordSample('job', { at: NOW + 999, length: null, error: 'timeout' });

      const raw = await rawItem('ROLE#job', `SAMPLE#00${NOW + 999}`);

      expect(raw).toMatchObject({ at: NOW + 999, length: null, error: 'timeout' });
      expect(raw?.expiresAt).toBe(Math.floor((NOW + 999) / 1000) + 600);
    });

    it('returns samples at or after `since`, oldest first, of that role only', async () => {
      await ledger.recordSample('job', { at: NOW + 2000, length: 7, oldestAgeSeconds: 42 });
      await ledger.recordSample('job', { at: NOW - 1, length: 99 });
      await ledger.recordSample('job', { at: NOW, length: 4 });
      await ledger.recordSample('job', { at: NOW + 60_000, length: null, error: 'HTTP 502' });
      await ledger.recordSample('app', { at: NOW + 1000, length: 1 });

      const samples = await ledger.samplesSince('job', NOW);

      expect(samples).toEqual([
        { at: NOW, length: 4 },
        { at: NOW + 2000, length: 7, oldestAgeSeconds: 42 },
        { at: NOW + 60_000, length: null, error: 'HTTP 502' },
      ]);
    });

    it('orders samples numerically across a change in digit count', async () => {
      await ledger.recordSample('job', { at: 10_000_000_000_000, length: 2 });
      await ledger.recordSample('job', { at: 9_999_999_999_999, length: 1 });

      const samples = await ledger.samplesSince('job', 0);

      expect(samples.map((sample) => sample.length)).toEqual([1, 2]);
    });

    it('reads every page when samples span many Query pages', async () => {
      const paged = new DynamoDbLedger(table.doc, { tableName: table.tableName, queryPageSize: 7 });
      for (let i = 0; i < 50; i++) await paged.recordSample('job', { at: NOW + i * 60_000, length: i });
      const send = vi.spyOn(table.doc, 'send');

      const samples = await paged.samplesSince('job', NOW + 5 * 60_000);

      expect(samples.map((sample) => sample.length)).toEqual(Array.from({ length: 45 }, (_, i) => i + 5));
      const queries = send.mock.calls.filter(([command]) => command instanceof QueryCommand);
      expect(queries.length).toBeGreaterThanOrEqual(7);
    });
  });

  describe('journal', () => {
    it('stores entries with their detail and a TTL counted from the entry time', async () => {
      await ledger.journal(journalEntry({ detail: { desired: 3, reasons: ['floor'], hold: undefined } }));

      const result = await table.doc.send(
        new QueryCommand({
          TableName: table.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': 'ROLE#app', ':prefix': 'JOURNAL#' },
        }),
      );

      expect(result.Items).toHaveLength(1);
      expect(result.Items?.[0]).toMatchObject({ kind: 'plan', detail: { desired: 3, reasons: ['floor'] } });
      expect(result.Items?.[0]?.expiresAt).toBe(NOW / 1000 + 30 * DAY_SECONDS);
    });

    it('returns the newest entries first, up to the limit, keeping same-millisecond entries apart', async () => {
      const paged = new DynamoDbLedger(table.doc, { tableName: table.tableName, queryPageSize: 2 });
      await paged.journal(journalEntry({ at: NOW, summary: 'oldest' }));
      await paged.journal(journalEntry({ at: NOW + 1000, summary: 'middle' }));
      await paged.journal(journalEntry({ at: NOW + 2000, summary: 'same ms, first' }));
      await paged.journal(journalEntry({ at: NOW + 2000, summary: 'same ms, second' }));
      await paged.journal(journalEntry({ role: 'job', at: NOW + 5000, summary: 'other role' }));

      const recent = await paged.recentJournal('app', 3);
      const all = await paged.recentJournal('app', 100);

      expect(recent.map((entry) => entry.summary)).toEqual(['same ms, second', 'same ms, first', 'middle']);
      expect(recent[0]).toEqual(journalEntry({ at: NOW + 2000, summary: 'same ms, second' }));
      expect(all).toHaveLength(4);
      expect(await paged.recentJournal('app', 0)).toEqual([]);
    });
  });

  describe('pause and bounds', () => {
    const pause = { reason: 'incident 4711', since: NOW, requestId: 'cmd-1', setBy: 'control' };
    const bounds = { min: 4, since: NOW, expiresAt: NOW + 3_600_000, reason: 'launch', requestId: 'cmd-2' };

    it('sets, reads and clears the pause and the bounds each on its own', async () => {
      expect(await ledger.getControls('app')).toEqual({});
      await ledger.setPause('app', pause);
      await ledger.setBounds('app', bounds);
      expect(await ledger.getControls('app')).toEqual({ pause, bounds });
      await ledger.setBounds('app', undefined);
      expect(await ledger.getControls('app')).toEqual({ pause });
      await ledger.setBounds('app', bounds);
      await ledger.setPause('app', undefined);
      expect(await ledger.getControls('app')).toEqual({ bounds });
      expect(await ledger.getControls('job')).toEqual({});
    });

    it("reads back each bound's own end and reason", async () => {
      const kept = {
        ...bounds,
        max: 4,
        maxUntil: NOW + 1_800_000,
        reason: 'manual retire of 1',
        minReason: 'manual launch of 2',
        maxReason: 'cost cap',
        setBy: 'control',
      };
      await ledger.setBounds('app', kept);
      expect(await ledger.getControls('app')).toEqual({ bounds: kept });
    });

    it('keeps the bounds expiry out of the item TTL attribute', async () => {
      await ledger.setBounds('app', { max: 1, expiresAt: NOW });

      expect(await rawItem('ROLE#app', 'OVERRIDE#BOUNDS')).not.toHaveProperty('expiresAt');
    });

    it('reads the older single override item, and splits it on the next write', async () => {
      const legacy = {
        paused: true,
        min: 4,
        expiresAt: NOW + 3_600_000,
        reason: 'incident',
        requestId: 'r-1',
      };
      await table.doc.send(
        new PutCommand({
          TableName: table.tableName,
          Item: { pk: 'ROLE#app', sk: 'OVERRIDE', override: legacy },
        }),
      );
      expect(await ledger.getControls('app')).toEqual({
        pause: { reason: 'incident', requestId: 'r-1' },
        bounds: { min: 4, expiresAt: NOW + 3_600_000, reason: 'incident', requestId: 'r-1' },
      });

      await ledger.setBounds('app', undefined);

      expect(await rawItem('ROLE#app', 'OVERRIDE')).toBeUndefined();
      expect(await ledger.getControls('app')).toEqual({ pause: { reason: 'incident', requestId: 'r-1' } });
      await ledger.setPause('app', undefined);
      expect(await ledger.getControls('app')).toEqual({});
    });

    it('reads an older item that is only a pause, or only bounds', async () => {
      await table.doc.send(
        new PutCommand({
          TableName: table.tableName,
          Item: { pk: 'ROLE#app', sk: 'OVERRIDE', override: { paused: true } },
        }),
      );
      await table.doc.send(
        new PutCommand({
          TableName: table.tableName,
          Item: { pk: 'ROLE#job', sk: 'OVERRIDE', override: { paused: false, max: 1, expiresAt: NOW } },
        }),
      );
      expect(await ledger.getControls('app')).toEqual({ pause: { reason: 'paused by an operator' } });
      expect(await ledger.getControls('job')).toEqual({ bounds: { max: 1, expiresAt: NOW } });
    });
  });

  describe('hold', () => {
    it('stores the last hold per role as a typed item, replacing the one before', async () => {
      expect(await ledger.getHold('job')).toBeUndefined();
      await ledger.putHold('job', { level: 3, at: NOW });
      await ledger.putHold('job', { level: 2, at: NOW + 60_000 });
      expect(await ledger.getHold('job')).toEqual({ level: 2, at: NOW + 60_000 });
      expect(await ledger.getHold('app')).toBeUndefined();
      expect(await rawItem('ROLE#job', 'HOLD')).not.toHaveProperty('expiresAt');
    });
  });

  describe('learned job time', () => {
    it("stores the drain-time policy's learned job time per role, replacing the one before, with no expiry", async () => {
      expect(await ledger.getJobTime('job')).toBeUndefined();
      await ledger.putJobTime('job', { jobSeconds: 84.5, at: NOW, observations: 1 });
      await ledger.putJobTime('job', { jobSeconds: 80.25, at: NOW + 60_000, observations: 2 });
      expect(await ledger.getJobTime('job')).toEqual({
        jobSeconds: 80.25,
        at: NOW + 60_000,
        observations: 2,
      });
      expect(await ledger.getJobTime('app')).toBeUndefined();
      expect(await rawItem('ROLE#job', 'JOBTIME')).not.toHaveProperty('expiresAt');
    });
  });
});

describe('DynamoDbLedger with TTL enabled on DynamoDB Local', () => {
  let table: LocalTable;

  beforeEach(async () => {
    table = await createTestTable({ ttl: true });
  });

  afterEach(async () => {
    await table.cleanup();
  });

  async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const value = await read();
      if (done(value) || Date.now() > deadline) return value;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('lets DynamoDB expire old samples and terminated records by expiresAt, in epoch seconds', async () => {
    // Dated from the real clock: DynamoDB Local compares expiresAt with its own wall clock.
    const now = Date.now();
    const ledger = new DynamoDbLedger(table.doc, { tableName: table.tableName, sampleTtlSeconds: 3600 });
    await ledger.recordSample('job', { at: now - 2 * 3_600_000, length: 1 });
    await ledger.recordSample('job', { at: now, length: 2 });
    await ledger.createIntent(
      serverRecord({ intentId: 'gone', state: 'terminated', stateSince: now - 8 * DAY_SECONDS * 1000 }),
    );
    await ledger.createIntent(serverRecord({ intentId: 'kept', state: 'terminated', stateSince: now }));

    const samples = await eventually(
      () => ledger.samplesSince('job', 0),
      (found) => found.length === 1,
    );
    const servers = await eventually(
      () => ledger.listServers('app'),
      (found) => found.length === 1,
    );

    expect(samples).toEqual([{ at: now, length: 2 }]);
    expect(servers.map((record) => record.intentId)).toEqual(['kept']);
  });
});

describe('DynamoDbLedger error mapping', () => {
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
  );
  const mock = mockClient(doc);
  const ledger = new DynamoDbLedger(doc, { tableName: 'mocked' });

  afterEach(() => {
    mock.reset();
  });

  it('maps provisioned-throughput errors to a retryable ThrottlingError keeping the cause', async () => {
    const cause = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
    mock.on(PutCommand).rejects(cause);

    const error = await rejectionOf(ledger.recordSample('job', { at: NOW, length: 1 }));

    expect(error).toBeInstanceOf(ThrottlingError);
    expect(error).toMatchObject({ retryable: true, cause });
  });

  it('maps ThrottlingException on a Query to ThrottlingError', async () => {
    mock.on(QueryCommand).rejects(Object.assign(new Error('rate exceeded'), { name: 'ThrottlingException' }));

    await expect(ledger.listServers('app')).rejects.toBeInstanceOf(ThrottlingError);
  });

  it('maps an unknown failure to TransientError and a bad request to InvalidRequestError', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    mock.on(QueryCommand).rejects(reset);
    mock.on(PutCommand).rejects(Object.assign(new Error('Item too large'), { name: 'ValidationException' }));

    const transient = await rejectionOf(ledger.samplesSince('job', NOW));
    const invalid = await rejectionOf(ledger.journal(journalEntry()));

    expect(transient).toBeInstanceOf(TransientError);
    expect(transient).toMatchObject({ cause: reset });
    expect(invalid).toBeInstanceOf(InvalidRequestError);
  });

  it('maps a missing table to NotFoundError', async () => {
    mock
      .on(QueryCommand)
      .rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));

    await expect(ledger.getControls('app')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('tells a version conflict from a missing record by the item returned with the failed condition', async () => {
    mock
      .on(UpdateCommand)
      .rejectsOnce(
        new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
          Item: { pk: { S: 'ROLE#app' }, version: { N: '4' } },
        }),
      )
      .rejectsOnce(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );

    const conflict = await rejectionOf(ledger.updateServer('app', 'i', 3, { registered: true }));
    const missing = await rejectionOf(ledger.updateServer('app', 'i', 3, { registered: true }));

    expect(conflict).toBeInstanceOf(ConflictError);
    expect((conflict as Error).message).toContain('version 4');
    expect(missing).toBeInstanceOf(NotFoundError);
  });
});
