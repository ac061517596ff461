import { describe, expect, it } from 'vitest';
import { decide } from '../../domain/decide.js';
import { applyPlan, type PlanInput, plan } from '../../domain/planner.js';
import type { DesiredDecision, ObservedServer, Plan } from '../../domain/types.js';
import { launchSpec, type PoolInput, poolSize, specFields, staleness } from '../../domain/warm-pool.js';
import { hibernationProblem } from '../../domain/warm-pool-schema.js';
import { aServer, HOUR, jobRole, MINUTE, minutesAgo, steady, T0 } from '../support/builders.js';

const job = jobRole({ lifecycle: { billing: 'per-second', minLifetimeMinutes: 0 }, warmPool: { size: 2 } });
const SPEC = launchSpec('job', job);

function pool(overrides: Partial<PoolInput> = {}): PoolInput {
  return {
    size: 2,
    reason: 'warmPool.size',
    settings: job.warmPool ?? {
      size: 2,
      state: 'stopped',
      maxAgeHours: 168,
      returnOnScaleIn: true,
      refreshPerTick: 2,
      rootVolumeEncrypted: false,
    },
    spec: SPEC,
    instanceTypes: job.launch.instanceTypes,
    ...overrides,
  };
}

/** A server of the pool, launched with the role's current settings unless told otherwise. */
function pooled(overrides: Partial<ObservedServer> = {}): ObservedServer {
  return aServer({
    state: 'warm',
    registered: false,
    createdAt: minutesAgo(60),
    image: SPEC.image,
    userDataDigest: SPEC.userDataDigest,
    ...overrides,
  });
}

function desired(count: number): DesiredDecision {
  return { count, floor: count, demand: null, reasons: [`want ${count}`] };
}

function planWith(servers: ObservedServer[], count: number, extra: Partial<PlanInput> = {}): Plan {
  return plan({
    role: 'job',
    now: T0,
    config: job,
    desired: desired(count),
    servers,
    pool: pool(),
    ...extra,
  });
}

function summary(result: Plan): string[] {
  return result.actions.map((a) =>
    a.kind === 'launch' || a.kind === 'warm'
      ? `${a.kind} ${a.count}`
      : a.kind === 'start'
        ? `start ${a.count}${a.bridge ? ' bridge' : ''} of ${a.candidates.join(',')}`
        : `${a.kind} ${a.serverId}`,
  );
}

describe('poolSize', () => {
  const windows = [
    { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '21:00', servers: 1, warmPool: 5 },
  ];
  const role = jobRole({ warmPool: { size: 2 }, schedule: { windows } });

  it.each([
    ['no pool', jobRole(), T0, 0, 'no warm pool configured'],
    [
      'the configured size outside every window',
      role,
      Date.parse('2026-03-02T03:00:00Z'),
      2,
      'warmPool.size',
    ],
    ['the window size inside it', role, T0, 5, 'window mon-fri 08:00-21:00'],
    // Mon 07:55 EST: the window starts within the 10-minute lead.
    ['the window size just before it starts', role, Date.parse('2026-03-02T12:55:00Z'), 5, '(starting soon)'],
  ])('%s', (_name, config, at, size, reason) => {
    const result = poolSize(config, at, 10 * MINUTE);
    expect(result.size).toBe(size);
    expect(result.reason).toContain(reason);
  });

  it('is 0 while an operator keeps the pool drained', () => {
    expect(poolSize(role, T0, 0, { drained: true, reason: 'AMI rollout', since: T0 })).toEqual({
      size: 0,
      reason: 'pool drained: AMI rollout',
    });
  });
});

describe('staleness', () => {
  it.each<[string, Partial<ObservedServer>, Partial<PoolInput>, RegExp | null, boolean]>([
    ['a server launched with the current settings', {}, {}, null, false],
    [
      'another image',
      { image: 'ami-0fffffffffffffff0' },
      {},
      /image ami-0fffffffffffffff0 is no longer/,
      true,
    ],
    [
      'other user data settings',
      { userDataDigest: '0000000000000000' },
      {},
      /user data settings changed/,
      true,
    ],
    [
      'an instance type no longer configured',
      { instanceType: 't3.micro' },
      {},
      /t3.micro is no longer configured/,
      true,
    ],
    [
      'a record from before launch settings were kept',
      { image: undefined, userDataDigest: undefined },
      {},
      /before its launch settings/,
      true,
    ],
    [
      'another release',
      { release: 'v1' },
      { spec: { ...SPEC, release: 'v2' } },
      /release v1 is no longer v2/,
      false,
    ],
    ['past its maximum age', { createdAt: T0 - 170 * HOUR }, {}, /170 h old \(maxAgeHours 168\)/, false],
    ['launched before a refill', {}, { refreshBefore: T0 - MINUTE }, /before the pool was refilled/, false],
  ])('%s', (_name, server, input, reason, unstartable) => {
    const result = staleness(pooled(server), pool(input), T0);
    if (reason === null) expect(result.reasons).toEqual([]);
    else expect(result.reasons.join('; ')).toMatch(reason);
    expect(result.unstartable).toBe(unstartable);
  });
});

describe('hibernationProblem', () => {
  it.each([
    ['c5.large', undefined],
    ['m5.8xlarge', undefined],
    ['t3.micro', undefined],
    ['r5.8xlarge', 'r5.8xlarge: hibernation needs less than 150 GiB of memory'],
    ['m5.metal', 'm5.metal: metal instances cannot hibernate'],
    ['p3.2xlarge', 'p3.2xlarge: the p3 family cannot hibernate'],
  ])('%s: %s', (type, problem) => {
    expect(hibernationProblem(type)).toBe(problem);
  });
});

describe('plan with a warm pool: using it', () => {
  it('starts warm servers for a shortfall before launching cold ones, oldest first', () => {
    const older = pooled({ intentId: 'older', createdAt: minutesAgo(90) });
    const newer = pooled({ intentId: 'newer', createdAt: minutesAgo(30) });
    const result = planWith([aServer({ intentId: 'base' }), newer, older], 4);
    expect(summary(result)).toEqual(['start 2 of older,newer', 'launch 1', 'warm 2']);
    const start = result.actions[0];
    expect(start).toMatchObject({ kind: 'start', fallback: 'launch' });
  });

  it('starts a fresh server before a stale one, and never one of another image', () => {
    const aged = pooled({ intentId: 'aged', createdAt: T0 - 200 * HOUR });
    const fresh = pooled({ intentId: 'fresh' });
    const otherImage = pooled({ intentId: 'other', image: 'ami-0fffffffffffffff0' });
    const result = planWith([aged, otherImage, fresh], 3);
    expect(summary(result)[0]).toBe('start 2 of fresh,aged');
    expect(summary(result)).toContain('launch 1');
  });

  it('starts nothing and launches nothing when capacity is enough', () => {
    const result = planWith([aServer(), pooled(), pooled()], 1);
    expect(summary(result)).toEqual([]);
  });

  it('counts the servers a burst took from the pool as coming back, and refills behind the schedule floor', () => {
    const burst = { count: 3, floor: 1, demand: 3, reasons: ['queue'] };
    const servers = [aServer({ intentId: 'base' }), pooled({ intentId: 'p1' }), pooled({ intentId: 'p2' })];
    expect(summary(planWith(servers, 3, { desired: burst }))).toEqual(['start 2 of p1,p2']);
    // The floor itself rising (a window): its servers stay, so the pool warms replacements.
    const window = { count: 3, floor: 3, demand: null, reasons: ['window'] };
    expect(summary(planWith(servers, 3, { desired: window }))).toEqual(['start 2 of p1,p2', 'warm 2']);
  });

  it('never counts a warm, warming or stopping server as capacity', () => {
    const servers = [
      pooled({ intentId: 'w' }),
      pooled({ intentId: 'warming', state: 'warming', launchedAt: minutesAgo(1) }),
      pooled({ intentId: 'stopping', state: 'stopping' }),
    ];
    // One started, and the pool counts its warming and stopping servers: nothing to fill.
    expect(summary(planWith(servers, 1))).toEqual(['start 1 of w']);
  });
});

describe('plan with a warm pool: keeping it', () => {
  it('fills an empty pool with warming launches', () => {
    expect(summary(planWith([aServer()], 1))).toEqual(['warm 2']);
  });

  it('stops a warming server once its readiness check passes', () => {
    const ready = pooled({
      intentId: 'ready',
      state: 'warming',
      launchedAt: minutesAgo(3),
      health: { healthy: true },
    });
    expect(summary(planWith([aServer(), ready, pooled()], 1))).toEqual(['stop ready']);
  });

  it('terminates a warming server past its deadline and warms another', () => {
    const stuck = pooled({
      intentId: 'stuck',
      state: 'warming',
      launchedAt: minutesAgo(20),
      health: { healthy: false, reason: 'connection refused' },
    });
    const result = planWith([aServer(), stuck, pooled()], 1);
    expect(summary(result)).toEqual(['terminate stuck', 'warm 1']);
    expect(result.actions[0]?.reason).toMatch(
      /not ready 1200 s after launch \(deadline 900 s\): connection refused/,
    );
  });

  it('refreshes stale servers only as fresh ones arrive: never fewer ready than the size', () => {
    const stale = [
      pooled({ intentId: 's1', image: 'ami-0fffffffffffffff0', createdAt: minutesAgo(50) }),
      pooled({ intentId: 's2', image: 'ami-0fffffffffffffff0', createdAt: minutesAgo(40) }),
    ];
    // Two stale ready: replacements are launched first, nothing is terminated yet.
    expect(summary(planWith([aServer(), ...stale], 1))).toEqual(['warm 2']);
    // One fresh replacement ready: one stale server goes.
    const fresh = pooled({ intentId: 'f1' });
    const coming = pooled({ intentId: 'f2', state: 'warming', launchedAt: minutesAgo(1) });
    expect(summary(planWith([aServer(), ...stale, fresh, coming], 1))).toEqual(['terminate s1']);
  });

  it('refreshes at most refreshPerTick servers beyond the size at a time', () => {
    const stale = ['a', 'b', 'c', 'd'].map((id) =>
      pooled({ intentId: id, createdAt: T0 - 200 * HOUR - MINUTE * id.charCodeAt(0) }),
    );
    const small = pool({ size: 4, settings: { ...(job.warmPool ?? ({} as never)), refreshPerTick: 1 } });
    expect(summary(planWith([aServer(), ...stale], 1, { pool: small }))).toEqual(['warm 1']);
  });

  it('trims a pool above its size, oldest first, once servers are ready', () => {
    const servers = [
      aServer(),
      pooled({ intentId: 'p1', createdAt: minutesAgo(90) }),
      pooled({ intentId: 'p2' }),
      pooled({ intentId: 'p3' }),
    ];
    expect(summary(planWith(servers, 1))).toEqual(['terminate p1']);
  });

  it('never terminates a warming launch EC2 has not reported yet: it waits for its instance', () => {
    const unreported = pooled({ intentId: 'w0', state: 'warming', launchedAt: undefined });
    delete unreported.instanceId;
    const result = planWith([aServer(), unreported], 1, {
      pool: pool({ size: 0, reason: 'pool drained: x' }),
    });
    expect(summary(result)).toEqual([]);
  });

  it('empties a drained pool, warming servers included', () => {
    const servers = [
      aServer(),
      pooled({ intentId: 'p1' }),
      pooled({ intentId: 'w1', state: 'warming', launchedAt: minutesAgo(1) }),
    ];
    const result = planWith(servers, 1, { pool: pool({ size: 0, reason: 'pool drained: release' }) });
    expect(summary(result).sort()).toEqual(['terminate p1', 'terminate w1']);
  });
});

describe('plan with a warm pool: scale-in', () => {
  const drained = (id: string, extra: Partial<ObservedServer> = {}) =>
    pooled({ intentId: id, state: 'draining', drainUntil: T0 - 1, launchedAt: minutesAgo(50), ...extra });

  it('stops drained servers back into the pool while it is below its size, and terminates the rest', () => {
    const result = planWith([aServer(), pooled(), drained('d1'), drained('d2')], 1);
    expect(summary(result)).toEqual(['stop d1', 'terminate d2']);
  });

  it.each<[string, Partial<ObservedServer>]>([
    ['a Spot server', { market: 'spot' }],
    ['an orphan', { orphan: true }],
    ['a server EC2 warned about', { interruptedAt: T0 - MINUTE }],
    ['a stale server', { image: 'ami-0fffffffffffffff0' }],
  ])('terminates %s instead of returning it', (_name, extra) => {
    expect(summary(planWith([aServer(), drained('d', extra)], 1))).toContain('terminate d');
  });

  it('drains and stops at once when there is nothing to drain', () => {
    const servers = [
      pooled({ intentId: 'old', state: 'in-service', launchedAt: minutesAgo(300) }),
      pooled({ intentId: 'new', state: 'in-service', launchedAt: minutesAgo(100) }),
    ];
    expect(summary(planWith(servers, 1))).toEqual(['drain new', 'stop new', 'warm 1']);
  });

  it('counts servers of a burst draining for their drain time as on loan: no refill, then back in the pool', () => {
    const behindLb = jobRole({
      lifecycle: { billing: 'per-second', minLifetimeMinutes: 0, drainSeconds: 300 },
      loadBalancer: { type: 'classic', name: 'smallpayroll-http' },
      warmPool: { size: 2 },
    });
    const lent = (id: string) =>
      pooled({ intentId: id, state: 'in-service', startedAt: minutesAgo(30), launchedAt: minutesAgo(30) });
    const servers = [aServer({ intentId: 'base', launchedAt: minutesAgo(300) }), lent('a'), lent('b')];
    const first = plan({
      role: 'job',
      now: T0,
      config: behindLb,
      desired: desired(1),
      servers,
      pool: pool(),
    });
    expect(summary(first)).toEqual(['drain a', 'drain b']);
    let n = 0;
    const draining = applyPlan(servers, first, behindLb, () => `n${++n}`);
    const later = T0 + 6 * MINUTE;
    const second = plan({
      role: 'job',
      now: later,
      config: behindLb,
      desired: desired(1),
      servers: draining,
      pool: pool(),
    });
    expect(summary(second).sort()).toEqual(['stop a', 'stop b']);
  });

  it('puts a server back into the pool through applyPlan: stopping, unregistered', () => {
    const servers = [
      pooled({ intentId: 'old', state: 'in-service', launchedAt: minutesAgo(300) }),
      pooled({ intentId: 'new', state: 'in-service', launchedAt: minutesAgo(100) }),
    ];
    const result = planWith(servers, 1);
    let n = 0;
    const after = applyPlan(servers, result, job, () => `n${++n}`);
    expect(after.find((s) => s.intentId === 'new')).toMatchObject({ state: 'stopping', registered: false });
    expect(after.filter((s) => s.state === 'warming')).toHaveLength(1);
  });
});

describe('plan with a warm pool: the Spot bridge', () => {
  const spot = jobRole({
    lifecycle: { billing: 'per-second', minLifetimeMinutes: 0 },
    launch: { market: 'spot', onDemandBase: 1 },
    warmPool: { size: 2 },
  });
  const spotPlan = (servers: ObservedServer[], count: number) =>
    plan({ role: 'job', now: T0, config: spot, desired: desired(count), servers, pool: pool() });

  it('leaves the bridges out of the servers the queue weighs: a steady queue keeps the Spot ones', () => {
    const config = jobRole({
      max: 10,
      launch: { market: 'spot', onDemandBase: 1 },
      lifecycle: { billing: 'per-second', minLifetimeMinutes: 0 },
      warmPool: { size: 2 },
    });
    const spec = specFields(launchSpec('job', config));
    const servers = [
      aServer({ intentId: 'base', market: 'on-demand', ...spec }),
      aServer({ intentId: 's1', market: 'spot', ...spec, launchedAt: minutesAgo(5) }),
      aServer({ intentId: 's2', market: 'spot', ...spec, launchedAt: minutesAgo(5) }),
      aServer({ intentId: 'b1', market: 'on-demand', bridge: true, startedAt: minutesAgo(5), ...spec }),
      aServer({ intentId: 'b2', market: 'on-demand', bridge: true, startedAt: minutesAgo(5), ...spec }),
    ];
    // A queue in the threshold policy's keep band: it keeps what serves, 3 without the bridges.
    const decision = decide({ role: 'job', config, now: T0, samples: steady(10, 6), servers });
    expect(decision.desired.count).toBe(3);
    expect(summary(decision.plan)).toEqual(['drain b1', 'stop b1', 'drain b2', 'stop b2']);
  });

  it('launches Spot for what lasts and starts warm On-Demand servers to bridge the burst', () => {
    const result = spotPlan(
      [aServer({ intentId: 'base' }), pooled({ intentId: 'p1' }), pooled({ intentId: 'p2' })],
      3,
    );
    // The bridges come back: nothing is warmed behind them.
    expect(summary(result)).toEqual(['launch 2', 'start 2 bridge of p1,p2']);
    expect(result.actions[0]).toMatchObject({ markets: ['spot', 'spot'] });
    expect(result.actions[1]).toMatchObject({ fallback: 'none' });
  });

  it('sends the bridges back to the pool once the Spot servers are in service', () => {
    const servers = [
      aServer({ intentId: 'base' }),
      aServer({ intentId: 's1', market: 'spot' }),
      aServer({ intentId: 's2', market: 'spot' }),
      pooled({
        intentId: 'b1',
        state: 'in-service',
        bridge: true,
        startedAt: minutesAgo(5),
        launchedAt: minutesAgo(5),
      }),
      pooled({
        intentId: 'b2',
        state: 'in-service',
        bridge: true,
        startedAt: minutesAgo(5),
        launchedAt: minutesAgo(5),
      }),
    ];
    expect(summary(spotPlan(servers, 3))).toEqual(['drain b1', 'stop b1', 'drain b2', 'stop b2']);
  });

  it('keeps the bridges while the Spot servers boot', () => {
    const servers = [
      aServer({ intentId: 'base' }),
      aServer({ intentId: 's1', market: 'spot', state: 'booting', launchedAt: minutesAgo(2) }),
      pooled({
        intentId: 'b1',
        state: 'in-service',
        bridge: true,
        startedAt: minutesAgo(2),
        launchedAt: minutesAgo(2),
      }),
      pooled({ intentId: 'p1' }),
    ];
    expect(summary(spotPlan(servers, 2))).toEqual([]);
  });
});
