/**
 * The `families` part of `npm run bench`: the shipped default on queues it was not chosen on. Every
 * trace generator (make-traces.ts) draws {@link FAMILY_TRACE_SEEDS} fresh traces (the reference
 * traces use seed 2010), each replayed under {@link FAMILY_DELAY_SEEDS} launch-delay streams, with
 * `default` (its warm pool included), `seed-2010`, `bound`, the onset oracle and `default-no-pool`
 * (config/presets/no-pool.json). Per family it reports how many runs meet the target, the
 * geometric means of the p95 and cost ratios, the cold launches against the 2010 rule's, the warm
 * starts and what the pool's stopped volumes cost a day, and the mean `gapClosed` of the default
 * and of the oracle (what a policy that launches cold and cannot see a burst coming reaches at
 * best), and the same figures for the default without its pool.
 *
 * Target per run (as for the reference traces): cost in dollars <= 1.0x seed-2010 and p95 <= 0.5x,
 * or gapClosed >= 0.8 where the bound's p95 is above 0.4x the seed's.
 */
import {
  DEFAULT_LAUNCH_DELAY,
  type PolicySpec,
  type SimRole,
  type SimulationSummary,
  simulate,
} from '../index.js';
import { BOUND_POLICY, boundRole, NO_POOL_POLICY, noPoolRole } from '../policies.js';
import type { TraceJob } from '../trace.js';
import { type Onsets, TRACE_FAMILIES, TRACE_START_AT } from '../traces/make-traces.js';
import { gapClosed, ONSET_POLICY, onsetRole, ratio } from './policies.js';

/** Trace seeds per family: none of them is the reference traces' 2010. */
export const FAMILY_TRACE_SEEDS = [1, 2, 3, 4] as const;
/**
 * Trace seeds no default was chosen on: every sweep that chose a shipped setting replayed
 * {@link FAMILY_TRACE_SEEDS} only, so these say how the default does on queues it has never seen.
 */
export const HELD_OUT_TRACE_SEEDS = [5, 6, 7, 8] as const;
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
  /** Dollars the default's stopped pool volumes cost in this run. */
  stoppedVolumeCost: number;
  /** Days the trace covers. */
  days: number;
  met: boolean;
  /** The default without its warm pool (config/presets/no-pool.json), in the same run. */
  noPool: Pick<FamilyRun, 'p95Ratio' | 'costRatio' | 'gapClosed' | 'coldLaunches' | 'met'>;
}

/** The default on the held-out seeds: against seed-2010 and the bound of the same runs only. */
export interface HeldOutRun {
  traceSeed: number;
  delaySeed: number;
  p95Ratio: number;
  costRatio: number;
  gapClosed: number | null;
  boundP95Ratio: number;
  met: boolean;
}

/** A family's held-out runs summed: runs met, geometric means, the missed runs as traceSeed/delaySeed. */
export interface HeldOutRow {
  runs: number;
  met: number;
  p95Ratio: number;
  costRatio: number;
  missed: string[];
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
  /** The default's cold launches (pool fills included) over all runs / seed-2010's launches. */
  coldLaunchesRatio: number;
  /** Cold launches a day (pool fills included) and warm starts a day. */
  coldLaunchesPerDay: number;
  warmStartsPerDay: number;
  /** Dollars a day the pool's stopped volumes cost: the pool waiting. */
  stoppedVolumeCostPerDay: number;
  /** Mean over the runs with a bound below the seed. */
  gapClosed: number | null;
  oracleGapClosed: number | null;
  /** The runs that missed the target, as traceSeed/delaySeed. */
  missed: string[];
  /** seed-2010's launches a day. */
  seedLaunchesPerDay: number;
  /** The default on {@link HELD_OUT_TRACE_SEEDS}. */
  heldOut?: HeldOutRow;
  /** The default without its warm pool over the same runs. */
  noPool: Pick<
    FamilyBenchRow,
    'met' | 'p95Ratio' | 'costRatio' | 'coldLaunchesRatio' | 'gapClosed' | 'missed'
  >;
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
  // The bound and the oracle launch cold: they are measured without the pool.
  const coldRole = noPoolRole();
  const runs: FamilyRun[] = [];
  for (const traceSeed of FAMILY_TRACE_SEEDS) {
    const onsets: Onsets = [];
    const jobs = TRACE_FAMILIES[family](traceSeed, onsets);
    const startAt = TRACE_START_AT[family];
    const oracle: PolicySpec = { name: ONSET_POLICY, role: onsetRole(coldRole, onsets, startAt) };
    for (const delaySeed of FAMILY_DELAY_SEEDS) {
      const { run, seed, gap, against } = await measured(jobs, startAt, delaySeed, coldRole);
      const ours = await run('default');
      const cold = await run({ name: NO_POOL_POLICY, role: coldRole });
      const best = await run(oracle);
      const figures = against(ours);
      const withoutPool = against(cold);
      runs.push({
        traceSeed,
        delaySeed,
        ...figures,
        instanceHoursRatio: round(ours.instanceHours / seed.instanceHours),
        oracleGapClosed: gap(best.waitP95S),
        coldLaunches: ours.coldLaunches,
        warmStarts: ours.warmStarts,
        seedLaunches: seed.launches,
        stoppedVolumeCost: ours.stoppedVolumeCost,
        days: Math.max(1, Math.ceil((jobs.at(-1)?.arrivalS ?? 0) / 86_400)),
        met: meetsTarget(figures),
        noPool: {
          p95Ratio: withoutPool.p95Ratio,
          costRatio: withoutPool.costRatio,
          gapClosed: withoutPool.gapClosed,
          coldLaunches: cold.coldLaunches,
          met: meetsTarget(withoutPool),
        },
      });
    }
  }
  return runs;
}

/** One family's row from its runs. */
export function familyRow(family: string, runs: readonly FamilyRun[]): FamilyBenchRow {
  const mean = (values: (number | null)[]) => {
    const known = values.filter((v): v is number => v !== null);
    return known.length === 0 ? null : round(known.reduce((s, v) => s + v, 0) / known.length);
  };
  const days = sum(runs.map((r) => r.days));
  const seedLaunches = sum(runs.map((r) => r.seedLaunches));
  return {
    family,
    runs: runs.length,
    met: runs.filter((r) => r.met).length,
    p95Ratio: geomean(runs.map((r) => r.p95Ratio)),
    costRatio: geomean(runs.map((r) => r.costRatio)),
    instanceHoursRatio: geomean(runs.map((r) => r.instanceHoursRatio)),
    coldLaunchesRatio: ratio(sum(runs.map((r) => r.coldLaunches)), seedLaunches),
    coldLaunchesPerDay: round(sum(runs.map((r) => r.coldLaunches)) / days),
    warmStartsPerDay: round(sum(runs.map((r) => r.warmStarts)) / days),
    stoppedVolumeCostPerDay: round(sum(runs.map((r) => r.stoppedVolumeCost)) / days),
    gapClosed: mean(runs.map((r) => r.gapClosed)),
    oracleGapClosed: mean(runs.map((r) => r.oracleGapClosed)),
    missed: runs.filter((r) => !r.met).map((r) => `${r.traceSeed}/${r.delaySeed}`),
    seedLaunchesPerDay: round(seedLaunches / days),
    noPool: {
      met: runs.filter((r) => r.noPool.met).length,
      p95Ratio: geomean(runs.map((r) => r.noPool.p95Ratio)),
      costRatio: geomean(runs.map((r) => r.noPool.costRatio)),
      coldLaunchesRatio: ratio(sum(runs.map((r) => r.noPool.coldLaunches)), seedLaunches),
      gapClosed: mean(runs.map((r) => r.noPool.gapClosed)),
      missed: runs.filter((r) => !r.noPool.met).map((r) => `${r.traceSeed}/${r.delaySeed}`),
    },
  };
}

/** One family's held-out runs: the default against seed-2010 and the bound, every delay seed. */
export async function heldOutRuns(family: keyof typeof TRACE_FAMILIES): Promise<HeldOutRun[]> {
  const coldRole = noPoolRole();
  const runs: HeldOutRun[] = [];
  for (const traceSeed of HELD_OUT_TRACE_SEEDS) {
    const jobs = TRACE_FAMILIES[family](traceSeed, []);
    for (const delaySeed of FAMILY_DELAY_SEEDS) {
      const { run, against } = await measured(jobs, TRACE_START_AT[family], delaySeed, coldRole);
      const figures = against(await run('default'));
      runs.push({ traceSeed, delaySeed, ...figures, met: meetsTarget(figures) });
    }
  }
  return runs;
}

/**
 * One trace under one delay stream, measured as every family run is: `run` replays a policy,
 * `against` sets its summary against `seed-2010` and `bound` (the role's maximum all day, cold) of
 * the same trace and stream.
 */
async function measured(jobs: readonly TraceJob[], startAt: number, delaySeed: number, coldRole: SimRole) {
  const run = async (policy: PolicySpec) =>
    (await simulate({ jobs, policy, seed: delaySeed, launchDelay: DEFAULT_LAUNCH_DELAY, startAt })).summary;
  const seed = await run('seed-2010');
  const bound = await run({ name: BOUND_POLICY, role: boundRole(coldRole) });
  const gap = (p95: number) => gapClosed(seed.waitP95S, bound.waitP95S, p95);
  const boundP95Ratio = round(bound.waitP95S / seed.waitP95S);
  const against = (s: SimulationSummary) => ({
    p95Ratio: round(s.waitP95S / seed.waitP95S),
    costRatio: round(s.cost / seed.cost),
    gapClosed: gap(s.waitP95S),
    boundP95Ratio,
  });
  return { run, seed, gap, against };
}

/** A family's held-out runs summed. */
export function heldOutRow(runs: readonly HeldOutRun[]): HeldOutRow {
  return {
    runs: runs.length,
    met: runs.filter((r) => r.met).length,
    p95Ratio: geomean(runs.map((r) => r.p95Ratio)),
    costRatio: geomean(runs.map((r) => r.costRatio)),
    missed: runs.filter((r) => !r.met).map((r) => `${r.traceSeed}/${r.delaySeed}`),
  };
}

/** Every family's row, in the reference traces' order, with its held-out seeds. */
export async function benchFamilies(): Promise<FamilyBenchRow[]> {
  const rows: FamilyBenchRow[] = [];
  for (const family of Object.keys(TRACE_FAMILIES) as (keyof typeof TRACE_FAMILIES)[]) {
    const row = familyRow(family, await familyRuns(family));
    rows.push({ ...row, heldOut: heldOutRow(await heldOutRuns(family)) });
  }
  return rows;
}

function geomean(values: number[]): number {
  return round(Math.exp(values.reduce((s, v) => s + Math.log(v), 0) / values.length));
}

function sum(values: number[]): number {
  return values.reduce((s, v) => s + v, 0);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
