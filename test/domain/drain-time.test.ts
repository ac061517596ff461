import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DrainTimePolicy } from '../../domain/config.js';
import { type DemandInput, demand } from '../../domain/demand.js';
import { drainRate, riseRate } from '../../domain/policies/drain-time.js';
import type { QueueSample } from '../../domain/types.js';
import { series, T0 } from '../support/builders.js';

/** 4 workers per server, 60 s jobs: one server takes 4 jobs a minute off the queue. */
function drainTime(overrides: Partial<DrainTimePolicy> = {}): DrainTimePolicy {
  return {
    type: 'drain-time',
    maxExtra: 2,
    stabilizationSeconds: 300,
    targetWaitSeconds: 120,
    jobSeconds: 60,
    rateWindowSeconds: 300,
    defaultLaunchDelaySeconds: 120,
    // Off unless a test is about it, so each rule is seen alone.
    smallBacklogPerServer: 0,
    // As long as the window: a pool's shorter one only where a test is about it.
    poolStabilizationSeconds: 300,
    poolRestSeconds: 600,
    ...overrides,
  };
}

function input(
  overrides: Partial<DemandInput> & {
    inService?: number;
    delayS?: number;
    warmReady?: number;
    startDelayS?: number;
    warmStarting?: number;
    leftS?: number;
    restS?: number;
  },
): DemandInput {
  const { inService, delayS, warmReady, startDelayS, warmStarting, leftS, restS, ...rest } = overrides;
  const current = rest.current ?? 1;
  return {
    policy: drainTime(),
    queue: { maxSampleAgeSeconds: 180 },
    samples: [],
    current,
    floor: 1,
    now: T0,
    fleet: {
      inService: inService ?? current,
      workersPerServer: 4,
      ...(delayS === undefined ? {} : { launchDelaySeconds: delayS }),
      ...(warmReady === undefined ? {} : { warmReady }),
      ...(startDelayS === undefined ? {} : { startDelaySeconds: startDelayS }),
      ...(warmStarting === undefined ? {} : { warmStarting }),
      ...(leftS === undefined ? {} : { leftServiceSeconds: leftS }),
      ...(restS === undefined ? {} : { onLoanRestSeconds: restS }),
    },
    ...rest,
  };
}

const withAge = (samples: QueueSample[], oldestAgeSeconds: number): QueueSample[] =>
  samples.map((s, i) => (i === samples.length - 1 ? { ...s, oldestAgeSeconds } : s));

describe('drain-time policy: decisions', () => {
  it.each([
    // name, lengths (one a minute, newest last), current, expected servers
    [
      'a backlog that grows past what one server clears in the target launches',
      [0, 10, 20, 30, 40, 50],
      1,
      3,
    ],
    ['a short steady backlog one server clears within the target is left to it', [3, 3, 3, 3, 3, 3], 1, 1],
    ['a queue growing faster than one server serves launches', [0, 2, 4, 6, 8, 10], 1, 2],
    [
      'a backlog that drains before a new server could serve launches nothing',
      [60, 50, 40, 30, 20, 10],
      1,
      1,
    ],
    [
      'a steady long queue that does not drain asks for servers enough to clear it',
      [40, 42, 39, 41, 40, 40],
      1,
      3,
    ],
    [
      'a long queue that stands still keeps what runs, neither launching nor retiring',
      [40, 40, 40, 40, 40, 40],
      2,
      2,
    ],
    ['never above the floor plus maxExtra', [900, 950, 1000, 1050, 1100, 1150], 1, 3],
    ['never fewer than run while the queue is long', [100, 100, 100, 100, 100, 100], 3, 3],
  ])('%s', (_name, lengths, current, servers) => {
    const result = demand(input({ samples: series(lengths), current }));
    expect(result).toMatchObject({ kind: 'known', servers });
  });

  it.each([
    // name, lengths (one a minute, newest last), oldest job's age, target wait, servers with 3, servers with 0 (off)
    ['a few jobs per running server, just queued, launch nothing', [0, 0, 0, 0, 0, 3], 20, 30, 1, 3],
    ['past smallBacklogPerServer the rule is as without it', [0, 2, 4, 6, 8, 10], 30, 120, 2, 2],
    [
      'a small backlog whose oldest job waits past the target still asks for one more',
      [2, 2, 2, 2, 2, 2],
      200,
      120,
      2,
      2,
    ],
  ])('smallBacklogPerServer 3: %s', (_name, lengths, age, target, withRule, withoutRule) => {
    const samples = withAge(series(lengths), age);
    for (const [small, servers] of [
      [3, withRule],
      [0, withoutRule],
    ]) {
      const policy = drainTime({ smallBacklogPerServer: small, targetWaitSeconds: target });
      expect(demand(input({ policy, samples, current: 1 }))).toMatchObject({ kind: 'known', servers });
    }
  });

  it('learns from the launch delay: a slowly draining backlog launches only if a server comes in time', () => {
    const samples = series([40, 38, 36, 34, 32, 30]);
    expect(demand(input({ samples, delayS: 60 })).servers).toBe(3);
    expect(demand(input({ samples, delayS: 900 })).servers).toBe(1);
  });

  describe('with warm servers ready', () => {
    // 4 jobs a minute per server, 120 s target: one server clears 8 jobs within it.
    it.each([
      // name, lengths (one a minute), warm ready, start delay, cold launch delay, servers
      [
        'a rising queue one server keeps within the target by the time a start serves is left to it',
        [0, 1, 2, 3, 4, 6],
        2,
        30,
        600,
        1,
      ],
      [
        'the same queue with no warm server is sized for when a launch would serve',
        [0, 1, 2, 3, 4, 6],
        0,
        30,
        600,
        3,
      ],
      [
        'a draining backlog a launch would find gone starts a warm server that serves before it is',
        [40, 38, 36, 34, 32, 30],
        2,
        30,
        900,
        3,
      ],
      [
        'a burst beyond the pool is sized for the launches that follow its starts, as a cold fleet would be',
        [0, 20, 60, 100, 140, 180],
        1,
        30,
        300,
        5,
      ],
      ['the same burst with no warm server', [0, 20, 60, 100, 140, 180], 0, 30, 300, 5],
    ])('%s', (_name, lengths, warmReady, startDelayS, delayS, servers) => {
      const policy = drainTime({ maxExtra: 4, targetWaitSeconds: 120 });
      const samples = series(lengths);
      expect(demand(input({ policy, samples, warmReady, startDelayS, delayS }))).toMatchObject({
        kind: 'known',
        servers,
      });
    });

    it('assumes a minute for a start until starts have been recorded, never longer than a launch', () => {
      const samples = series([0, 1, 2, 3, 4, 6]);
      const reason = (delayS: number) => String(demand(input({ samples, warmReady: 1, delayS })).reason);
      expect(reason(300)).toContain('start-to-serve 60 s (1 warm), launch-to-serve 300 s');
      expect(reason(40)).toContain('start-to-serve 40 s (1 warm)');
    });
  });

  it('falls back to defaultLaunchDelaySeconds until the ledger has a history', () => {
    const samples = series([40, 38, 36, 34, 32, 30]);
    expect(demand(input({ samples, policy: drainTime({ defaultLaunchDelaySeconds: 60 }) })).servers).toBe(3);
    expect(demand(input({ samples, policy: drainTime({ defaultLaunchDelaySeconds: 900 }) })).servers).toBe(1);
  });

  it('an empty queue over the whole stabilization window retires down to the floor', () => {
    const result = demand(input({ samples: series([0, 0, 0, 0, 0, 0]), current: 3 }));
    expect(result).toMatchObject({ kind: 'known', servers: 1 });
  });

  it.each([
    // 3 servers (12 workers) took the queue down to 4 waiting, and no rise shows arrivals worth
    // keeping more. One server (4 jobs a minute) clears 8 within the 2-minute target, not 12: the
    // window's sample a minute ago decides. The 4 left are jobs waiting for busy workers, not jobs
    // nobody takes: the queue moved as busy workers move it.
    ['8 a minute ago: one server keeps the window', [60, 48, 36, 20, 8, 4], 1],
    ['12 a minute ago: two servers keep it', [60, 48, 36, 24, 12, 4], 2],
  ])(
    'retires while draining once fewer servers still keep the target wait (%s)',
    (_name, lengths, servers) => {
      const policy = drainTime({ stabilizationSeconds: 60 });
      const result = demand(input({ policy, samples: series(lengths), current: 3 }));
      expect(result).toMatchObject({ kind: 'known', servers });
    },
  );

  it.each([
    // 3 servers (12 workers) on 3.5-minute jobs, a few waiting at every probe. Moving as busy
    // workers move the queue, they are jobs waiting for a worker: no retiring. Standing still, they
    // are jobs nobody takes (due later): an idle fleet, down to the floor.
    ['moving: jobs waiting for busy workers', [7, 5, 8, 6, 9, 7], 3],
    ['standing still: jobs nobody takes', [7, 7, 7, 7, 7, 7], 1],
  ])('a few waiting under the worker count on long jobs (%s)', (_name, lengths, servers) => {
    const base = input({ samples: series(lengths), current: 3 });
    const result = demand({ ...base, fleet: { inService: 3, workersPerServer: 4, jobSeconds: 210 } });
    expect(result).toMatchObject({ kind: 'known', servers });
  });

  describe('while a started warm server is not yet serving', () => {
    // 2 servers, one of them started a moment ago: a short queue that one server keeps within the
    // target would retire the second.
    const policy = drainTime({ stabilizationSeconds: 60 });
    it.each<[string, (number | null)[], number]>([
      ['keeps it for a queue that has not emptied', [3, 2, 3, 2, 3, 2], 2],
      ['keeps it for one waiting job at the end of an empty window', [0, 0, 0, 0, 0, 1], 2],
      ['retires it when the queue stayed empty all window long', [0, 0, 0, 0, 0, 0], 1],
    ])('%s', (_name, lengths, servers) => {
      const samples = series(lengths, { everySeconds: 15 });
      const started = demand(input({ policy, samples, current: 2, inService: 1, warmStarting: 1 }));
      expect(started).toMatchObject({ kind: 'known', servers });
      if (servers === 2) expect(started.reason).toMatch(/1 started server is not yet serving/);
      // Without the start in flight, the same window retires it.
      expect(demand(input({ policy, samples, current: 2, inService: 1 }))).toMatchObject({ servers: 1 });
    });
  });

  describe('retirements a window apart', () => {
    // 3 servers and a queue empty all window: the window was watched with these 3.
    const samples = series([0, 0, 0, 0, 0, 0]);
    it.each<[string, number | undefined, number]>([
      ['retires when no server has left', undefined, 1],
      ['keeps them while a server left service a moment ago', 0, 3],
      ['keeps them until a whole window has passed since one left', 299, 3],
      ['retires once it has', 300, 1],
    ])('%s', (_name, leftS, servers) => {
      const result = demand(input({ samples, current: 3, ...(leftS === undefined ? {} : { leftS }) }));
      expect(result).toMatchObject({ kind: 'known', servers });
      if (servers === 3) expect(result.reason).toMatch(/a server left service \d+ s ago/);
    });

    it('does not hold a launch', () => {
      const rising = series([0, 10, 20, 40, 60, 80]);
      expect(demand(input({ samples: rising, current: 1, leftS: 0 })).servers).toBeGreaterThan(1);
    });
  });

  describe('a scale-in back into the warm pool', () => {
    // 2 servers, one started from the pool; a backlog three servers' worth until 90 s ago, empty
    // since (a sample every 15 s).
    const policy = drainTime({
      stabilizationSeconds: 300,
      poolStabilizationSeconds: 90,
      poolRestSeconds: 600,
    });
    const samples = series([...Array.from({ length: 15 }, () => 20), 0, 0, 0, 0, 0, 0, 0], {
      everySeconds: 15,
    });
    it.each<[string, Partial<DrainTimePolicy>, { restS?: number; leftS?: number }, number]>([
      ['keeps it without a server on loan from the pool: the whole window saw the backlog', {}, {}, 2],
      [
        'retires it after the shorter window when it had waited in the pool long enough',
        {},
        { restS: 600 },
        1,
      ],
      ['keeps it when it was started again soon after it last went back', {}, { restS: 599 }, 2],
      [
        'never waits longer than the stabilization window',
        { poolStabilizationSeconds: 400 },
        { restS: 600 },
        2,
      ],
      ['keeps it while a server left service within the shorter window', {}, { restS: 600, leftS: 60 }, 2],
      ['retires it once the shorter window has passed since one left', {}, { restS: 600, leftS: 90 }, 1],
    ])('%s', (_name, overrides, fleet, servers) => {
      const result = demand(input({ policy: { ...policy, ...overrides }, samples, current: 2, ...fleet }));
      expect(result).toMatchObject({ kind: 'known', servers });
      if (servers === 1) expect(result.reason).toMatch(/for 90 s \(a warm server goes back to the pool\)/);
      if (fleet.leftS === 60) expect(result.reason).toMatch(/next retirement after 90 s/);
    });
  });

  it('does not retire before the stabilization window is covered', () => {
    const result = demand(input({ samples: series([0, 0]), current: 3 }));
    expect(result).toMatchObject({ kind: 'hold', servers: 3 });
    expect(result.reason).toMatch(/cover/);
  });

  it('an oldest job waiting past the target asks for one more server and forbids retiring', () => {
    const quiet = series([9, 8, 9, 8, 8, 9]);
    expect(demand(input({ samples: quiet, current: 2 })).servers).toBe(2);
    expect(demand(input({ samples: withAge(quiet, 600), current: 2 })).servers).toBe(3);
    const empty = demand(input({ samples: withAge(series([0, 0, 0, 0, 0, 1]), 600), current: 3 }));
    expect(empty.servers).toBe(3);
  });

  it('a job waiting past the target adds one server a minute, not one per converge', () => {
    // Converges seconds apart on the same sample (a tick, then new instances' events) add one once.
    const behind = withAge(series([2, 2, 2, 2, 2, 2]), 600);
    const policy = drainTime({ maxExtra: 10 });
    const ask = (current: number, startingAgeS?: number) =>
      demand({
        ...input({ samples: behind, current, inService: 1, policy }),
        fleet: {
          inService: 1,
          workersPerServer: 4,
          ...(startingAgeS === undefined ? {} : { newestStartingAgeSeconds: startingAgeS }),
        },
      }).servers;
    expect(ask(1)).toBe(2);
    expect(ask(2, 5)).toBe(2);
    expect(ask(2, 60)).toBe(3);
  });

  it.each([
    // name, lengths (one a minute, newest last)
    ['a job waiting now and then for an idle worker', [0, 1, 0, 0, 1, 0]],
    ['a job now and then, waiting at the newest probe', [0, 0, 1, 0, 0, 1]],
    ['one job that never moves (scheduled for later, or held for a retry)', [1, 1, 1, 1, 1, 1]],
    ['a few jobs that never move, fewer than the workers', [5, 5, 5, 5, 5, 5]],
  ])('a trickle on an idle fleet does not keep the extra servers: %s', (_name, lengths) => {
    const result = demand(input({ samples: series(lengths), current: 3 }));
    expect(result).toMatchObject({ kind: 'known', servers: 1 });
  });

  it('a queue that held a job for every worker at every probe keeps its servers busy, and them', () => {
    // 8 workers busy all window long: arrivals match what they take, and fewer servers fall behind.
    const result = demand(input({ samples: series([10, 8, 9, 8, 12, 10]), current: 2, inService: 2 }));
    expect(result).toMatchObject({ kind: 'known', servers: 2 });
  });

  it('sizes with the learned job time once it has one', () => {
    // 40 jobs, falling 2 a minute: 60 s jobs ask for every server, learned 10 s jobs for the one running.
    const samples = series([50, 48, 46, 44, 42, 40]);
    const configured = demand(input({ samples, delayS: 60 }));
    const learned = demand({
      ...input({ samples, delayS: 60 }),
      fleet: { inService: 1, workersPerServer: 4, launchDelaySeconds: 60, jobSeconds: 10 },
    });
    expect(configured.servers).toBe(3);
    expect(learned.servers).toBe(1);
    expect(learned.reason).toMatch(/10 s jobs, learned/);
  });

  it('holds on an unknown newest sample, whatever the fleet', () => {
    const result = demand(input({ samples: series([0, 0, 0, 0, 0, null]), current: 3 }));
    expect(result).toMatchObject({ kind: 'hold', servers: 3 });
  });
});

describe('riseRate', () => {
  it.each([
    ['every rise between samples counts', [0, 2, 1, 4, 4, 0], 5 / 300],
    ['a falling queue rose by nothing', [50, 40, 30], 0],
  ])('riseRate: %s', (_name, lengths, rate) => {
    expect(riseRate(series(lengths), T0, 300)).toBeCloseTo(rate, 9);
  });
});

describe('drainRate', () => {
  it.each([
    ['falling 10 a minute', [50, 40, 30], 10 / 60],
    ['rising 5 a minute', [0, 5, 10], -5 / 60],
    ['one sample says nothing', [7], 0],
    ['unknown samples are skipped', [50, null, 30], 10 / 60],
  ])('%s', (_name, lengths, rate) => {
    expect(drainRate(series(lengths), T0, 300)).toBeCloseTo(rate, 9);
  });
});

const lengthsArb = fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 10 });
const fleetArb = fc.record({
  current: fc.integer({ min: 0, max: 6 }),
  floor: fc.integer({ min: 0, max: 3 }),
  maxExtra: fc.integer({ min: 0, max: 4 }),
  delayS: fc.integer({ min: 0, max: 900 }),
  targetWaitSeconds: fc.integer({ min: 10, max: 900 }),
  jobSeconds: fc.integer({ min: 10, max: 600 }),
  smallBacklogPerServer: fc.integer({ min: 0, max: 5 }),
  warmReady: fc.integer({ min: 0, max: 3 }),
  startDelayS: fc.integer({ min: 0, max: 120 }),
  warmStarting: fc.integer({ min: 0, max: 2 }),
  leftS: fc.option(fc.integer({ min: 0, max: 900 }), { nil: undefined }),
});

type Fleet = typeof fleetArb extends fc.Arbitrary<infer T> ? T : never;

function fromFleet(
  f: Fleet,
  samples: QueueSample[],
  pool: { poolStabilizationSeconds?: number; restS?: number } = {},
): DemandInput {
  const { restS, ...poolPolicy } = pool;
  return input({
    samples,
    current: f.current,
    floor: f.floor,
    delayS: f.delayS,
    warmReady: f.warmReady,
    startDelayS: f.startDelayS,
    warmStarting: f.warmStarting,
    ...(f.leftS === undefined ? {} : { leftS: f.leftS }),
    ...(restS === undefined ? {} : { restS }),
    policy: drainTime({
      ...poolPolicy,
      maxExtra: f.maxExtra,
      targetWaitSeconds: f.targetWaitSeconds,
      jobSeconds: f.jobSeconds,
      smallBacklogPerServer: f.smallBacklogPerServer,
    }),
  });
}

describe('drain-time policy: properties', () => {
  it('never scales in when a sample of the stabilization window is unknown', () => {
    fc.assert(
      fc.property(lengthsArb, fleetArb, fc.nat(), (lengths, f, at) => {
        // Samples are a minute apart: the last six are within the 300 s window.
        const withUnknown: (number | null)[] = [...lengths];
        const inWindow = Math.min(6, withUnknown.length);
        withUnknown[withUnknown.length - 1 - (at % inWindow)] = null;
        const result = demand(fromFleet(f, series(withUnknown)));
        expect(result.servers).toBeGreaterThanOrEqual(f.current);
      }),
    );
  });

  it('never launches when the backlog drains before a new server could serve', () => {
    fc.assert(
      fc.property(
        fleetArb,
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 5 }),
        (f, perMinute, minutes) => {
          // The queue has fallen `perMinute` every minute for 5 minutes and is now at most what
          // falls before the first new server could serve: a start's delay while warm servers are
          // ready (never longer than a launch's), else a launch's.
          const firstS = f.warmReady > 0 ? Math.min(f.startDelayS, f.delayS) : f.delayS;
          const newest = Math.floor((perMinute * firstS) / 60 / (minutes + 1));
          const lengths = Array.from({ length: 6 }, (_, i) => newest + (5 - i) * perMinute);
          const result = demand(fromFleet(f, series(lengths)));
          expect(result.servers).toBeLessThanOrEqual(Math.max(f.current, f.floor));
        },
      ),
    );
  });

  it('never launches for a backlog of at most smallBacklogPerServer jobs per running server, none waiting past the target', () => {
    fc.assert(
      fc.property(lengthsArb, fleetArb, fc.nat(), (lengths, f, age) => {
        const newest = Math.min(lengths.at(-1) ?? 0, f.smallBacklogPerServer * f.current);
        const samples = withAge(series([...lengths.slice(0, -1), newest]), age % (f.targetWaitSeconds + 1));
        const result = demand(fromFleet(f, samples));
        expect(result.servers).toBeLessThanOrEqual(Math.max(f.current, f.floor));
      }),
    );
  });

  it('never asks for more than the floor plus maxExtra, unless more already run', () => {
    fc.assert(
      fc.property(lengthsArb, fleetArb, (lengths, f) => {
        const result = demand(fromFleet(f, series(lengths)));
        expect(result.servers).toBeLessThanOrEqual(Math.max(f.current, f.floor + f.maxExtra));
      }),
    );
  });

  it('warm servers never make a queue that is not falling ask for more servers than a cold fleet would', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 6, maxLength: 6 }),
        fleetArb,
        (steps, f) => {
          // Never falling: each sample at least the one before.
          const lengths = steps.map((_, i) => steps.slice(0, i + 1).reduce((a, b) => a + b, 0));
          const cold = demand(fromFleet({ ...f, warmReady: 0 }, series(lengths)));
          const pooled = demand(fromFleet(f, series(lengths)));
          expect(pooled.servers).toBeLessThanOrEqual(cold.servers);
        },
      ),
    );
  });

  it('never retires while a started warm server is not yet serving and a job is waiting', () => {
    fc.assert(
      fc.property(
        // A short queue over a covered window, the newest sample with a job in it: what a fleet of
        // several servers would otherwise retire some of.
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 6, maxLength: 6 }),
        fleetArb,
        fc.integer({ min: 1, max: 2 }),
        (lengths, f, warmStarting) => {
          const waiting = [...lengths.slice(0, -1), Math.max(1, lengths.at(-1) ?? 1)];
          const result = demand(fromFleet({ ...f, warmStarting }, series(waiting)));
          expect(result.servers).toBeGreaterThanOrEqual(f.current);
        },
      ),
    );
  });

  it('never retires within a stabilization window of a server leaving service', () => {
    fc.assert(
      fc.property(lengthsArb, fleetArb, fc.integer({ min: 0, max: 299 }), (lengths, f, leftS) => {
        const result = demand(fromFleet({ ...f, leftS }, series(lengths)));
        expect(result.servers).toBeGreaterThanOrEqual(f.current);
      }),
    );
  });

  describe('a server on loan from the warm pool', () => {
    // poolRestSeconds 600; the shorter window anywhere from none to past the whole one (300 s).
    /** The policy's answer over `lengths` (a sample every 15 s) with a shorter window of `pool` s. */
    const onLoan = (lengths: number[], f: Fleet, pool: number, restS?: number) =>
      demand(
        fromFleet(f, series(lengths, { everySeconds: 15 }), {
          poolStabilizationSeconds: pool,
          ...(restS === undefined ? {} : { restS }),
        }),
      );
    const poolWindow = fc.integer({ min: 0, max: 400 });

    it('that was started again within poolRestSeconds of going back decides as if none served', () => {
      fc.assert(
        fc.property(
          lengthsArb,
          fleetArb,
          poolWindow,
          fc.integer({ min: 0, max: 599 }),
          (lengths, f, pool, restS) => {
            expect(onLoan(lengths, f, pool, restS)).toEqual(onLoan(lengths, f, pool));
          },
        ),
      );
    });

    it('that had rested never makes the policy keep more servers', () => {
      fc.assert(
        fc.property(
          lengthsArb,
          fleetArb,
          poolWindow,
          fc.integer({ min: 600, max: 3600 }),
          (lengths, f, pool, restS) => {
            expect(onLoan(lengths, f, pool, restS).servers).toBeLessThanOrEqual(
              onLoan(lengths, f, pool).servers,
            );
          },
        ),
      );
    });

    it('never retires within the shorter window of a server leaving service', () => {
      fc.assert(
        fc.property(
          lengthsArb,
          fleetArb,
          fc.integer({ min: 1, max: 300 }),
          fc.nat(),
          (lengths, f, pool, left) => {
            const result = onLoan(lengths, { ...f, leftS: left % pool }, pool, 600);
            expect(result.servers).toBeGreaterThanOrEqual(f.current);
          },
        ),
      );
    });
  });

  it('a longer backlog never asks for fewer servers', () => {
    fc.assert(
      fc.property(lengthsArb, fleetArb, fc.integer({ min: 1, max: 200 }), (lengths, f, more) => {
        const lower = demand(fromFleet(f, series(lengths)));
        const higher = demand(fromFleet(f, series(lengths.map((l) => l + more))));
        expect(higher.servers).toBeGreaterThanOrEqual(lower.servers);
      }),
    );
  });
});
