/**
 * EC2's rebalance recommendation in the planner: a warned in-service server is replaced first (in
 * another Spot pool) and retired only once the role's other servers in service reach desired; and
 * which launch options a replacement may use.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../domain/decide.js';
import { type LaunchOption, launchOptions, mayUse } from '../../domain/market.js';
import { plan } from '../../domain/planner.js';
import {
  type Action,
  LIFECYCLE_STATES,
  type ObservedServer,
  type Plan,
  type SpotPool,
} from '../../domain/types.js';
import { appRole, aServer, jobRole, minutesAgo, steady, T0 } from '../support/builders.js';

/** Spot with an On-Demand fallback, per-second billing, no minimum lifetime: nothing else blocks. */
const job = jobRole({
  launch: { market: 'spot-then-on-demand' },
  lifecycle: { billing: 'per-second', minLifetimeMinutes: 0 },
});
/** Behind a classic ELB with a 300 s drain. */
const app = appRole({ launch: { market: 'spot' } });

const spot = (overrides: Partial<ObservedServer> = {}) =>
  aServer({ market: 'spot', instanceType: 'c5.large', subnetId: 'subnet-0123abcd', ...overrides });
const warned = (overrides: Partial<ObservedServer> = {}) =>
  spot({ intentId: 'warned', rebalanceAt: minutesAgo(1), ...overrides });

function planFor(servers: ObservedServer[], count: number, config = job): Plan {
  return plan({
    role: 'job',
    now: T0,
    config,
    desired: { count, floor: count, demand: null, reasons: [`want ${count}`] },
    servers,
  });
}

function short(a: Action): string {
  if (a.kind === 'start' || a.kind === 'warm') return `${a.kind} ${a.count}`;
  if (a.kind !== 'launch') return `${a.kind} ${a.serverId}`;
  return `launch ${a.count}${a.avoid === undefined ? '' : ` avoiding ${a.avoid.instanceType} in ${a.avoid.subnetId}`}`;
}

describe('the plan for a server with a rebalance recommendation', () => {
  it.each<[string, ObservedServer[], number, string[], RegExp[]]>([
    [
      'starts its replacement outside its pool, and keeps it serving',
      [warned(), spot(), spot()],
      3,
      ['launch 1 avoiding c5.large in subnet-0123abcd'],
      [/i-.* retires once its replacement is in service .*: 2 of 3 desired servers in service without it/],
    ],
    [
      'waits while the replacement boots: no second launch',
      [warned(), spot(), spot(), spot({ state: 'booting', launchedAt: minutesAgo(1) })],
      3,
      [],
      [/retires once its replacement is in service/],
    ],
    [
      'retires it once the replacement is in service (nothing to drain: terminated too)',
      [warned(), spot(), spot(), spot({ launchedAt: minutesAgo(1) })],
      3,
      ['drain warned', 'terminate warned'],
      [],
    ],
    [
      'retires it at once, launching nothing, when fewer servers are wanted now',
      [warned(), spot(), spot()],
      2,
      ['drain warned', 'terminate warned'],
      [],
    ],
    [
      'replaces a second lost server as an ordinary launch',
      [warned(), spot()],
      3,
      ['launch 1 avoiding c5.large in subnet-0123abcd', 'launch 1'],
      [/retires once its replacement is in service/],
    ],
  ])('%s', (_, servers, count, actions, blocked) => {
    const planned = planFor(servers, count);
    expect(planned.actions.map(short)).toEqual(actions);
    expect(planned.blocked.map((b) => b.reason)).toEqual(blocked.map((r) => expect.stringMatching(r)));
  });

  it('drains a warned app server behind its load balancer and terminates it after the drain', () => {
    const planned = planFor([warned({ role: 'app' }), spot(), spot(), spot()], 3, app);
    expect(planned.actions.map(short)).toEqual(['drain warned']);
  });

  it('names the market of the replacement so the on-demand base is kept', () => {
    const base = aServer({ intentId: 'base', market: 'on-demand' });
    const baseWarned = aServer({ intentId: 'warned', market: 'on-demand', rebalanceAt: minutesAgo(1) });
    const withBase = jobRole({ launch: { market: 'spot', onDemandBase: 1 } });
    expect(planFor([baseWarned, spot()], 2, withBase).actions).toMatchObject([
      { kind: 'launch', count: 1, markets: ['on-demand'] },
    ]);
    expect(planFor([base, warned()], 2, withBase).actions).toMatchObject([
      { kind: 'launch', count: 1, markets: ['spot'] },
    ]);
  });

  it('never retires a warned server while the others in service are fewer than desired', () => {
    const server = fc.record({
      state: fc.constantFrom(...LIFECYCLE_STATES),
      warned: fc.boolean(),
      minutes: fc.integer({ min: 0, max: 300 }),
    });
    fc.assert(
      fc.property(fc.array(server, { maxLength: 8 }), fc.integer({ min: 0, max: 8 }), (drawn, count) => {
        const servers = drawn.map((d, i) =>
          spot({
            intentId: `s${i}`,
            state: d.state,
            launchedAt: minutesAgo(d.minutes),
            ...(d.warned ? { rebalanceAt: minutesAgo(1) } : {}),
          }),
        );
        const planned = planFor(servers, count);
        const leaving = new Set(
          servers.filter((s) => s.state === 'in-service' && s.rebalanceAt).map((s) => s.intentId),
        );
        const othersInService = servers.filter(
          (s) => s.state === 'in-service' && !leaving.has(s.intentId),
        ).length;
        const retired = planned.actions.filter((a) => a.kind === 'drain' && leaving.has(a.serverId));
        expect(retired.length).toBe(othersInService >= count ? leaving.size : 0);
        // Launches never count a warned server: together with the others they make desired.
        const live = servers.filter(
          (s) =>
            ['launching', 'pending', 'booting', 'in-service', 'starting'].includes(s.state) &&
            !leaving.has(s.intentId),
        ).length;
        const launched = planned.actions.reduce((n, a) => n + (a.kind === 'launch' ? a.count : 0), 0);
        expect(launched).toBe(Math.max(0, count - live));
      }),
    );
  });
});

describe('decide with a server awaiting its replacement', () => {
  it('keeps the desired count it had: the warned server and its replacement are one server', () => {
    const servers = [
      aServer({ intentId: 'a' }),
      aServer({ intentId: 'b' }),
      warned(),
      spot({ intentId: 'replacement', state: 'booting', launchedAt: minutesAgo(1) }),
    ];
    // Queue 10: within the thresholds, the policy keeps what runs.
    const decision = decide({ role: 'job', config: job, now: T0, samples: steady(10, 10), servers });
    expect(decision.desired.count).toBe(3);
    expect(decision.plan.actions).toEqual([]);
  });
});

describe('which launch options a replacement may use', () => {
  const options = launchOptions({
    market: 'spot-then-on-demand',
    onDemandBase: 0,
    instanceTypes: ['c5.large', 'm5.large'],
    subnetIds: ['subnet-a', 'subnet-b'],
  });
  const usable = (list: readonly LaunchOption[], avoid: SpotPool | undefined) =>
    list.filter((_, i) => mayUse(list, i, avoid)).map((o) => `${o.market} ${o.instanceType} ${o.subnetId}`);

  it.each<[string, SpotPool | undefined, string[]]>([
    [
      'every option without a pool to avoid',
      undefined,
      [
        'spot c5.large subnet-a',
        'spot c5.large subnet-b',
        'spot m5.large subnet-a',
        'spot m5.large subnet-b',
        'on-demand c5.large subnet-a',
        'on-demand c5.large subnet-b',
        'on-demand m5.large subnet-a',
        'on-demand m5.large subnet-b',
      ],
    ],
    [
      'all but Spot in the warned pool',
      { instanceType: 'c5.large', subnetId: 'subnet-a' },
      [
        'spot c5.large subnet-b',
        'spot m5.large subnet-a',
        'spot m5.large subnet-b',
        'on-demand c5.large subnet-a',
        'on-demand c5.large subnet-b',
        'on-demand m5.large subnet-a',
        'on-demand m5.large subnet-b',
      ],
    ],
    [
      'no Spot of the type at all when the subnet is not known',
      { instanceType: 'c5.large' },
      [
        'spot m5.large subnet-a',
        'spot m5.large subnet-b',
        'on-demand c5.large subnet-a',
        'on-demand c5.large subnet-b',
        'on-demand m5.large subnet-a',
        'on-demand m5.large subnet-b',
      ],
    ],
  ])('%s', (_, avoid, expected) => {
    expect(usable(options, avoid)).toEqual(expected);
  });

  it('the only Spot pool when the role has no other', () => {
    const single = launchOptions({
      market: 'spot',
      onDemandBase: 0,
      instanceTypes: ['c5.large'],
      subnetIds: ['subnet-a'],
    });
    expect(usable(single, { instanceType: 'c5.large', subnetId: 'subnet-a' })).toEqual([
      'spot c5.large subnet-a',
    ]);
  });
});
