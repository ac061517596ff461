/**
 * The `spot` part of `npm run bench`: every reference trace replayed with the `default` policy
 * twice, On-Demand only and with the job role on Spot above its permanent server (EC2
 * interrupting Spot servers), so cost and wait sit side by side. Prices are the simulator's
 * defaults (sim/pricing.ts); interruptions are pessimistic, {@link BENCH_INTERRUPTIONS_PER_DAY}
 * a day, so their cost in wait and re-run jobs shows.
 *
 * The warm pool's On-Demand bridge (a Spot role's burst served by warm On-Demand servers while
 * its Spot launches boot, then put back) is shown against both alternatives: each trace runs with
 * the default's warm pool (the `*Pool` fields), On-Demand and on Spot (where the bridge works),
 * and without it (config/presets/no-pool.json: the other fields).
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DEFAULT_LAUNCH_DELAY, DEFAULT_SEED, type Pricing, simulate } from '../index.js';
import { noPoolRole } from '../policies.js';
import { readTrace } from '../trace.js';
import { REFERENCE_TRACES_DIR } from './policies.js';

export const BENCH_INTERRUPTIONS_PER_DAY = 6;

export interface SpotBenchRow {
  trace: string;
  /** Dollars (running time and volumes), On-Demand only, without the warm pool. */
  cost: number;
  /** Dollars with Spot above the permanent server, without the warm pool. */
  costSpot: number;
  /** 1 - costSpot / cost. */
  saving: number;
  waitP95S: number;
  waitP95SpotS: number;
  spotHours: number;
  interruptions: number;
  /** Jobs cut off by an interruption (or a drain deadline) and run again, with Spot. */
  requeuedJobsSpot: number;
  /** Dollars and p95 with the warm pool: On-Demand only, and on Spot with the On-Demand bridge. */
  costPool: number;
  waitP95PoolS: number;
  costSpotPool: number;
  waitP95SpotPoolS: number;
  /** Warm On-Demand starts with Spot and the pool (bridges, and starts for the rest). */
  warmStartsSpotPool: number;
}

/** Runs every reference trace On-Demand and with Spot, in trace order. */
export async function benchSpot(
  options: { seed?: number; tracesDir?: string; pricing?: Partial<Pricing> } = {},
): Promise<SpotBenchRow[]> {
  const dir = options.tracesDir ?? REFERENCE_TRACES_DIR;
  const files = (await readdir(dir)).filter((f) => f.endsWith('.csv')).sort();
  const rows: SpotBenchRow[] = [];
  for (const file of files) {
    const jobs = await readTrace(join(dir, file));
    const pooled = {
      jobs,
      policy: 'default' as const,
      seed: options.seed ?? DEFAULT_SEED,
      launchDelay: DEFAULT_LAUNCH_DELAY,
      pricing: { interruptionsPerDay: BENCH_INTERRUPTIONS_PER_DAY, ...options.pricing },
    };
    const run = { ...pooled, role: noPoolRole() };
    const onDemand = (await simulate(run)).summary;
    const spot = (await simulate({ ...run, spot: true })).summary;
    const onDemandPool = (await simulate(pooled)).summary;
    const spotPool = (await simulate({ ...pooled, spot: true })).summary;
    rows.push({
      trace: basename(file, '.csv'),
      cost: onDemand.cost,
      costSpot: spot.cost,
      saving: onDemand.cost === 0 ? 0 : Math.round((1 - spot.cost / onDemand.cost) * 1000) / 1000,
      waitP95S: onDemand.waitP95S,
      waitP95SpotS: spot.waitP95S,
      spotHours: spot.spotHours,
      interruptions: spot.interruptions,
      requeuedJobsSpot: spot.requeuedJobs,
      costPool: onDemandPool.cost,
      waitP95PoolS: onDemandPool.waitP95S,
      costSpotPool: spotPool.cost,
      waitP95SpotPoolS: spotPool.waitP95S,
      warmStartsSpotPool: spotPool.warmStarts,
    });
  }
  return rows;
}
