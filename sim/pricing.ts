/**
 * What a run's servers cost in dollars, and when EC2 interrupts Spot servers in a simulation.
 *
 * A server is billed for every second it runs (EC2 Linux: per second, a 60 s minimum each time it
 * is launched or started), at its type's On-Demand price, or discounted when bought on Spot
 * (`--spot-discount 0.65`: Spot costs 35% of On-Demand). Its root volume (EBS gp3) is billed from
 * launch to termination, running or stopped, prorated to the second. The seconds a server runs
 * before it takes any work (boot, deploy, workers starting) are paid like the rest; `bootCost`
 * shows them apart. Interruptions arrive as a Poisson process (`--interruptions-per-day`), seeded,
 * so every run of the same options interrupts at the same instants.
 *
 * Sources (us-east-1, Linux, checked against the AWS price pages): On-Demand prices from the EC2
 * On-Demand pricing page; gp3 storage $0.08 per GB-month from the EBS pricing page, prorated over
 * a 730-hour month as AWS prices it. The 30 GB root volume is an assumption (the OS, the release
 * directory with a few releases kept, logs); `volumeGb` sets yours.
 */

import { billedSeconds, round } from './billing.js';
import { type Random, seededRandom } from './random.js';

/** c5.large, Linux, us-east-1, On-Demand, dollars per hour: the default c5.large job server. */
export const DEFAULT_ON_DEMAND_PER_HOUR = 0.085;
/** A typical Spot saving on c5.large (Spot at 35% of On-Demand); set your own from the Spot price history. */
export const DEFAULT_SPOT_DISCOUNT = 0.65;
/** Interruptions per day across the role's Spot servers (a cautious figure for c5 in a busy region). */
export const DEFAULT_INTERRUPTIONS_PER_DAY = 1;
/** gp3, us-east-1: dollars per GB-month of provisioned storage. */
export const DEFAULT_VOLUME_PER_GB_MONTH = 0.08;
/** Root volume size assumed per server (GB). */
export const DEFAULT_VOLUME_GB = 30;
/** AWS prices storage over a 730-hour month. */
const MONTH_SECONDS = 730 * 3600;

/**
 * On-Demand Linux prices in us-east-1 (dollars per hour) of the types a job role commonly names;
 * another type is priced per vCPU at c5.large's rate unless `--on-demand-price` says otherwise.
 */
const ON_DEMAND_PER_HOUR: Readonly<Record<string, number>> = {
  'c5.large': 0.085,
  'c5.xlarge': 0.17,
  'c5.2xlarge': 0.34,
  'c6i.large': 0.085,
  'c6i.xlarge': 0.17,
  'c7i.large': 0.08925,
  'm5.large': 0.096,
  'm5.xlarge': 0.192,
  'm6i.large': 0.096,
  'm6i.xlarge': 0.192,
  't3.medium': 0.0416,
  't3.large': 0.0832,
};

/** The On-Demand price of `instanceType` with `vcpus` vCPUs, dollars per hour. */
export function onDemandPerHour(instanceType: string | undefined, vcpus: number): number {
  const listed = instanceType === undefined ? undefined : ON_DEMAND_PER_HOUR[instanceType];
  return listed ?? (DEFAULT_ON_DEMAND_PER_HOUR / 2) * vcpus;
}

export interface Pricing {
  /** Dollars per On-Demand instance-hour of the role's instance type. */
  onDemandPerHour: number;
  /** Fraction of the On-Demand price Spot saves, in [0, 1). */
  spotDiscount: number;
  /** EC2 interruptions per day (of any one live Spot server). */
  interruptionsPerDay: number;
  /** Root volume per server, GB. */
  volumeGb: number;
  /** Dollars per GB-month of the volume type. */
  volumePerGbMonth: number;
}

/** One stretch of a server running (billed), from a launch or start to its stop or end. */
export interface RunSpan {
  fromMs: number;
  toMs: number;
  /** When its workers took work (after boot, or a start); `toMs` or later when they never did. */
  readyMs: number;
}

/** One server's billed life. */
export interface ServerBill {
  market: 'on-demand' | 'spot';
  /** Launch to termination (or the end of the run): how long its volume exists. */
  volumeFromMs: number;
  volumeToMs: number;
  runs: readonly RunSpan[];
}

export interface CostFigures {
  onDemandHours: number;
  spotHours: number;
  /** Dollars of running time: On-Demand at its price, Spot discounted (60 s minimum per run). */
  runningCost: number;
  /** Of `runningCost`, the seconds before each run's workers took work (boot, deploy, start). */
  bootCost: number;
  /** Dollars of volumes, running or stopped. */
  volumeCost: number;
  /** Of `volumeCost`, while the server was stopped. */
  stoppedVolumeCost: number;
  /** Dollars in all: running time plus volumes. */
  cost: number;
  /** `cost` had every running hour been On-Demand. */
  costAllOnDemand: number;
  /** `runningCost` had every running hour been On-Demand. */
  runningCostAllOnDemand: number;
}

/** Prices every server's runs and volume. */
export function costFigures(bills: readonly ServerBill[], pricing: Pricing): CostFigures {
  let onDemandS = 0;
  let spotS = 0;
  let bootDollars = 0;
  let volumeS = 0;
  let stoppedS = 0;
  const perSecond = pricing.onDemandPerHour / 3600;
  for (const bill of bills) {
    const rate = bill.market === 'spot' ? perSecond * (1 - pricing.spotDiscount) : perSecond;
    let runningS = 0;
    for (const run of bill.runs) {
      const seconds = billedSeconds(run.toMs - run.fromMs);
      runningS += (run.toMs - run.fromMs) / 1000;
      if (bill.market === 'spot') spotS += seconds;
      else onDemandS += seconds;
      bootDollars += (Math.max(0, Math.min(run.readyMs, run.toMs) - run.fromMs) / 1000) * rate;
    }
    const lifeS = Math.max(0, bill.volumeToMs - bill.volumeFromMs) / 1000;
    volumeS += lifeS;
    stoppedS += Math.max(0, lifeS - runningS);
  }
  const volumePerSecond = (pricing.volumeGb * pricing.volumePerGbMonth) / MONTH_SECONDS;
  const running = onDemandS * perSecond + spotS * perSecond * (1 - pricing.spotDiscount);
  const volumes = volumeS * volumePerSecond;
  return {
    onDemandHours: round(onDemandS / 3600, 4),
    spotHours: round(spotS / 3600, 4),
    runningCost: round(running, 4),
    bootCost: round(bootDollars, 4),
    volumeCost: round(volumes, 4),
    stoppedVolumeCost: round(stoppedS * volumePerSecond, 4),
    cost: round(running + volumes, 4),
    costAllOnDemand: round((onDemandS + spotS) * perSecond + volumes, 4),
    runningCostAllOnDemand: round((onDemandS + spotS) * perSecond, 4),
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
