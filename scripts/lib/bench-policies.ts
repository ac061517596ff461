/**
 * The `policies` part of `npm run bench`: every reference trace in scripts/traces/ replayed with
 * every policy under the same permanent capacity, maximum server count, launch delays (same seed)
 * and billing rule, and the ratios of fleet-pilot's `default` to the 2010 script.
 *
 * Target (a benchmark figure, not a test): on every trace `default` has p95 wait <= 0.5x
 * `seed-2010`'s at <= 1.0x its instance-hours (per-second billing).
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LAUNCH_DELAY, DEFAULT_SEED, POLICY_NAMES, simulate } from './simulator.js';
import { readTrace } from './trace.js';

export interface PolicyBenchRow {
  trace: string;
  policy: string;
  waitP50S: number;
  waitP95S: number;
  waitMaxS: number;
  instanceHours: number;
  instanceHoursHourly: number;
  launches: number;
}

export interface PolicyRatio {
  trace: string;
  /** default p95 wait / seed-2010 p95 wait (target <= 0.5). */
  p95Ratio: number;
  /** default instance-hours / seed-2010 instance-hours, per-second billing (target <= 1.0). */
  instanceHoursRatio: number;
}

/** Where the committed reference traces live. */
export const REFERENCE_TRACES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'traces');

/** Runs every reference trace with every policy, in trace then policy order. */
export async function benchPolicies(
  options: { seed?: number; tracesDir?: string } = {},
): Promise<PolicyBenchRow[]> {
  const dir = options.tracesDir ?? REFERENCE_TRACES_DIR;
  const files = (await readdir(dir)).filter((f) => f.endsWith('.csv')).sort();
  const rows: PolicyBenchRow[] = [];
  for (const file of files) {
    const jobs = await readTrace(join(dir, file));
    for (const policy of POLICY_NAMES) {
      const { summary } = simulate({
        jobs,
        policy,
        seed: options.seed ?? DEFAULT_SEED,
        launchDelay: DEFAULT_LAUNCH_DELAY,
      });
      rows.push({
        trace: basename(file, '.csv'),
        policy,
        waitP50S: summary.waitP50S,
        waitP95S: summary.waitP95S,
        waitMaxS: summary.waitMaxS,
        instanceHours: summary.instanceHours,
        instanceHoursHourly: summary.instanceHoursHourly,
        launches: summary.launches,
      });
    }
  }
  return rows;
}

/** `default` against `seed-2010`, per trace (traces missing either policy are left out). */
export function policyRatios(rows: readonly PolicyBenchRow[]): PolicyRatio[] {
  const traces = [...new Set(rows.map((r) => r.trace))];
  const out: PolicyRatio[] = [];
  for (const trace of traces) {
    const seed = rows.find((r) => r.trace === trace && r.policy === 'seed-2010');
    const ours = rows.find((r) => r.trace === trace && r.policy === 'default');
    if (seed === undefined || ours === undefined) continue;
    out.push({
      trace,
      p95Ratio: ratio(ours.waitP95S, seed.waitP95S),
      instanceHoursRatio: ratio(ours.instanceHours, seed.instanceHours),
    });
  }
  return out;
}

/** Rounded to 3 digits; 0/0 is 1 (equal), x/0 is Infinity. */
function ratio(a: number, b: number): number {
  if (b === 0) return a === 0 ? 1 : Number.POSITIVE_INFINITY;
  return Math.round((a / b) * 1000) / 1000;
}
