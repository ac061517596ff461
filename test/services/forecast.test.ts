/**
 * The learned forecast through the tick, on the fake cloud: history written as the converge sees
 * the queue, a `floor` forecast launching ahead of a learned peak, `advise` only journaling, and a
 * ledger that cannot read the history stepping back to the schedule.
 */
import { describe, expect, it } from 'vitest';
import { CachedDemandHistoryLedger, DemandHistoryCache } from '../../adapters/cached-demand-history.js';
import { MemoryLedger } from '../../adapters/memory-ledger.js';
import { ThrottlingError } from '../../domain/errors.js';
import type { DemandDay } from '../../domain/types.js';
import { testConfig } from '../../fakes/config.js';
import { FaultyLedger } from '../../fakes/faulty-ledger.js';
import { harness, runFor } from '../../fakes/harness.js';
import { runControl } from '../../handlers/control.js';
import { HistoryReadsLedger } from '../support/history-reads.js';

/** Tuesday 2026-09-22 09:50 in Toronto (EDT, UTC-4): ten minutes before a learned 10:00 peak. */
const TUESDAY_0950 = Date.parse('2026-09-22T13:50:00Z');
const KEEP = Date.parse('2026-12-31T00:00:00Z');

/** A past day of the job role: 1 server all day, `peak` servers from 10:00 to 11:00. */
function pastDay(date: string, peak: number): DemandDay {
  const servers = Array.from({ length: 96 }, (_, slot) => (slot >= 40 && slot < 44 ? peak : 1));
  return { date, slotMinutes: 15, queue: servers.map(() => 0), servers };
}

async function seeded<L extends MemoryLedger>(ledger: L): Promise<L> {
  for (const date of ['2026-09-15', '2026-09-08', '2026-09-01', '2026-08-25'])
    await ledger.putDemandDay('job', pastDay(date, 3), KEEP);
  return ledger;
}

function config(mode: string) {
  return testConfig({ roles: { job: { forecast: { mode } } } });
}

const alive = (h: ReturnType<typeof harness>) => h.cloud.alive('job').length;

describe('the forecast in the tick', () => {
  it('floor: launches ahead of the learned peak by the launch lead (5 min) and journals why', async () => {
    const ledger = await seeded(new MemoryLedger());
    const h = harness({ config: config('floor'), ledger, start: TUESDAY_0950 });
    h.cloud.queueLength = 0;
    await h.app.fleet.tick();
    expect(alive(h)).toBe(1);
    h.advance(6 * 60_000);
    await h.app.fleet.tick();
    expect(alive(h)).toBe(3);
    const journal = await ledger.recentJournal('job', 20);
    expect(journal.find((e) => e.kind === 'forecast')?.summary).toContain(
      'raises the floor): up to 3 servers',
    );
    const plan = journal.find((e) => e.kind === 'plan');
    expect(JSON.stringify(plan?.detail)).toContain('forecast 3 from 2026-09-22T14:00:00.000Z');
  });

  it("advise: journals the same forecast and launches only the queue's servers", async () => {
    const ledger = await seeded(new MemoryLedger());
    const h = harness({ config: config('advise'), ledger, start: TUESDAY_0950 });
    h.cloud.queueLength = 0;
    await h.app.fleet.tick();
    expect(alive(h)).toBe(1);
    const entry = (await ledger.recentJournal('job', 20)).find((e) => e.kind === 'forecast');
    expect(entry?.summary).toContain('advice only): up to 3 servers');
  });

  it("records today's slot: what the queue asked for on the schedule alone, and the deepest queue", async () => {
    const ledger = await seeded(new MemoryLedger());
    const h = harness({ config: config('floor'), ledger, start: TUESDAY_0950 });
    h.cloud.queueLength = 4;
    await runFor(h, 8 * 60_000);
    const [today] = await ledger.demandHistory('job', ['2026-09-22']);
    // 09:50-09:58 is slot 39 (09:45-10:00), local time.
    expect(today?.queue[39]).toBe(4);
    expect(today?.servers[39]).toBeGreaterThanOrEqual(1);
    expect(today?.servers.filter((v) => v !== null)).toHaveLength(1);
  });

  it('steps back to the schedule, and still converges, when the history cannot be read', async () => {
    const faulty = new FaultyLedger(await seeded(new MemoryLedger()));
    faulty.failRate('demandHistory', 1, () => new ThrottlingError('slow down'));
    const warnings: string[] = [];
    const h = harness({
      config: config('floor'),
      ledger: faulty,
      start: TUESDAY_0950,
      observer: { info: () => undefined, warn: (m) => void warnings.push(m), metric: () => undefined },
    });
    h.cloud.queueLength = 0;
    await h.app.fleet.tick();
    expect(alive(h)).toBe(1);
    expect(warnings).toContain('forecast unavailable');
  });

  it('with too little history, says so and keeps the schedule', async () => {
    const ledger = new MemoryLedger();
    await ledger.putDemandDay('job', pastDay('2026-09-15', 3), KEEP);
    const h = harness({ config: config('floor'), ledger, start: TUESDAY_0950 });
    h.cloud.queueLength = 0;
    await h.app.fleet.tick();
    expect(alive(h)).toBe(1);
    const entry = (await ledger.recentJournal('job', 20)).find((e) => e.kind === 'forecast');
    expect(entry?.summary).toContain('not used: no forecast now: too little history: 1 of 3 past tue days');
  });

  it('status: the next schedule change with its floor, and the forecast hour by hour', async () => {
    const ledger = await seeded(new MemoryLedger());
    const job = {
      forecast: { mode: 'floor', horizonHours: 3 },
      schedule: { windows: [{ days: ['tue'], start: '12:00', end: '13:00', servers: 2 }] },
    };
    const h = harness({ config: testConfig({ roles: { job } }), ledger, start: TUESDAY_0950 });
    const status = await runControl({ action: 'status', role: 'job' }, h.app);
    if (!status.ok) throw new Error(status.error);
    const role = status.roles?.[0];
    expect(role?.scheduleChange).toMatchObject({ at: '2026-09-22T16:00:00.000Z', servers: 2 });
    expect(role?.forecast).toMatchObject({ mode: 'floor', usable: true });
    expect(role?.forecast?.hours.map((x) => x.servers)).toEqual([3, 3, 1]);
    expect(role?.forecast?.hours[0]?.from).toBe('2026-09-22T13:50:00.000Z');
  });
});

describe('the warm forecast in the tick', () => {
  it('sizes the warm pool ahead of the learned peak, beyond what serves', async () => {
    const ledger = await seeded(new MemoryLedger());
    const config = testConfig({
      roles: {
        job: { warmPool: { size: 0 }, forecast: { mode: 'warm' }, lifecycle: { billing: 'per-second' } },
      },
    });
    const h = harness({ config, ledger, start: TUESDAY_0950 });
    h.cloud.queueLength = 0;
    await h.app.fleet.tick();
    const pooled = (await ledger.listServers('job')).filter(
      (r) => r.state === 'warming' || r.state === 'warm',
    );
    expect(pooled).toHaveLength(2);
    expect(alive(h)).toBe(3);
  });
});

describe('history reads through the per-container cache', () => {
  const TODAY = '2026-09-22';

  it("a second converge reads only today's day, and forecasts as before", async () => {
    const inner = await seeded(new HistoryReadsLedger());
    const h = harness({
      config: config('floor'),
      ledger: new CachedDemandHistoryLedger(inner),
      start: TUESDAY_0950,
    });
    h.cloud.queueLength = 0;
    await h.app.fleet.tick();
    const first = inner.reads[0]?.dates ?? [];
    expect(first).toEqual(
      expect.arrayContaining(['2026-08-25', '2026-09-01', '2026-09-08', '2026-09-15', TODAY]),
    );
    h.advance(6 * 60_000);
    await h.app.fleet.tick();
    expect(inner.reads.map((r) => r.dates)).toEqual([first, [TODAY]]);
    // The learned 10:00 peak still launches ahead, from the cached days.
    expect(alive(h)).toBe(3);
  });

  it('takes a day as settled only 10 minutes after it ends in the schedule zone', async () => {
    const inner = await seeded(new HistoryReadsLedger());
    // Wednesday 00:05 and 00:11 in Toronto: Tuesday has just ended.
    const h = harness({
      config: config('floor'),
      ledger: new CachedDemandHistoryLedger(inner),
      start: Date.parse('2026-09-23T04:05:00Z'),
    });
    await h.app.fleet.tick();
    h.advance(6 * 60_000);
    await h.app.fleet.tick();
    expect(inner.reads.map((r) => r.settledBefore)).toEqual([TODAY, '2026-09-23']);
  });

  it('keeps at most its bound of days, reading again what it had to give up', async () => {
    const inner = await seeded(new HistoryReadsLedger());
    const ledger = new CachedDemandHistoryLedger(inner, new DemandHistoryCache(2));
    const h = harness({ config: config('floor'), ledger, start: TUESDAY_0950 });
    h.cloud.queueLength = 0;
    await h.app.fleet.tick();
    h.advance(6 * 60_000);
    await h.app.fleet.tick();
    expect(ledger.cache.size).toBe(2);
    const [first, second] = inner.reads.map((r) => r.dates);
    expect(second).toHaveLength((first?.length ?? 0) - 2);
    expect(alive(h)).toBe(3);
  });
});
