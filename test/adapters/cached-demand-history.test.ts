/**
 * The per-container cache of settled demand-history days in front of a ledger: what it reads
 * again and what it does not, late writes, failed reads, and its bounds.
 */
import { describe, expect, it } from 'vitest';
import { CachedDemandHistoryLedger, DemandHistoryCache } from '../../adapters/cached-demand-history.js';
import { ThrottlingError } from '../../domain/errors.js';
import type { DemandDay } from '../../domain/types.js';
import { FaultyLedger } from '../../fakes/faulty-ledger.js';
import { HistoryReadsLedger } from '../support/history-reads.js';

const KEEP = Date.UTC(2027, 0, 1);

function aDay(date: string, servers: number): DemandDay {
  return { date, slotMinutes: 60, queue: Array(24).fill(0), servers: Array(24).fill(servers) };
}

async function stored(days: Record<string, number>): Promise<HistoryReadsLedger> {
  const ledger = new HistoryReadsLedger();
  for (const [date, servers] of Object.entries(days))
    await ledger.putDemandDay('job', aDay(date, servers), KEEP);
  return ledger;
}

const datesRead = (ledger: HistoryReadsLedger) => ledger.reads.map((r) => r.dates);

describe('CachedDemandHistoryLedger', () => {
  it('reads a settled day once, and the unsettled ones every time', async () => {
    const inner = await stored({ '2026-09-08': 2, '2026-09-15': 3, '2026-09-22': 4 });
    const ledger = new CachedDemandHistoryLedger(inner);
    const asked = ['2026-09-08', '2026-09-15', '2026-09-22'];
    const expected = [aDay('2026-09-08', 2), aDay('2026-09-15', 3), aDay('2026-09-22', 4)];
    expect(await ledger.demandHistory('job', asked, { settledBefore: '2026-09-22' })).toEqual(expected);
    expect(await ledger.demandHistory('job', asked, { settledBefore: '2026-09-22' })).toEqual(expected);
    expect(datesRead(inner)).toEqual([asked, ['2026-09-22']]);
  });

  it('remembers that a settled day has nothing stored', async () => {
    const inner = await stored({ '2026-09-22': 4 });
    const ledger = new CachedDemandHistoryLedger(inner);
    const asked = ['2026-09-15', '2026-09-22'];
    await ledger.demandHistory('job', asked, { settledBefore: '2026-09-22' });
    expect(await ledger.demandHistory('job', asked, { settledBefore: '2026-09-22' })).toEqual([
      aDay('2026-09-22', 4),
    ]);
    expect(datesRead(inner)).toEqual([asked, ['2026-09-22']]);
  });

  it('sees a late write to a day not yet settled, then keeps it once settled', async () => {
    const inner = await stored({ '2026-09-22': 4 });
    const ledger = new CachedDemandHistoryLedger(inner);
    // Just after midnight: the 22nd is over but a converge elsewhere may still write it.
    await ledger.demandHistory('job', ['2026-09-22', '2026-09-23'], { settledBefore: '2026-09-22' });
    await inner.putDemandDay('job', aDay('2026-09-22', 5), KEEP);
    expect(
      await ledger.demandHistory('job', ['2026-09-22', '2026-09-23'], { settledBefore: '2026-09-22' }),
    ).toEqual([aDay('2026-09-22', 5)]);
    await ledger.demandHistory('job', ['2026-09-22', '2026-09-23'], { settledBefore: '2026-09-23' });
    await ledger.demandHistory('job', ['2026-09-22', '2026-09-23'], { settledBefore: '2026-09-23' });
    expect(datesRead(inner).slice(2)).toEqual([['2026-09-22', '2026-09-23'], ['2026-09-23']]);
  });

  it('caches nothing without settledBefore, and keeps roles apart', async () => {
    const inner = await stored({ '2026-09-15': 3 });
    await inner.putDemandDay('web', aDay('2026-09-15', 7), KEEP);
    const ledger = new CachedDemandHistoryLedger(inner);
    await ledger.demandHistory('job', ['2026-09-15']);
    await ledger.demandHistory('job', ['2026-09-15'], { settledBefore: '2026-09-22' });
    expect(await ledger.demandHistory('web', ['2026-09-15'], { settledBefore: '2026-09-22' })).toEqual([
      aDay('2026-09-15', 7),
    ]);
    expect(await ledger.demandHistory('job', ['2026-09-15'], { settledBefore: '2026-09-22' })).toEqual([
      aDay('2026-09-15', 3),
    ]);
    expect(inner.reads.map((r) => r.role)).toEqual(['job', 'job', 'web']);
  });

  it('caches nothing from a failed read: the next read asks again', async () => {
    const inner = await stored({ '2026-09-15': 3 });
    const faulty = new FaultyLedger(inner);
    const ledger = new CachedDemandHistoryLedger(faulty);
    faulty.failNext('demandHistory', new ThrottlingError('slow down'));
    await expect(
      ledger.demandHistory('job', ['2026-09-15'], { settledBefore: '2026-09-22' }),
    ).rejects.toBeInstanceOf(ThrottlingError);
    expect(ledger.cache.size).toBe(0);
    expect(await ledger.demandHistory('job', ['2026-09-15'], { settledBefore: '2026-09-22' })).toEqual([
      aDay('2026-09-15', 3),
    ]);
  });

  it('forgets a cached day that is written again', async () => {
    const inner = await stored({ '2026-09-15': 3 });
    const ledger = new CachedDemandHistoryLedger(inner);
    await ledger.demandHistory('job', ['2026-09-15'], { settledBefore: '2026-09-22' });
    await ledger.putDemandDay('job', aDay('2026-09-15', 6), KEEP);
    expect(await ledger.demandHistory('job', ['2026-09-15'], { settledBefore: '2026-09-22' })).toEqual([
      aDay('2026-09-15', 6),
    ]);
  });

  it('drops the days before the oldest date asked for: they have left the history window', async () => {
    const inner = await stored({ '2026-09-01': 1, '2026-09-08': 2, '2026-09-15': 3 });
    const ledger = new CachedDemandHistoryLedger(inner);
    await ledger.demandHistory('job', ['2026-09-01', '2026-09-08', '2026-09-15'], {
      settledBefore: '2026-09-22',
    });
    expect(ledger.cache.size).toBe(3);
    await ledger.demandHistory('job', ['2026-09-08', '2026-09-15'], { settledBefore: '2026-09-22' });
    expect(ledger.cache.size).toBe(2);
    await ledger.demandHistory('job', ['2026-09-01', '2026-09-08'], { settledBefore: '2026-09-22' });
    expect(datesRead(inner).at(-1)).toEqual(['2026-09-01']);
  });

  it('holds at most maxDays, giving up the least recently read role first', async () => {
    const inner = new HistoryReadsLedger();
    const ledger = new CachedDemandHistoryLedger(inner, new DemandHistoryCache(4));
    const settled = { settledBefore: '2026-10-01' };
    await ledger.demandHistory('a', ['2026-09-01', '2026-09-02', '2026-09-03'], settled);
    await ledger.demandHistory('b', ['2026-09-01', '2026-09-02'], settled);
    expect(ledger.cache.size).toBe(4);
    inner.reads.length = 0;
    await ledger.demandHistory('b', ['2026-09-01', '2026-09-02'], settled);
    await ledger.demandHistory('a', ['2026-09-01', '2026-09-02', '2026-09-03'], settled);
    // Role a lost its oldest day to make room for b's second.
    expect(inner.reads).toEqual([{ role: 'a', dates: ['2026-09-01'], settledBefore: '2026-10-01' }]);
    expect(ledger.cache.size).toBe(4);
  });

  it('refuses a bound that holds nothing', () => {
    expect(() => new DemandHistoryCache(0)).toThrow(/maxDays/);
  });
});
