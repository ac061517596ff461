import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TEST_THRESHOLD_POLICY } from '../../fakes/config.js';
import {
  billedHours,
  billedSeconds,
  defaultRole,
  type LaunchDelay,
  POLICY_NAMES,
  percentile,
  type SimRole,
  type SimulationResult,
  simulate,
  simulationRole,
} from '../../sim/index.js';
import type { TraceJob } from '../../sim/trace.js';
import { steadyWeekday } from '../../sim/traces/make-traces.js';

const HOUR_S = 3600;
const FIXED_60: LaunchDelay = { kind: 'fixed', seconds: 60 };

/** The threshold rule these accounting tests work out by hand (the shipped default is drain-time). */
const THRESHOLD = TEST_THRESHOLD_POLICY;

/** The shipped job role on the threshold rule, with one worker per server. */
function oneWorkerRole(overrides: Partial<SimRole> = {}): SimRole {
  return { ...defaultRole(), policy: THRESHOLD, workersPerVcpu: 1, ...overrides };
}

const jobsAt = (arrivals: number[], serviceS: number): TraceJob[] =>
  arrivals.map((arrivalS) => ({ arrivalS, serviceS }));

describe('simulate: accounting on hand-computable traces', () => {
  it('queues three jobs FIFO on one fixed server and bills it per second and per hour', async () => {
    const base = defaultRole();
    const fixedFleet = oneWorkerRole({
      policy: { ...(base.policy as NonNullable<SimRole['policy']>), maxExtra: 0 },
    });
    const { summary, outcomes } = await simulate({
      jobs: [
        { arrivalS: 0, serviceS: 100 },
        { arrivalS: 10, serviceS: 50 },
        { arrivalS: 20, serviceS: 30 },
      ],
      policy: 'default',
      role: fixedFleet,
      vcpus: 1,
      horizonS: HOUR_S,
    });
    expect(outcomes.map((o) => [o.startS, o.endS, o.waitS])).toEqual([
      [0, 100, 0],
      [100, 150, 90],
      [150, 180, 130],
    ]);
    expect(summary).toMatchObject({
      jobs: 3,
      waitP50S: 90,
      waitP95S: 130,
      waitMaxS: 130,
      instanceHours: 1,
      instanceHoursHourly: 1,
      launches: 0,
      retirements: 0,
      simulatedHours: 1,
      workersPerServer: 1,
      permanentServers: 1,
    });
  });

  it('seed-2010: launches on a probe, terminates at once after 45 min and re-runs the cut job first', async () => {
    // 22 ten-minute jobs at 0 on one-worker servers. 0 s: one runs, 21 wait > 20 → launch (up at 60 s).
    // The two servers then start a job every 600 s; at the 5100 s probe 4 wait (< 5) and the extra
    // has run 85 min: terminated, cutting job 17 (started 4860 s), which the permanent server re-runs
    // at 5400 s ahead of jobs 18-21.
    const { summary, outcomes, events } = await simulate({
      jobs: jobsAt(new Array(22).fill(0), 600),
      policy: 'seed-2010',
      role: oneWorkerRole(),
      vcpus: 1,
      launchDelay: FIXED_60,
      horizonS: 3 * HOUR_S,
    });
    const expected = [
      0, 60, 600, 660, 1200, 1260, 1800, 1860, 2400, 2460, 3000, 3060, 3600, 3660, 4200, 4260, 4800, 5400,
      6000, 6600, 7200, 7800,
    ];
    expect(outcomes.map((o) => o.waitS)).toEqual(expected);
    expect(events.filter((e) => e.kind !== 'healthy').map((e) => [e.kind, e.server, e.atS])).toEqual([
      ['launch', 'job-2', 0],
      ['retire', 'job-2', 5100],
      ['terminate', 'job-2', 5100],
    ]);
    expect(summary).toMatchObject({
      waitP50S: 3000,
      waitP95S: 7200,
      waitMaxS: 7800,
      // Permanent 10 800 s + extra 5100 s = 15 900 s; hourly 3 h + 2 h.
      instanceHours: 4.4167,
      instanceHoursHourly: 5,
      launches: 1,
      retirements: 1,
      requeuedJobs: 1,
      simulatedHours: 3,
    });
  });

  it('default: launches both extras at the first 1-minute tick and lets a retiring server finish its jobs', async () => {
    const { outcomes, events, summary } = await simulate({
      jobs: jobsAt(new Array(30).fill(0), 600),
      policy: 'default',
      role: oneWorkerRole({ lifecycle: { ...defaultRole().lifecycle, billing: 'hourly' } }),
      vcpus: 1,
      launchDelay: FIXED_60,
      horizonS: 4 * HOUR_S,
    });
    expect(events.filter((e) => e.kind === 'launch').map((e) => [e.server, e.atS])).toEqual([
      ['job-2', 0],
      ['job-3', 0],
    ]);
    // Three servers from 60 s: jobs 1 and 2 wait 60 s, then three start every 600 s.
    expect(outcomes.slice(0, 6).map((o) => o.waitS)).toEqual([0, 60, 60, 600, 660, 660]);
    expect(summary.requeuedJobs).toBe(0);
    for (const retire of events.filter((e) => e.kind === 'retire')) {
      const terminated = events.find((e) => e.kind === 'terminate' && e.server === retire.server);
      expect(terminated?.atS).toBeGreaterThanOrEqual(retire.atS);
      // Hourly billing: retired at least 45 minutes in, and only in the last 10 minutes of a paid hour.
      const launched = events.find((e) => e.kind === 'launch' && e.server === retire.server)?.atS ?? 0;
      expect(retire.atS - launched).toBeGreaterThanOrEqual(45 * 60);
      expect(Math.floor(((retire.atS - launched) % HOUR_S) / 60)).toBeGreaterThanOrEqual(50);
    }
  });
});

describe('workers poll the queue', () => {
  const fixedFleet = (): SimRole =>
    oneWorkerRole({ policy: { ...(defaultRole().policy as NonNullable<SimRole['policy']>), maxExtra: 0 } });

  it('an idle worker takes a job at its next poll; one that finishes a job takes the next at once', async () => {
    // One worker, idle from 0 and polling every 5 s: the job arriving at 7 s starts at 10 s; the one
    // arriving at 12 s waits for it and starts the instant it ends (70 s), not at the next poll.
    const jobs = [
      { arrivalS: 7, serviceS: 60 },
      { arrivalS: 12, serviceS: 30 },
    ];
    const polled = await simulate({
      jobs,
      policy: 'default',
      role: fixedFleet(),
      vcpus: 1,
      horizonS: HOUR_S,
      workerPollS: 5,
    });
    expect(polled.outcomes.map((o) => [o.startS, o.waitS])).toEqual([
      [10, 3],
      [70, 58],
    ]);
    expect(polled.summary.workerPollS).toBe(5);
    const instant = await simulate({
      jobs,
      policy: 'default',
      role: fixedFleet(),
      vcpus: 1,
      horizonS: HOUR_S,
      workerPollS: 0,
    });
    expect(instant.outcomes.map((o) => o.startS)).toEqual([7, 67]);
  });

  it('a job arriving to an idle fleet never waits longer than one poll interval', async () => {
    const jobs = jobsAt([3, 611.5, 1234.2, 2000.9], 20);
    for (const workerPollS of [1, 5, 30]) {
      const { outcomes } = await simulate({
        jobs,
        policy: 'default',
        role: fixedFleet(),
        vcpus: 1,
        horizonS: HOUR_S,
        workerPollS,
      });
      for (const o of outcomes) {
        expect(o.waitS).toBeGreaterThanOrEqual(0);
        expect(o.waitS).toBeLessThanOrEqual(workerPollS);
      }
    }
  });
});

describe('billing rules', () => {
  it.each([
    [0, 60, 1],
    [30_000, 60, 1],
    [60_000, 60, 1],
    [60_001, 61, 1],
    [3_599_000, 3599, 1],
    [3_600_000, 3600, 1],
    [3_600_001, 3601, 2],
    [7_300_000, 7300, 3],
  ])('an instance up %i ms is billed %i s per second and %i h hourly', (ms, seconds, hours) => {
    expect(billedSeconds(ms)).toBe(seconds);
    expect(billedHours(ms)).toBe(hours);
  });

  it('takes nearest-rank percentiles', () => {
    expect(percentile([], 95)).toBe(0);
    expect(percentile([5, 1, 3], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 95)).toBe(19);
    expect(percentile([7], 95)).toBe(7);
  });
});

describe('determinism and fairness', () => {
  const day = steadyWeekday(7).filter((j) => j.arrivalS < 12 * HOUR_S);

  it('gives the same result for the same trace, policy and seed, and other delays for another seed', async () => {
    const run = (seed: number) => simulate({ jobs: day, policy: 'default', seed, horizonS: 12 * HOUR_S });
    const first = await run(5);
    expect(await run(5)).toEqual(first);
    expect(first.summary.launches).toBeGreaterThan(0);
    expect(bootDelays(await run(6))).not.toEqual(bootDelays(first));
  });

  it('gives the k-th launch the same delay under every policy', async () => {
    const delays: number[][] = [];
    for (const policy of POLICY_NAMES)
      delays.push(bootDelays(await simulate({ jobs: day, policy, seed: 3 })));
    const shortest = Math.min(...delays.map((d) => d.length));
    expect(shortest).toBeGreaterThan(0);
    // A server retired before it booted (-1) shows no delay; every other k-th launch agrees.
    const booted = (k: number) => delays.every((d) => (d[k] ?? -1) >= 0);
    const ks = Array.from({ length: shortest }, (_, k) => k).filter(booted);
    expect(ks.length).toBeGreaterThan(0);
    for (const d of delays) expect(ks.map((k) => d[k])).toEqual(ks.map((k) => delays[0]?.[k]));
  });

  it('seed-2010 launches only on 5-minute probes and never runs more than 2 extra servers', async () => {
    // Three bursts of 100 four-minute jobs, two hours apart, arriving between probes.
    const bursts = jobsAt(
      Array.from({ length: 300 }, (_, i) => 77 + Math.floor(i / 100) * 2 * HOUR_S),
      240,
    );
    const { events, summary } = await simulate({ jobs: bursts, policy: 'seed-2010', horizonS: 6 * HOUR_S });
    expect(summary.launches).toBe(6);
    let live = 0;
    for (const event of events) {
      if (event.kind === 'launch') {
        expect(event.atS % 300).toBe(0);
        live += 1;
        expect(live).toBeLessThanOrEqual(2);
      }
      if (event.kind === 'terminate') live -= 1;
    }
    expect(summary.maxServers).toBe(3);
  });
});

function bootDelays(result: SimulationResult): number[] {
  return result.events
    .filter((e) => e.kind === 'launch')
    .map((launch) => {
      const up = result.events.find((e) => e.kind === 'healthy' && e.server === launch.server);
      return up === undefined ? -1 : up.atS - launch.atS;
    });
}

describe('simulationRole', () => {
  it('merges a config document over the defaults', () => {
    const role = simulationRole({
      roles: { job: { policy: { targetWaitSeconds: 60 }, queue: { everyMinutes: 2, everySeconds: null } } },
    });
    expect(role.policy).toMatchObject({ type: 'drain-time', targetWaitSeconds: 60, jobSeconds: 90 });
    expect(role.queue?.everyMinutes).toBe(2);
    expect(role.queue?.intervalSeconds).toBe(120);
  });

  it('fails naming the bad key', () => {
    expect(() => simulationRole({ roles: { job: { policy: { targetWaitSeconds: 0 } } } })).toThrow(
      /roles\.job\.policy\.targetWaitSeconds/,
    );
  });
});

describe('property: every job is served exactly once, never before it arrives', () => {
  const trace = fc
    .array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 900 })), {
      minLength: 1,
      maxLength: 60,
    })
    .map((pairs) => {
      let at = 0;
      return pairs.map(([gap, serviceS]) => {
        at += gap;
        return { arrivalS: at, serviceS };
      });
    });

  it('holds for every policy, launch delay and seed', async () => {
    await fc.assert(
      fc.asyncProperty(
        trace,
        fc.constantFrom(...POLICY_NAMES),
        fc.integer({ min: 0, max: 1000 }),
        fc.constantFrom<LaunchDelay>(FIXED_60, { kind: 'uniform', minS: 0, maxS: 300 }),
        async (jobs, policy, seed, launchDelay) => {
          const horizonS = (jobs.at(-1)?.arrivalS ?? 0) + 1;
          const result = await simulate({
            jobs,
            policy,
            seed,
            launchDelay,
            horizonS,
            role: oneWorkerRole(),
            vcpus: 1,
          });
          expect([...result.completions].sort((a, b) => a - b)).toEqual(jobs.map((_, i) => i));
          result.outcomes.forEach((outcome, i) => {
            const job = jobs[i] as TraceJob;
            expect(outcome.waitS).toBeGreaterThanOrEqual(0);
            expect(outcome.startS).toBeGreaterThanOrEqual(job.arrivalS);
            expect(outcome.endS - outcome.startS).toBeCloseTo(job.serviceS, 6);
          });
          expect(result.summary.jobs).toBe(jobs.length);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('retirement through the converge service and the drain hook', () => {
  // One-worker servers; 23 five-minute jobs at 0 make the service launch both extras at the first
  // tick, then the queue drains and it retires them (no minimum lifetime) while they still run jobs.
  const burst = jobsAt(new Array(23).fill(0), 300);
  /** The burst on one-worker servers retired with this drain time, and each retirement's end. */
  async function retiringWith(drainSeconds: number) {
    const result = await simulate({
      jobs: burst,
      policy: 'default',
      role: oneWorkerRole({
        lifecycle: { ...defaultRole().lifecycle, minLifetimeMinutes: 0, drainSeconds },
      }),
      vcpus: 1,
      launchDelay: FIXED_60,
      horizonS: 2 * HOUR_S,
    });
    const retired = result.events
      .filter((e) => e.kind === 'retire')
      .map((retire) => ({
        retire,
        gone: result.events.find((e) => e.kind === 'terminate' && e.server === retire.server),
      }));
    return { ...result, retired };
  }

  it('lets a terminated server finish its running jobs within the drain time', async () => {
    const { summary, outcomes, retired } = await retiringWith(3600);
    expect(summary.retirements).toBe(2);
    expect(summary.requeuedJobs).toBe(0);
    for (const { retire, gone } of retired) {
      expect(gone?.reason).toBe('drain hook: running jobs finished');
      // It ended when its last job did, after the retirement.
      expect(gone?.atS).toBeGreaterThan(retire.atS);
      expect(outcomes.some((o) => o.endS === gone?.atS)).toBe(true);
    }
  });

  it('kills the jobs still running at the drain deadline and runs them again elsewhere', async () => {
    const { summary, completions, retired } = await retiringWith(0);
    expect(summary.retirements).toBe(2);
    expect(summary.requeuedJobs).toBeGreaterThan(0);
    for (const { retire, gone } of retired) expect(gone?.atS).toBe(retire.atS);
    expect([...completions].sort((a, b) => a - b)).toEqual(burst.map((_, i) => i));
  });
});

describe('a policy from config', () => {
  it('runs any policy settings through the service, named as given', async () => {
    const jobs = jobsAt(new Array(30).fill(0), 600);
    const options = { jobs, vcpus: 1, launchDelay: FIXED_60, horizonS: 2 * HOUR_S };
    const stepOne = await simulate({
      ...options,
      policy: {
        name: 'step-1',
        config: { roles: { job: { workersPerVcpu: 1, policy: { ...THRESHOLD, step: 1 } } } },
      },
    });
    expect(stepOne.summary.policy).toBe('step-1');
    // One server a tick (the shipped role probes every 15 s) instead of the shipped step of 2.
    expect(stepOne.events.filter((e) => e.kind === 'launch').map((e) => e.atS)).toEqual([0, 15]);
    const shipped = await simulate({ ...options, policy: 'default', role: oneWorkerRole() });
    expect(shipped.events.filter((e) => e.kind === 'launch').map((e) => e.atS)).toEqual([0, 0]);
  });

  it('fails naming the bad key', async () => {
    await expect(
      simulate({ jobs: jobsAt([0], 1), policy: { name: 'bad', config: { roles: { job: { max: 0 } } } } }),
    ).rejects.toThrow(/roles\.job\.max/);
  });
});

describe('simulate: a named policy over a configured role', () => {
  it("backlog-per-server keeps the role's own targetPerServer when the config sets that policy", async () => {
    const jobs = steadyWeekday(7);
    const launches = async (targetPerServer: number) => {
      const policy = {
        type: 'backlog-per-server' as const,
        targetPerServer,
        maxExtra: 2,
        stabilizationSeconds: 300,
      };
      const { summary } = await simulate({
        jobs,
        policy: 'backlog-per-server',
        role: { ...defaultRole(), policy },
      });
      return summary.launches;
    };
    expect(await launches(1)).toBeGreaterThan(await launches(50));
  });
});
