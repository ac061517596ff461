/**
 * The read-only `history` and `journal` answers, from a ledger alone: servers in service over time
 * from their records and journaled drains, desired counts from journaled decisions, queue samples.
 */
import { describe, expect, it } from 'vitest';
import { MemoryLedger } from '../../adapters/memory-ledger.js';
import { journalSince, roleHistory } from '../../domain/services/control-history.js';
import type { ServerRecord } from '../../domain/types.js';

const T0 = Date.parse('2026-03-02T08:00:00Z');
const MIN = 60_000;
const at = (minutes: number) => new Date(T0 + minutes * MIN).toISOString();

function server(intentId: string, fields: Partial<ServerRecord>): ServerRecord {
  return {
    role: 'job',
    intentId,
    state: 'in-service',
    createdAt: T0,
    stateSince: T0,
    registered: true,
    version: 1,
    ...fields,
  };
}

async function ledgerWithADay(): Promise<MemoryLedger> {
  const ledger = new MemoryLedger();
  // A base server all along; a second one in service 10-40 min (journaled drained at 40, terminated at 45);
  // a third in service from 50 min on; a fourth that never came into service.
  await ledger.createIntent(server('base', { inServiceAt: T0 - 60 * MIN }));
  await ledger.createIntent(
    server('extra', { inServiceAt: T0 + 10 * MIN, state: 'terminated', stateSince: T0 + 45 * MIN }),
  );
  await ledger.createIntent(server('third', { inServiceAt: T0 + 50 * MIN }));
  await ledger.createIntent(server('failed', { state: 'terminated', stateSince: T0 + 20 * MIN }));
  await ledger.journal({
    role: 'job',
    at: T0 + 5 * MIN,
    kind: 'plan',
    summary: 'desired 2; launch 1',
    detail: { desired: { count: 2 }, actions: [{ action: { kind: 'launch', count: 1 }, ok: true }] },
  });
  await ledger.journal({
    role: 'job',
    at: T0 + 40 * MIN,
    kind: 'plan',
    summary: 'desired 1; drain extra',
    detail: { desired: { count: 1 }, actions: [{ action: { kind: 'drain', serverId: 'extra' }, ok: true }] },
  });
  await ledger.journal({
    role: 'job',
    at: T0 + 41 * MIN,
    kind: 'control',
    summary: 'job: paused',
    detail: {},
  });
  await ledger.recordSample('job', { at: T0 + 1 * MIN, length: 30 });
  await ledger.recordSample('job', { at: T0 + 2 * MIN, length: null, error: 'timed out' });
  return ledger;
}

describe('roleHistory', () => {
  it('counts servers in service until they were journaled drained, and desired at each decision and now', async () => {
    const history = await roleHistory(await ledgerWithADay(), 'job', T0, T0 + 60 * MIN, 2);
    expect(history.inService).toEqual([
      { at: at(0), count: 1 },
      { at: at(10), count: 2 },
      { at: at(40), count: 1 },
      { at: at(50), count: 2 },
      { at: at(60), count: 2 },
    ]);
    expect(history.desired).toEqual([
      { at: at(5), count: 2 },
      { at: at(40), count: 1 },
      { at: at(60), count: 2 },
    ]);
    expect(history.queue).toEqual([
      { at: at(1), length: 30 },
      { at: at(2), length: null },
    ]);
  });

  it('starts from what was in service at the start of the span', async () => {
    const history = await roleHistory(await ledgerWithADay(), 'job', T0 + 20 * MIN, T0 + 30 * MIN, 2);
    expect(history.inService).toEqual([
      { at: at(20), count: 2 },
      { at: at(30), count: 2 },
    ]);
    expect(history.desired).toEqual([{ at: at(30), count: 2 }]);
  });
});

describe('journalSince', () => {
  it('gives the entries since a time, newest first, at most the limit', async () => {
    const ledger = await ledgerWithADay();
    const all = await journalSince(ledger, ['job', '_stack'], T0 + 30 * MIN, 10);
    expect(all.map((e) => e.summary)).toEqual(['job: paused', 'desired 1; drain extra']);
    expect(await journalSince(ledger, ['job'], T0, 1)).toEqual([
      { role: 'job', at: at(41), kind: 'control', summary: 'job: paused' },
    ]);
  });
});
