import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LEARN_EVERY_SECONDS, learnJobSeconds, observedJobSeconds } from '../../domain/policies/job-time.js';
import type { JobTimeRecord } from '../../domain/types.js';
import { series, T0 } from '../support/builders.js';

/** One server of 4 workers, in service for 10 minutes. */
const steady = { inService: 1, workersPerServer: 4, inServiceSteadySeconds: 600 };

describe('observedJobSeconds', () => {
  it.each([
    // name, lengths (one a minute, newest last), fleet, observed seconds per job
    ['a backlog draining 4 a minute on 4 busy workers: a minute a job', [40, 36, 32, 28, 24, 20], steady, 60],
    [
      'twice the workers, the same fall: two minutes a job',
      [40, 36, 32, 28, 24, 20],
      { ...steady, inService: 2 },
      120,
    ],
    [
      'a queue that fell below one job per worker: not all were busy',
      [40, 30, 20, 10, 3, 1],
      steady,
      undefined,
    ],
    ['a growing queue says nothing of how long a job takes', [20, 24, 28, 32, 36, 40], steady, undefined],
    ['a flat queue neither', [20, 20, 20, 20, 20, 20], steady, undefined],
    [
      'a server came into service within the window',
      [40, 36, 32, 28, 24, 20],
      { ...steady, inServiceSteadySeconds: 120 },
      undefined,
    ],
    ['no server in service', [40, 36, 32, 28, 24, 20], { ...steady, inService: 0 }, undefined],
  ])('%s', (_name, lengths, fleet, seconds) => {
    const observed = observedJobSeconds(series(lengths), T0, 300, fleet, 60);
    if (seconds === undefined) expect(observed).toBeUndefined();
    else expect(observed).toBeCloseTo(seconds, 6);
  });

  it('is an upper bound: jobs arriving while the queue falls make it longer, never shorter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 3 }),
        (servedPerMinute, arrivingPerMinute) => {
          fc.pre(arrivingPerMinute < servedPerMinute);
          // 4 busy workers finish `servedPerMinute` jobs a minute: a job takes 240 / served seconds.
          const lengths = Array.from(
            { length: 6 },
            (_, i) => 200 - i * (servedPerMinute - arrivingPerMinute),
          );
          const observed = observedJobSeconds(series(lengths), T0, 300, steady, 240 / servedPerMinute) ?? 0;
          expect(observed).toBeGreaterThanOrEqual(240 / servedPerMinute - 1e-9);
        },
      ),
    );
  });
});

describe('learnJobSeconds', () => {
  const record = (jobSeconds: number, at = T0 - 10 * 60_000): JobTimeRecord => ({
    jobSeconds,
    at,
    observations: 3,
  });

  it('starts from the configured guess and keeps the estimate without an observation', () => {
    expect(learnJobSeconds(undefined, undefined, 90, T0)).toBeUndefined();
    const known = record(80);
    expect(learnJobSeconds(known, undefined, 90, T0)).toBe(known);
    const first = learnJobSeconds(undefined, 30, 90, T0);
    expect(first?.jobSeconds).toBeLessThan(90);
    expect(first?.jobSeconds).toBeGreaterThanOrEqual(30);
    expect(first).toMatchObject({ at: T0, observations: 1 });
  });

  it(`learns at most once every ${LEARN_EVERY_SECONDS} s: converges seconds apart see the same window`, () => {
    const recent = record(80, T0 - 10_000);
    expect(learnJobSeconds(recent, 20, 90, T0)).toBe(recent);
    expect(learnJobSeconds(recent, 20, 90, T0 + LEARN_EVERY_SECONDS * 1000)?.jobSeconds).toBeLessThan(80);
  });

  it('moves toward the observation and never past it', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 3600, noNaN: true }),
        fc.double({ min: 1, max: 3600, noNaN: true }),
        (estimate, observed) => {
          const next = learnJobSeconds(record(estimate), observed, 90, T0)?.jobSeconds ?? Number.NaN;
          expect(next).toBeGreaterThanOrEqual(Math.min(estimate, observed) - 0.01);
          expect(next).toBeLessThanOrEqual(Math.max(estimate, observed) + 0.01);
        },
      ),
    );
  });

  it('moves further toward a shorter observation than toward a longer one the same distance away', () => {
    fc.assert(
      fc.property(fc.integer({ min: 20, max: 3600 }), fc.integer({ min: 1, max: 19 }), (estimate, step) => {
        const distance = (estimate * step) / 20;
        const down =
          estimate - (learnJobSeconds(record(estimate), estimate - distance, 90, T0)?.jobSeconds ?? 0);
        const up =
          (learnJobSeconds(record(estimate), estimate + distance, 90, T0)?.jobSeconds ?? 0) - estimate;
        expect(down).toBeGreaterThan(up);
      }),
    );
  });

  it('settles on a job time observed again and again, from above or below the guess', () => {
    for (const [guess, truth] of [
      [90, 20],
      [90, 300],
    ] as const) {
      let known: JobTimeRecord | undefined;
      for (let minute = 0; minute < 240; minute += 1) {
        known = learnJobSeconds(known, truth, guess, T0 + minute * 60_000);
      }
      expect(known?.jobSeconds).toBeCloseTo(truth, 0);
    }
  });
});
