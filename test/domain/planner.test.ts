import { describe, expect, it } from 'vitest';
import type { RoleConfig } from '../../domain/config.js';
import { demand } from '../../domain/demand.js';
import {
  activeBounds,
  applyPlan,
  boundReason,
  type DesiredInput,
  desiredCount,
  type PlanInput,
  plan,
} from '../../domain/planner.js';
import {
  CAPACITY_STATES,
  type DesiredDecision,
  LIFECYCLE_STATES,
  type LifecycleState,
  type ObservedServer,
  type Plan,
} from '../../domain/types.js';
import {
  anOverride,
  appRole,
  aServer,
  HOUR,
  jobRole,
  MINUTE,
  minutesAgo,
  SECOND,
  secondsAgo,
  steady,
  T0,
} from '../support/builders.js';

const job = jobRole();
/** Per-second billing, no minimum lifetime, a classic ELB with a 300 s drain: nothing blocks a retire. */
const app = appRole();

function desired(count: number, extra: Partial<DesiredDecision> = {}): DesiredDecision {
  return { count, floor: count, demand: null, reasons: [`want ${count}`], ...extra };
}

function planFor(
  servers: ObservedServer[],
  count: number,
  config: RoleConfig = app,
  extra: Partial<PlanInput> = {},
): Plan {
  return plan({ role: 'app', now: T0, config, desired: desired(count), servers, ...extra });
}

/** Actions as short strings, e.g. `drain a`, `launch 2`, for readable assertions. */
function summary(result: Plan): string[] {
  return result.actions.map((a) =>
    a.kind === 'launch' || a.kind === 'warm'
      ? `${a.kind} ${a.count}`
      : a.kind === 'start'
        ? `start ${a.count} of ${a.candidates.join(',')}`
        : `${a.kind} ${a.serverId}`,
  );
}

describe('desiredCount', () => {
  const config = { min: 1, max: 10 };
  const base = (extra: Partial<DesiredInput> = {}): DesiredInput => ({
    config,
    floor: { servers: 3, reason: 'weekday business hours' },
    now: T0,
    ...extra,
  });
  const known = (servers: number) => ({
    kind: 'known' as const,
    servers,
    queueLength: 30,
    reason: 'queue 30',
  });

  it.each<[string, DesiredInput, number, RegExp | null]>([
    ['the schedule floor alone', base(), 3, null],
    ['demand above the floor', base({ demand: known(5) }), 5, null],
    ['demand below the floor keeps the floor', base({ demand: known(1) }), 3, null],
    [
      'an override min above both',
      base({ demand: known(5), override: anOverride({ min: 7, expiresAt: T0 + HOUR }) }),
      7,
      /override min 7 until 2026-03-02T15:00:00.000Z/,
    ],
    ['an override min below the floor changes nothing', base({ override: anOverride({ min: 2 }) }), 3, null],
    ['demand above max is clamped', base({ demand: known(12) }), 10, /clamped to \[1, 10\]/],
    ['an override min above max is clamped', base({ override: anOverride({ min: 40 }) }), 10, /clamped/],
    [
      'a floor of zero is raised to min',
      base({ floor: { servers: 0, reason: 'night' } }),
      1,
      /clamped to \[1, 10\]/,
    ],
    [
      'an override max caps demand',
      base({ demand: known(8), override: anOverride({ max: 4 }) }),
      4,
      /override max 4/,
    ],
    [
      'an override max caps the floor too',
      base({ override: anOverride({ max: 2, expiresAt: T0 + 1 }) }),
      2,
      /override max 2 until/,
    ],
    [
      'an expired override is ignored',
      base({ override: anOverride({ min: 7, max: 2, expiresAt: T0 - 1 }) }),
      3,
      null,
    ],
    [
      'a minimum with its own later end outlasts the ended maximum',
      base({ override: anOverride({ min: 7, max: 2, expiresAt: T0 + HOUR, maxUntil: T0 - 1 }) }),
      7,
      /override min 7 until 2026-03-02T15:00:00.000Z/,
    ],
    [
      'a minimum with its own earlier end is ignored, the maximum applies',
      base({ override: anOverride({ min: 7, max: 2, expiresAt: T0 + HOUR, minUntil: T0 }) }),
      2,
      /override max 2 until 2026-03-02T15:00:00.000Z/,
    ],
    [
      'an override expiring exactly now is ignored',
      base({ override: anOverride({ min: 7, expiresAt: T0 }) }),
      3,
      null,
    ],
  ])('%s', (_name, input, count, reason) => {
    const decision = desiredCount(input);
    expect(decision.count).toBe(count);
    expect(decision.floor).toBe(input.floor.servers);
    expect(decision.reasons[0]).toBe(`schedule: ${input.floor.reason}`);
    if (input.demand !== undefined) expect(decision.reasons).toContain(`demand: ${input.demand.reason}`);
    if (reason !== null) expect(decision.reasons.some((r) => reason.test(r))).toBe(true);
    else expect(decision.reasons).toHaveLength(input.demand === undefined ? 1 : 2);
  });

  it('records no demand for a role without a queue', () => {
    expect(desiredCount(base())).toMatchObject({ demand: null });
    expect(desiredCount(base()).hold).toBeUndefined();
  });

  it('carries a hold through, keeping current capacity', () => {
    const hold = {
      kind: 'hold' as const,
      servers: 5,
      queueLength: null,
      reason: 'queue length unknown (HTTP 502)',
    };
    const decision = desiredCount(base({ demand: hold }));
    expect(decision).toMatchObject({ count: 5, demand: 5, hold: 'queue length unknown (HTTP 502)' });
  });
});

describe('activeBounds', () => {
  // A retire's maximum (30 minutes) next to a launch's minimum kept until its own, later end.
  const record = anOverride({
    min: 4,
    max: 4,
    expiresAt: T0 + HOUR,
    maxUntil: T0 + 30 * MINUTE,
    reason: 'manual retire of 1',
    minReason: 'manual launch of 2',
  });

  it('keeps each bound with its own reason while both apply', () => {
    const live = activeBounds(record, T0);
    expect(live).toEqual(record);
    expect(live && [boundReason(live, 'min'), boundReason(live, 'max')]).toEqual([
      'manual launch of 2',
      'manual retire of 1',
    ]);
  });

  it("drops an ended bound's reason: the record's reason is the surviving bound's", () => {
    const live = activeBounds(record, T0 + 30 * MINUTE);
    expect(live).toEqual({
      min: 4,
      expiresAt: T0 + HOUR,
      reason: 'manual launch of 2',
      setBy: 'operator',
    });
  });

  it("takes a kept maximum's own reason once the launch's minimum has ended", () => {
    const launch = anOverride({
      min: 4,
      max: 5,
      expiresAt: T0 + 2 * HOUR,
      minUntil: T0 + 30 * MINUTE,
      reason: 'month-end run',
      maxReason: 'cost cap',
    });
    expect(activeBounds(launch, T0 + 30 * MINUTE)).toEqual({
      max: 5,
      expiresAt: T0 + 2 * HOUR,
      reason: 'cost cap',
      setBy: 'operator',
    });
  });
});

describe('plan: capacity and launches', () => {
  const one = (state: LifecycleState) =>
    aServer({ intentId: state, state, health: { healthy: false, reason: 'booting' } });

  it.each(LIFECYCLE_STATES.map((state) => [state, CAPACITY_STATES.has(state)] as const))(
    'a %s server counts toward capacity: %s',
    (state, counts) => {
      const result = planFor([one(state)], 2);
      const launch = result.actions.find((a) => a.kind === 'launch');
      expect(launch).toMatchObject({ kind: 'launch', count: counts ? 1 : 2 });
    },
  );

  it('launches the shortfall in one action, with the arithmetic in the reason', () => {
    const result = planFor(
      [aServer({ intentId: 'a' }), aServer({ state: 'draining', drainUntil: T0 + MINUTE })],
      4,
    );
    expect(result.actions).toEqual([{ kind: 'launch', count: 3, reason: '1 of 4 desired servers' }]);
  });

  it('does nothing when capacity matches', () => {
    const servers = [
      aServer(),
      aServer({ state: 'launching' }),
      aServer({ state: 'booting', launchedAt: T0 }),
    ];
    const result = planFor(servers, 3);
    expect(result.actions).toEqual([]);
    expect(result.blocked).toEqual([]);
  });

  it('plans nothing for a paused role, saying so', () => {
    const result = planFor([], 3, app, { paused: { reason: 'incident 42' } });
    expect(result.actions).toEqual([]);
    expect(result.blocked).toEqual([{ kind: 'launch', reason: 'role app is paused: incident 42' }]);
  });
});

describe('plan: booting servers', () => {
  const deadline = app.health.bootDeadlineSeconds;
  it.each<[string, Partial<ObservedServer>, number, string[], RegExp | null]>([
    [
      'registers a booting server that passed the health check',
      { state: 'booting', health: { healthy: true } },
      1,
      ['register b'],
      /health check passed/,
    ],
    [
      'registers a healthy server even past its deadline',
      { state: 'booting', launchedAt: secondsAgo(deadline + 60), health: { healthy: true } },
      1,
      ['register b'],
      null,
    ],
    [
      'waits for an unhealthy booting server within its deadline',
      { state: 'booting', launchedAt: secondsAgo(deadline), health: { healthy: false, reason: 'HTTP 503' } },
      1,
      [],
      null,
    ],
    [
      'replaces a booting server unhealthy past its deadline',
      {
        state: 'booting',
        launchedAt: secondsAgo(deadline + 1),
        health: { healthy: false, reason: 'no "welcome" in body' },
      },
      1,
      ['replace b'],
      /not healthy 901 s after launch \(deadline 900 s\): no "welcome" in body/,
    ],
    [
      'replaces a booting server never checked past its deadline',
      { state: 'booting', launchedAt: secondsAgo(deadline + 1) },
      1,
      ['replace b'],
      /deadline 900 s/,
    ],
    [
      'replaces a server stuck pending past its deadline (age from the intent)',
      { state: 'pending', launchedAt: undefined, createdAt: secondsAgo(deadline + 120) },
      1,
      ['replace b'],
      /not healthy 1020 s after launch/,
    ],
    [
      'terminates a failed server instead when capacity is above desired anyway',
      { state: 'booting', launchedAt: secondsAgo(deadline + 1) },
      0,
      ['terminate b'],
      /; not needed$/,
    ],
    [
      'does not register a pending server',
      { state: 'pending', launchedAt: T0, health: { healthy: true } },
      1,
      [],
      null,
    ],
  ])('%s', (_name, overrides, count, actions, reason) => {
    const result = planFor([aServer({ intentId: 'b', ...overrides })], count, app);
    expect(summary(result)).toEqual(actions);
    if (reason !== null) expect(result.actions[0]?.reason).toMatch(reason);
  });

  it('replaces one failed server and launches the rest of the shortfall', () => {
    const failed = aServer({ intentId: 'f', state: 'booting', launchedAt: secondsAgo(deadline + 30) });
    const result = planFor([failed, aServer({ intentId: 'ok' })], 3);
    expect(summary(result)).toEqual(['replace f', 'launch 1']);
  });
});

describe('plan: a healthy server that is not needed', () => {
  it('drains it without registering it first', () => {
    const servers = [
      aServer({ intentId: 'old', state: 'in-service', launchedAt: minutesAgo(120) }),
      aServer({ intentId: 'new', state: 'booting', launchedAt: minutesAgo(5), health: { healthy: true } }),
    ];
    expect(summary(planFor(servers, 1))).toEqual(['drain new']);
  });
});

describe('plan: draining servers', () => {
  it.each([
    ['terminates a server whose drain time is over', T0 - SECOND, ['terminate d']],
    ['terminates a server whose drain ends exactly now', T0, ['terminate d']],
    ['waits for a server still draining', T0 + SECOND, []],
  ])('%s', (_name, drainUntil, actions) => {
    const result = planFor([aServer(), aServer({ intentId: 'd', state: 'draining', drainUntil })], 1);
    expect(summary(result)).toEqual(actions);
  });

  it('ignores terminating and terminated servers', () => {
    const servers = [aServer(), aServer({ state: 'terminating' }), aServer({ state: 'terminated' })];
    expect(planFor(servers, 1).actions).toEqual([]);
  });
});

describe('plan: which server retires', () => {
  // Three app servers launched 3 h, 2 h 50 min and 1 h 20 min ago.
  const servers = [
    aServer({ intentId: 'old', launchedAt: minutesAgo(180) }),
    aServer({ intentId: 'mid', launchedAt: minutesAgo(170) }),
    aServer({ intentId: 'new', launchedAt: minutesAgo(80) }),
  ];
  it.each([
    ['newest-first', 'new'],
    ['oldest-first', 'old'],
    // old has just started its fourth hour (60 min left), mid has 10 min left, new has 40.
    ['closest-to-paid-hour-end', 'mid'],
  ])('%s retires %s', (retireOrder, id) => {
    const config = appRole({ lifecycle: { retireOrder } });
    const result = planFor(servers, 2, config);
    expect(summary(result)).toEqual([`drain ${id}`]);
    expect(result.actions[0]?.reason).toBe(`3 servers, 2 desired (${retireOrder})`);
  });

  it('closest-to-paid-hour-end picks the server nearest the end of its hour', () => {
    const config = appRole({ lifecycle: { retireOrder: 'closest-to-paid-hour-end' } });
    const near = [
      aServer({ intentId: 'a', launchedAt: minutesAgo(125) }), // 55 min left
      aServer({ intentId: 'b', launchedAt: minutesAgo(58) }), // 2 min left
      aServer({ intentId: 'c', launchedAt: minutesAgo(10) }), // 50 min left
    ];
    expect(summary(planFor(near, 2, config))).toEqual(['drain b']);
  });

  it('retires several surplus servers in order', () => {
    expect(summary(planFor(servers, 1))).toEqual(['drain new', 'drain mid']);
  });

  it('breaks ties by intent id so plans are deterministic', () => {
    const twins = [
      aServer({ intentId: 'b', launchedAt: T0 - HOUR }),
      aServer({ intentId: 'a', launchedAt: T0 - HOUR }),
    ];
    expect(summary(planFor(twins, 1))).toEqual(['drain a']);
  });

  it('retires a booting server that is not yet healthy before older in-service ones (newest-first)', () => {
    const booting = aServer({ intentId: 'boot', state: 'booting', launchedAt: minutesAgo(2) });
    expect(summary(planFor([...servers, booting], 3))).toEqual(['drain boot']);
  });
});

describe('plan: drain, then terminate', () => {
  const two = [
    aServer({ intentId: 'a', launchedAt: minutesAgo(100) }),
    aServer({ intentId: 'b', launchedAt: minutesAgo(50) }),
  ];
  it.each<[string, Record<string, unknown>, string[]]>([
    ['a role behind a load balancer drains only (terminated later)', {}, ['drain b']],
    [
      'a role without a load balancer terminates at once',
      { loadBalancer: { type: 'none' } },
      ['drain b', 'terminate b'],
    ],
    [
      'a role with no drain time terminates at once',
      { lifecycle: { drainSeconds: 0 } },
      ['drain b', 'terminate b'],
    ],
    [
      'a target group with a drain time drains only',
      {
        loadBalancer: {
          type: 'target-group',
          targetGroupArn:
            'arn:aws:elasticloadbalancing:ca-central-1:123456789012:targetgroup/app/0123456789abcdef',
        },
      },
      ['drain b'],
    ],
  ])('%s', (_name, overrides, actions) => {
    const result = planFor(two, 1, appRole(overrides));
    expect(summary(result)).toEqual(actions);
    if (actions.length === 2) expect(result.actions[1]?.reason).toBe('nothing to drain');
  });

  it('terminates a drained server once its drain time is over', () => {
    const config = appRole();
    const first = planFor(two, 1, config);
    const later = T0 + config.lifecycle.drainSeconds * SECOND;
    const after = applyPlan(two, first, config, () => 'never');
    const second = plan({ role: 'app', now: later, config, desired: desired(1), servers: after });
    expect(summary(second)).toEqual(['terminate b']);
    expect(
      summary(plan({ role: 'app', now: later - 1, config, desired: desired(1), servers: after })),
    ).toEqual([]);
  });
});

describe('plan: hourly billing with a load-balancer drain', () => {
  // Drain 300 s + one tick = 6 minutes, which must end inside the paid hour too.
  const hourlyApp = appRole({ lifecycle: { billing: 'hourly', drainSeconds: 300 } });
  it.each<[string, number, string[], RegExp | null]>([
    [
      'too early in the hour',
      40,
      [],
      /40 minutes into its paid hour; retiring only in the last 10 before its 6-minute drain/,
    ],
    ['early enough for the drain to end in the hour', 50, ['drain b'], null],
    ['the last minute the drain still fits', 53, ['drain b'], null],
    [
      'too late: the drain would spill into the next hour',
      55,
      [],
      /its 6-minute drain would run into the next hour/,
    ],
  ])('%s (%i minutes in)', (_name, minutes, expected, blockedReason) => {
    const servers = [
      aServer({ intentId: 'a', launchedAt: minutesAgo(180 + 20) }),
      aServer({ intentId: 'b', launchedAt: minutesAgo(60 + minutes) }),
    ];
    const result = planFor(servers, 1, hourlyApp);
    expect(summary(result).filter((a) => a !== 'drain a')).toEqual(expected);
    if (blockedReason) expect(result.blocked.map((b) => b.reason).join('\n')).toMatch(blockedReason);
  });
});

describe('plan: what blocks a retire', () => {
  it('the 2010 job rule: the newest extra server at 38 minutes is not retired after 10 quiet minutes', () => {
    const permanent = aServer({
      intentId: 'permanent',
      instanceId: 'i-0aaaaaaaaaaaaaaa1',
      launchedAt: minutesAgo(5 * 60 + 20),
    });
    const extra = aServer({
      intentId: 'extra',
      instanceId: 'i-0bbbbbbbbbbbbbbb2',
      launchedAt: minutesAgo(38),
    });
    const servers = [permanent, extra];
    const queue = demand({
      policy: job.policy ?? fail('job has a policy'),
      queue: job.queue ?? fail('job has a queue'),
      samples: steady(3, 10),
      current: 2,
      floor: 1,
      now: T0,
    });
    expect(queue).toMatchObject({ kind: 'known', servers: 1 });
    const want = desiredCount({
      config: job,
      floor: { servers: 1, reason: 'baseline' },
      demand: queue,
      now: T0,
    });
    const result = plan({ role: 'job', now: T0, config: job, desired: want, servers });

    expect(result.actions.filter((a) => a.kind === 'drain' || a.kind === 'terminate')).toEqual([]);
    expect(result.blocked).toContainEqual({
      kind: 'retire',
      serverId: 'extra',
      reason: 'retire blocked: job server i-0bbbbbbbbbbbbbbb2 has run 38 of 45 minutes',
    });
    // The permanent server is the schedule floor: it is never taken instead.
    expect(result.blocked).toContainEqual({
      kind: 'retire',
      serverId: 'permanent',
      reason:
        "retire blocked: job server i-0aaaaaaaaaaaaaaa1 is in the role's base of 1 (schedule floor 1): it goes only after i-0bbbbbbbbbbbbbbb2, ahead of it in newest-first order",
    });
  });

  it.each<[string, number, boolean, RegExp]>([
    ['44 minutes is younger than 45', 44, false, /has run 44 of 45 minutes/],
    ['44 min 59 s is still younger than 45', 44 + 59 / 60, false, /has run 44 of 45 minutes/],
    ['45 minutes is old enough but only 45 into its hour', 45, false, /45 minutes into its paid hour/],
    ['50 minutes is in the last 10 of its hour', 50, true, /.*/],
    ['59 minutes is in the last 10 of its hour', 59, true, /.*/],
    ['60 minutes starts a new paid hour', 60, false, /0 minutes into its paid hour/],
    ['1 h 49 min is 49 minutes into its hour', 109, false, /49 minutes into its paid hour/],
    ['1 h 52 min is in the last 10 of its second hour', 112, true, /.*/],
  ])('job server (hourly, min 45 min): %s', (_name, ageMinutes, retires, reason) => {
    const servers = [
      aServer({ intentId: 'candidate', launchedAt: T0 - Math.round(ageMinutes * MINUTE) }),
      aServer({ intentId: 'permanent', launchedAt: minutesAgo(5 * 60 + 20) }),
    ];
    const result = plan({ role: 'job', now: T0, config: job, desired: desired(1), servers });
    if (retires) {
      expect(summary(result)).toEqual(['drain candidate', 'terminate candidate']);
    } else {
      expect(result.actions).toEqual([]);
      expect(result.blocked.find((b) => b.serverId === 'candidate')?.reason).toMatch(reason);
    }
  });

  it('skips a blocked extra and retires the next eligible extra, reporting the skip', () => {
    const servers = [
      aServer({ intentId: 'young', launchedAt: minutesAgo(38) }),
      aServer({ intentId: 'due', launchedAt: minutesAgo(55) }),
      aServer({ intentId: 'permanent', launchedAt: minutesAgo(5 * 60 + 20) }),
    ];
    const want = desired(2, { floor: 1 });
    const result = plan({ role: 'job', now: T0, config: job, desired: want, servers });
    expect(summary(result)).toEqual(['drain due', 'terminate due']);
    expect(result.blocked).toEqual([expect.objectContaining({ kind: 'retire', serverId: 'young' })]);
  });

  it('with per-second billing only the minimum lifetime blocks', () => {
    const config = jobRole({ lifecycle: { billing: 'per-second' } });
    const servers = [
      aServer({ intentId: 'a', launchedAt: minutesAgo(46) }),
      aServer({ intentId: 'b', launchedAt: minutesAgo(70) }),
    ];
    expect(summary(plan({ role: 'job', now: T0, config, desired: desired(0), servers }))).toEqual([
      'drain a',
      'terminate a',
      'drain b',
      'terminate b',
    ]);
  });

  it('names a server without an instance id by its intent', () => {
    const pending = aServer({
      intentId: 'intent-7',
      instanceId: undefined,
      state: 'pending',
      launchedAt: undefined,
      createdAt: minutesAgo(3),
    });
    const result = plan({ role: 'job', now: T0, config: job, desired: desired(0), servers: [pending] });
    expect(result.blocked[0]?.reason).toBe(
      'retire blocked: job server intent intent-7 has run 3 of 45 minutes',
    );
  });

  it('never retires a launch EC2 has not reported yet', () => {
    const servers = [
      aServer({ intentId: 'in' }),
      aServer({ intentId: 'l1', state: 'launching' }),
      aServer({ intentId: 'l2', state: 'launching' }),
    ];
    const result = planFor(servers, 0);
    expect(summary(result)).toEqual(['drain in']);
    expect(result.blocked).toEqual([
      { kind: 'retire', reason: '2 surplus launch(es) not yet reported by EC2' },
    ]);
  });
});

describe('plan: the permanent base is never retired in place of a blocked extra', () => {
  // The job role's permanent server (the schedule floor of 1) and the extras the queue added.
  const perSecond = jobRole({ lifecycle: { billing: 'per-second', minLifetimeMinutes: 45 } });
  const permanent = () => aServer({ intentId: 'permanent', launchedAt: minutesAgo(5 * 60 + 55) });
  const extra = (intentId: string, ageMinutes: number) =>
    aServer({ intentId, launchedAt: minutesAgo(ageMinutes) });
  const floorOf = (count: number, floor: number) => desired(count, { floor });
  const drained = (result: Plan) => result.actions.filter((a) => a.kind === 'drain').map((a) => a.serverId);

  it.each<[string, RoleConfig, () => ObservedServer[], DesiredDecision, string[]]>([
    [
      'both extras younger than their minimum lifetime: nothing retires',
      perSecond,
      () => [permanent(), extra('e1', 10), extra('e2', 20)],
      floorOf(1, 1),
      [],
    ],
    [
      'the newest extra blocked, the older one due: only the older extra retires',
      perSecond,
      () => [permanent(), extra('e1', 10), extra('e2', 50)],
      floorOf(1, 1),
      ['e2'],
    ],
    [
      'hourly: the extra early in its paid hour, the permanent server in its last minutes',
      jobRole(),
      () => [permanent(), extra('e1', 60 + 20)],
      floorOf(1, 1),
      [],
    ],
    [
      'a launch EC2 has not reported yet is newer than the permanent server',
      perSecond,
      () => [permanent(), aServer({ intentId: 'l1', state: 'launching' })],
      floorOf(1, 1),
      [],
    ],
    [
      'an operator max below the floor: the permanent server waits for the extra',
      perSecond,
      () => [permanent(), extra('e1', 10)],
      floorOf(0, 1),
      [],
    ],
    [
      'an operator max below the floor: both go once the extra may',
      perSecond,
      () => [permanent(), extra('e1', 50)],
      floorOf(0, 1),
      ['e1', 'permanent'],
    ],
    [
      'a floor of two keeps the two oldest while the newest extra is blocked',
      perSecond,
      () => [permanent(), extra('window', 3 * 60), extra('e1', 10)],
      floorOf(2, 2),
      [],
    ],
    [
      'oldest-first keeps the newest for the floor while the oldest waits for its paid hour',
      jobRole({ lifecycle: { retireOrder: 'oldest-first' } }),
      () => [extra('old', 3 * 60 + 20), extra('new', 60 + 55)],
      floorOf(1, 1),
      [],
    ],
    [
      'ranked by the paid hour no server is permanent: the next one in its last minutes goes',
      jobRole({ lifecycle: { retireOrder: 'closest-to-paid-hour-end', minLifetimeMinutes: 60 } }),
      () => [extra('young', 55), extra('due', 2 * 60 + 52)],
      floorOf(1, 1),
      ['due'],
    ],
  ])('%s', (_name, config, servers, want, expected) => {
    const result = plan({ role: 'job', now: T0, config, desired: want, servers: servers() });
    expect(drained(result)).toEqual(expected);
  });

  it('reports why the permanent server is kept', () => {
    const result = plan({
      role: 'job',
      now: T0,
      config: perSecond,
      desired: floorOf(1, 1),
      servers: [
        aServer({ intentId: 'permanent', instanceId: 'i-0aaaaaaaaaaaaaaa1', launchedAt: minutesAgo(300) }),
        aServer({ intentId: 'e1', instanceId: 'i-0bbbbbbbbbbbbbbb2', launchedAt: minutesAgo(10) }),
      ],
    });
    expect(result.blocked).toEqual([
      {
        kind: 'retire',
        serverId: 'e1',
        reason: 'retire blocked: job server i-0bbbbbbbbbbbbbbb2 has run 10 of 45 minutes',
      },
      {
        kind: 'retire',
        serverId: 'permanent',
        reason:
          "retire blocked: job server i-0aaaaaaaaaaaaaaa1 is in the role's base of 1 (schedule floor 1): it goes only after i-0bbbbbbbbbbbbbbb2, ahead of it in newest-first order",
      },
    ]);
  });

  it('keeps the On-Demand base of a Spot role while a Spot server ahead of it is blocked', () => {
    const spotJob = jobRole({
      launch: { market: 'spot', onDemandBase: 1 },
      lifecycle: { billing: 'per-second', minLifetimeMinutes: 45 },
    });
    const base = aServer({ intentId: 'base', market: 'on-demand', launchedAt: minutesAgo(300) });
    const spot = aServer({ intentId: 'spot', market: 'spot', launchedAt: minutesAgo(10) });
    const result = plan({
      role: 'job',
      now: T0,
      config: spotJob,
      desired: floorOf(0, 0),
      servers: [base, spot],
    });
    expect(drained(result)).toEqual([]);
  });
});

describe('applyPlan then plan again: nothing left to do', () => {
  const deadline = app.health.bootDeadlineSeconds;
  it.each<[string, ObservedServer[], number, RoleConfig]>([
    ['launching the shortfall', [aServer()], 3, app],
    [
      'registering, replacing and terminating drained servers',
      [
        aServer({ state: 'booting', health: { healthy: true } }),
        aServer({ state: 'booting', launchedAt: secondsAgo(deadline + 5) }),
        aServer({ state: 'draining', drainUntil: T0 - 1 }),
      ],
      2,
      app,
    ],
    ['retiring behind a load balancer', [aServer(), aServer(), aServer()], 1, app],
    [
      'retiring without a load balancer',
      [aServer(), aServer(), aServer()],
      1,
      appRole({ loadBalancer: { type: 'none' } }),
    ],
    [
      'a retire partly blocked by the minimum lifetime',
      [aServer({ launchedAt: minutesAgo(10) }), aServer({ launchedAt: minutesAgo(55) }), aServer()],
      0,
      job,
    ],
    [
      'a failed server terminated as surplus',
      [aServer({ state: 'pending', launchedAt: secondsAgo(deadline + 5) }), aServer(), aServer()],
      1,
      app,
    ],
  ])('%s', (_name, servers, count, config) => {
    let n = 0;
    const first = plan({ role: 'app', now: T0, config, desired: desired(count), servers });
    expect(first.actions).not.toEqual([]);
    const after = applyPlan(servers, first, config, () => `new-${++n}`);
    const again = plan({ role: 'app', now: T0, config, desired: desired(count), servers: after });
    expect(again.actions).toEqual([]);
  });

  it('records the new state, version and reason of every server it moves', () => {
    const servers = [
      aServer({ intentId: 'a', version: 4 }),
      aServer({ intentId: 'b', launchedAt: minutesAgo(30) }),
    ];
    const result = planFor(servers, 1);
    const after = applyPlan(servers, result, app, () => 'x');
    expect(after.find((s) => s.intentId === 'b')).toMatchObject({
      state: 'draining',
      registered: false,
      drainUntil: T0 + app.lifecycle.drainSeconds * SECOND,
      stateSince: T0,
      version: 2,
    });
    expect(after.find((s) => s.intentId === 'a')).toMatchObject({ state: 'in-service', version: 4 });
  });

  it('rejects a plan naming a server it does not know', () => {
    const bogus: Plan = {
      role: 'app',
      at: T0,
      desired: desired(1),
      blocked: [],
      actions: [{ kind: 'drain', serverId: 'ghost', reason: 'x' }],
    };
    expect(() => applyPlan([], bogus, app, () => 'x')).toThrow(/unknown server ghost/);
  });
});

function fail(message: string): never {
  throw new Error(message);
}
