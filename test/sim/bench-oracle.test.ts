import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { scheduleFloor } from '../../domain/schedule.js';
import {
  FAMILY_TRACE_SEEDS,
  type FamilyRun,
  familyRow,
  HELD_OUT_TRACE_SEEDS,
  heldOutRow,
  meetsTarget,
} from '../../sim/bench/families.js';
import { ONSET_HOLD_MINUTES, ONSET_POLICY, onsetRole } from '../../sim/bench/policies.js';
import { DEFAULT_START_AT, simulate } from '../../sim/index.js';
import { noPoolRole } from '../../sim/policies.js';
import { type Onsets, referenceOnsets, TRACE_FAMILIES } from '../../sim/traces/make-traces.js';

const MINUTE_MS = 60_000;

describe('trace generators note where their batches and bursts begin', () => {
  it("noting onsets leaves every family's trace unchanged", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(TRACE_FAMILIES)),
        fc.integer({ min: 1, max: 10_000 }),
        (name, seed) => {
          const make = TRACE_FAMILIES[name as keyof typeof TRACE_FAMILIES];
          const onsets: Onsets = [];
          expect(make(seed, onsets)).toEqual(make(seed));
          expect(onsets.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('every flash-burst onset is followed by at least 80 jobs within five minutes', () => {
    const jobs = TRACE_FAMILIES['flash-burst'](2010);
    const onsets = referenceOnsets('flash-burst');
    expect(onsets).toHaveLength(6);
    for (const at of onsets) {
      expect(jobs.filter((j) => j.arrivalS >= at && j.arrivalS < at + 300).length).toBeGreaterThanOrEqual(80);
    }
  });

  it('month-end payroll begins at 10:00 among its batches; an unknown trace has none', () => {
    expect(referenceOnsets('month-end-payroll')).toContain(10 * 3600);
    expect(referenceOnsets('no-such-trace')).toEqual([]);
  });
});

describe('onset oracle role', () => {
  // The oracle launches cold: the bench builds it on the role without the warm pool.
  const role = noPoolRole();

  it("is at the ceiling from the start of each onset's minute for the hold, and at the baseline otherwise", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 60, max: 7 * 86_400 - 1 }), { minLength: 1, maxLength: 8 }),
        (onsets) => {
          const oracle = onsetRole(role, onsets);
          const minuteOf = (s: number) => DEFAULT_START_AT + Math.floor(s / 60) * MINUTE_MS;
          for (const at of onsets) {
            expect(scheduleFloor(oracle.schedule, minuteOf(at)).servers).toBe(role.max);
            // A minute earlier the ceiling holds only if some onset's window covers it: windows are
            // weekday and local time of day, so they repeat weekly.
            const before = minuteOf(at) - MINUTE_MS;
            const local = (ms: number) => DateTime.fromMillis(ms, { zone: role.schedule.timeZone });
            const b = local(before);
            const covered = onsets.some((o) => {
              const from = local(minuteOf(o));
              const fromMin = from.hour * 60 + from.minute;
              const bMin = b.hour * 60 + b.minute;
              return from.weekday === b.weekday && bMin >= fromMin && bMin < fromMin + ONSET_HOLD_MINUTES;
            });
            expect(scheduleFloor(oracle.schedule, before).servers).toBe(
              covered ? role.max : role.schedule.baseline,
            );
          }
          expect(oracle.schedule.leadMinutes).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('launches the extra servers at or before the first job of every flash burst', async () => {
    const onsets = referenceOnsets('flash-burst');
    const jobs = TRACE_FAMILIES['flash-burst'](2010).filter((j) => j.arrivalS < 12 * 3600);
    const { events } = await simulate({
      jobs,
      policy: { name: ONSET_POLICY, role: onsetRole(role, onsets) },
      horizonS: 12 * 3600,
    });
    const launches = events.filter((e) => e.kind === 'launch').map((e) => e.atS);
    for (const at of onsets.filter((o) => o < 11 * 3600)) {
      const first = jobs.find((j) => j.arrivalS >= at)?.arrivalS ?? Number.POSITIVE_INFINITY;
      const inMinute = launches.filter(
        (l) => l <= first && l >= Math.floor(at / 60) * 60 - ONSET_HOLD_MINUTES * 60,
      );
      expect(inMinute.length, `a launch by ${first} s for the burst at ${at} s`).toBeGreaterThan(0);
    }
  });
});

describe('families bench', () => {
  const run = (over: Partial<FamilyRun>): FamilyRun => ({
    traceSeed: 1,
    delaySeed: 1,
    p95Ratio: 0.4,
    costRatio: 0.9,
    instanceHoursRatio: 0.9,
    gapClosed: 0.7,
    oracleGapClosed: 0.9,
    boundP95Ratio: 0.2,
    coldLaunches: 6,
    warmStarts: 2,
    seedLaunches: 4,
    stoppedVolumeCost: 0.1,
    days: 1,
    met: true,
    noPool: { p95Ratio: 0.5, costRatio: 0.8, gapClosed: 0.5, coldLaunches: 12, met: false },
    ...over,
  });

  it.each([
    ['half the wait at lower cost', run({}), true],
    ['half the wait at more dollars', run({ costRatio: 1.01 }), false],
    ['half the wait at more instance-hours but fewer dollars', run({ instanceHoursRatio: 1.05 }), true],
    ['a longer wait on an unsaturated trace', run({ p95Ratio: 0.6, gapClosed: 0.9 }), false],
    [
      '0.8 of the gap where the bound is above 0.4x',
      run({ p95Ratio: 0.9, boundP95Ratio: 0.85, gapClosed: 0.8 }),
      true,
    ],
    [
      '0.79 of the gap where the bound is above 0.4x',
      run({ p95Ratio: 0.9, boundP95Ratio: 0.85, gapClosed: 0.79 }),
      false,
    ],
  ])('target: %s', (_, figures, met) => {
    expect(meetsTarget(figures)).toBe(met);
  });

  it('holds out trace seeds no default was chosen on, and sums them: runs met, geometric means, the missed runs', () => {
    expect(HELD_OUT_TRACE_SEEDS.filter((s) => (FAMILY_TRACE_SEEDS as readonly number[]).includes(s))).toEqual(
      [],
    );
    const held = (traceSeed: number, p95Ratio: number, costRatio: number, met: boolean) => ({
      traceSeed,
      delaySeed: 2,
      p95Ratio,
      costRatio,
      gapClosed: null,
      boundP95Ratio: 0.2,
      met,
    });
    expect(heldOutRow([held(5, 0.25, 0.5, true), held(6, 1, 2, false)])).toEqual({
      runs: 2,
      met: 1,
      p95Ratio: 0.5,
      costRatio: 1,
      missed: ['6/2'],
    });
  });

  it('sums a family: runs met, geometric-mean ratios, launches against the 2010 rule, warm starts and stopped volumes a day, mean gap, the missed runs, and the same without the pool', () => {
    const row = familyRow('f', [
      run({ p95Ratio: 0.25, costRatio: 0.5, instanceHoursRatio: 0.5 }),
      run({
        traceSeed: 2,
        p95Ratio: 1,
        costRatio: 2,
        instanceHoursRatio: 2,
        gapClosed: null,
        coldLaunches: 10,
        warmStarts: 10,
        seedLaunches: 0,
        stoppedVolumeCost: 0.3,
        days: 3,
        met: false,
        noPool: { p95Ratio: 2, costRatio: 1.25, gapClosed: null, coldLaunches: 20, met: true },
      }),
    ]);
    expect(row).toEqual({
      family: 'f',
      runs: 2,
      met: 1,
      p95Ratio: 0.5,
      costRatio: 1,
      instanceHoursRatio: 1,
      coldLaunchesRatio: 4,
      // Per day over the 4 days the two runs cover.
      coldLaunchesPerDay: 4,
      warmStartsPerDay: 3,
      stoppedVolumeCostPerDay: 0.1,
      gapClosed: 0.7,
      oracleGapClosed: 0.9,
      missed: ['2/1'],
      seedLaunchesPerDay: 1,
      noPool: {
        met: 1,
        p95Ratio: 1,
        costRatio: 1,
        coldLaunchesRatio: 8,
        gapClosed: 0.5,
        missed: ['1/1'],
      },
    });
  });
});
