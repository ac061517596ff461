/**
 * Multi-week traces with real dates: the payroll business of the reference traces, day by day
 * over whole weeks from a Monday, as its calendar has it. Each local date of the schedule's zone
 * draws its own day from the reference generators (make-traces.ts), with a seed of its own:
 *
 * - a business day: steady-weekday; the last two business days of the month: month-end-payroll
 *   (the month-end run at 10:00 and the reports until 16:00);
 * - a weekend: quiet-weekend; a holiday on a weekday: quiet-weekend's Sunday (no month-end run, no
 *   integrations).
 *
 * Days start at their local midnight, so a span across a DST change keeps its business hours.
 */

import { calendarOf, dateOfDay, dayOfDate } from '../../domain/calendar.js';
import { firstInstantAtOrAfter, zoneOf } from '../../domain/schedule.js';
import type { HolidayCalendarConfig, ScheduleConfig } from '../../domain/schedule-schema.js';
import type { TraceJob } from '../trace.js';
import { monthEndPayroll, quietWeekend, steadyWeekday } from './make-traces.js';

const DAY_S = 86_400;
const DAY_MS = DAY_S * 1000;

export type DayKind = 'business' | 'month-end' | 'weekend' | 'holiday';

export interface MultiWeekOptions {
  /** The first local date, a Monday, "YYYY-MM-DD". */
  start: string;
  weeks: number;
  timeZone: string;
  holidays?: HolidayCalendarConfig;
}

export interface MultiWeekTrace {
  jobs: TraceJob[];
  /** Epoch ms of trace time 0: the first date's local midnight. */
  startAt: number;
  /** Each date, with its kind and its span in trace seconds [fromS, toS). */
  days: { date: string; kind: DayKind; fromS: number; toS: number; holiday?: string }[];
}

/** The span's trace from `seed`; the same seed and options give the same jobs. */
export function multiWeekPayroll(seed: number, options: MultiWeekOptions): MultiWeekTrace {
  const schedule: ScheduleConfig = {
    timeZone: options.timeZone,
    baseline: 0,
    windows: [],
    ...(options.holidays === undefined ? {} : { holidays: options.holidays }),
  } as ScheduleConfig;
  const zone = zoneOf(schedule);
  const calendar = calendarOf(schedule);
  const first = dayOfDate(options.start);
  const midnight = (day: number) => firstInstantAtOrAfter(zone, day * DAY_MS);
  const startAt = midnight(first);
  const jobs: TraceJob[] = [];
  const days: MultiWeekTrace['days'] = [];
  for (let day = first; day < first + options.weeks * 7; day++) {
    const facts = calendar.factsOf(day);
    const fromS = (midnight(day) - startAt) / 1000;
    const toS = (midnight(day + 1) - startAt) / 1000;
    const daySeed = seed * 1000 + (day - first);
    const weekend = facts.weekday === 'sat' || facts.weekday === 'sun';
    let kind: DayKind;
    let drawn: TraceJob[];
    if (weekend) {
      kind = 'weekend';
      // quiet-weekend is Saturday then Sunday: each weekend day takes its own half.
      const half = facts.weekday === 'sat' ? 0 : DAY_S;
      drawn = dayOf(quietWeekend(daySeed), half);
    } else if (facts.holiday !== undefined) {
      kind = 'holiday';
      drawn = dayOf(quietWeekend(daySeed), DAY_S);
    } else if ((facts.businessDay?.fromEnd ?? -99) >= -2) {
      kind = 'month-end';
      drawn = monthEndPayroll(daySeed);
    } else {
      kind = 'business';
      drawn = steadyWeekday(daySeed);
    }
    // A 23- or 25-hour day keeps its jobs within its own hours.
    for (const job of drawn)
      if (job.arrivalS < toS - fromS) jobs.push({ ...job, arrivalS: fromS + job.arrivalS });
    days.push({
      date: dateOfDay(day),
      kind,
      fromS,
      toS,
      ...(facts.holiday === undefined ? {} : { holiday: facts.holiday }),
    });
  }
  jobs.sort((a, b) => a.arrivalS - b.arrivalS);
  return { jobs, startAt, days };
}

/** The jobs of one day of a multi-day trace, from `offsetS`, re-based to that day's start. */
function dayOf(jobs: readonly TraceJob[], offsetS: number): TraceJob[] {
  return jobs
    .filter((j) => j.arrivalS >= offsetS && j.arrivalS < offsetS + DAY_S)
    .map((j) => ({ ...j, arrivalS: j.arrivalS - offsetS }));
}
