import { describe, expect, it } from 'vitest';
import { type DecideInput, decide } from '../../domain/decide.js';
import type { Plan } from '../../domain/types.js';
import { launchSpec, specFields } from '../../domain/warm-pool.js';
import {
  anOverride,
  appRole,
  aServer,
  jobRole,
  secondsAgo,
  series,
  steady,
  T0,
} from '../support/builders.js';

const oneJobServer = [aServer({ role: 'job' })];
const oneAppServer = [aServer({ role: 'app' })];

function launches(plan: Plan): number {
  return plan.actions.reduce((n, a) => n + (a.kind === 'launch' ? a.count : 0), 0);
}

describe('decide', () => {
  it.each<[string, DecideInput, { demand: 'known' | 'hold' | undefined; desired: number; launched: number }]>(
    [
      [
        'a role without a queue follows its schedule floor (business hours: 3)',
        { role: 'app', config: appRole(), now: T0, samples: [], servers: oneAppServer },
        { demand: undefined, desired: 3, launched: 2 },
      ],
      [
        'a long queue adds the extra job servers',
        { role: 'job', config: jobRole(), now: T0, samples: steady(50, 5), servers: oneJobServer },
        { demand: 'known', desired: 3, launched: 2 },
      ],
      [
        'an unknown queue holds what runs',
        { role: 'job', config: jobRole(), now: T0, samples: series([null]), servers: oneJobServer },
        { demand: 'hold', desired: 1, launched: 0 },
      ],
      [
        'an unknown queue holds at the previous hold, replacing a server lost meanwhile',
        {
          role: 'job',
          config: jobRole(),
          now: T0,
          samples: series([null]),
          servers: oneJobServer,
          previousHold: 3,
        },
        { demand: 'hold', desired: 3, launched: 2 },
      ],
      [
        'an override max caps what the queue asks for',
        {
          role: 'job',
          config: jobRole(),
          now: T0,
          samples: steady(50, 5),
          servers: oneJobServer,
          bounds: anOverride({ max: 2 }),
        },
        { demand: 'known', desired: 2, launched: 1 },
      ],
      [
        'a paused role launches nothing, whatever the floor asks',
        {
          role: 'app',
          config: appRole(),
          now: T0,
          samples: [],
          servers: oneAppServer,
          pause: { reason: 'test' },
        },
        { demand: undefined, desired: 3, launched: 0 },
      ],
    ],
  )('%s', (_name, input, expected) => {
    const decision = decide(input);
    expect(decision.demand?.kind).toBe(expected.demand);
    expect(decision.desired.count).toBe(expected.desired);
    expect(decision.plan.desired).toEqual(decision.desired);
    expect(launches(decision.plan)).toBe(expected.launched);
  });

  it('a paused role plans no action at all and says why', () => {
    const decision = decide({
      role: 'job',
      config: jobRole(),
      now: T0,
      samples: steady(50, 5),
      servers: oneJobServer,
      pause: { reason: 'maintenance' },
    });
    expect(decision.plan.actions).toEqual([]);
    expect(decision.plan.blocked.map((b) => b.reason).join(' ')).toMatch(/maintenance/);
  });

  it('keeps a server started from the warm pool until it serves, where a cold one would be retired', () => {
    // Drain-time over a minute's window: a queue of 1-2 jobs that the running server keeps within
    // the target, and a second server coming up.
    const config = jobRole({
      policy: { type: 'drain-time', stabilizationSeconds: 60, smallBacklogPerServer: 0 },
    });
    const samples = series([2, 1, 2, 1, 2], { everySeconds: 15 });
    const running = aServer({ role: 'job' });
    const comingUp = (startedAt?: number) =>
      aServer({ role: 'job', state: 'booting', ...(startedAt === undefined ? {} : { startedAt }) });
    const at = { role: 'job', config, now: T0, samples, workersPerServer: 4 };
    const started = decide({ ...at, servers: [running, comingUp(secondsAgo(20))] });
    expect(started.desired.count).toBe(2);
    expect(started.desired.reasons.join(' ')).toMatch(/1 started server is not yet serving/);
    const cold = decide({ ...at, servers: [running, comingUp()] });
    expect(cold.desired.count).toBe(1);
    // A bridge (started while Spot servers boot) goes back to the pool on its own terms: it holds nothing.
    const bridge = { ...comingUp(secondsAgo(20)), bridge: true };
    expect(decide({ ...at, servers: [running, bridge] }).desired.count).toBe(1);
  });

  it('waits the shorter window for a server on loan from the pool that had rested there', () => {
    // A backlog until a minute ago, empty since: the whole window (300 s) saw it, the shorter one
    // (60 s) did not. The second server was started from the pool 5 minutes ago.
    const pooled = (returnOnScaleIn: boolean) =>
      jobRole({
        policy: {
          type: 'drain-time',
          stabilizationSeconds: 300,
          poolStabilizationSeconds: 60,
          poolRestSeconds: 600,
        },
        warmPool: { size: 1, returnOnScaleIn },
      });
    const config = pooled(true);
    const samples = series([...Array.from({ length: 17 }, () => 30), 0, 0, 0, 0, 0], { everySeconds: 15 });
    const running = aServer({ role: 'job' });
    const startedAt = secondsAgo(300);
    const onLoan = (restS: number, extra: Record<string, unknown> = {}) =>
      aServer({
        role: 'job',
        ...specFields(launchSpec('job', config)),
        startedAt,
        stoppedAt: startedAt - restS * 1000,
        ...extra,
      });
    const at = { role: 'job', config, now: T0, samples, workersPerServer: 4 };
    const rested = decide({ ...at, servers: [running, onLoan(600)] });
    expect(rested.desired.count).toBe(1);
    expect(rested.desired.reasons.join(' ')).toMatch(/for 60 s \(a warm server goes back to the pool\)/);
    // Started again soon after it last went back: the whole window.
    expect(decide({ ...at, servers: [running, onLoan(599)] }).desired.count).toBe(2);
    // Not going back to the pool: a cold server, one of a role that terminates on scale-in, a stale
    // one, Spot.
    expect(decide({ ...at, servers: [running, aServer({ role: 'job' })] }).desired.count).toBe(2);
    expect(decide({ ...at, config: pooled(false), servers: [running, onLoan(600)] }).desired.count).toBe(2);
    expect(decide({ ...at, servers: [running, onLoan(600, { image: 'ami-0ld' })] }).desired.count).toBe(2);
    expect(decide({ ...at, servers: [running, onLoan(600, { market: 'spot' })] }).desired.count).toBe(2);
  });

  it('retires a window apart: the next waits a window after the last one left service', () => {
    // Three servers in service and a queue empty all window: down to the floor, unless a server that
    // served left service (or took its next step out: stopped into the pool) within the window.
    const config = jobRole({ policy: { type: 'drain-time', stabilizationSeconds: 60 } });
    const samples = series([0, 0, 0, 0, 0], { everySeconds: 15 });
    const serving = [1, 2, 3].map(() => aServer({ role: 'job' }));
    const at = { role: 'job', config, now: T0, samples, workersPerServer: 4 };
    expect(decide({ ...at, servers: serving }).desired.count).toBe(1);
    const left = (state: 'draining' | 'warm' | 'terminated', since: number) =>
      aServer({ role: 'job', state, stateSince: since, inServiceAt: since - 3_600_000 });
    for (const state of ['draining', 'warm', 'terminated'] as const) {
      const recent = decide({ ...at, servers: [...serving, left(state, secondsAgo(30))] });
      expect(recent.desired.count).toBe(3);
      expect(recent.desired.reasons.join(' ')).toMatch(/a server left service 30 s ago/);
      expect(decide({ ...at, servers: [...serving, left(state, secondsAgo(60))] }).desired.count).toBe(1);
    }
    // A pool server that never served is not one that left.
    const warmed = aServer({ role: 'job', state: 'warm', stateSince: secondsAgo(30) });
    expect(decide({ ...at, servers: [...serving, warmed] }).desired.count).toBe(1);
  });
});
