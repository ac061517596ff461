/**
 * Purchase markets (On-Demand or Spot): the launch config keys that choose them (`launch.market`,
 * `launch.spot.maxPrice`, `launch.onDemandBase`), the market each new server of a role gets so the
 * role keeps its on-demand base, and the order one launch tries markets × instance types × subnets.
 * Pure: no I/O.
 */
import { z } from 'zod';
import { CAPACITY_STATES, type Market, type ServerRecord, type SpotPool } from './types.js';

export type { Market, SpotPool } from './types.js';

export const MARKET_SETTINGS = ['on-demand', 'spot', 'spot-then-on-demand'] as const;
/** What a role's launches ask for: Spot only, On-Demand only, or Spot falling back to On-Demand. */
export type MarketSetting = (typeof MARKET_SETTINGS)[number];

/** A price in dollars per instance-hour, as EC2's MaxPrice takes it: "0.05", "1.2". */
const dollars = z
  .string()
  .regex(/^\d{1,4}(\.\d{1,6})?$/, 'expected dollars per hour as a string such as "0.05"')
  .refine((price) => Number(price) > 0, { message: 'expected a price above 0' });

/** The launch section's market keys; config.ts spreads them into its launch schema. */
export const LAUNCH_MARKET_FIELDS = {
  market: z.enum(MARKET_SETTINGS).default('on-demand'),
  /** Spot settings; without `maxPrice` EC2 caps the price at the On-Demand price. */
  spot: z.object({ maxPrice: dollars.optional() }).strict().optional(),
  /** This many of the role's servers are always On-Demand (e.g. the job role's permanent one). */
  onDemandBase: z.number().int().min(0).max(1000).default(0),
};

export interface MarketConfig {
  market: MarketSetting;
  onDemandBase: number;
}

/** The markets a role may launch in (what IAM must allow). */
export function marketsUsed(launch: MarketConfig): Market[] {
  const used: Market[] = [];
  if (launch.market !== 'on-demand') used.push('spot');
  if (launch.market !== 'spot' || launch.onDemandBase > 0) used.push('on-demand');
  return used;
}

/** Whether a server counts toward the on-demand base: live capacity, not bought on Spot. */
function isOnDemandCapacity(server: ServerRecord): boolean {
  return CAPACITY_STATES.has(server.state) && server.market !== 'spot';
}

/**
 * The market of each of `count` new servers: On-Demand while the role has fewer live On-Demand
 * servers than `onDemandBase`, then the configured market's first choice.
 *
 * @example marketsFor({ market: 'spot', onDemandBase: 1 }, [], 3) // ['on-demand', 'spot', 'spot']
 */
export function marketsFor(launch: MarketConfig, servers: readonly ServerRecord[], count: number): Market[] {
  let onDemand = servers.filter(isOnDemandCapacity).length;
  const preferred: Market = launch.market === 'on-demand' ? 'on-demand' : 'spot';
  const markets: Market[] = [];
  for (let i = 0; i < count; i += 1) {
    if (onDemand < launch.onDemandBase) {
      markets.push('on-demand');
      onDemand += 1;
    } else {
      markets.push(preferred);
    }
  }
  return markets;
}

/**
 * Servers that hold up the on-demand base of a role that also launches Spot: the oldest
 * `onDemandBase` live On-Demand servers. Retiring prefers every other server first.
 */
export function onDemandBaseServers(launch: MarketConfig, servers: readonly ServerRecord[]): Set<string> {
  if (launch.market === 'on-demand') return new Set();
  const started = (s: ServerRecord) => s.launchedAt ?? s.createdAt;
  const base = servers
    .filter(isOnDemandCapacity)
    .sort((a, b) => started(a) - started(b) || a.intentId.localeCompare(b.intentId))
    .slice(0, launch.onDemandBase);
  return new Set(base.map((s) => s.intentId));
}

/** One way to launch: a market, and an instance type and subnet when configured. */
export interface LaunchOption {
  market: Market;
  instanceType?: string;
  subnetId?: string;
}

export interface LaunchOptionsConfig extends MarketConfig {
  instanceTypes: readonly string[];
  subnetIds: readonly string[];
}

/**
 * Every launch option of a role in one fixed order, so an attempt number names one option: the
 * Spot block (each instance type across each subnet) first, then the On-Demand block, each only
 * when the role may use that market.
 */
export function launchOptions(launch: LaunchOptionsConfig): LaunchOption[] {
  const types: (string | undefined)[] =
    launch.instanceTypes.length > 0 ? [...launch.instanceTypes] : [undefined];
  const subnets: (string | undefined)[] = launch.subnetIds.length > 0 ? [...launch.subnetIds] : [undefined];
  const options: LaunchOption[] = [];
  for (const market of (['spot', 'on-demand'] as const).filter((m) => marketsUsed(launch).includes(m))) {
    for (const instanceType of types) {
      for (const subnetId of subnets) {
        options.push({
          market,
          ...(instanceType === undefined ? {} : { instanceType }),
          ...(subnetId === undefined ? {} : { subnetId }),
        });
      }
    }
  }
  return options;
}

/** The first attempt number of a launch in `market` (its block's first option). */
export function firstAttempt(options: readonly LaunchOption[], market: Market): number {
  const at = options.findIndex((o) => o.market === market);
  return at < 0 ? options.length : at;
}

/**
 * Where a launch's fallbacks end (exclusive), given the market of the attempt it is on: a Spot
 * attempt falls back to On-Demand only with `spot-then-on-demand`; any other launch stays in its
 * own market.
 */
export function lastAttempt(options: readonly LaunchOption[], launch: MarketConfig, market: Market): number {
  if (market === 'spot' && launch.market === 'spot-then-on-demand') return options.length;
  let end = firstAttempt(options, market);
  while (end < options.length && options[end]?.market === market) end += 1;
  return end;
}

/** Whether `option` buys Spot in `pool`. */
export function inPool(option: LaunchOption, pool: SpotPool): boolean {
  return (
    option.market === 'spot' &&
    option.instanceType === pool.instanceType &&
    (pool.subnetId === undefined || option.subnetId === pool.subnetId)
  );
}

/**
 * Whether a launch that keeps out of `avoid` may use option `attempt`: any option outside the
 * pool, and the pool's own options only when the role has no other Spot pool to go to.
 *
 * @example
 * // c5.large and m5.large in subnets a and b; the warned server runs c5.large in a
 * mayUse(options, 0, { instanceType: 'c5.large', subnetId: 'a' }) // false: c5.large in b is another pool
 */
export function mayUse(
  options: readonly LaunchOption[],
  attempt: number,
  avoid: SpotPool | undefined,
): boolean {
  const option = options[attempt];
  if (avoid === undefined || option === undefined || !inPool(option, avoid)) return true;
  return !options.some((o) => o.market === 'spot' && !inPool(o, avoid));
}

/** The Spot pool a server runs in, when it is known. */
export function poolOf(server: ServerRecord): SpotPool | undefined {
  if (server.instanceType === undefined) return undefined;
  return {
    instanceType: server.instanceType,
    ...(server.subnetId === undefined ? {} : { subnetId: server.subnetId }),
  };
}
