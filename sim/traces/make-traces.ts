/**
 * The one generator of the reference traces in sim/traces/: `npm run traces` re-makes them from
 * the fixed seed 2010 (`-- --check` also prints each one's p95 wait with the role at its ceiling all
 * day and with the 2010 rule). The workloads are those of a payroll SaaS whose job servers run 4
 * workers each (c5.large, 2 workers per vCPU), 1 permanent and at most 2 extra (12 workers at most).
 * Every stream is Poisson, minute by minute, at a rate in jobs per hour of local time; service
 * times are lognormal, clipped: interactive 30-300 s (median 80 s), reports 60-600 s (median 150 s),
 * imports 15-180 s (median 40 s).
 *
 * - steady-weekday (1 day): interactive jobs follow business hours (8/h at night, 130-140/h
 *   08:00-17:00, near one server's throughput); integrations sync 25 jobs at 09:00, 12:00 and 15:00
 *   and a nightly reconciliation drops 60 jobs at 02:00.
 * - diurnal-peaks (1 day): the same batches; the rate rises to 330/h over lunch (12:00-14:00) and
 *   380/h at the end of the day (16:00-18:00), about 2 and 2.5 servers' worth.
 * - month-end-payroll (1 day): the weekday rate x1.2 plus the month-end run: at 10:00 it fans out
 *   120 report jobs within 2 minutes (5.5 worker-hours), then 45 reports/h until 16:00. The one
 *   trace that saturates the role: even 3 servers all day leave a long backlog.
 * - flash-burst (1 day): a quiet day (60/h in business hours) with 6 timesheet imports at random
 *   times between 08:00 and 18:00, each 80-200 short jobs within 1-5 minutes.
 * - quiet-weekend (2 days, from Saturday 00:00: {@link TRACE_START_AT}): 4/h at night, 25/h by day;
 *   Saturday 03:00 a backup export of 40 reports, Sunday 19:00 the week's schedule publication, 60
 *   jobs over 5 minutes.
 * - noisy-3-day (3 days): three weekdays whose hourly rate is the weekday's times a lognormal factor
 *   (sigma 0.35) drawn per hour, the weekday batches, and two unannounced imports a day (40-100 jobs
 *   within 3 minutes at random times between 08:00 and 18:00).
 * - trickle-day (1 day): a quiet office: interactive jobs at 6/h at night and 20/h 08:00-18:00
 *   (a fifth of one server's throughput), and reminders (4/h all day, short jobs of median 4 s)
 *   scheduled 20-60 minutes after they are queued, so a few jobs sit in the queue unserved all day
 *   (a queue-length endpoint counting every job shows them); two batches call for the extra
 *   servers: 40 reports at 09:30 within 2 minutes and 60 imports at 14:00 within 3. Between them
 *   the fleet is idle with a small queue that barely moves, and the extra servers should go.
 *
 * The numbers describe the workloads; they were fixed before any policy was tuned on them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultRole, simulate } from '../index.js';
import { boundRole, DEFAULT_START_AT } from '../policies.js';
import { poisson, type Random, seededRandom } from '../random.js';
import { formatTrace, type TraceJob } from '../trace.js';

const HOUR = 3600;

/** Lognormal with the given median and shape, clipped to [min, max], in whole seconds. */
function serviceTime(random: Random, median: number, sigma: number, min: number, max: number): number {
  const u = Math.max(random(), 1e-12);
  const v = random();
  const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return Math.round(Math.min(max, Math.max(min, median * Math.exp(sigma * normal))));
}

interface Service {
  median: number;
  sigma: number;
  min: number;
  max: number;
}

/** A Poisson stream whose rate (jobs per hour) is `rate(hour of day)`, minute by minute. */
function stream(
  random: Random,
  rate: (hour: number) => number,
  service: Service,
  fromS = 0,
  toS = 24 * HOUR,
) {
  const jobs: TraceJob[] = [];
  for (let minute = fromS; minute < toS; minute += 60) {
    const count = poisson(random, rate(Math.floor(minute / HOUR) % 24) / 60);
    for (let i = 0; i < count; i += 1) {
      jobs.push({ arrivalS: minute + random() * 60, serviceS: serviceTime(random, ...serviceArgs(service)) });
    }
  }
  return jobs;
}

/**
 * Where a generator notes the start (seconds from the trace start) of every batch and burst it
 * draws: the bench's `onset-oracle` launches at them. Noting changes nothing in the trace.
 */
export type Onsets = number[];

/** `count` jobs arriving within `spreadS` seconds of `atS` (noted in `onsets`). */
function batch(
  random: Random,
  atS: number,
  count: number,
  spreadS: number,
  service: Service,
  onsets: Onsets,
): TraceJob[] {
  onsets.push(atS);
  return Array.from({ length: count }, () => ({
    arrivalS: atS + random() * spreadS,
    serviceS: serviceTime(random, ...serviceArgs(service)),
  }));
}

function serviceArgs(s: Service): [number, number, number, number] {
  return [s.median, s.sigma, s.min, s.max];
}

function sorted(jobs: TraceJob[]): TraceJob[] {
  return jobs
    .map((j) => ({
      arrivalS: Math.round(j.arrivalS * 10) / 10,
      serviceS: j.serviceS,
      ...(j.runAtS === undefined ? {} : { runAtS: j.runAtS }),
    }))
    .sort((a, b) => a.arrivalS - b.arrivalS);
}

const INTERACTIVE: Service = { median: 80, sigma: 0.6, min: 30, max: 300 };
const REPORT: Service = { median: 150, sigma: 0.5, min: 60, max: 600 };
const IMPORT: Service = { median: 40, sigma: 0.5, min: 15, max: 180 };
const NOTIFICATION: Service = { median: 4, sigma: 0.6, min: 2, max: 30 };

/** Jobs per hour of a weekday, by local hour. */
function weekdayRate(hour: number): number {
  if (hour < 6) return 8;
  if (hour < 7) return 30;
  if (hour < 8) return 70;
  if (hour < 12) return 130;
  if (hour < 13) return 100;
  if (hour < 17) return 140;
  if (hour < 18) return 90;
  if (hour < 20) return 40;
  return 15;
}

/** Integrations at 09:00, 12:00 and 15:00 and the nightly reconciliation at 02:00. */
function weekdayBatches(random: Random, onsets: Onsets, dayS = 0): TraceJob[] {
  return [
    ...batch(random, dayS + 2 * HOUR, 60, 60, INTERACTIVE, onsets),
    ...[9, 12, 15].flatMap((h) => batch(random, dayS + h * HOUR, 25, 30, INTERACTIVE, onsets)),
  ];
}

export function steadyWeekday(seed: number, onsets: Onsets = []): TraceJob[] {
  const random = seededRandom(seed);
  return sorted([...stream(random, weekdayRate, INTERACTIVE), ...weekdayBatches(random, onsets)]);
}

/** Jobs per hour of a day with a lunch rush and an end-of-day rush on top of business hours. */
function diurnalRate(hour: number): number {
  if (hour < 6) return 10;
  if (hour < 8) return 60;
  if (hour < 11) return 120;
  if (hour < 12) return 170;
  if (hour < 14) return 330; // lunch: timesheets and expense claims submitted from phones
  if (hour < 16) return 150;
  if (hour < 18) return 380; // end of day: approvals, exports, e-mails
  if (hour < 20) return 90;
  return 20;
}

export function diurnalPeaks(seed: number, onsets: Onsets = []): TraceJob[] {
  const random = seededRandom(seed);
  return sorted([...stream(random, diurnalRate, INTERACTIVE), ...weekdayBatches(random, onsets)]);
}

export function monthEndPayroll(seed: number, onsets: Onsets = []): TraceJob[] {
  const random = seededRandom(seed);
  return sorted([
    ...stream(random, (h) => weekdayRate(h) * 1.2, INTERACTIVE),
    ...weekdayBatches(random, onsets),
    ...batch(random, 10 * HOUR, 120, 120, REPORT, onsets),
    ...stream(random, () => 45, REPORT, 10 * HOUR, 16 * HOUR),
  ]);
}

export function flashBurst(seed: number, onsets: Onsets = []): TraceJob[] {
  const random = seededRandom(seed);
  const quiet = (h: number) => (h < 7 ? 5 : h < 19 ? 60 : 10);
  const bursts = Array.from({ length: 6 }, () => ({
    atS: 8 * HOUR + random() * 10 * HOUR,
    count: 80 + Math.floor(random() * 121),
    spreadS: 60 + random() * 240,
  }));
  return sorted([
    ...stream(random, quiet, INTERACTIVE),
    ...bursts.flatMap((b) => batch(random, b.atS, b.count, b.spreadS, IMPORT, onsets)),
  ]);
}

export function quietWeekend(seed: number, onsets: Onsets = []): TraceJob[] {
  const random = seededRandom(seed);
  const rate = (h: number) => (h < 8 ? 4 : h < 20 ? 25 : 8);
  return sorted([
    ...stream(random, rate, INTERACTIVE, 0, 2 * 24 * HOUR),
    // Saturday's weekly backup export and Sunday evening's schedule publication.
    ...batch(random, 3 * HOUR, 40, 120, REPORT, onsets),
    ...batch(random, (24 + 19) * HOUR, 60, 300, INTERACTIVE, onsets),
  ]);
}

/**
 * Three weekdays whose hourly rate is the weekday's times a lognormal factor drawn per hour, with
 * two unannounced imports a day: the trace a policy cannot have been tuned to by eye.
 */
export function noisyThreeDays(seed: number, onsets: Onsets = []): TraceJob[] {
  const random = seededRandom(seed);
  const factors = Array.from({ length: 72 }, () => Math.exp(0.35 * normal(random)));
  const jobs: TraceJob[] = [];
  for (let day = 0; day < 3; day += 1) {
    const dayS = day * 24 * HOUR;
    jobs.push(
      ...stream(
        random,
        (h) => weekdayRate(h) * (factors[day * 24 + h] ?? 1),
        INTERACTIVE,
        dayS,
        dayS + 24 * HOUR,
      ),
      ...weekdayBatches(random, onsets, dayS),
      ...[0, 1].flatMap(() =>
        batch(random, dayS + (8 + random() * 10) * HOUR, 40 + Math.floor(random() * 61), 180, IMPORT, onsets),
      ),
    );
  }
  return sorted(jobs);
}

/** A quiet office day: a trickle of jobs and two batches (see the file comment). */
export function trickleDay(seed: number, onsets: Onsets = []): TraceJob[] {
  const random = seededRandom(seed);
  const rate = (h: number) => (h < 8 || h >= 18 ? 6 : 20);
  const reminders = stream(random, () => 4, NOTIFICATION).map((j) => ({
    ...j,
    runAtS: Math.round((j.arrivalS + 1200 + random() * 2400) * 10) / 10,
  }));
  return sorted([
    ...stream(random, rate, INTERACTIVE),
    ...reminders,
    ...batch(random, 9.5 * HOUR, 40, 120, REPORT, onsets),
    ...batch(random, 14 * HOUR, 60, 180, IMPORT, onsets),
  ]);
}

function normal(random: Random): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** A trace generator: jobs from a seed, noting the start of every batch and burst it draws. */
export type TraceFamily = (seed: number, onsets?: Onsets) => TraceJob[];

/** Every generator by the name of its reference trace. */
export const TRACE_FAMILIES: Record<ReferenceTrace, TraceFamily> = {
  'steady-weekday': steadyWeekday,
  'diurnal-peaks': diurnalPeaks,
  'month-end-payroll': monthEndPayroll,
  'flash-burst': flashBurst,
  'quiet-weekend': quietWeekend,
  'noisy-3-day': noisyThreeDays,
  'trickle-day': trickleDay,
};

/** Local midnight of Saturday 2026-03-07 in America/Toronto: the first day of a weekend trace. */
const SATURDAY_START_AT = Date.parse('2026-03-07T05:00:00Z');

/**
 * Trace time 0 of each generator's traces: a weekend trace starts on a Saturday, every other one
 * on the Monday of {@link DEFAULT_START_AT}, so a schedule (the job role's weekday warm pool)
 * sees the days of the week the workload describes.
 */
export const TRACE_START_AT: Record<ReferenceTrace, number> = {
  'steady-weekday': DEFAULT_START_AT,
  'diurnal-peaks': DEFAULT_START_AT,
  'month-end-payroll': DEFAULT_START_AT,
  'flash-burst': DEFAULT_START_AT,
  'quiet-weekend': SATURDAY_START_AT,
  'noisy-3-day': DEFAULT_START_AT,
  'trickle-day': DEFAULT_START_AT,
};

/** Trace time 0 of a trace by its name (a reference trace's file name), else {@link DEFAULT_START_AT}. */
export function traceStartAt(name: string): number {
  return Object.hasOwn(TRACE_START_AT, name) ? TRACE_START_AT[name as ReferenceTrace] : DEFAULT_START_AT;
}

/** The seed every reference trace is made from. */
export const REFERENCE_SEED = 2010;

/** Every reference trace by file name, each from the fixed seed 2010. */
export const REFERENCE_TRACES = {
  'steady-weekday': () => steadyWeekday(REFERENCE_SEED),
  'diurnal-peaks': () => diurnalPeaks(REFERENCE_SEED),
  'month-end-payroll': () => monthEndPayroll(REFERENCE_SEED),
  'flash-burst': () => flashBurst(REFERENCE_SEED),
  'quiet-weekend': () => quietWeekend(REFERENCE_SEED),
  'noisy-3-day': () => noisyThreeDays(REFERENCE_SEED),
  'trickle-day': () => trickleDay(REFERENCE_SEED),
} as const;

export type ReferenceTrace = keyof typeof REFERENCE_TRACES;

/** Start times (s) of the batches and bursts of a reference trace, sorted; [] for an unknown name. */
export function referenceOnsets(name: string): number[] {
  const family = Object.hasOwn(TRACE_FAMILIES, name) ? TRACE_FAMILIES[name as ReferenceTrace] : undefined;
  const onsets: Onsets = [];
  family?.(REFERENCE_SEED, onsets);
  return onsets.sort((a, b) => a - b);
}

export const TRACES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'traces');

/**
 * Regenerates every reference trace in sim/traces/ from its fixed seed; with `check`, also replays
 * each one with the job role at its maximum all day (`bound`) and with the 2010 rule.
 * `onLine` gets one line per trace as it is written: its file, jobs and worker-hours (and p95 waits
 * with `check`).
 */
export async function writeReferenceTraces(options: {
  check: boolean;
  onLine: (line: string) => void;
}): Promise<void> {
  await mkdir(TRACES_DIR, { recursive: true });
  for (const [name, make] of Object.entries(REFERENCE_TRACES)) {
    const jobs = make();
    const file = join(TRACES_DIR, `${name}.csv`);
    await writeFile(file, formatTrace(jobs));
    const work = jobs.reduce((sum, j) => sum + j.serviceS, 0) / HOUR;
    let line = `${file}: ${jobs.length} jobs, ${work.toFixed(1)} worker-hours`;
    if (options.check) {
      const startAt = traceStartAt(basename(file, '.csv'));
      const bound = await simulate({ jobs, policy: 'default', role: boundRole(defaultRole()), startAt });
      const seed = await simulate({ jobs, policy: 'seed-2010', startAt });
      line += `; p95 wait: bound ${bound.summary.waitP95S} s, seed-2010 ${seed.summary.waitP95S} s`;
    }
    options.onLine(line);
  }
}
