import { describe, expect, it } from 'vitest';
import type { BacklogPolicy, ThresholdPolicy } from '../../domain/config.js';
import { type DemandInput, demand } from '../../domain/demand.js';
import type { QueueSample } from '../../domain/types.js';
import { aSample, jobRole, minutesAgo, SECOND, secondsAgo, series, steady, T0 } from '../support/builders.js';

const job = jobRole();
const queue = { maxSampleAgeSeconds: 180 };

/** The 2010 rule with the default numbers (over 20 out, under 5 in, 2 extra, 300 s). */
function threshold(overrides: Partial<ThresholdPolicy> = {}): ThresholdPolicy {
  if (job.policy?.type !== 'threshold') throw new Error('expected the default job policy to be a threshold');
  return { ...job.policy, ...overrides };
}

function backlog(overrides: Partial<BacklogPolicy> = {}): BacklogPolicy {
  return {
    type: 'backlog-per-server',
    targetPerServer: 10,
    maxExtra: 3,
    stabilizationSeconds: 300,
    ...overrides,
  };
}

/** Low readings at -120, -60 and 0 s: two minutes of evidence, not the window's five. */
function lowsFromTwoMinutesAgo(): QueueSample[] {
  return series([1, 1, 1]);
}

function input(overrides: Partial<DemandInput>): DemandInput {
  return { policy: threshold(), queue, samples: [], current: 1, floor: 1, now: T0, ...overrides };
}

describe('threshold policy defaults', () => {
  it('keeps the 2010 numbers', () => {
    expect(threshold()).toMatchObject({
      scaleOutAbove: 20,
      scaleInBelow: 5,
      maxExtra: 2,
      stabilizationSeconds: 300,
    });
  });
});

describe('threshold policy: scale-out', () => {
  const scriptStep = threshold({ step: 1 });
  it.each([
    // name, policy, samples, current, floor, expected servers
    ['one launch per probe while no extra runs (step 1)', scriptStep, [21], 1, 1, 2],
    ['one more launch while one extra runs (step 1)', scriptStep, [21], 2, 1, 3],
    ['no third extra server: 2 extra is the cap, never 3 (the -le 2 bug)', scriptStep, [21], 3, 1, 3],
    ['the cap holds however long the queue is', scriptStep, [1_000_000], 3, 1, 3],
    ['step 2 adds both extras at once', threshold({ step: 2 }), [21], 1, 1, 3],
    ['step 2 stops at the cap', threshold({ step: 2 }), [500], 2, 1, 3],
    ['scale-out does not wait for the stabilization window', scriptStep, [null, 3, 25], 1, 1, 2],
    ['the cap is counted above the floor', scriptStep, [50], 3, 3, 4],
    ['extra servers count above the floor even while capacity is below it', scriptStep, [50], 0, 1, 2],
    ['never asks for fewer than run now', scriptStep, [50], 6, 1, 6],
  ])('%s', (_name, policy, lengths, current, floor, servers) => {
    const result = demand(input({ policy, samples: series(lengths), current, floor }));
    expect(result).toMatchObject({ kind: 'known', servers });
    expect(result.reason).toMatch(/> 20/);
  });

  it('does not count 20 as over the threshold', () => {
    const result = demand(input({ samples: series([20]), current: 1 }));
    expect(result).toMatchObject({ kind: 'known', servers: 1, queueLength: 20 });
    expect(result.reason).toMatch(/within \[5, 20\]: keep 1/);
  });
});

describe('threshold policy: between the thresholds', () => {
  it.each([
    ['exactly 20 keeps 3', 20, 3],
    ['12 keeps 2', 12, 2],
    ['exactly 5 keeps 3 (5 is not under 5)', 5, 3],
    ['exactly 5 keeps the floor', 5, 1],
  ])('%s', (_name, length, current) => {
    const result = demand(input({ samples: steady(length, 10), current }));
    expect(result).toMatchObject({ kind: 'known', servers: current, queueLength: length });
  });
});

describe('threshold policy: scale-in', () => {
  it.each<[string, QueueSample[], number, number, 'known' | 'hold', RegExp]>([
    [
      'retires the extras after 10 minutes under 5',
      steady(2, 10),
      3,
      1,
      'known',
      /under 5 for 300 s: down to 1/,
    ],
    ['retires the extras after exactly 300 s under 5', steady(4, 5), 3, 1, 'known', /down to 1/],
    ['goes down to the floor, however often it is asked', steady(0, 30), 3, 1, 'known', /down to 1/],
    ['never goes below the floor', steady(0, 10), 1, 1, 'known', /down to 1/],
    [
      'holds while any sample of the window reached 5',
      series([1, 1, 1, 5, 1, 1]),
      3,
      3,
      'hold',
      /reached 5 within the last 300 s/,
    ],
    [
      'holds while the samples cover only the last minute',
      series([1, 1]),
      3,
      3,
      'hold',
      /do not yet cover the 300 s stabilization window/,
    ],
    [
      'holds on an unknown sample inside the window',
      series([1, 1, null, 1, 1, 1]),
      3,
      3,
      'hold',
      /unknown \(probe timed out after 3000 ms\)/,
    ],
    [
      'holds on an insane reading inside the window',
      series([1, 1, -1, 1, 1, 1]),
      3,
      3,
      'hold',
      /unknown \(reading -1\)/,
    ],
    [
      'holds on a gap in the window',
      [aSample({ at: secondsAgo(300), length: 1 }), aSample({ at: secondsAgo(60), length: 1 }), aSample()],
      3,
      3,
      'hold',
      /240 s gap/,
    ],
    [
      'ignores an unknown sample older than the window',
      [...series([null], { endAt: minutesAgo(6) }), ...steady(1, 5)],
      3,
      1,
      'known',
      /down to 1/,
    ],
    [
      'ignores a high sample older than the window',
      [...series([80], { endAt: minutesAgo(6) }), ...steady(1, 5)],
      3,
      1,
      'known',
      /down to 1/,
    ],
  ])('%s', (_name, samples, current, servers, kind, reason) => {
    const result = demand(input({ samples, current }));
    expect(result.kind).toBe(kind);
    expect(result.servers).toBe(servers);
    expect(result.reason).toMatch(reason);
  });

  it.each<[string, QueueSample[]]>([
    [
      'a high reading just before the window, then missed probes',
      [aSample({ at: secondsAgo(301), length: 80 }), ...lowsFromTwoMinutesAgo()],
    ],
    [
      'an unknown reading just before the window, then missed probes',
      [aSample({ at: secondsAgo(301), length: null, error: 'HTTP 502' }), ...lowsFromTwoMinutesAgo()],
    ],
    ['lows that start inside the window, however close to its start', series([1, 1, 1, 1, 1])],
  ])('holds when the known samples do not cover the whole window: %s', (_name, samples) => {
    for (const policy of [threshold(), backlog()]) {
      const result = demand(input({ policy, samples, current: 3, floor: 1 }));
      expect(result).toMatchObject({ kind: 'hold', servers: 3 });
    }
  });

  it('with no stabilization window, scales in on the latest fresh sample alone', () => {
    const samples = [aSample({ at: secondsAgo(30), length: 1 })];
    const result = demand(input({ policy: threshold({ stabilizationSeconds: 0 }), samples, current: 2 }));
    expect(result).toMatchObject({ kind: 'known', servers: 1 });
  });

  it('with a window shorter than the probe interval, judges by the latest fresh sample', () => {
    const samples = series([9, 1], { endAt: secondsAgo(45) });
    const result = demand(input({ policy: threshold({ stabilizationSeconds: 30 }), samples, current: 2 }));
    expect(result).toMatchObject({ kind: 'known', servers: 1 });
  });
});

describe('unknown is not zero', () => {
  const stale = [...steady(0, 10, secondsAgo(181))];
  it.each<[string, QueueSample[], RegExp]>([
    ['no sample at all', [], /no queue sample yet/],
    ['only samples from the future', [aSample({ at: T0 + 10 * SECOND })], /no queue sample yet/],
    [
      'the latest probe failed (after a steady zero)',
      [...steady(0, 10, minutesAgo(1)), aSample({ length: null, error: 'HTTP 502' })],
      /queue length unknown \(HTTP 502\)/,
    ],
    ['the latest probe failed without a reason', [aSample({ length: null })], /unknown \(no reason given\)/],
    ['the latest sample is stale (181 s old, limit 180 s)', stale, /181 s old \(limit 180 s\)/],
    ['the latest probe failed while the queue was long', [...series([90, null])], /unknown/],
    ['a negative reading', [aSample({ length: -1 })], /not a sane queue length/],
    ['a fractional reading', [aSample({ length: 2.5 })], /not a sane queue length/],
    ['a NaN reading', [aSample({ length: Number.NaN })], /not a sane queue length/],
  ])('holds on %s', (_name, samples, reason) => {
    for (const policy of [threshold(), backlog()]) {
      const result = demand(input({ policy, samples, current: 3, floor: 1 }));
      expect(result).toMatchObject({ kind: 'hold', servers: 3, queueLength: null });
      expect(result.reason).toMatch(reason);
    }
  });

  it('accepts a sample exactly at the age limit', () => {
    const result = demand(input({ samples: steady(2, 10, secondsAgo(180)), current: 3 }));
    expect(result).toMatchObject({ kind: 'known', servers: 1 });
  });

  it('a hold keeps what the previous hold kept, so a server lost meanwhile is replaced', () => {
    expect(demand(input({ samples: [], current: 2, previousHold: 3 }))).toMatchObject({
      kind: 'hold',
      servers: 3,
    });
    expect(demand(input({ samples: [], current: 3, previousHold: 2 }))).toMatchObject({
      kind: 'hold',
      servers: 3,
    });
  });

  it('holds even below the floor: the floor is the caller’s business', () => {
    expect(demand(input({ samples: [], current: 0, floor: 2 }))).toMatchObject({ kind: 'hold', servers: 0 });
  });
});

describe('backlog-per-server policy', () => {
  it.each([
    // name, lengths, current, expected servers
    ['an empty queue asks for the floor', [0], 1, 1],
    ['one job asks for one extra server', [1], 1, 2],
    ['exactly one server’s worth asks for one extra', [10], 1, 2],
    ['one over a server’s worth asks for two extra', [11], 1, 3],
    ['extra servers are bounded by maxExtra', [1000], 1, 4],
    ['scale-out is immediate, without a covered window', [25], 1, 4],
    ['scale-out ignores an unknown sample in the window', [null, 25], 2, 4],
    ['keeps current when the queue asks for exactly that', [10], 2, 2],
  ])('%s', (_name, lengths, current, servers) => {
    const result = demand(input({ policy: backlog(), samples: series(lengths), current }));
    expect(result).toMatchObject({ kind: 'known', servers });
  });

  it.each<[string, QueueSample[], number, 'known' | 'hold', number, RegExp]>([
    [
      'scales in to the floor after a quiet window',
      steady(0, 10),
      4,
      'known',
      1,
      /1 servers, stable for 300 s/,
    ],
    [
      'scales in only to the highest recommendation of the window',
      series([15, 5, 5, 0, 0, 0]),
      4,
      'known',
      3,
      /3 servers, stable/,
    ],
    [
      'holds when the window still asked for current capacity',
      series([25, 5, 5, 0, 0, 0]),
      4,
      'hold',
      4,
      /asks for 1 but the last 300 s asked for 4/,
    ],
    ['holds on an unknown sample inside the window', series([0, 0, null, 0, 0, 0]), 4, 'hold', 4, /unknown/],
    ['holds while the samples do not cover the window', series([0, 0]), 4, 'hold', 4, /do not yet cover/],
  ])('%s', (_name, samples, current, kind, servers, reason) => {
    const result = demand(input({ policy: backlog(), samples, current }));
    expect(result.kind).toBe(kind);
    expect(result.servers).toBe(servers);
    expect(result.reason).toMatch(reason);
  });

  it('reads samples in any order', () => {
    const samples = series([15, 5, 5, 0, 0, 0]).reverse();
    expect(demand(input({ policy: backlog(), samples, current: 4 }))).toMatchObject({
      kind: 'known',
      servers: 3,
      queueLength: 0,
    });
  });
});
