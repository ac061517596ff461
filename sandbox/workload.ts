/**
 * A synthetic payroll workload, reproducible from a seed: a steady trickle of background jobs in
 * business hours, lighter evenings and nights, quiet weekends, and report bursts on weekdays at
 * 09:00 (morning reports), 12:00 (payroll preview) and 16:30 (end-of-day payroll run).
 */

import { DateTime } from 'luxon';
import { poisson, seededRandom } from '../sim/random.js';

export interface JobSpec {
  /** Epoch ms (simulated) the job is enqueued. */
  arrival: number;
  /** Simulated ms one worker needs for it. */
  serviceMs: number;
  kind: 'trickle' | 'report';
}

/** Jobs per minute of the trickle, by local hour on weekdays. */
const WEEKDAY_RATE: readonly number[] = [
  0.15, 0.15, 0.15, 0.15, 0.15, 0.15, 0.4, 0.6, 1.2, 1.5, 1.5, 1.5, 1.0, 1.5, 1.5, 1.5, 1.5, 1.2, 0.8, 0.6,
  0.5, 0.3, 0.2, 0.2,
];
const WEEKEND_RATE = 0.1;

/** Weekday report bursts: local time, jobs (before the day's ±20 %), minutes they arrive over. */
export const BURSTS: readonly { at: string; jobs: number; minutes: number; name: string }[] = [
  { at: '09:00', jobs: 40, minutes: 3, name: 'morning reports' },
  { at: '12:00', jobs: 30, minutes: 2, name: 'payroll preview' },
  { at: '16:30', jobs: 70, minutes: 5, name: 'end-of-day payroll run' },
];

/**
 * Every job arriving in `[start, end)`, sorted by arrival. Local times are in `timeZone`.
 * @example payrollWorkload({ start, end: start + 86_400_000, timeZone: 'America/Toronto', seed: 1 })
 */
export function payrollWorkload(input: {
  start: number;
  end: number;
  timeZone: string;
  seed: number;
}): JobSpec[] {
  const random = seededRandom(input.seed);
  const jobs: JobSpec[] = [];
  const minute = 60_000;
  for (let t = Math.floor(input.start / minute) * minute; t < input.end; t += minute) {
    const local = DateTime.fromMillis(t, { zone: input.timeZone });
    const weekday = local.weekday <= 5;
    const rate = weekday ? (WEEKDAY_RATE[local.hour] ?? 0) : WEEKEND_RATE;
    for (let n = poisson(random, rate); n > 0; n -= 1) {
      jobs.push({
        arrival: t + Math.floor(random() * minute),
        serviceMs: trickleMs(random),
        kind: 'trickle',
      });
    }
    if (!weekday) continue;
    const hhmm = local.toFormat('HH:mm');
    for (const burst of BURSTS) {
      if (burst.at !== hhmm) continue;
      const count = Math.round(burst.jobs * (0.8 + 0.4 * random()));
      for (let i = 0; i < count; i += 1) {
        jobs.push({
          arrival: t + Math.floor(random() * burst.minutes * minute),
          serviceMs: reportMs(random),
          kind: 'report',
        });
      }
    }
  }
  return jobs
    .filter((j) => j.arrival >= input.start && j.arrival < input.end)
    .sort((a, b) => a.arrival - b.arrival);
}

/** Trickle jobs: exponential, mean 45 s, between 5 s and 10 min. */
function trickleMs(random: () => number): number {
  const seconds = -45 * Math.log(1 - random());
  return Math.round(Math.min(600, Math.max(5, seconds)) * 1000);
}

/** Report jobs: 1 to about 6 minutes, most around 2.5. */
function reportMs(random: () => number): number {
  const seconds = 60 + 90 * (random() + random() + random());
  return Math.round(seconds * 1000);
}
