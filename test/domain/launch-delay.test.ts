import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  learnedLaunchDelaySeconds,
  learnedStartDelaySeconds,
  scheduleLeadMs,
} from '../../domain/policies/launch-delay.js';
import { T0 } from '../support/builders.js';

const launch = (minutesBefore: number, delayS: number | undefined) => ({
  launchedAt: T0 - minutesBefore * 60_000,
  ...(delayS === undefined ? {} : { inServiceAt: T0 - minutesBefore * 60_000 + delayS * 1000 }),
});

describe('learnedLaunchDelaySeconds', () => {
  it('is unknown with fewer than three launches that reached service', () => {
    expect(
      learnedLaunchDelaySeconds([launch(10, 90), launch(20, 100), launch(30, undefined)]),
    ).toBeUndefined();
  });

  it('is the p90 (nearest rank) of launch to in-service', () => {
    const delays = [60, 70, 80, 90, 100, 110, 120, 130, 140, 400];
    expect(learnedLaunchDelaySeconds(delays.map((d, i) => launch(i, d)))).toBe(140);
  });

  it('leaves out launches that took longer than the boot deadline: a server held back is not a boot time', () => {
    const history = [launch(10, 120), launch(20, 120), launch(30, 180), launch(40, 3 * 3600)];
    expect(learnedLaunchDelaySeconds(history, 900)).toBe(180);
    expect(
      learnedLaunchDelaySeconds([launch(10, 120), launch(20, 3 * 3600), launch(30, 3 * 3600)], 900),
    ).toBeUndefined();
  });

  it('looks only at the 20 newest launches', () => {
    const old = Array.from({ length: 10 }, (_, i) => launch(1000 + i, 900));
    const recent = Array.from({ length: 20 }, (_, i) => launch(i, 60));
    expect(learnedLaunchDelaySeconds([...old, ...recent])).toBe(60);
  });
});

describe('learnedStartDelaySeconds', () => {
  const start = (minutesAgo: number, seconds: number | undefined) => ({
    stateSince: T0 - minutesAgo * 60_000,
    ...(seconds === undefined ? {} : { startSeconds: seconds }),
  });

  it.each([
    ['unknown before two servers have been started', [start(1, 30), start(2, undefined)], undefined],
    ['the slower of two starts', [start(1, 30), start(2, 40)], 40],
    [
      'the p90 (nearest rank) of many',
      [20, 25, 30, 35, 40, 45, 50, 55, 60, 300].map((s, i) => start(i, s)),
      60,
    ],
  ])('%s', (_name, records, seconds) => {
    expect(learnedStartDelaySeconds(records)).toBe(seconds);
  });

  it('leaves out starts slower than the boot deadline and looks only at the 20 newest', () => {
    expect(learnedStartDelaySeconds([start(1, 30), start(2, 30), start(3, 2000)], 900)).toBe(30);
    const old = Array.from({ length: 10 }, (_, i) => start(100 + i, 600));
    const recent = Array.from({ length: 20 }, (_, i) => start(i, 35));
    expect(learnedStartDelaySeconds([...old, ...recent])).toBe(35);
  });
});

describe('scheduleLeadMs', () => {
  const history = [launch(10, 200), launch(20, 220), launch(30, 240)];
  it.each([
    ['a configured lead wins', 2, history, 120_000],
    ['else the learned p90', undefined, history, 240_000],
    ['else 5 minutes', undefined, [launch(10, 90)], 300_000],
  ])('%s', (_name, leadMinutes, records, ms) => {
    expect(scheduleLeadMs(leadMinutes, records)).toBe(ms);
  });
});

describe('the learned delays, over any history', () => {
  // Few distinct times, so many launches share one: which 20 are the newest must not depend on how.
  const historyArb = fc.array(
    fc.record({
      minutesBefore: fc.integer({ min: 0, max: 5 }),
      delayS: fc.option(fc.integer({ min: -30, max: 1200 }), { nil: undefined, freq: 10 }),
    }),
    { minLength: 10, maxLength: 60, size: 'max' },
  );
  /** The definition: the p90 (nearest rank) of the 20 newest, in the order given among equal times. */
  const p90OfNewest = (entries: { at: number; seconds: number }[], maxSeconds: number, least: number) => {
    const newest = entries
      .map((e, order) => ({ ...e, order }))
      .sort((a, b) => b.at - a.at || a.order - b.order)
      .slice(0, 20)
      .map((e) => e.seconds)
      .filter((s) => s >= 0 && s <= maxSeconds)
      .sort((a, b) => a - b);
    return newest.length < least ? undefined : newest[Math.ceil(0.9 * newest.length) - 1];
  };

  it('the launch delay is the p90 of the 20 newest launches that reached service within the deadline', () => {
    fc.assert(
      fc.property(historyArb, fc.integer({ min: 60, max: 1200 }), (history, deadline) => {
        const records = history.map((h) => launch(h.minutesBefore, h.delayS));
        const entries = records.flatMap((r) =>
          r.inServiceAt === undefined || r.inServiceAt < r.launchedAt
            ? []
            : [{ at: r.launchedAt, seconds: (r.inServiceAt - r.launchedAt) / 1000 }],
        );
        expect(learnedLaunchDelaySeconds(records, deadline)).toBe(p90OfNewest(entries, deadline, 3));
      }),
      { numRuns: 300 },
    );
  });

  it('the start delay is the p90 of the 20 newest recorded starts within the deadline', () => {
    fc.assert(
      fc.property(historyArb, fc.integer({ min: 60, max: 1200 }), (history, deadline) => {
        const records = history.map((h) => ({
          stateSince: T0 - h.minutesBefore * 60_000,
          ...(h.delayS === undefined ? {} : { startSeconds: h.delayS }),
        }));
        const entries = records.flatMap((r) =>
          r.startSeconds === undefined ? [] : [{ at: r.stateSince, seconds: r.startSeconds }],
        );
        expect(learnedStartDelaySeconds(records, deadline)).toBe(p90OfNewest(entries, deadline, 2));
      }),
      { numRuns: 300 },
    );
  });
});
