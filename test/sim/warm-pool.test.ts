import { describe, expect, it } from 'vitest';
import { scheduleFloor } from '../../domain/schedule.js';
import { poolSize } from '../../domain/warm-pool.js';
import {
  DEFAULT_VOLUME_GB,
  DEFAULT_VOLUME_PER_GB_MONTH,
  defaultRole,
  type LaunchDelay,
  type SimRole,
  simulate,
} from '../../sim/index.js';
import { noPoolRole } from '../../sim/policies.js';
import type { TraceJob } from '../../sim/trace.js';

const HOUR_S = 3600;
const FIXED_60: LaunchDelay = { kind: 'fixed', seconds: 60 };
/** gp3 at the list price over AWS's 730-hour month, per second of one default root volume. */
const VOLUME_PER_S = (DEFAULT_VOLUME_GB * DEFAULT_VOLUME_PER_GB_MONTH) / (730 * HOUR_S);

/** The shipped role with its pool off, then a pool of `size` all day. */
function pooled(size: number, overrides: Partial<SimRole> = {}): SimRole {
  return {
    ...noPoolRole(),
    warmPool: {
      size,
      state: 'stopped',
      maxAgeHours: 168,
      returnOnScaleIn: true,
      refreshPerTick: 2,
      rootVolumeEncrypted: false,
    },
    ...overrides,
  };
}

/** A quiet hour, then `count` jobs of `serviceS` at once, then quiet again. */
function burstAt(atS: number, count: number, serviceS: number): TraceJob[] {
  return [
    { arrivalS: 60, serviceS: 30 },
    ...Array.from({ length: count }, () => ({ arrivalS: atS, serviceS })),
  ];
}

describe('simulate: the warm pool', () => {
  it('never gives a job to a server waiting in the pool, and bills its volume the whole time', async () => {
    // One permanent server and no room to scale: the pool is never started.
    const jobs: TraceJob[] = [
      { arrivalS: 0, serviceS: 100 },
      { arrivalS: 10, serviceS: 50 },
      { arrivalS: 20, serviceS: 30 },
    ];
    const fixed = { min: 1, max: 1 };
    const run = (role: SimRole) =>
      simulate({ jobs, policy: 'default', role, vcpus: 1, workerPollS: 0, horizonS: HOUR_S });
    const without = await run({ ...noPoolRole(), ...fixed, workersPerVcpu: 1 });
    const withPool = await run(pooled(2, { ...fixed, workersPerVcpu: 1 }));
    expect(withPool.outcomes).toEqual(without.outcomes);
    expect(withPool.summary.warmStarts).toBe(0);
    // Two servers stopped in the pool from the trace start to its end.
    const stoppedS = 2 * withPool.summary.simulatedHours * HOUR_S;
    expect(withPool.summary.stoppedVolumeCost).toBeCloseTo(stoppedS * VOLUME_PER_S, 3);
    expect(without.summary.stoppedVolumeCost).toBe(0);
  });

  it('starts warm servers for a burst: they take work within 15-45 s of the start', async () => {
    const { summary, events } = await simulate({
      jobs: burstAt(HOUR_S, 40, 120),
      policy: 'default',
      role: pooled(2),
      launchDelay: FIXED_60,
      horizonS: 3 * HOUR_S,
    });
    const starts = events.filter((e) => e.kind === 'start');
    expect(starts.length).toBeGreaterThan(0);
    expect(summary.warmStarts).toBe(starts.length);
    for (const start of starts) {
      const up = events.find((e) => e.kind === 'healthy' && e.server === start.server && e.atS >= start.atS);
      expect(up?.atS).toBeGreaterThanOrEqual(start.atS + 15);
      expect(up?.atS).toBeLessThanOrEqual(start.atS + 45);
    }
  });

  it('takes work exactly the configured start delay after a start', async () => {
    const { events } = await simulate({
      jobs: burstAt(HOUR_S, 40, 120),
      policy: 'default',
      role: pooled(2),
      launchDelay: FIXED_60,
      startDelay: { kind: 'fixed', seconds: 20 },
      horizonS: 3 * HOUR_S,
    });
    const starts = events.filter((e) => e.kind === 'start');
    expect(starts.length).toBeGreaterThan(0);
    for (const start of starts) {
      const up = events.find((e) => e.kind === 'healthy' && e.server === start.server && e.atS >= start.atS);
      expect(up?.atS).toBe(start.atS + 20);
    }
  });

  it('counts every RunInstances, pool fills included, as a cold launch and every start apart', async () => {
    // A pool of 1 for a burst that wants 2: one start, one cold launch, and the pool refilled
    // whenever a started server does not come back to it.
    const { summary, events } = await simulate({
      jobs: [...burstAt(HOUR_S, 40, 120), ...burstAt(3 * HOUR_S, 40, 120).slice(1)],
      policy: 'default',
      role: pooled(1),
      launchDelay: FIXED_60,
      horizonS: 5 * HOUR_S,
    });
    const launches = events.filter((e) => e.kind === 'launch');
    expect(summary.coldLaunches).toBe(launches.length);
    expect(summary.warmStarts).toBe(events.filter((e) => e.kind === 'start').length);
    expect(summary.launches).toBe(summary.coldLaunches + summary.warmStarts);
    expect(summary.warmStarts).toBeGreaterThan(0);
    // A server launched into the pool never takes work before a start: its first healthy note says so.
    for (const launch of launches.filter((e) => e.reason.startsWith('warm pool'))) {
      const up = events.find((e) => e.kind === 'healthy' && e.server === launch.server);
      expect(up?.reason).toMatch(/warm pool: no worker while warming/);
    }
  });

  it('puts a burst server back into the pool instead of terminating it, and pays no boot for the next burst', async () => {
    const twoBursts = [...burstAt(HOUR_S, 40, 120), ...burstAt(3 * HOUR_S, 40, 120).slice(1)];
    const run = (role: SimRole) =>
      simulate({ jobs: twoBursts, policy: 'default', role, launchDelay: FIXED_60, horizonS: 5 * HOUR_S });
    const cold = await run(noPoolRole());
    const warm = await run(pooled(2));
    expect(warm.events.some((e) => e.kind === 'stop')).toBe(true);
    expect(warm.summary.coldLaunches).toBe(0);
    expect(cold.summary.coldLaunches).toBeGreaterThan(0);
    // A start takes work sooner than a 60 s launch: the bursts wait less.
    expect(warm.summary.waitMeanS).toBeLessThan(cold.summary.waitMeanS);
    expect(warm.summary.bootCost).toBeLessThan(cold.summary.bootCost);
  });
});

describe('the shipped job role', () => {
  it('keeps 2 warm servers on weekdays 08:00-18:00, none outside, without touching the floor', () => {
    const role = defaultRole();
    const at = (iso: string) => poolSize(role, Date.parse(iso), 0).size;
    expect(at('2026-03-02T15:00:00Z')).toBe(2); // Monday 10:00 in Toronto
    expect(at('2026-03-03T01:00:00Z')).toBe(0); // Monday 20:00
    expect(at('2026-03-07T15:00:00Z')).toBe(0); // Saturday 10:00
    expect(scheduleFloor(role.schedule, Date.parse('2026-03-02T15:00:00Z')).servers).toBe(
      role.schedule.baseline,
    );
  });

  it('has no pool with config/presets/no-pool.json merged over it, and keeps everything else', () => {
    const role = noPoolRole();
    expect(role.warmPool).toBeUndefined();
    expect(role.schedule.windows).toEqual([]);
    expect(poolSize(role, Date.parse('2026-03-02T15:00:00Z'), 0).size).toBe(0);
    const { warmPool: _p, schedule: _s, ...rest } = defaultRole();
    const { warmPool: _q, schedule: _t, ...restNoPool } = role;
    expect(restNoPool).toEqual(rest);
  });
});
