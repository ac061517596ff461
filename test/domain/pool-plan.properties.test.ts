/**
 * Properties of a plan with a warm pool over arbitrary pools (size, refresh, return on scale-in),
 * markets, fresh and stale pool servers in every state, serving servers and desired counts. Each
 * states what must hold from the outside; none re-derives the planner's arithmetic.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RoleConfig } from '../../domain/config.js';
import { applyPlan, plan } from '../../domain/planner.js';
import {
  CAPACITY_STATES,
  LIFECYCLE_STATES,
  type ObservedServer,
  POOL_STATES,
  type ServerRecord,
} from '../../domain/types.js';
import { launchSpec, type PoolInput, staleness } from '../../domain/warm-pool.js';
import { jobRole, MINUTE, SECOND, T0 } from '../support/builders.js';

const RUNS = { numRuns: 400 };
const HOUR = 60 * MINUTE;

const settingsArb = fc.record({
  size: fc.integer({ min: 0, max: 4 }),
  refreshPerTick: fc.integer({ min: 1, max: 3 }),
  returnOnScaleIn: fc.boolean(),
  market: fc.constantFrom('on-demand' as const, 'spot' as const, 'spot-then-on-demand' as const),
  loadBalancer: fc.constantFrom('none', 'classic'),
});

type Settings = typeof settingsArb extends fc.Arbitrary<infer T> ? T : never;

function roleFor(s: Settings): RoleConfig {
  return jobRole({
    lifecycle: { billing: 'per-second', minLifetimeMinutes: 0, drainSeconds: 300 },
    launch: { market: s.market, onDemandBase: s.market === 'on-demand' ? 0 : 1 },
    loadBalancer:
      s.loadBalancer === 'none' ? { type: 'none' } : { type: 'classic', name: 'smallpayroll-http' },
    warmPool: { size: s.size, refreshPerTick: s.refreshPerTick, returnOnScaleIn: s.returnOnScaleIn },
  });
}

const serverArb = fc.record({
  state: fc.oneof(
    { arbitrary: fc.constantFrom('warm' as const, 'in-service' as const), weight: 3 },
    { arbitrary: fc.constantFrom(...LIFECYCLE_STATES), weight: 2 },
  ),
  ageMinutes: fc.integer({ min: 0, max: 240 }),
  stale: fc.constantFrom('fresh', 'fresh', 'image', 'age'),
  market: fc.constantFrom('on-demand' as const, 'spot' as const),
  bridge: fc.boolean(),
  healthy: fc.option(fc.boolean(), { nil: undefined }),
  drainOffsetSeconds: fc.integer({ min: -600, max: 600 }),
  orphan: fc.boolean(),
});

const scenarioArb = fc.record({
  settings: settingsArb,
  servers: fc.array(serverArb, { maxLength: 10 }),
  desired: fc.integer({ min: 0, max: 6 }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function build(scenario: Scenario) {
  const role = roleFor(scenario.settings);
  const spec = launchSpec('job', role);
  const servers = scenario.servers.map((s, i): ObservedServer => {
    const started = T0 - s.ageMinutes * MINUTE;
    const launching = s.state === 'launching';
    return {
      role: 'job',
      intentId: `intent-${i}`,
      state: s.state,
      createdAt: s.stale === 'age' ? T0 - 200 * HOUR : started,
      stateSince: started,
      registered: s.state === 'in-service',
      version: 1,
      image: s.stale === 'image' ? 'ami-0fffffffffffffff0' : spec.image,
      userDataDigest: spec.userDataDigest,
      // The pool holds On-Demand servers only.
      market: POOL_STATES.has(s.state) ? 'on-demand' : s.market,
      ...(launching
        ? {}
        : {
            instanceId: `i-${i.toString(16).padStart(8, '0')}`,
            launchedAt: started,
            instanceType: 'c5.large',
          }),
      ...(s.bridge && CAPACITY_STATES.has(s.state) ? { bridge: true, market: 'on-demand' as const } : {}),
      ...(s.healthy === undefined
        ? {}
        : { health: s.healthy ? { healthy: true } : { healthy: false, reason: 'refused' } }),
      ...(s.state === 'draining' ? { drainUntil: T0 + s.drainOffsetSeconds * SECOND, orphan: s.orphan } : {}),
    };
  });
  const pool: PoolInput = {
    size: scenario.settings.size,
    reason: 'warmPool.size',
    ...(role.warmPool === undefined ? {} : { settings: role.warmPool }),
    spec,
    instanceTypes: role.launch.instanceTypes,
  };
  const result = plan({
    role: 'job',
    now: T0,
    config: role,
    desired: { count: scenario.desired, floor: 0, demand: null, reasons: ['test'] },
    servers,
    pool,
  });
  let n = 0;
  const after = applyPlan(servers, result, role, () => `new-${++n}`);
  return { role, servers, pool, result, after };
}

const capacity = (list: readonly ServerRecord[]) =>
  list.filter((s) => CAPACITY_STATES.has(s.state) && s.bridge !== true).length;
const inPool = (list: readonly ServerRecord[]) => list.filter((s) => POOL_STATES.has(s.state)).length;
const warm = (list: readonly ServerRecord[]) => list.filter((s) => s.state === 'warm').length;

describe('plan with a warm pool: properties', () => {
  it('a server in the pool is never registered, before or after the plan', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { servers, result, after } = build(scenario);
        const pooled = new Set(servers.filter((s) => POOL_STATES.has(s.state)).map((s) => s.intentId));
        for (const action of result.actions) {
          if (action.kind === 'register') expect(pooled.has(action.serverId)).toBe(false);
        }
        for (const server of after) if (POOL_STATES.has(server.state)) expect(server.registered).toBe(false);
      }),
      RUNS,
    );
  });

  it('never starts and launches more servers than the shortfall (bridges aside)', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { servers, after } = build(scenario);
        const before = capacity(servers);
        expect(capacity(after)).toBeLessThanOrEqual(Math.max(before, scenario.desired));
        if (before <= scenario.desired) expect(capacity(after)).toBe(scenario.desired);
      }),
      RUNS,
    );
  });

  it('starts only warm servers it may start, and no more than asked', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { servers, pool, result } = build(scenario);
        const byId = new Map(servers.map((s) => [s.intentId, s]));
        const starts = result.actions.flatMap((a) => (a.kind === 'start' ? [a] : []));
        const named = starts.flatMap((a) => a.candidates.slice(0, a.count));
        expect(new Set(named).size).toBe(named.length);
        for (const action of starts) {
          expect(action.count).toBeLessThanOrEqual(action.candidates.length);
          for (const id of action.candidates) {
            const server = byId.get(id);
            expect(server?.state).toBe('warm');
            expect(staleness(server as ServerRecord, pool, T0).unstartable).toBe(false);
          }
        }
      }),
      RUNS,
    );
  });

  it('a refresh or a trim never leaves fewer warm servers than the size', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { servers, result, after } = build(scenario);
        const started = result.actions.reduce((n, a) => n + (a.kind === 'start' ? a.count : 0), 0);
        const left = warm(servers) - started;
        expect(warm(after)).toBeGreaterThanOrEqual(Math.min(scenario.settings.size, left));
      }),
      RUNS,
    );
  });

  it('never fills the pool beyond its size plus refreshPerTick', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { result, after, servers } = build(scenario);
        const filled = result.actions.some((a) => a.kind === 'warm');
        if (!filled) return;
        const limit = scenario.settings.size + scenario.settings.refreshPerTick;
        expect(inPool(after)).toBeLessThanOrEqual(Math.max(limit, inPool(servers)));
      }),
      RUNS,
    );
  });

  it('puts back into the pool only On-Demand, owned, fresh servers, and only while it is below its size', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { servers, pool, result, after } = build(scenario);
        const byId = new Map(servers.map((s) => [s.intentId, s]));
        const returned = result.actions.filter(
          (a) => a.kind === 'stop' && byId.get(a.serverId)?.state !== 'warming',
        );
        if (returned.length === 0) return;
        expect(scenario.settings.returnOnScaleIn).toBe(true);
        for (const action of returned) {
          if (action.kind !== 'stop') continue;
          const server = byId.get(action.serverId) as ServerRecord;
          expect(server.market).not.toBe('spot');
          expect(server.orphan === true).toBe(false);
          expect(staleness(server, pool, T0).reasons).toEqual([]);
        }
        // Stopping ones and warm ones together: within the size.
        const pooledAfter = after.filter((s) => s.state === 'stopping' || s.state === 'warm').length;
        const pooledBefore = servers.filter((s) => s.state === 'stopping' || s.state === 'warm').length;
        expect(pooledAfter).toBeLessThanOrEqual(Math.max(scenario.settings.size, pooledBefore));
      }),
      RUNS,
    );
  });
});
