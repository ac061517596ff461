/**
 * The `families` part of `npm run bench`: the shipped default on queues it was not chosen on. Every
 * trace generator (make-traces.ts) draws {@link FAMILY_TRACE_SEEDS} fresh traces (the reference
 * traces use seed 2010), each replayed under {@link FAMILY_DELAY_SEEDS} launch-delay streams, with
 * `default`, `seed-2010`, `bound` and the onset oracle. Per family it reports how many runs meet
 * the target, the geometric means of the p95 and cost ratios, the cold launches against the 2010
 * rule's, and the mean `gapClosed` of the default and of the oracle (what a policy that cannot see
 * a burst coming reaches at best), and the same figures for the default with the warm pool of
 * config/presets/warm-pool.json.
 *
 * Target per run (as for the reference traces): cost in dollars <= 1.0x seed-2010 and p95 <= 0.5x,
 * or gapClosed >= 0.8 where the bound's p95 is above 0.4x the seed's.
 */
import { DEFAULT_LAUNCH_DELAY, defaultRole, type PolicySpec, simulate } from '../index.js';
import { BOUND_POLICY, boundRole, POOL_POLICY, poolRole } from '../policies.js';
import { type Onsets, TRACE_FAMILIES } from '../traces/make-traces.js';
import { gapClosed, ONSET_POLICY, onsetRole, ratio } from './policies.js';

/** Trace seeds per family: none of them is the reference traces' 2010. */
export const FAMILY_TRACE_SEEDS = [1, 2, 3, 4] as const;
/** Launch-delay streams per trace. */
export const FAMILY_DELAY_SEEDS = [1, 2] as const;

export interface FamilyRun {
  traceSeed: number;
  delaySeed: number;
  p95Ratio: number;
  /** Dollars against seed-2010's. */
  costRatio: number;
  instanceHoursRatio: number;
  /** null when the bound is no better than seed-2010. */
  gapClosed: number | null;
  oracleGapClosed: number | null;
  boundP95Ratio: number;
  coldLaunches: number;
  warmStarts: number;
  seedLaunches: number;
  /** Dollars the stopped pool volumes of `default+pool` cost in this run. */
  stoppedVolumeCost: number;
  /** Days the trace covers. */
  days: number;
  met: boolean;
  /** The default with the warm pool (config/presets/warm-pool.json), in the same run. */
  pool: Pick<FamilyRun, 'p95Ratio' | 'costRatio' | 'gapClosed' | 'coldLaunches' | 'warmStarts' | 'met'>;
}

export interface FamilyBenchRow {
  family: string;
  runs: number;
  met: number;
  /** Geometric mean over the runs of default p95 / seed-2010 p95. */
  p95Ratio: number;
  /** Geometric mean over the runs of default dollars / seed-2010 dollars. */
  costRatio: number;
  /** Geometric mean over the runs of default instance-hours / seed-2010 instance-hours. */
  instanceHoursRatio: number;
  /** The default's cold launches over all runs / seed-2010's launches (target: <= 2). */
  coldLaunchesRatio: number;
  /** Warm starts over all runs. */
  warmStarts: number;
  /** Mean over the runs with a bound below the seed. */
  gapClosed: number | null;
  oracleGapClosed: number | null;
  /** The runs that missed the target, as traceSeed/delaySeed. */
  missed: string[];
  /** seed-2010's launches a day. */
  seedLaunchesPerDay: number;
  /** The default with the warm pool over the same runs. */
  pool: Pick<FamilyBenchRow, 'met' | 'p95Ratio' | 'costRatio' | 'coldLaunchesRatio' | 'gapClosed'> & {
    /** Cold launches a day (pool fills included) and warm starts a day. */
    coldLaunchesPerDay: number;
    warmStartsPerDay: number;
    /** Dollars a day its stopped volumes cost: the pool waiting. */
    stoppedVolumeCostPerDay: number;
  };
}

/** Whether one run meets the default's target. */
export function meetsTarget(
  run: Pick<FamilyRun, 'p95Ratio' | 'costRatio' | 'gapClosed' | 'boundP95Ratio'>,
): boolean {
  if (run.costRatio > 1) return false;
  if (run.p95Ratio <= 0.5) return true;
  return run.boundP95Ratio > 0.4 && run.gapClosed !== null && run.gapClosed >= 0.8;
}

/** One family's runs, every trace seed x delay seed. */
export async function familyRuns(family: keyof typeof TRACE_FAMILIES): Promise<FamilyRun[]> {
  const role = defaultRole();
  const runs: FamilyRun[] = [];
  for (const traceSeed of FAMILY_TRACE_SEEDS) {
    const onsets: Onsets = [];
    const jobs = TRACE_FAMILIES[family](traceSeed, onsets);
    const oracle: PolicySpec = { name: ONSET_POLICY, role: onsetRole(role, onsets) };
    for (const delaySeed of FAMILY_DELAY_SEEDS) {
      const run = async (policy: PolicySpec) =>
        (await simulate({ jobs, policy, seed: delaySeed, launchDelay: DEFAULT_LAUNCH_DELAY })).summary;
      const seed = await run('seed-2010');
      const bound = await run({ name: BOUND_POLICY, role: boundRole(role) });
      const ours = await run('default');
      const pooled = await run({ name: POOL_POLICY, role: poolRole() });
      const best = await run(oracle);
      const gap = (p95: number) => gapClosed(seed.waitP95S, bound.waitP95S, p95);
      const boundP95Ratio = round(bound.waitP95S / seed.waitP95S);
      const against = (s: typeof ours) => ({
        p95Ratio: round(s.waitP95S / seed.waitP95S),
        costRatio: round(s.cost / seed.cost),
        gapClosed: gap(s.waitP95S),
        boundP95Ratio,
      });
      const figures = against(ours);
      const withPool = against(pooled);
      runs.push({
        traceSeed,
        delaySeed,
        ...figures,
        instanceHoursRatio: round(ours.instanceHours / seed.instanceHours),
        oracleGapClosed: gap(best.waitP95S),
        coldLaunches: ours.coldLaunches,
        warmStarts: ours.warmStarts,
        seedLaunches: seed.launches,
        stoppedVolumeCost: pooled.stoppedVolumeCost,
        days: Math.max(1, Math.ceil((jobs.at(-1)?.arrivalS ?? 0) / 86_400)),
        met: meetsTarget(figures),
        pool: {
          p95Ratio: withPool.p95Ratio,
          costRatio: withPool.costRatio,
          gapClosed: withPool.gapClosed,
          coldLaunches: pooled.coldLaunches,
          warmStarts: pooled.warmStarts,
          met: meetsTarget(withPool),
        },
      });
    }
  }
  return runs;
}

/** One family's row from its runs. */
export function familyRow(family: string, runs: readonly FamilyRun[]): FamilyBenchRow {
  const geomean = (values: number[]) =>
    round(Math.exp(values.reduce((s, v) => s + Math.log(v), 0) / values.length));
  const mean = (values: (number | null)[]) => {
    const known = values.filter((v): v is number => v !== null);
    return known.length === 0 ? null : round(known.reduce((s, v) => s + v, 0) / known.length);
  };
  const days = sum(runs.map((r) => r.days));
  return {
    family,
    runs: runs.length,
    met: runs.filter((r) => r.met).length,
    p95Ratio: geomean(runs.map((r) => r.p95Ratio)),
    costRatio: geomean(runs.map((r) => r.costRatio)),
    instanceHoursRatio: geomean(runs.map((r) => r.instanceHoursRatio)),
    coldLaunchesRatio: ratio(sum(runs.map((r) => r.coldLaunches)), sum(runs.map((r) => r.seedLaunches))),
    warmStarts: sum(runs.map((r) => r.warmStarts)),
    gapClosed: mean(runs.map((r) => r.gapClosed)),
    oracleGapClosed: mean(runs.map((r) => r.oracleGapClosed)),
    missed: runs.filter((r) => !r.met).map((r) => `${r.traceSeed}/${r.delaySeed}`),
    seedLaunchesPerDay: round(sum(runs.map((r) => r.seedLaunches)) / days),
    pool: {
      met: runs.filter((r) => r.pool.met).length,
      p95Ratio: geomean(runs.map((r) => r.pool.p95Ratio)),
      costRatio: geomean(runs.map((r) => r.pool.costRatio)),
      coldLaunchesRatio: ratio(
        sum(runs.map((r) => r.pool.coldLaunches)),
        sum(runs.map((r) => r.seedLaunches)),
      ),
      gapClosed: mean(runs.map((r) => r.pool.gapClosed)),
      coldLaunchesPerDay: round(sum(runs.map((r) => r.pool.coldLaunches)) / days),
      warmStartsPerDay: round(sum(runs.map((r) => r.pool.warmStarts)) / days),
      stoppedVolumeCostPerDay: round(sum(runs.map((r) => r.stoppedVolumeCost)) / days),
    },
  };
}

/** Every family's row, in the reference traces' order. */
export async function benchFamilies(): Promise<FamilyBenchRow[]> {
  const rows: FamilyBenchRow[] = [];
  for (const family of Object.keys(TRACE_FAMILIES) as (keyof typeof TRACE_FAMILIES)[]) {
    rows.push(familyRow(family, await familyRuns(family)));
  }
  return rows;
}

function sum(values: number[]): number {
  return values.reduce((s, v) => s + v, 0);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
