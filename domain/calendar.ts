/**
 * Which local dates a schedule window runs on: the facts of a date (weekday, day of the month,
 * holiday, business day counted from either end of the month) and a window's day selectors
 * matched against them, with the holiday rule.
 *
 * Dates are day numbers (days since 1970-01-01) of the schedule's local calendar; the time zone
 * only matters when turning a window's times on a date into instants (domain/schedule.ts).
 *
 * A business day is a Monday to Friday that is not a holiday. A holiday is a date of the
 * configured region's calendar (domain/holidays.ts) or of `extraHolidays`, and not of
 * `notHolidays`. On a holiday a window runs only with `onHolidays: "apply"`; without the key, a
 * window naming `dates` applies and any other window skips.
 */
import { regionHolidays } from './holidays.js';
import { NTH_WEEKDAY, type ScheduleConfig, type ScheduleWindow, type Weekday } from './schedule-schema.js';

const DAY = 86_400_000;
/** Weekdays in `Date#getUTCDay` order (0 = Sunday). */
const BY_UTC_DAY: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth'];

/** What a date is, as the selectors see it. */
export interface DayFacts {
  day: number;
  /** "YYYY-MM-DD" */
  date: string;
  weekday: Weekday;
  dayOfMonth: number;
  daysInMonth: number;
  /** The holiday's name, when the date is a holiday. */
  holiday?: string;
  /** Its place among the month's business days, 1-based from the start and -1-based from the end. */
  businessDay?: { fromStart: number; fromEnd: number };
}

/** Why a window does or does not run on a date. */
export type WindowDay =
  | { runs: true; why: string }
  | { runs: false; why: string; skippedForHoliday?: string };

export function dateOfDay(day: number): string {
  return new Date(day * DAY).toISOString().slice(0, 10);
}

/** The day number of "YYYY-MM-DD" (assumed valid: the schema checked it). */
export function dayOfDate(date: string): number {
  return Math.round(Date.parse(`${date}T00:00:00Z`) / DAY);
}

export function weekdayOf(day: number): Weekday {
  return BY_UTC_DAY[(((day + 4) % 7) + 7) % 7] as Weekday;
}

/** A date or "first..last" range as inclusive day numbers. */
export function dayRange(text: string): { first: number; last: number } {
  const [first = text, last = first] = text.split('..');
  return { first: dayOfDate(first), last: dayOfDate(last) };
}

/** A schedule's holidays and business days, computed once per date and month. */
export class ScheduleCalendar {
  private readonly facts = new Map<number, DayFacts>();
  private readonly extra: { first: number; last: number }[];
  private readonly not: { first: number; last: number }[];

  constructor(private readonly schedule: ScheduleConfig) {
    this.extra = (schedule.extraHolidays ?? []).map(dayRange);
    this.not = (schedule.notHolidays ?? []).map(dayRange);
  }

  /** Whether the schedule knows any holidays at all. */
  get hasHolidays(): boolean {
    return this.schedule.holidays !== undefined || this.extra.length > 0;
  }

  /** The holiday on `day`, or undefined. */
  holidayOn(day: number): string | undefined {
    if (this.not.some((r) => r.first <= day && day <= r.last)) return undefined;
    if (this.extra.some((r) => r.first <= day && day <= r.last)) return 'extra holiday (extraHolidays)';
    const region = this.schedule.holidays;
    if (region === undefined) return undefined;
    const date = dateOfDay(day);
    return regionHolidays(region, Number(date.slice(0, 4))).get(date);
  }

  factsOf(day: number): DayFacts {
    const known = this.facts.get(day);
    if (known !== undefined) return known;
    this.learnMonthOf(day);
    return this.facts.get(day) as DayFacts;
  }

  /** Computes the facts of every date of `day`'s month at once: business days need the whole month. */
  private learnMonthOf(day: number): void {
    const date = new Date(day * DAY);
    const year = date.getUTCFullYear();
    const month = date.getUTCMonth();
    const first = Date.UTC(year, month, 1) / DAY;
    const daysInMonth = Math.round((Date.UTC(year, month + 1, 1) - Date.UTC(year, month, 1)) / DAY);
    const dates: DayFacts[] = [];
    for (let d = first; d < first + daysInMonth; d++) {
      const holiday = this.holidayOn(d);
      const weekday = weekdayOf(d);
      dates.push({
        day: d,
        date: dateOfDay(d),
        weekday,
        dayOfMonth: d - first + 1,
        daysInMonth,
        ...(holiday === undefined ? {} : { holiday }),
      });
    }
    const business = dates.filter(
      (f) => f.holiday === undefined && f.weekday !== 'sat' && f.weekday !== 'sun',
    );
    business.forEach((f, index) => {
      f.businessDay = { fromStart: index + 1, fromEnd: index - business.length };
    });
    for (const f of dates) this.facts.set(f.day, f);
  }
}

const calendars = new WeakMap<ScheduleConfig, ScheduleCalendar>();

/** The schedule's calendar, kept per schedule object (configs are frozen). */
export function calendarOf(schedule: ScheduleConfig): ScheduleCalendar {
  let calendar = calendars.get(schedule);
  if (calendar === undefined) {
    calendar = new ScheduleCalendar(schedule);
    calendars.set(schedule, calendar);
  }
  return calendar;
}

/** What a window does on a holiday: its `onHolidays`, else apply when it names dates, else skip. */
export function holidayRule(window: ScheduleWindow): 'skip' | 'apply' {
  return window.onHolidays ?? (window.dates === undefined ? 'skip' : 'apply');
}

/**
 * Whether `window` runs on local date `day`, and why.
 *
 * @example
 * // the last two business days of December 2026 in Ontario are the 30th and 31st
 * windowOnDay({ businessDaysOfMonth: [-2, -1], start: '08:00', end: '21:00', servers: 3 },
 *   dayOfDate('2026-12-30'), calendar).runs // => true
 */
export function windowOnDay(window: ScheduleWindow, day: number, calendar: ScheduleCalendar): WindowDay {
  const facts = calendar.factsOf(day);
  const matched: string[] = [];
  if (window.days !== undefined) {
    if (!window.days.includes(facts.weekday)) return { runs: false, why: `not on ${facts.weekday}` };
    matched.push(facts.weekday);
  }
  if (window.dates !== undefined) {
    const found = window.dates.find((text) => {
      const range = dayRange(text);
      return range.first <= day && day <= range.last;
    });
    if (found === undefined) return { runs: false, why: 'not one of its dates' };
    matched.push(`date ${found}`);
  }
  if (window.daysOfMonth !== undefined) {
    const found = window.daysOfMonth.find(
      (n) => n === facts.dayOfMonth || n === facts.dayOfMonth - facts.daysInMonth - 1,
    );
    if (found === undefined) return { runs: false, why: 'not one of its days of the month' };
    matched.push(`day ${found} of the month`);
  }
  if (window.businessDaysOfMonth !== undefined) {
    const business = facts.businessDay;
    const found =
      business === undefined
        ? undefined
        : window.businessDaysOfMonth.find((n) => n === business.fromStart || n === business.fromEnd);
    if (found === undefined) {
      return {
        runs: false,
        why: business === undefined ? 'not a business day' : 'not one of its business days of the month',
      };
    }
    matched.push(`business day ${found} of the month`);
  }
  if (window.weekdaysOfMonth !== undefined) {
    const found = window.weekdaysOfMonth.find((text) => isNthWeekday(text, facts));
    if (found === undefined) return { runs: false, why: 'not one of its weekdays of the month' };
    matched.push(found);
  }
  if (facts.holiday !== undefined) {
    if (holidayRule(window) === 'skip') {
      return { runs: false, why: `skipped on a holiday: ${facts.holiday}`, skippedForHoliday: facts.holiday };
    }
    matched.push(`applies on the holiday ${facts.holiday}`);
  }
  return { runs: true, why: `on ${matched.join(', ')}` };
}

function isNthWeekday(text: string, facts: DayFacts): boolean {
  const [, ordinal, weekday] = NTH_WEEKDAY.exec(text) ?? [];
  if (weekday !== facts.weekday) return false;
  if (ordinal === 'last') return facts.dayOfMonth + 7 > facts.daysInMonth;
  return ORDINALS.indexOf(ordinal ?? '') === Math.floor((facts.dayOfMonth - 1) / 7);
}
