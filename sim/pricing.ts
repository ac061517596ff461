/**
 * What a run's servers cost On-Demand and on Spot, and when EC2 interrupts Spot servers in a
 * simulation. Spot is priced as a discount off the On-Demand price (`--spot-discount 0.65`: Spot
 * costs 35% of On-Demand); interruptions arrive as a Poisson process (`--interruptions-per-day`),
 * seeded, so every run of the same options interrupts at the same instants.
 */

import { billedSeconds, round } from './billing.js';
import { type Random, seededRandom } from './random.js';

/** c5.large, Linux, us-east-1, On-Demand, dollars per hour: the default c5.large job server. */
export const DEFAULT_ON_DEMAND_PER_HOUR = 0.085;
/** A typical Spot saving on c5.large (Spot at 35% of On-Demand); set your own from the Spot price history. */
export const DEFAULT_SPOT_DISCOUNT = 0.65;
/** Interruptions per day across the role's Spot servers (a cautious figure for c5 in a busy region). */
export const DEFAULT_INTERRUPTIONS_PER_DAY = 1;

export interface SpotPricing {
  /** Dollars per On-Demand instance-hour. */
  onDemandPerHour: number;
  /** Fraction of the On-Demand price Spot saves, in [0, 1). */
  spotDiscount: number;
  /** EC2 interruptions per day (of any one live Spot server). */
  interruptionsPerDay: number;
}

/** One instance's billed lifetime and how it was bought. */
export interface Lifetime {
  durationMs: number;
  market: 'on-demand' | 'spot';
}

export interface CostFigures {
  onDemandHours: number;
  spotHours: number;
  /** Dollars: On-Demand hours at the On-Demand price, Spot hours at the discounted price. */
  cost: number;
  /** Dollars had every hour been On-Demand. */
  costAllOnDemand: number;
}

/** Prices lifetimes under per-second billing (60 s minimum per instance). */
export function costFigures(lifetimes: readonly Lifetime[], pricing: SpotPricing): CostFigures {
  let onDemandS = 0;
  let spotS = 0;
  for (const { durationMs, market } of lifetimes) {
    if (market === 'spot') spotS += billedSeconds(durationMs);
    else onDemandS += billedSeconds(durationMs);
  }
  const hourly = pricing.onDemandPerHour / 3600;
  return {
    onDemandHours: round(onDemandS / 3600, 4),
    spotHours: round(spotS / 3600, 4),
    cost: round(onDemandS * hourly + spotS * hourly * (1 - pricing.spotDiscount), 4),
    costAllOnDemand: round((onDemandS + spotS) * hourly, 4),
  };
}

/**
 * Instants (ms from the trace start, ascending, below `untilMs`) of EC2 interruptions at
 * `perDay` a day: exponential gaps from a generator seeded by `seed`.
 */
export function interruptionTimes(perDay: number, untilMs: number, seed: number): number[] {
  if (perDay <= 0) return [];
  const random: Random = seededRandom(seed ^ 0x5f07);
  const meanGapMs = 86_400_000 / perDay;
  const times: number[] = [];
  let at = 0;
  for (;;) {
    at += Math.round(-Math.log(1 - random()) * meanGapMs);
    if (at >= untilMs) return times;
    times.push(at);
  }
}
