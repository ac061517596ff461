/**
 * Properties of demand -> desiredCount -> plan -> applyPlan over arbitrary valid role settings,
 * servers, queue samples, overrides and schedule floors.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HealthCheckSchema,
  LifecycleSchema,
  LoadBalancerSchema,
  PolicySchema,
  type RoleConfig,
} from '../../domain/config.js';
import { type DemandResult, demand } from '../../domain/demand.js';
import { ConfigError } from '../../domain/errors.js';
import { applyPlan, desiredCount, overrideActive, type PlanInput, plan } from '../../domain/planner.js';
import { serverAge } from '../../domain/retire.js';
import {
  CAPACITY_STATES,
  type DesiredDecision,
  LIFECYCLE_STATES,
  type ObservedServer,
  type Plan,
  type QueueSample,
  type RoleBounds,
  type ServerRecord,
} from '../../domain/types.js';
import { testConfig } from '../../fakes/config.js';
import { MINUTE, SECOND, T0 } from '../support/builders.js';

const RUNS = { numRuns: 300 };

type Role = Pick<RoleConfig, 'min' | 'max' | 'health' | 'lifecycle' | 'loadBalancer' | 'policy'> & {
  queue: { maxSampleAgeSeconds: number };
};

const policyArb = fc.oneof(
  fc
    .record({
      scaleInBelow: fc.integer({ min: 0, max: 30 }),
      over: fc.integer({ min: 0, max: 30 }),
      maxExtra: fc.integer({ min: 0, max: 4 }),
      step: fc.integer({ min: 1, max: 3 }),
      stabilizationSeconds: fc.constantFrom(0, 30, 120, 300, 600),
    })
    .map(({ over, ...p }) => ({ type: 'threshold' as const, ...p, scaleOutAbove: p.scaleInBelow + over })),
  fc.record({
    type: fc.constant('backlog-per-server' as const),
    targetPerServer: fc.integer({ min: 1, max: 50 }),
    maxExtra: fc.integer({ min: 0, max: 4 }),
    stabilizationSeconds: fc.constantFrom(0, 30, 120, 300, 600),
  }),
);

const roleArb: fc.Arbitrary<Role> = fc
  .record({
    min: fc.integer({ min: 0, max: 4 }),
    span: fc.integer({ min: 0, max: 6 }),
    policy: policyArb,
    maxSampleAgeSeconds: fc.constantFrom(30, 90, 180, 300),
    bootDeadlineSeconds: fc.constantFrom(30, 300, 900),
    lifecycle: fc.record({
      minLifetimeMinutes: fc.constantFrom(0, 10, 45, 90),
      drainSeconds: fc.constantFrom(0, 60, 300, 3600),
      retireOrder: fc.constantFrom('newest-first', 'oldest-first', 'closest-to-paid-hour-end'),
      billing: fc.constantFrom('hourly', 'per-second'),
      retireInLastMinutesOfHour: fc.constantFrom(1, 10, 30, 60),
    }),
    loadBalancer: fc.constantFrom({ type: 'none' }, { type: 'classic', name: 'smallpayroll-http' }),
  })
  .map((r) => ({
    min: r.min,
    max: Math.max(1, r.min + r.span),
    // Parsed, so every generated setting is one the config schema accepts.
    policy: PolicySchema.parse(r.policy),
    queue: { maxSampleAgeSeconds: r.maxSampleAgeSeconds },
    health: HealthCheckSchema.parse({
      urlTemplate: 'http://{privateIp}/',
      expectText: 'welcome',
      timeoutMs: 5000,
      bootDeadlineSeconds: r.bootDeadlineSeconds,
    }),
    lifecycle: LifecycleSchema.parse(r.lifecycle),
    loadBalancer: LoadBalancerSchema.parse(r.loadBalancer),
  }));

const healthArb = fc.option(
  fc.oneof(
    fc.constant({ healthy: true as const }),
    fc.constant({ healthy: false as const, reason: 'no "welcome" in body' }),
  ),
  { nil: undefined },
);

/** Up to 9 servers of any state, age (0-4 h) and health; ids are unique. */
const serversArb: fc.Arbitrary<ObservedServer[]> = fc
  .array(
    fc.record({
      // Mostly in service, as in a running fleet, but every state appears.
      state: fc.oneof(
        { arbitrary: fc.constant('in-service' as const), weight: 2 },
        { arbitrary: fc.constantFrom(...LIFECYCLE_STATES), weight: 3 },
      ),
      ageSeconds: fc.oneof(fc.integer({ min: 0, max: 4 * 3600 }), fc.constantFrom(0, 2700, 3000, 3600)),
      launchReported: fc.boolean(),
      health: healthArb,
      drainOffsetSeconds: fc.integer({ min: -600, max: 600 }),
    }),
    { maxLength: 9 },
  )
  .map((specs) =>
    specs.map((spec, i): ObservedServer => {
      const started = T0 - spec.ageSeconds * SECOND;
      const launching = spec.state === 'launching';
      return {
        role: 'job',
        intentId: `intent-${i}`,
        state: spec.state,
        createdAt: started,
        stateSince: started,
        registered: spec.state === 'in-service',
        version: 1,
        ...(launching ? {} : { instanceId: `i-${i.toString(16).padStart(8, '0')}` }),
        ...(launching || !spec.launchReported ? {} : { launchedAt: started }),
        ...(spec.health === undefined ? {} : { health: spec.health }),
        ...(spec.state === 'draining' ? { drainUntil: T0 + spec.drainOffsetSeconds * SECOND } : {}),
      };
    }),
  );

/** Queue lengths, mostly around the scale-in threshold so that quiet windows happen. */
const lengthArb = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 5 }), weight: 3 },
  { arbitrary: fc.integer({ min: 0, max: 60 }), weight: 1 },
);

/** A probe series (every `every` s, the newest `lastAge` s old) with some failed readings, or noise. */
const samplesArb: fc.Arbitrary<QueueSample[]> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .record({
        lengths: fc.array(fc.option(lengthArb, { freq: 15, nil: null }), { maxLength: 15 }),
        every: fc.constantFrom(20, 60, 120),
        lastAge: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 600 })),
      })
      .map(({ lengths, every, lastAge }) =>
        lengths.map((length, i) => ({
          at: T0 - (lastAge + (lengths.length - 1 - i) * every) * SECOND,
          length,
          ...(length === null ? { error: 'probe timed out' } : {}),
        })),
      ),
  },
  {
    weight: 1,
    arbitrary: fc.array(
      fc.record({
        at: fc.integer({ min: T0 - 900 * SECOND, max: T0 + 60 * SECOND }),
        length: fc.option(lengthArb, { freq: 5, nil: null }),
      }),
      { maxLength: 10 },
    ),
  },
);

const overrideArb: fc.Arbitrary<RoleBounds | undefined> = fc.option(
  fc.record(
    {
      min: fc.integer({ min: 0, max: 10 }),
      max: fc.integer({ min: 0, max: 10 }),
      expiresAt: fc.integer({ min: T0 - 3600 * SECOND, max: T0 + 3600 * SECOND }),
    },
    { requiredKeys: [] },
  ),
  { freq: 2, nil: undefined },
);

const scenarioArb = fc.record({
  role: roleArb,
  servers: serversArb,
  samples: samplesArb,
  override: overrideArb,
  paused: fc.oneof({ arbitrary: fc.constant(false), weight: 9 }, { arbitrary: fc.constant(true), weight: 1 }),
  floorRaw: fc.integer({ min: 0, max: 1000 }),
  withQueue: fc.boolean(),
});

interface Outcome {
  role: Role;
  servers: ObservedServer[];
  samples: QueueSample[];
  override: RoleBounds | undefined;
  floor: number;
  capacity: number;
  queue: DemandResult | undefined;
  desired: DesiredDecision;
  input: PlanInput;
  result: Plan;
}

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function run(scenario: Scenario): Outcome {
  const { role, servers, samples, override, paused, withQueue } = scenario;
  // Schedule floors are validated to be <= max.
  const floor = scenario.floorRaw % (role.max + 1);
  const capacity = servers.filter((s) => CAPACITY_STATES.has(s.state)).length;
  const queue =
    withQueue && role.policy !== undefined
      ? demand({ policy: role.policy, queue: role.queue, samples, current: capacity, floor, now: T0 })
      : undefined;
  const desired = desiredCount({
    config: role,
    floor: { servers: floor, reason: 'schedule' },
    ...(queue === undefined ? {} : { demand: queue }),
    ...(override === undefined ? {} : { override }),
    now: T0,
  });
  const input: PlanInput = {
    role: 'job',
    now: T0,
    config: role,
    desired,
    servers,
    ...(paused ? { paused: { reason: 'paused by operator' } } : {}),
  };
  return {
    role,
    servers,
    samples,
    override,
    floor,
    capacity,
    queue,
    desired,
    input,
    result: plan(input),
  };
}

/** Booting or pending past the boot deadline without a passed health check: replaced, not retired. */
function failed(server: ObservedServer, role: Role): boolean {
  if (server.state !== 'booting' && server.state !== 'pending') return false;
  if (server.state === 'booting' && server.health?.healthy === true) return false;
  return serverAge(server, T0) > role.health.bootDeadlineSeconds * SECOND;
}

function capacityOf(servers: readonly ServerRecord[]): number {
  return servers.filter((s) => CAPACITY_STATES.has(s.state)).length;
}

function applied(o: Outcome): ServerRecord[] {
  let n = 0;
  return applyPlan(o.servers, o.result, o.role, () => `new-${++n}`);
}

/** The newest sample at or before now is missing, unknown or older than the probe's age limit. */
function latestUnknown(samples: readonly QueueSample[], maxAgeSeconds: number): boolean {
  const seen = samples.filter((s) => s.at <= T0).sort((a, b) => a.at - b.at);
  const latest = seen.at(-1);
  return latest === undefined || latest.length === null || T0 - latest.at > maxAgeSeconds * SECOND;
}

describe('planner properties', () => {
  it('(1) desired is within [min, max], and within an active override max', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { desired, role, override } = run(scenario);
        const active = overrideActive(override, T0) ? override : undefined;
        expect(desired.count).toBeLessThanOrEqual(role.max);
        if (active?.max !== undefined) expect(desired.count).toBeLessThanOrEqual(active.max);
        // An operator's max below the configured min wins (the design caps by override.max last).
        const lowest = active?.max === undefined ? role.min : Math.min(role.min, active.max);
        expect(desired.count).toBeGreaterThanOrEqual(lowest);
        expect(Number.isInteger(desired.count)).toBe(true);
      }),
      RUNS,
    );
  });

  it('(2) the plan never retires below desired, and desired never below the schedule floor', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const o = run(scenario);
        if (o.input.paused !== undefined) return;
        const before = o.capacity;
        const afterCapacity = capacityOf(applied(o));
        expect(afterCapacity).toBeGreaterThanOrEqual(o.desired.count);
        // Launches cover exactly the shortfall: nothing is launched beyond desired.
        if (before <= o.desired.count) expect(afterCapacity).toBe(o.desired.count);
        const active = overrideActive(o.override, T0) ? o.override : undefined;
        if (active?.max === undefined) {
          expect(o.desired.count).toBeGreaterThanOrEqual(o.floor);
          expect(afterCapacity).toBeGreaterThanOrEqual(Math.min(o.floor, before));
        }
      }),
      RUNS,
    );
  });

  it('(3) never retires a working server younger than its minimum lifetime or, hourly, early in its hour', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const o = run(scenario);
        const byId = new Map(o.servers.map((s) => [s.intentId, s]));
        const { lifecycle } = o.role;
        for (const action of o.result.actions) {
          if (action.kind !== 'drain' && action.kind !== 'terminate') continue;
          const server = byId.get(action.serverId);
          if (server === undefined) throw new Error(`unknown server ${action.serverId}`);
          if (!CAPACITY_STATES.has(server.state) || failed(server, o.role)) continue;
          expect(server.state).not.toBe('launching');
          const age = serverAge(server, T0);
          expect(Math.floor(age / MINUTE)).toBeGreaterThanOrEqual(lifecycle.minLifetimeMinutes);
          if (lifecycle.billing === 'hourly') {
            // In the last minutes of the paid hour, and early enough for a load-balancer drain (and
            // the tick that terminates after it) to end inside that hour.
            const used = Math.floor((age % (60 * MINUTE)) / MINUTE);
            const waits = o.role.loadBalancer.type !== 'none' && lifecycle.drainSeconds > 0;
            const tail = waits ? Math.ceil(lifecycle.drainSeconds / 60) + 1 : 0;
            expect(used).toBeGreaterThanOrEqual(60 - lifecycle.retireInLastMinutesOfHour - tail);
            expect(used + tail).toBeLessThanOrEqual(59);
          }
        }
      }),
      RUNS,
    );
  });

  it('(4) never scales in on an unknown or stale latest sample', () => {
    fc.assert(
      fc.property(
        scenarioArb.filter((s) => s.withQueue && latestUnknown(s.samples, s.role.queue.maxSampleAgeSeconds)),
        (scenario) => {
          const o = run(scenario);
          expect(o.queue?.kind).toBe('hold');
          expect(o.queue?.servers).toBe(o.capacity);
          expect(o.desired.hold).toBe(o.queue?.reason);
          const active = overrideActive(o.override, T0) ? o.override : undefined;
          if (o.capacity <= o.role.max && active?.max === undefined) {
            expect(o.desired.count).toBeGreaterThanOrEqual(o.capacity);
            expect(o.result.actions.filter((a) => a.kind === 'drain')).toEqual([]);
          }
        },
      ),
      RUNS,
    );
  });

  it('(4b) scales in only on known, agreeing samples that cover the whole window, from the one at or before its start', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const o = run(scenario);
        if (o.queue?.kind !== 'known' || o.queue.servers >= o.capacity) return;
        const policy = o.role.policy;
        if (policy === undefined) throw new Error('a queue decision needs a policy');
        const maxGap = o.role.queue.maxSampleAgeSeconds * SECOND;
        const seen = o.samples.filter((s) => s.at <= T0).sort((a, b) => a.at - b.at);
        const start = T0 - policy.stabilizationSeconds * SECOND;
        const atStart = seen.findLastIndex((s) => s.at <= start);
        // The evidence reaches back to the window's start: a sample at or before it, then the rest.
        expect(atStart).toBeGreaterThanOrEqual(0);
        const evidence = seen.slice(atStart);
        let previous = evidence[0]?.at ?? start;
        for (const sample of [...evidence, { at: T0, length: 0 }]) {
          expect(sample.at - previous).toBeLessThanOrEqual(maxGap);
          previous = sample.at;
        }
        for (const { length } of evidence) {
          expect(length === null ? -1 : length).toBeGreaterThanOrEqual(0);
          expect(Number.isSafeInteger(length)).toBe(true);
          // Every reading of the window is low: under the threshold, or asking for no more servers.
          if (policy.type === 'threshold') expect(length).toBeLessThan(policy.scaleInBelow);
          else if (policy.type === 'backlog-per-server') {
            const asked = Math.min(policy.maxExtra, Math.ceil((length ?? 0) / policy.targetPerServer));
            expect(o.queue.servers).toBeGreaterThanOrEqual(o.floor + asked);
          }
        }
        // The threshold rule scales in straight to the floor (lifetime and billing rules pace it).
        if (policy.type === 'threshold') expect(o.queue.servers).toBe(o.floor);
        expect(o.queue.servers).toBeGreaterThanOrEqual(o.floor);
      }),
      RUNS,
    );
  });

  it('(4c) the queue never asks for more than maxExtra above the floor, unless that many already run', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const o = run(scenario);
        if (o.queue === undefined || o.role.policy === undefined) return;
        expect(o.queue.servers).toBeLessThanOrEqual(Math.max(o.capacity, o.floor + o.role.policy.maxExtra));
      }),
      RUNS,
    );
  });

  it('(5) planning is idempotent: plan, apply, plan again at the same instant -> nothing to do', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const o = run(scenario);
        const again = plan({ ...o.input, servers: applied(o) });
        expect(again.actions).toEqual([]);
      }),
      RUNS,
    );
  });

  it('(6) actions and blocks name only observed servers; launches are positive; paused does nothing', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const o = run(scenario);
        const ids = new Set(o.servers.map((s) => s.intentId));
        for (const action of o.result.actions) {
          if (action.kind === 'launch' || action.kind === 'warm' || action.kind === 'start') {
            expect(Number.isInteger(action.count)).toBe(true);
            expect(action.count).toBeGreaterThan(0);
            if (action.kind === 'start') {
              for (const id of action.candidates) expect(ids.has(id)).toBe(true);
            }
          } else {
            expect(ids.has(action.serverId)).toBe(true);
          }
          expect(action.reason.length).toBeGreaterThan(0);
        }
        for (const block of o.result.blocked) {
          if (block.serverId !== undefined) expect(ids.has(block.serverId)).toBe(true);
          expect(block.reason.length).toBeGreaterThan(0);
        }
        if (o.input.paused !== undefined) {
          expect(o.result.actions).toEqual([]);
          expect(o.result.blocked[0]?.reason).toMatch(/paused/);
        }
      }),
      RUNS,
    );
  });

  it('(7) with more servers than desired, some server is retired once enough time passes', () => {
    fc.assert(
      fc.property(validLifecycleRoleArb, retirableArb, (role, { ages, desired, floor }) => {
        const servers = ages.map((minutes, i) =>
          aServerStarted(`keep-${i}`, T0 - minutes * MINUTE, role.loadBalancer.type !== 'none'),
        );
        const count = desired % servers.length;
        const decision: DesiredDecision = {
          count,
          // Any schedule floor up to desired: the permanent servers never stall the retirements.
          floor: floor % (count + 1),
          demand: null,
          reasons: [],
        };
        // Past the minimum lifetime, a whole paid hour is tried minute by minute.
        const minutes = role.lifecycle.minLifetimeMinutes + 61;
        const retiredAt = Array.from({ length: minutes }, (_, m) => T0 + m * MINUTE).find((now) =>
          plan({ role: 'job', now, config: role, desired: decision, servers }).actions.some(
            (a) => a.kind === 'drain' || a.kind === 'terminate',
          ),
        );
        expect(retiredAt, 'no retirement within the minimum lifetime and one paid hour').toBeDefined();
      }),
      RUNS,
    );
  });

  it('(8) newest-first: a server of the schedule floor is retired only together with every newer one', () => {
    fc.assert(
      fc.property(
        scenarioArb.map((s) => ({
          ...s,
          role: { ...s.role, lifecycle: { ...s.role.lifecycle, retireOrder: 'newest-first' as const } },
        })),
        (scenario) => {
          const o = run(scenario);
          const started = (s: ServerRecord) => s.launchedAt ?? s.createdAt;
          // Servers that work or are on their way (not ones past their boot deadline, which are replaced).
          const working = o.servers.filter((s) => CAPACITY_STATES.has(s.state) && !failed(s, o.role));
          // Which of two servers started at the same instant is the permanent one is a tie rule.
          if (new Set(working.map(started)).size < working.length) return;
          const retired = new Set(
            o.result.actions.flatMap((a) =>
              a.kind === 'drain' || a.kind === 'terminate' ? [a.serverId] : [],
            ),
          );
          for (const server of working) {
            const older = working.filter((s) => started(s) < started(server)).length;
            if (older >= o.desired.floor || !retired.has(server.intentId)) continue;
            // One of the `floor` oldest went: every newer server goes in the same plan.
            const newer = working.filter((s) => started(s) > started(server));
            expect(newer.filter((s) => !retired.has(s.intentId)).map((s) => s.intentId)).toEqual([]);
          }
        },
      ),
      RUNS,
    );
  });
});

/** Lifecycle and load-balancer settings over their whole ranges, kept only when the config accepts them. */
const validLifecycleRoleArb: fc.Arbitrary<RoleConfig> = fc
  .record({
    lifecycle: fc.record({
      minLifetimeMinutes: fc.integer({ min: 0, max: 120 }),
      drainSeconds: fc.oneof(
        fc.integer({ min: 0, max: 3600 }),
        fc.constantFrom(0, 3480, 3481, 3540, 3541, 3600),
      ),
      retireOrder: fc.constantFrom('newest-first', 'oldest-first', 'closest-to-paid-hour-end'),
      billing: fc.constantFrom('hourly', 'per-second'),
      retireInLastMinutesOfHour: fc.integer({ min: 1, max: 60 }),
    }),
    loadBalancer: fc.constantFrom({ type: 'none' }, { type: 'classic', name: 'smallpayroll-http' }),
  })
  .map((job) => {
    try {
      return testConfig({ roles: { job } }).roles.job;
    } catch (error) {
      if (error instanceof ConfigError) return undefined;
      throw error;
    }
  })
  .filter((role): role is RoleConfig => role !== undefined);

/** 1-6 servers in service, of any age up to 4 h, and a desired count (and floor) below theirs. */
const retirableArb = fc.record({
  ages: fc.array(fc.integer({ min: 0, max: 240 }), { minLength: 1, maxLength: 6 }),
  desired: fc.nat(),
  floor: fc.nat(),
});

function aServerStarted(intentId: string, started: number, registered: boolean): ObservedServer {
  return {
    role: 'job',
    intentId,
    instanceId: `i-${intentId}`,
    state: 'in-service',
    createdAt: started,
    launchedAt: started,
    stateSince: started,
    registered,
    version: 1,
  };
}
