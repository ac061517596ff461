/**
 * The `tune` part of `npm run bench`: `npm run tune`'s sweep over every reference trace, timed, and
 * how far the shipped default's p95 is from the best p95 the sweep finds at equal or lower cost in
 * dollars (target: within 20 % or 30 s), and whether the tuner would keep the default. The one-day time is the tuner's speed figure
 * (target: under 60 s on 2 cores).
 */
import { readdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { defaultRole } from '../index.js';
import { replayStart } from '../start.js';
import { readTrace } from '../trace.js';
import { FULL_GRID } from '../tune/grid.js';
import { tune } from '../tune/run.js';
import { REFERENCE_TRACES_DIR } from './policies.js';

export interface TuneBenchRow {
  trace: string;
  traceDays: number;
  candidates: number;
  threads: number;
  seconds: number;
  defaultP95S: number;
  defaultCost: number;
  /** Lowest p95 of a swept candidate at the default's dollars or fewer. */
  bestP95AtCostS: number;
  /** The tuner keeps the default: no candidate beats it on this trace. */
  keepsDefault: boolean;
  recommended: string;
  /** default p95 - best p95 at equal or lower cost, in seconds and as a ratio. */
  distanceS: number;
  distanceRatio: number;
}

export async function benchTune(tracesDir = REFERENCE_TRACES_DIR): Promise<TuneBenchRow[]> {
  const files = (await readdir(tracesDir)).filter((f) => f.endsWith('.csv')).sort();
  const threads = availableParallelism();
  const rows: TuneBenchRow[] = [];
  for (const file of files) {
    const jobs = await readTrace(join(tracesDir, file));
    const started = performance.now();
    const role = defaultRole();
    // Each from its own day, as `npm run tune` replays it.
    const startAt = replayStart(file, role.schedule.timeZone).at;
    const result = await tune({
      jobs,
      startAt,
      role,
      grid: FULL_GRID,
      maxCostRatio: 1,
      threads,
    });
    const seconds = (performance.now() - started) / 1000;
    const ours = result.current;
    const best = Math.min(
      ours.waitP95S,
      ...result.points.filter((p) => p.cost <= ours.cost).map((p) => p.waitP95S),
    );
    rows.push({
      trace: basename(file, '.csv'),
      traceDays: Math.max(1, Math.ceil((jobs.at(-1)?.arrivalS ?? 0) / 86_400)),
      candidates: result.points.length,
      threads,
      seconds: Math.round(seconds * 10) / 10,
      defaultP95S: ours.waitP95S,
      defaultCost: ours.cost,
      bestP95AtCostS: best,
      keepsDefault: result.keepCurrent,
      recommended: result.recommended.label,
      distanceS: Math.round((ours.waitP95S - best) * 10) / 10,
      distanceRatio:
        best === 0
          ? ours.waitP95S === 0
            ? 1
            : Number.POSITIVE_INFINITY
          : Math.round((ours.waitP95S / best) * 1000) / 1000,
    });
  }
  return rows;
}
