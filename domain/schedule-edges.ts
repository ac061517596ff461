/**
 * The EventBridge Scheduler cron expressions that wake the control plane at window edges, in the
 * schedule's time zone (infra/serverless-vars.cjs makes one schedule of each).
 *
 * Each expression fires at the edge's local time on every date the window runs, and on as few
 * other dates as a cron expression allows; an edge event on a date the window does not run
 * converges to the same floor and changes nothing.
 * - `days`: exactly those weekdays.
 * - `dates`: exactly the dates (each month's as one expression with its year; a window over more
 *   than 12 months fires daily in its years instead).
 * - `daysOfMonth`: exactly those days, `L` for the last; other days from the end, the days they
 *   can fall on (-2 is the 27th to the 30th).
 * - `weekdaysOfMonth`: "first-mon" exactly (`2#1`), "last-fri" every Friday.
 * - `businessDaysOfMonth` (they move with weekends and holidays): every weekday the window allows.
 * A selector ANDed with others narrows the window, so the most exact one present is used.
 * An end of '24:00' fires at 00:00 of the day after (daily for `daysOfMonth`).
 */
import { calendarOf, dateOfDay, dayRange, weekdayOf, windowOnDay } from './calendar.js';
import { BY_UTC_DAY, minutesOf, READING_ORDER, runs } from './schedule.js';
import { NTH_WEEKDAY, type ScheduleConfig, type ScheduleWindow, type Weekday } from './schedule-schema.js';

/** One window edge as an EventBridge Scheduler schedule. */
export interface ScheduleEdge {
  /** EventBridge cron: minutes hours day-of-month month day-of-week year. */
  expression: string;
  timeZone: string;
  edge: 'start' | 'end';
  /** Index of the window in `schedule.windows`. */
  window: number;
}

/** The date fields of a cron expression. */
interface DateFields {
  dom: string;
  month: string;
  dow: string;
  year: string;
}

const EVERY_DAY: DateFields = { dom: '*', month: '*', dow: '?', year: '*' };
const BUSINESS_WEEK: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri'];
/** Months of explicit dates one window may spend a schedule each on before it fires daily. */
const MAX_DATE_MONTHS = 12;

/**
 * Every window edge as an EventBridge Scheduler cron expression in the schedule's time zone, in
 * window order (start, then end), without repeating an expression already listed.
 *
 * @example
 * scheduleEdges({ timeZone: 'America/Toronto', baseline: 2,
 *   windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '21:00', servers: 3 }] })
 * // => [{ expression: 'cron(0 8 ? * MON-FRI *)', timeZone: 'America/Toronto', edge: 'start', window: 0 },
 * //     { expression: 'cron(0 21 ? * MON-FRI *)', timeZone: 'America/Toronto', edge: 'end', window: 0 }]
 */
export function scheduleEdges(schedule: ScheduleConfig): ScheduleEdge[] {
  const edges: ScheduleEdge[] = [];
  const seen = new Set<string>();
  const add = (expression: string, edge: ScheduleEdge['edge'], window: number) => {
    if (seen.has(expression)) return;
    seen.add(expression);
    edges.push({ expression, timeZone: schedule.timeZone, edge, window });
  };
  schedule.windows.forEach((window, index) => {
    for (const fields of dateFields(schedule, window, 0)) add(cronAt(window.start, fields), 'start', index);
    const toMidnight = window.end === '24:00';
    for (const fields of dateFields(schedule, window, toMidnight ? 1 : 0)) {
      add(cronAt(toMidnight ? '00:00' : window.end, fields), 'end', index);
    }
  });
  return edges;
}

/** The dates (shifted by `shift` days) on which the window's edges fire, as cron date fields. */
function dateFields(schedule: ScheduleConfig, window: ScheduleWindow, shift: 0 | 1): DateFields[] {
  if (window.dates !== undefined) return exactDates(schedule, window, shift);
  if (window.daysOfMonth !== undefined) return shift === 1 ? [EVERY_DAY] : daysOfMonth(window.daysOfMonth);
  if (window.weekdaysOfMonth !== undefined) return nthWeekdays(window.weekdaysOfMonth, shift);
  let days: readonly Weekday[] = window.days ?? READING_ORDER;
  if (window.businessDaysOfMonth !== undefined) days = days.filter((day) => BUSINESS_WEEK.includes(day));
  return [{ dom: '?', month: '*', dow: cronDays(days.map((day) => later(day, shift))), year: '*' }];
}

function exactDates(schedule: ScheduleConfig, window: ScheduleWindow, shift: 0 | 1): DateFields[] {
  const calendar = calendarOf(schedule);
  const byMonth = new Map<string, number[]>();
  for (const text of window.dates ?? []) {
    const { first, last } = dayRange(text);
    for (let day = first; day <= last; day++) {
      if (!windowOnDay(window, day, calendar).runs) continue;
      const date = dateOfDay(day + shift);
      const month = date.slice(0, 7);
      byMonth.set(month, [...(byMonth.get(month) ?? []), Number(date.slice(8))]);
    }
  }
  const months = [...byMonth.keys()].sort();
  if (months.length > MAX_DATE_MONTHS) {
    const years = `${months[0]?.slice(0, 4)}-${months[months.length - 1]?.slice(0, 4)}`;
    return [{ ...EVERY_DAY, year: years }];
  }
  return months.map((month) => ({
    dom: [...new Set(byMonth.get(month))].sort((a, b) => a - b).join(','),
    month: String(Number(month.slice(5))),
    dow: '?',
    year: month.slice(0, 4),
  }));
}

/** Days from the start as a list, -1 as `L`, other days from the end as the days they can fall on. */
function daysOfMonth(values: readonly number[]): DateFields[] {
  const days = new Set<number>();
  for (const n of values) {
    if (n > 0) days.add(n);
    // The nth from the end of a 28- to 31-day month.
    else if (n < -1) for (let d = Math.max(1, 29 + n); d <= 32 + n; d++) days.add(d);
  }
  const fields: DateFields[] = [];
  if (days.size > 0) {
    const list = [...days].sort((a, b) => a - b).join(',');
    fields.push({ dom: list, month: '*', dow: '?', year: '*' });
  }
  if (values.includes(-1)) fields.push({ dom: 'L', month: '*', dow: '?', year: '*' });
  return fields;
}

function nthWeekdays(values: readonly string[], shift: 0 | 1): DateFields[] {
  const fields: DateFields[] = [];
  const weekly = new Set<Weekday>();
  for (const text of values) {
    const [, ordinal = '', weekday = 'mon'] = NTH_WEEKDAY.exec(text) ?? [];
    const index = ['first', 'second', 'third', 'fourth', 'fifth'].indexOf(ordinal);
    if (shift === 1 || index < 0) weekly.add(later(weekday as Weekday, shift));
    else
      fields.push({
        dom: '?',
        month: '*',
        dow: `${BY_UTC_DAY.indexOf(weekday as Weekday) + 1}#${index + 1}`,
        year: '*',
      });
  }
  if (weekly.size > 0) fields.push({ dom: '?', month: '*', dow: cronDays([...weekly]), year: '*' });
  return fields;
}

function later(day: Weekday, shift: 0 | 1): Weekday {
  return weekdayOf(BY_UTC_DAY.indexOf(day) - 4 + shift);
}

function cronAt(time: string, fields: DateFields): string {
  const minutes = minutesOf(time);
  const { dom, month, dow, year } = fields;
  return `cron(${minutes % 60} ${Math.floor(minutes / 60)} ${dom} ${month} ${dow} ${year})`;
}

/**
 * EventBridge day-of-week field. Its week runs SUN(1)..SAT(7), so a range never wraps past Saturday
 * (sat+sun is SUN,SAT), and a range is used only when it covers every chosen day: the documentation
 * shows ranges and lists, not the two mixed.
 */
function cronDays(days: readonly Weekday[]): string {
  const chosen = new Set(days);
  if (chosen.size === 7) return '*';
  const [only, ...more] = runs(BY_UTC_DAY, chosen);
  if (only !== undefined && more.length === 0 && only.length >= 3) {
    return `${only[0]?.toUpperCase()}-${only[only.length - 1]?.toUpperCase()}`;
  }
  return BY_UTC_DAY.filter((day) => chosen.has(day))
    .map((day) => day.toUpperCase())
    .join(',');
}
