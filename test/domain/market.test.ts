import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../domain/config.js';
import { ConfigError } from '../../domain/errors.js';
import {
  firstAttempt,
  lastAttempt,
  launchOptions,
  type MarketSetting,
  marketsFor,
  marketsUsed,
} from '../../domain/market.js';
import { plan } from '../../domain/planner.js';
import { CAPACITY_STATES, LIFECYCLE_STATES, type Market } from '../../domain/types.js';
import { TEST_CONFIG_INPUT } from '../../fakes/config.js';
import { aServer, jobRole, minutesAgo, T0 } from '../support/builders.js';

const setting = fc.constantFrom<MarketSetting>('on-demand', 'spot', 'spot-then-on-demand');
const server = fc
  .record({
    state: fc.constantFrom(...LIFECYCLE_STATES),
    market: fc.constantFrom<Market | undefined>('on-demand', 'spot', undefined),
  })
  .map(({ state, market }) => aServer(market === undefined ? { state } : { state, market }));

const onDemandLive = (servers: { state: string; market?: Market }[]) =>
  servers.filter((s) => CAPACITY_STATES.has(s.state as never) && s.market !== 'spot').length;

describe('marketsFor', () => {
  it.each([
    ['spot', 1, [], 3, ['on-demand', 'spot', 'spot']],
    ['spot', 1, [{ market: 'on-demand' as const }], 2, ['spot', 'spot']],
    ['spot-then-on-demand', 2, [{ market: 'spot' as const }], 3, ['on-demand', 'on-demand', 'spot']],
    ['on-demand', 0, [], 2, ['on-demand', 'on-demand']],
    // An old record without a market was bought On-Demand.
    ['spot', 1, [{}], 1, ['spot']],
  ] as const)('%s with base %i, live %j, %i new → %j', (market, onDemandBase, live, count, expected) => {
    const servers = live.map((s) => aServer({ ...s }));
    expect(marketsFor({ market, onDemandBase }, servers, count)).toEqual(expected);
  });

  it('a draining or terminated On-Demand server does not hold up the base', () => {
    const gone = [aServer({ state: 'draining' }), aServer({ state: 'terminated' })];
    expect(marketsFor({ market: 'spot', onDemandBase: 1 }, gone, 1)).toEqual(['on-demand']);
  });

  it('reaches the base when it can, and buys no On-Demand beyond it when Spot is configured', () => {
    fc.assert(
      fc.property(
        setting,
        fc.nat(4),
        fc.array(server, { maxLength: 8 }),
        fc.nat(6),
        (market, base, servers, count) => {
          const markets = marketsFor({ market, onDemandBase: base }, servers, count);
          expect(markets).toHaveLength(count);
          const before = onDemandLive(servers);
          const after = before + markets.filter((m) => m === 'on-demand').length;
          expect(after).toBeGreaterThanOrEqual(Math.min(base, before + count));
          if (market !== 'on-demand') expect(after).toBeLessThanOrEqual(Math.max(base, before));
          else expect(markets.every((m) => m === 'on-demand')).toBe(true);
        },
      ),
    );
  });
});

describe('launch options', () => {
  const launch = (market: MarketSetting, onDemandBase = 0) => ({
    market,
    onDemandBase,
    instanceTypes: ['c5.large', 'm5.large'],
    subnetIds: ['subnet-a'],
  });

  it('tries Spot (each type across each subnet) before On-Demand', () => {
    expect(launchOptions(launch('spot-then-on-demand')).map((o) => `${o.market} ${o.instanceType}`)).toEqual([
      'spot c5.large',
      'spot m5.large',
      'on-demand c5.large',
      'on-demand m5.large',
    ]);
  });

  it.each([
    ['on-demand', 0, ['on-demand']],
    ['spot', 0, ['spot']],
    ['spot', 1, ['spot', 'on-demand']],
    ['spot-then-on-demand', 0, ['spot', 'on-demand']],
  ] as const)('%s with base %i uses %j', (market, base, used) => {
    expect(marketsUsed({ market, onDemandBase: base })).toEqual(used);
    expect(new Set(launchOptions(launch(market, base)).map((o) => o.market))).toEqual(new Set(used));
  });

  it('a Spot launch falls back to On-Demand only with spot-then-on-demand', () => {
    for (const [market, base] of [
      ['spot', 1],
      ['spot-then-on-demand', 0],
    ] as const) {
      const options = launchOptions(launch(market, base));
      const from = firstAttempt(options, 'spot');
      const to = lastAttempt(options, launch(market, base), 'spot');
      const tried = options.slice(from, to).map((o) => o.market);
      expect(tried.includes('on-demand')).toBe(market === 'spot-then-on-demand');
    }
  });

  it('an On-Demand launch never tries Spot', () => {
    const options = launchOptions(launch('spot-then-on-demand'));
    const from = firstAttempt(options, 'on-demand');
    const to = lastAttempt(options, launch('spot-then-on-demand'), 'on-demand');
    expect(options.slice(from, to).every((o) => o.market === 'on-demand')).toBe(true);
  });
});

describe('the planner keeps the on-demand base', () => {
  const job = jobRole({ launch: { market: 'spot', onDemandBase: 1 }, lifecycle: { billing: 'per-second' } });
  const desired = (count: number) => ({ count, floor: count, demand: null, reasons: [] });

  it('names On-Demand for the launches that reach the base, Spot for the rest', () => {
    const result = plan({ role: 'job', now: T0, config: job, desired: desired(3), servers: [] });
    expect(result.actions).toEqual([
      expect.objectContaining({ kind: 'launch', count: 3, markets: ['on-demand', 'spot', 'spot'] }),
    ]);
  });

  it('names no markets for a role that launches On-Demand only', () => {
    const onDemand = jobRole();
    const result = plan({ role: 'job', now: T0, config: onDemand, desired: desired(1), servers: [] });
    expect(result.actions[0]).not.toHaveProperty('markets');
  });

  it('retires Spot servers before the On-Demand server holding up the base, whatever the order', () => {
    const base = aServer({ market: 'on-demand', launchedAt: minutesAgo(60) });
    const spot = aServer({ market: 'spot', launchedAt: minutesAgo(120) });
    for (const retireOrder of ['newest-first', 'oldest-first'] as const) {
      const config = { ...job, lifecycle: { ...job.lifecycle, retireOrder } };
      const result = plan({ role: 'job', now: T0, config, desired: desired(1), servers: [base, spot] });
      const drained = result.actions.filter((a) => a.kind === 'drain').map((a) => a.serverId);
      expect(drained).toEqual([spot.intentId]);
    }
  });

  it('keeps the base server while a Spot launch is in flight, retiring only what else is there', () => {
    const base = aServer({ market: 'on-demand', launchedAt: minutesAgo(300) });
    const spot = aServer({ market: 'spot', launchedAt: minutesAgo(120) });
    const launching = aServer({ market: 'spot', state: 'launching' });
    const result = plan({
      role: 'job',
      now: T0,
      config: job,
      desired: desired(1),
      servers: [base, spot, launching],
    });
    const drained = result.actions.filter((a) => a.kind === 'drain').map((a) => a.serverId);
    expect(drained).toEqual([spot.intentId]);
    expect(result.blocked.map((b) => b.reason).join()).toMatch(/not yet reported/);
  });

  it('retires a base server when nothing else is left to retire', () => {
    const config = { ...job, launch: { ...job.launch, onDemandBase: 2 } };
    const servers = [1, 2].map((h) => aServer({ market: 'on-demand', launchedAt: minutesAgo(60 * h) }));
    const result = plan({ role: 'job', now: T0, config, desired: desired(1), servers });
    expect(result.actions.filter((a) => a.kind === 'drain')).toHaveLength(1);
  });
});

describe('market config', () => {
  const withLaunch = (launch: Record<string, unknown>) =>
    parseConfig({
      roles: {
        ...TEST_CONFIG_INPUT.roles,
        job: { ...TEST_CONFIG_INPUT.roles.job, launch: { ...TEST_CONFIG_INPUT.roles.job.launch, ...launch } },
      },
    });
  const issues = (launch: Record<string, unknown>): string[] => {
    try {
      withLaunch(launch);
    } catch (error) {
      if (error instanceof ConfigError) return [...error.issues];
      throw error;
    }
    return [];
  };

  it('defaults to On-Demand with no base', () => {
    expect(withLaunch({}).roles.job?.launch).toMatchObject({ market: 'on-demand', onDemandBase: 0 });
  });

  it('accepts a Spot market with a max price in dollars', () => {
    const launch = withLaunch({ market: 'spot-then-on-demand', spot: { maxPrice: '0.035' }, onDemandBase: 1 })
      .roles.job?.launch;
    expect(launch).toMatchObject({
      market: 'spot-then-on-demand',
      spot: { maxPrice: '0.035' },
      onDemandBase: 1,
    });
  });

  it.each([
    [{ market: 'cheap' }, 'roles.job.launch.market'],
    [{ spot: { maxPrice: 0.05 } }, 'roles.job.launch.spot.maxPrice'],
    [{ spot: { maxPrice: '$0.05' } }, 'roles.job.launch.spot.maxPrice'],
    [{ spot: { maxPrice: '0' } }, 'roles.job.launch.spot.maxPrice: expected a price above 0'],
    [{ spot: { bid: '0.05' } }, 'roles.job.launch.spot'],
    [{ onDemandBase: -1 }, 'roles.job.launch.onDemandBase'],
  ])('refuses %j naming %s', (launch, path) => {
    expect(issues(launch).some((issue) => issue.startsWith(path))).toBe(true);
  });
});
