import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type JobTimeObservation,
  LEARN_EVERY_SECONDS,
  learnJobSeconds,
  observedJobSeconds,
} from '../../domain/policies/job-time.js';
import type { JobTimeRecord } from '../../domain/types.js';
import { series, T0 } from '../support/builders.js';

/** One server of 4 workers, in service for 10 minutes. */
const steady = { inService: 1, workersPerServer: 4, inServiceSteadySeconds: 600 };

describe('observedJobSeconds', () => {
  it.each([
    // name, lengths (one a minute, newest last), fleet, observed seconds per job, clean
    [
      'a backlog draining 4 a minute on 4 busy workers: a minute a job',
      [40, 36, 32, 28, 24, 20],
      steady,
      60,
      true,
    ],
    [
      'twice the workers, the same fall: two minutes a job',
      [40, 36, 32, 28, 24, 20],
      { ...steady, inService: 2 },
      120,
      true,
    ],
    // Fell 20, rose 4 between probes: at least 24 finished in 5 minutes on 4 workers.
    [
      'what the queue rose by counts as finished too, and the drain is not clean',
      [40, 30, 34, 26, 22, 20],
      steady,
      50,
      false,
    ],
  ])('%s', (_name, lengths, fleet, seconds, clean) => {
    const observed = observedJobSeconds(series(lengths), T0, 300, fleet, 60);
    expect(observed?.seconds).toBeCloseTo(seconds, 6);
    expect(observed?.clean).toBe(clean);
  });

  it.each([
    ['a queue that fell below one job per worker: not all were busy', [40, 30, 20, 10, 3, 1], steady],
    ['a growing queue says nothing of how long a job takes', [20, 24, 28, 32, 36, 40], steady],
    ['a flat queue neither', [20, 20, 20, 20, 20, 20], steady],
    [
      'a server came into service within the window',
      [40, 36, 32, 28, 24, 20],
      { ...steady, inServiceSteadySeconds: 120 },
    ],
    ['no server in service', [40, 36, 32, 28, 24, 20], { ...steady, inService: 0 }],
  ])('says nothing: %s', (_name, lengths, fleet) => {
    expect(observedJobSeconds(series(lengths), T0, 300, fleet, 60)).toBeUndefined();
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
          const observed = observedJobSeconds(series(lengths), T0, 300, steady, 240 / servedPerMinute);
          expect(observed?.seconds ?? 0).toBeGreaterThanOrEqual(240 / servedPerMinute - 1e-9);
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
  const clean = (seconds: number): JobTimeObservation => ({ seconds, clean: true });
  const arriving = (seconds: number): JobTimeObservation => ({ seconds, clean: false });

  it('starts from the configured guess and keeps the estimate without an observation', () => {
    expect(learnJobSeconds(undefined, undefined, 90, T0)).toBeUndefined();
    const known = record(80);
    expect(learnJobSeconds(known, undefined, 90, T0)).toBe(known);
    const first = learnJobSeconds(undefined, arriving(30), 90, T0);
    expect(first?.jobSeconds).toBeLessThan(90);
    expect(first?.jobSeconds).toBeGreaterThanOrEqual(30);
    expect(first).toMatchObject({ at: T0, observations: 1 });
  });

  it(`learns at most once every ${LEARN_EVERY_SECONDS} s: converges seconds apart see the same window`, () => {
    const recent = record(80, T0 - 10_000);
    expect(learnJobSeconds(recent, clean(20), 90, T0)).toBe(recent);
    expect(learnJobSeconds(recent, clean(20), 90, T0 + LEARN_EVERY_SECONDS * 1000)?.jobSeconds).toBeLessThan(
      80,
    );
  });

  it('a longer observation moves the estimate only from a clean drain: otherwise it may be only arrivals', () => {
    const known = record(80);
    expect(learnJobSeconds(known, arriving(400), 90, T0)).toBe(known);
    expect(learnJobSeconds(known, clean(400), 90, T0)?.jobSeconds).toBeGreaterThan(80);
  });

  it('moves toward the observation and never past it', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 3600, noNaN: true }),
        fc.double({ min: 1, max: 3600, noNaN: true }),
        fc.boolean(),
        (estimate, seconds, isClean) => {
          const next =
            learnJobSeconds(record(estimate), { seconds, clean: isClean }, 90, T0)?.jobSeconds ?? Number.NaN;
          expect(next).toBeGreaterThanOrEqual(Math.min(estimate, seconds) - 0.01);
          expect(next).toBeLessThanOrEqual(Math.max(estimate, seconds) + 0.01);
        },
      ),
    );
  });

  it('moves further toward a shorter observation than toward a longer one the same distance away', () => {
    fc.assert(
      fc.property(fc.integer({ min: 20, max: 3600 }), fc.integer({ min: 1, max: 19 }), (estimate, step) => {
        const distance = (estimate * step) / 20;
        const down =
          estimate - (learnJobSeconds(record(estimate), clean(estimate - distance), 90, T0)?.jobSeconds ?? 0);
        const up =
          (learnJobSeconds(record(estimate), clean(estimate + distance), 90, T0)?.jobSeconds ?? 0) - estimate;
        expect(down).toBeGreaterThan(up);
      }),
    );
  });

  it('settles on a job time seen again and again in clean drains, from above or below the guess', () => {
    for (const [guess, truth] of [
      [90, 20],
      [90, 300],
    ] as const) {
      let known: JobTimeRecord | undefined;
      for (let minute = 0; minute < 240; minute += 1) {
        known = learnJobSeconds(known, clean(truth), guess, T0 + minute * 60_000);
      }
      expect(known?.jobSeconds).toBeCloseTo(truth, 0);
    }
  });
});
