/**
 * Generates the reference traces in scripts/traces/ from a fixed seed, so they can be re-made and
 * reviewed: `npx tsx scripts/lib/make-traces.ts`. The workloads are those of a payroll SaaS whose job
 * servers run 4 workers each (c5.large, 2 workers per vCPU), 1 permanent and at most 2 extra:
 *
 * - steady-weekday: a Monday. Interactive jobs (pay calculations, PDFs, e-mails) follow business
 *   hours, peaking near one server's throughput; integrations sync at 09:00, 12:00 and 15:00 and a
 *   nightly reconciliation runs at 02:00. Service 30-300 s (median 80 s).
 * - month-end-payroll: the last business day. A busier weekday plus the month-end run: at 10:00 it
 *   fans out one report job per client (150 jobs, about 7 worker-hours at once), then report jobs
 *   keep coming until 16:00; with the interactive load that stream alone needs about 80 % of the
 *   3 servers' 12 workers, so the fan-out is a backlog that takes hours to clear even at the
 *   maximum. Reports take 60-600 s (median 150 s).
 * - spiky-day: a quiet day with timesheet imports: seven times during business hours a customer's
 *   upload spawns 150-450 short per-employee jobs within one to three minutes (15-180 s each).
 *
 * The numbers were chosen to describe these workloads before any policy ran on them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { poisson, type Random, seededRandom } from './random.js';
import { formatTrace, type TraceJob } from './trace.js';

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
    const count = poisson(random, rate(Math.floor(minute / HOUR)) / 60);
    for (let i = 0; i < count; i += 1) {
      jobs.push({ arrivalS: minute + random() * 60, serviceS: serviceTime(random, ...serviceArgs(service)) });
    }
  }
  return jobs;
}

/** `count` jobs arriving within `spreadS` seconds of `atS`. */
function batch(random: Random, atS: number, count: number, spreadS: number, service: Service): TraceJob[] {
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
    .map((j) => ({ arrivalS: Math.round(j.arrivalS * 10) / 10, serviceS: j.serviceS }))
    .sort((a, b) => a.arrivalS - b.arrivalS);
}

const INTERACTIVE: Service = { median: 80, sigma: 0.6, min: 30, max: 300 };
const REPORT: Service = { median: 150, sigma: 0.5, min: 60, max: 600 };
const IMPORT: Service = { median: 40, sigma: 0.5, min: 15, max: 180 };

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

export function steadyWeekday(seed: number): TraceJob[] {
  const random = seededRandom(seed);
  return sorted([
    ...stream(random, weekdayRate, INTERACTIVE),
    ...batch(random, 2 * HOUR, 60, 60, INTERACTIVE),
    ...[9, 12, 15].flatMap((h) => batch(random, h * HOUR, 25, 30, INTERACTIVE)),
  ]);
}

export function monthEndPayroll(seed: number): TraceJob[] {
  const random = seededRandom(seed);
  return sorted([
    ...stream(random, (h) => weekdayRate(h) * 1.2, INTERACTIVE),
    ...batch(random, 2 * HOUR, 60, 60, INTERACTIVE),
    ...[9, 12, 15].flatMap((h) => batch(random, h * HOUR, 25, 30, INTERACTIVE)),
    ...batch(random, 10 * HOUR, 150, 120, REPORT),
    ...stream(random, () => 110, REPORT, 10 * HOUR, 16 * HOUR),
  ]);
}

export function spikyDay(seed: number): TraceJob[] {
  const random = seededRandom(seed);
  const quiet = (h: number) => (h < 7 ? 5 : h < 19 ? 60 : 10);
  const bursts = Array.from({ length: 7 }, () => ({
    atS: 8 * HOUR + random() * 10 * HOUR,
    count: 150 + Math.floor(random() * 301),
    spreadS: 60 + random() * 120,
  }));
  return sorted([
    ...stream(random, quiet, INTERACTIVE),
    ...bursts.flatMap((b) => batch(random, b.atS, b.count, b.spreadS, IMPORT)),
  ]);
}

export const REFERENCE_TRACES = {
  'steady-weekday': () => steadyWeekday(2010),
  'month-end-payroll': () => monthEndPayroll(2010),
  'spiky-day': () => spikyDay(2010),
} as const;

export const TRACES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'traces');

async function main(): Promise<void> {
  await mkdir(TRACES_DIR, { recursive: true });
  for (const [name, make] of Object.entries(REFERENCE_TRACES)) {
    const jobs = make();
    const file = join(TRACES_DIR, `${name}.csv`);
    await writeFile(file, formatTrace(jobs));
    const work = jobs.reduce((sum, j) => sum + j.serviceS, 0) / HOUR;
    console.log(`${file}: ${jobs.length} jobs, ${work.toFixed(1)} worker-hours`);
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
