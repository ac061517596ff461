/**
 * Calendar properties, stated from the outside: at any instant the floor is the servers of the
 * largest window whose selectors match the local date (or the baseline), with the holiday rule as
 * configured. The oracle reads each date's attributes with luxon and counts business days by
 * walking the month; it shares nothing with domain/calendar.ts but the holiday calendar's list.
 */
import fc from 'fast-check';
import { DateTime, IANAZone } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { ScheduleConfig, ScheduleWindow, Weekday } from '../../domain/config.js';
import { regionHolidays } from '../../domain/holidays.js';
import { activeWindows, nextScheduleEdge, scheduleFloor } from '../../domain/schedule.js';

const DAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const ZONES = [
  'America/Toronto',
  'Europe/London',
  'Australia/Sydney',
  'Pacific/Chatham',
  'Asia/Kolkata',
  'UTC',
];
const REGIONS = [
  undefined,
  { country: 'CA', state: 'ON' },
  { country: 'GB', state: 'ENG' },
  { country: 'US' },
];
const HOUR = 3_600_000;
const FROM = DateTime.fromISO('2025-01-01', { zone: 'UTC' });
const SPAN_DAYS = 3 * 365;

const dateArb = fc
  .integer({ min: 0, max: SPAN_DAYS })
  .map((n) => FROM.plus({ days: n }).toISODate() as string);
const rangeArb = fc
  .tuple(dateArb, fc.integer({ min: 0, max: 20 }))
  .map(([first, length]) =>
    length === 0 ? first : `${first}..${DateTime.fromISO(first).plus({ days: length }).toISODate()}`,
  );
const clock = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

const SELECTOR_ARBS = {
  days: fc.subarray(DAYS, { minLength: 1 }),
  dates: fc.array(rangeArb, { minLength: 1, maxLength: 3 }),
  daysOfMonth: fc.array(fc.oneof(fc.integer({ min: 1, max: 31 }), fc.integer({ min: -31, max: -1 })), {
    minLength: 1,
    maxLength: 4,
  }),
  businessDaysOfMonth: fc.array(
    fc.oneof(
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: -3, max: -1 }),
      fc.integer({ min: 1, max: 23 }),
      fc.integer({ min: -23, max: -1 }),
    ),
    { minLength: 1, maxLength: 4 },
  ),
  weekdaysOfMonth: fc.array(
    fc
      .tuple(fc.constantFrom('first', 'second', 'third', 'fourth', 'fifth', 'last'), fc.constantFrom(...DAYS))
      .map(([n, d]) => `${n}-${d}`),
    { minLength: 1, maxLength: 3 },
  ),
};

type SelectorKind = keyof typeof SELECTOR_ARBS;

/** One or two selectors (ANDed), so a window runs on enough dates to be seen running. */
const selectorsArb: fc.Arbitrary<Partial<ScheduleWindow>> = fc
  .tuple(
    fc.subarray(Object.keys(SELECTOR_ARBS) as SelectorKind[], { minLength: 1, maxLength: 2 }),
    fc.option(fc.constantFrom('skip' as const, 'apply' as const), { nil: undefined }),
  )
  .chain(([kinds, onHolidays]) =>
    fc.tuple(...kinds.map((kind) => SELECTOR_ARBS[kind] as fc.Arbitrary<unknown>)).map((values) => ({
      ...Object.fromEntries(kinds.map((kind, i) => [kind, values[i]])),
      ...(onHolidays === undefined ? {} : { onHolidays }),
    })),
  );

const windowArb: fc.Arbitrary<ScheduleWindow> = fc
  .tuple(
    selectorsArb,
    fc.integer({ min: 0, max: 1439 }),
    fc.integer({ min: 1, max: 1440 }),
    fc.integer({ min: 0, max: 9 }),
  )
  .map(([selectors, start, length, servers]) => ({
    ...selectors,
    start: clock(start),
    end: clock(Math.min(1440, start + length)),
    servers,
  }));

const scheduleArb: fc.Arbitrary<ScheduleConfig> = fc
  .record({
    timeZone: fc.constantFrom(...ZONES),
    baseline: fc.integer({ min: 0, max: 9 }),
    windows: fc.array(windowArb, { minLength: 1, maxLength: 4 }),
    holidays: fc.constantFrom(...REGIONS),
    extraHolidays: fc.array(rangeArb, { maxLength: 3 }),
    notHolidays: fc.array(rangeArb, { maxLength: 2 }),
  })
  .map(({ holidays, ...rest }) => ({ ...rest, ...(holidays === undefined ? {} : { holidays }) }));

// ---- the oracle ----

function inRanges(date: string, ranges: readonly string[] | undefined): boolean {
  return (ranges ?? []).some((text) => {
    const [first = text, last = first] = text.split('..');
    return first <= date && date <= last;
  });
}

/** Holidays as configured: the region's calendar plus extraHolidays, less notHolidays. */
function isHoliday(schedule: ScheduleConfig, date: string): boolean {
  if (inRanges(date, schedule.notHolidays)) return false;
  if (inRanges(date, schedule.extraHolidays)) return true;
  const region = schedule.holidays;
  return region !== undefined && regionHolidays(region, Number(date.slice(0, 4))).has(date);
}

/** The month's business days in order: Monday to Friday and not a holiday. */
function businessDays(schedule: ScheduleConfig, local: DateTime): string[] {
  const out: string[] = [];
  for (let d = local.startOf('month'); d.month === local.month; d = d.plus({ days: 1 })) {
    const date = d.toISODate() as string;
    if (d.weekday <= 5 && !isHoliday(schedule, date)) out.push(date);
  }
  return out;
}

function windowRunsOn(schedule: ScheduleConfig, window: ScheduleWindow, local: DateTime): boolean {
  const date = local.toISODate() as string;
  const weekday = DAYS[local.weekday - 1] as Weekday;
  const daysInMonth = local.daysInMonth as number;
  if (window.days !== undefined && !window.days.includes(weekday)) return false;
  if (window.dates !== undefined && !inRanges(date, window.dates)) return false;
  if (
    window.daysOfMonth !== undefined &&
    !window.daysOfMonth.some((n) => (n > 0 ? n === local.day : daysInMonth + 1 + n === local.day))
  ) {
    return false;
  }
  if (window.businessDaysOfMonth !== undefined) {
    const business = businessDays(schedule, local);
    const matches = window.businessDaysOfMonth.some(
      (n) => business.at(n > 0 ? n - 1 : n) === date && Math.abs(n) <= business.length,
    );
    if (!matches) return false;
  }
  if (window.weekdaysOfMonth !== undefined) {
    const ordinal = ['first', 'second', 'third', 'fourth', 'fifth'][Math.ceil(local.day / 7) - 1];
    const last = local.day + 7 > daysInMonth;
    const ok = window.weekdaysOfMonth.some(
      (text) => text === `${ordinal}-${weekday}` || (last && text === `last-${weekday}`),
    );
    if (!ok) return false;
  }
  if (isHoliday(schedule, date)) {
    const rule = window.onHolidays ?? (window.dates !== undefined ? 'apply' : 'skip');
    if (rule === 'skip') return false;
  }
  return true;
}

function expectedFloor(schedule: ScheduleConfig, instant: number): number {
  const local = DateTime.fromMillis(instant, { zone: schedule.timeZone });
  const minute = local.hour * 60 + local.minute;
  const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3));
  // A window that only sizes the warm pool sets no floor.
  const floors = schedule.windows.flatMap((w) =>
    w.servers !== undefined &&
    windowRunsOn(schedule, w, local) &&
    minutesOf(w.start) <= minute &&
    minute < minutesOf(w.end)
      ? [w.servers]
      : [],
  );
  return floors.length === 0 ? schedule.baseline : Math.max(...floors);
}

function farFromOffsetChange(timeZone: string, instant: number): boolean {
  const zone = IANAZone.create(timeZone);
  const offset = zone.offset(instant);
  return [-26, -4, 4, 26].every((hours) => zone.offset(instant + hours * HOUR) === offset);
}

/**
 * Instants anywhere in the span, or on dates where the rules are put to the test: the first and
 * last days of a month, the region's holidays, and the schedule's own dates.
 */
function instantArb(schedule: ScheduleConfig): fc.Arbitrary<number> {
  const years = [2025, 2026, 2027];
  const region = schedule.holidays;
  const named = [
    ...schedule.windows.flatMap((w) => w.dates ?? []),
    ...(schedule.extraHolidays ?? []),
    ...(region === undefined ? [] : years.flatMap((year) => [...regionHolidays(region, year).keys()])),
  ].map((text) => text.slice(0, 10));
  const start = FROM.toMillis();
  const anywhere = fc.integer({ min: start, max: start + SPAN_DAYS * 24 * HOUR });
  const monthEdge = fc
    .tuple(fc.integer({ min: 0, max: 35 }), fc.integer({ min: -5, max: 4 }))
    .map(([month, day]) => FROM.plus({ months: month + 1, days: day }).toISODate() as string);
  const onDate = (dates: fc.Arbitrary<string>) =>
    fc
      .tuple(dates, fc.integer({ min: 0, max: 24 * HOUR - 1 }))
      .map(([date, ms]) => DateTime.fromISO(date, { zone: schedule.timeZone }).toMillis() + ms);
  if (named.length === 0) return fc.oneof(anywhere, onDate(monthEdge));
  return fc.oneof(anywhere, onDate(monthEdge), onDate(fc.constantFrom(...named)));
}

const caseArb = scheduleArb.chain((schedule) => fc.tuple(fc.constant(schedule), instantArb(schedule)));

describe('calendar properties', () => {
  it('the floor is the largest window whose selectors match the local date and time, or the baseline', () => {
    fc.assert(
      fc.property(caseArb, ([schedule, instant]) => {
        fc.pre(farFromOffsetChange(schedule.timeZone, instant));
        expect(scheduleFloor(schedule, instant).servers).toBe(expectedFloor(schedule, instant));
      }),
      { numRuns: 400 },
    );
  });

  it('an all-day window that skips holidays is off exactly on the configured holidays', () => {
    const everyDay: ScheduleWindow = { days: DAYS, start: '00:00', end: '24:00', servers: 5 };
    fc.assert(
      fc.property(scheduleArb, dateArb, (generated, date) => {
        const schedule = { ...generated, baseline: 1, windows: [everyDay] };
        const noon = DateTime.fromISO(`${date}T12:00`, { zone: schedule.timeZone }).toMillis();
        expect(scheduleFloor(schedule, noon).servers).toBe(isHoliday(schedule, date) ? 1 : 5);
      }),
    );
  });

  it('a business day of the month runs on exactly one date of every month that has that many', () => {
    fc.assert(
      fc.property(
        scheduleArb,
        fc.oneof(fc.integer({ min: 1, max: 23 }), fc.integer({ min: -23, max: -1 })),
        fc.integer({ min: 0, max: 35 }),
        (generated, n, monthIndex) => {
          const window: ScheduleWindow = {
            businessDaysOfMonth: [n],
            start: '00:00',
            end: '24:00',
            servers: 5,
          };
          const schedule = { ...generated, baseline: 0, windows: [window] };
          const month = FROM.plus({ months: monthIndex });
          const business = businessDays(schedule, month);
          let runs = 0;
          for (let d = month.startOf('month'); d.month === month.month; d = d.plus({ days: 1 })) {
            const noon = DateTime.fromISO(`${d.toISODate()}T12:00`, { zone: schedule.timeZone }).toMillis();
            if (scheduleFloor(schedule, noon).servers === 5) runs += 1;
          }
          expect(runs).toBe(Math.abs(n) <= business.length ? 1 : 0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a loaded (frozen) schedule asked tick after tick answers as a fresh copy asked once', () => {
    const deepFreeze = <T>(value: T): T => {
      if (typeof value === 'object' && value !== null) {
        for (const inner of Object.values(value)) deepFreeze(inner);
        Object.freeze(value);
      }
      return value;
    };
    // Ticks a few seconds to hours apart, now and then stepping back (a late event, a replay).
    const stepsArb = fc.array(
      fc.oneof(
        fc.integer({ min: 1, max: 120_000 }),
        fc.integer({ min: 1, max: 12 * HOUR }),
        fc.integer({ min: -6 * HOUR, max: -1 }),
      ),
      { minLength: 20, maxLength: 120 },
    );
    fc.assert(
      fc.property(caseArb, stepsArb, ([generated, start], steps) => {
        const loaded = deepFreeze(structuredClone(generated));
        let at = start;
        for (const step of steps) {
          at += step;
          const fresh = structuredClone(generated);
          expect(scheduleFloor(loaded, at)).toEqual(scheduleFloor(fresh, at));
          expect(activeWindows(loaded, at)).toEqual(activeWindows(fresh, at));
          const edge = nextScheduleEdge(loaded, at);
          expect(edge).toBe(nextScheduleEdge(fresh, at));
          if (edge === undefined) continue;
          // The last instant before the edge and the edge itself: the answer changes exactly there.
          for (const instant of [edge - 1, edge]) {
            expect(scheduleFloor(loaded, instant)).toEqual(scheduleFloor(fresh, instant));
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});
