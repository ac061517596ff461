/** The memory ledger's stand-in for DynamoDB's TTL on terminated records, which long simulations need. */
import { describe, expect, it } from 'vitest';
import { MemoryLedger } from '../../adapters/memory-ledger.js';
import type { ServerRecord } from '../../domain/types.js';

const DAY = 86_400_000;

function record(intentId: string, at: number): ServerRecord {
  return {
    role: 'job',
    intentId,
    state: 'in-service',
    createdAt: at,
    stateSince: at,
    registered: false,
    version: 0,
  };
}

describe('MemoryLedger terminated records', () => {
  it('drops a terminated record once a later termination is terminatedTtlMs past it, and keeps the rest', async () => {
    const ledger = new MemoryLedger({ terminatedTtlMs: 7 * DAY });
    for (const [id, at] of [
      ['old', 0],
      ['recent', 5 * DAY],
      ['live', 0],
      ['last', 0],
    ] as const) {
      await ledger.createIntent(record(id, at));
    }
    await ledger.updateServer('job', 'old', 0, { state: 'terminated', stateSince: 1 * DAY });
    await ledger.updateServer('job', 'recent', 0, { state: 'terminated', stateSince: 5 * DAY });
    expect((await ledger.listServers('job')).map((r) => r.intentId).sort()).toEqual([
      'last',
      'live',
      'old',
      'recent',
    ]);
    await ledger.updateServer('job', 'last', 0, { state: 'terminated', stateSince: 9 * DAY });
    expect((await ledger.listServers('job')).map((r) => r.intentId).sort()).toEqual([
      'last',
      'live',
      'recent',
    ]);
  });

  it('keeps every terminated record without the setting', async () => {
    const ledger = new MemoryLedger();
    await ledger.createIntent(record('a', 0));
    await ledger.createIntent(record('b', 0));
    await ledger.updateServer('job', 'a', 0, { state: 'terminated', stateSince: 0 });
    await ledger.updateServer('job', 'b', 0, { state: 'terminated', stateSince: 365 * DAY });
    expect(await ledger.listServers('job')).toHaveLength(2);
  });
});
