/**
 * The `policies` part of `npm run bench`: every reference trace in sim/traces/ replayed with
 * every policy under the same permanent capacity, maximum server count, launch delays (same seed)
 * and billing rule, plus a `bound` row per trace: the role's maximum servers in service all day
 * (run by the same converge service with the schedule floor at the maximum), the lowest wait the
 * ceiling allows. `gapClosed` places a policy between the 2010 script (0) and that bound (1).
 * Each row also says how long its simulation took (wall and CPU).
 *
 * An `onset-oracle` row per trace shows how much of that gap a policy that reacts to the queue can
 * close at best: the shipped default plus a schedule window at the ceiling from the minute each
 * batch or burst of the trace begins (the generator knows them) for {@link ONSET_HOLD_MINUTES}
 * minutes. Its servers are launched at the start of that minute, at or before the burst's first
 * job, and still take their launch delay: no queue-driven policy launches earlier without knowing
 * the burst is coming.
 *
 * `default` is the shipped job role, its warm pool included; a `default-no-pool` row is the same
 * role with config/presets/no-pool.json merged over it (every launch cold). The bound and the
 * onset oracle launch cold too: they are built on the role without its pool.
 *
 * Target (a benchmark figure, not a test): on every trace `default` has p95 wait <= 0.5x
 * `seed-2010`'s at <= 1.0x its cost in dollars (running time at the type's price, volumes, boots),
 * and launches at most 2x as many servers a day, plus the pool's refills.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import type { RoleConfig, Weekday } from '../../domain/config.js';
import {
  DEFAULT_LAUNCH_DELAY,
  DEFAULT_SEED,
  DEFAULT_START_AT,
  POLICY_NAMES,
  type PolicySpec,
  simulate,
} from '../index.js';
import { BOUND_POLICY, boundRole, NO_POOL_POLICY, noPoolRole } from '../policies.js';
import { readTrace } from '../trace.js';
import { referenceOnsets, traceStartAt } from '../traces/make-traces.js';

export interface PolicyBenchRow {
  trace: string;
  policy: string;
  waitP50S: number;
  waitP95S: number;
  waitMaxS: number;
  instanceHours: number;
  instanceHoursHourly: number;
  /** Dollars: running time at the type's price, root volumes (running or stopped), boots included. */
  cost: number;
  /** Of `cost`, the volumes of stopped servers: what a warm pool costs while it waits. */
  stoppedVolumeCost: number;
  /** Servers brought into service (cold launches plus warm starts). */
  launches: number;
  /** Servers launched (RunInstances) straight into service. */
  coldLaunches: number;
  /** Stopped servers started from a warm pool. */
  warmStarts: number;
  /** (seed-2010 p95 - p95) / (seed-2010 p95 - bound p95); null when the bound is no better. */
  gapClosed: number | null;
  /** Wall time of this simulation. */
  simulationMs: number;
  /** CPU time of this simulation (steadier than wall time on a shared machine). */
  simulationCpuMs: number;
}

export interface PolicyRatio {
  trace: string;
  policy: string;
  /** p95 wait / seed-2010 p95 wait (target for `default`: <= 0.5). */
  p95Ratio: number;
  /** cost / seed-2010 cost, dollars (target for `default`: <= 1.0). */
  costRatio: number;
  /** instance-hours / seed-2010 instance-hours, per-second billing. */
  instanceHoursRatio: number;
  /** cold launches / seed-2010 launches (target for `default`: <= 2.0). */
  coldLaunchesRatio: number;
}

/** Where the committed reference traces live. */
export const REFERENCE_TRACES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'traces');

export const ONSET_POLICY = 'onset-oracle';
/** How long the onset oracle keeps the ceiling after a burst begins. */
export const ONSET_HOLD_MINUTES = 30;

const WEEKDAY_NAMES: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/**
 * The role with a window at its ceiling from the minute each onset falls in (seconds from
 * `startAt`) for {@link ONSET_HOLD_MINUTES} minutes (to midnight at most), launched without lead.
 */
export function onsetRole(
  role: RoleConfig,
  onsetsS: readonly number[],
  startAt = DEFAULT_START_AT,
): RoleConfig {
  const byDay = new Map<Weekday, [number, number][]>();
  for (const onsetS of onsetsS) {
    const local = DateTime.fromMillis(startAt + onsetS * 1000, { zone: role.schedule.timeZone });
    const day = WEEKDAY_NAMES[local.weekday - 1] ?? 'mon';
    const from = local.hour * 60 + local.minute;
    byDay.set(day, [...(byDay.get(day) ?? []), [from, Math.min(24 * 60, from + ONSET_HOLD_MINUTES)]]);
  }
  // Overlapping spans of one weekday (the same day, or the same weekday of another week) merge.
  for (const [day, spans] of byDay) {
    const merged: [number, number][] = [];
    for (const [from, to] of spans.sort((x, y) => x[0] - y[0])) {
      const last = merged.at(-1);
      if (last !== undefined && from <= last[1]) last[1] = Math.max(last[1], to);
      else merged.push([from, to]);
    }
    byDay.set(day, merged);
  }
  const clock = (minutes: number) =>
    `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  const windows = [...byDay].flatMap(([day, spans]) =>
    spans.map(([from, to]) => ({ days: [day], start: clock(from), end: clock(to), servers: role.max })),
  );
  return {
    ...role,
    schedule: { ...role.schedule, leadMinutes: 0, windows: [...role.schedule.windows, ...windows] },
  };
}

/** Runs every reference trace with every policy and the bound, in trace then policy order. */
export async function benchPolicies(
  options: { seed?: number; tracesDir?: string } = {},
): Promise<PolicyBenchRow[]> {
  const dir = options.tracesDir ?? REFERENCE_TRACES_DIR;
  const files = (await readdir(dir)).filter((f) => f.endsWith('.csv')).sort();
  const role = noPoolRole();
  const policies: [string, PolicySpec][] = [
    ...POLICY_NAMES.map((name): [string, PolicySpec] => [name, name]),
    [NO_POOL_POLICY, { name: NO_POOL_POLICY, role }],
    [BOUND_POLICY, { name: BOUND_POLICY, role: boundRole(role) }],
  ];
  const rows: PolicyBenchRow[] = [];
  for (const file of files) {
    const jobs = await readTrace(join(dir, file));
    const trace = basename(file, '.csv');
    const onsets = referenceOnsets(trace);
    const startAt = traceStartAt(trace);
    const traceRows: PolicyBenchRow[] = [];
    const withOracle: [string, PolicySpec][] =
      onsets.length === 0
        ? policies
        : [...policies, [ONSET_POLICY, { name: ONSET_POLICY, role: onsetRole(role, onsets, startAt) }]];
    for (const [name, policy] of withOracle) {
      const started = performance.now();
      const cpu = process.cpuUsage();
      const { summary } = await simulate({
        jobs,
        policy,
        seed: options.seed ?? DEFAULT_SEED,
        launchDelay: DEFAULT_LAUNCH_DELAY,
        startAt,
      });
      const simulationMs = Math.round(performance.now() - started);
      const used = process.cpuUsage(cpu);
      const simulationCpuMs = Math.round((used.user + used.system) / 1000);
      traceRows.push({
        trace,
        policy: name,
        waitP50S: summary.waitP50S,
        waitP95S: summary.waitP95S,
        waitMaxS: summary.waitMaxS,
        instanceHours: summary.instanceHours,
        instanceHoursHourly: summary.instanceHoursHourly,
        cost: summary.cost,
        stoppedVolumeCost: summary.stoppedVolumeCost,
        launches: summary.launches,
        coldLaunches: summary.coldLaunches,
        warmStarts: summary.warmStarts,
        gapClosed: null,
        simulationMs,
        simulationCpuMs,
      });
    }
    rows.push(...withGapClosed(traceRows));
  }
  return rows;
}

/**
 * (seed p95 - p95) / (seed p95 - bound p95), to 3 digits: 0 no better than the 2010 rule, 1 as good
 * as the ceiling allows; null when the bound waits no less than the seed.
 */
export function gapClosed(seedP95S: number, boundP95S: number, p95S: number): number | null {
  if (seedP95S <= boundP95S) return null;
  return Math.round(((seedP95S - p95S) / (seedP95S - boundP95S)) * 1000) / 1000;
}

/** Fills `gapClosed` for one trace's rows from its seed-2010 and bound rows. */
export function withGapClosed(rows: readonly PolicyBenchRow[]): PolicyBenchRow[] {
  const seed = rows.find((r) => r.policy === 'seed-2010')?.waitP95S;
  const bound = rows.find((r) => r.policy === BOUND_POLICY)?.waitP95S;
  return rows.map((row) => ({
    ...row,
    gapClosed: seed === undefined || bound === undefined ? null : gapClosed(seed, bound, row.waitP95S),
  }));
}

/** Every policy against `seed-2010` of the same trace (traces without it are left out). */
export function policyRatios(rows: readonly PolicyBenchRow[]): PolicyRatio[] {
  const out: PolicyRatio[] = [];
  for (const row of rows) {
    const seed = rows.find((r) => r.trace === row.trace && r.policy === 'seed-2010');
    if (seed === undefined || row === seed) continue;
    out.push({
      trace: row.trace,
      policy: row.policy,
      p95Ratio: ratio(row.waitP95S, seed.waitP95S),
      costRatio: ratio(row.cost, seed.cost),
      instanceHoursRatio: ratio(row.instanceHours, seed.instanceHours),
      coldLaunchesRatio: ratio(row.coldLaunches, seed.coldLaunches),
    });
  }
  return out;
}

/** Rounded to 3 digits; 0/0 is 1 (equal), x/0 is Infinity. */
export function ratio(a: number, b: number): number {
  if (b === 0) return a === 0 ? 1 : Number.POSITIVE_INFINITY;
  return Math.round((a / b) * 1000) / 1000;
}
