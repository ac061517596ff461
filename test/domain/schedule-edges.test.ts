/**
 * The window edge schedules: each window's cron expressions fire at its edges' local times on
 * every date it runs (checked with an EventBridge cron reader written from the documented syntax),
 * and as exactly as a cron expression can say on the dates it does not.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calendarOf, dateOfDay, dayOfDate, windowOnDay } from '../../domain/calendar.js';
import type { ScheduleConfig, ScheduleWindow, Weekday } from '../../domain/config.js';
import { scheduleEdges } from '../../domain/schedule-edges.js';

const DAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const CRON_DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface LocalDate {
  year: number;
  month: number;
  day: number;
  /** 1 = Sunday … 7 = Saturday, as EventBridge counts. */
  weekday: number;
  daysInMonth: number;
}

function localDate(day: number): LocalDate {
  const date = new Date(day * 86_400_000);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + 1;
  return {
    year,
    month,
    day: date.getUTCDate(),
    weekday: date.getUTCDay() + 1,
    daysInMonth: new Date(Date.UTC(year, month, 0)).getUTCDate(),
  };
}

/** One cron field against a value: `*`, `?`, a number, a name, `a-b`, or a list of those. */
function fieldMatches(spec: string, value: number, names: string[] = []): boolean {
  if (spec === '*' || spec === '?') return true;
  const number = (text: string) => (names.includes(text) ? names.indexOf(text) + 1 : Number(text));
  return spec.split(',').some((part) => {
    const [low, high] = part.split('-');
    if (high === undefined) return number(part) === value;
    return number(low ?? '') <= value && value <= number(high);
  });
}

/** Whether an EventBridge cron expression fires at local `minutes` past midnight on `date`. */
function fires(expression: string, date: LocalDate, minutes: number): boolean {
  const fields = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/.exec(expression);
  if (fields === null) throw new Error(`not a cron expression: ${expression}`);
  const [, minute = '', hour = '', dom = '', month = '', dow = '', year = ''] = fields;
  if (!fieldMatches(minute, minutes % 60) || !fieldMatches(hour, Math.floor(minutes / 60))) return false;
  if (!fieldMatches(month, date.month) || !fieldMatches(year, date.year)) return false;
  const domOk = dom === 'L' ? date.day === date.daysInMonth : fieldMatches(dom, date.day);
  const nth = /^(\d)#(\d)$/.exec(dow);
  const dowOk =
    nth === null
      ? fieldMatches(dow, date.weekday, CRON_DAYS)
      : Number(nth[1]) === date.weekday && Math.ceil(date.day / 7) === Number(nth[2]);
  return domOk && dowOk;
}

const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3));

/** The dates from `from` (a day number) on which some of the schedule's expressions fire at `time`. */
function firingDates(
  schedule: ScheduleConfig,
  edge: 'start' | 'end',
  time: string,
  from: number,
  days: number,
) {
  const expressions = scheduleEdges(schedule)
    .filter((e) => e.edge === edge)
    .map((e) => e.expression);
  const out: string[] = [];
  for (let day = from; day < from + days; day++) {
    if (expressions.some((e) => fires(e, localDate(day), minutesOf(time)))) out.push(dateOfDay(day));
  }
  return out;
}

const ontario = (windows: ScheduleWindow[], over: Partial<ScheduleConfig> = {}): ScheduleConfig => ({
  timeZone: 'America/Toronto',
  baseline: 1,
  windows,
  holidays: { country: 'CA', state: 'ON' },
  ...over,
});

describe('scheduleEdges for date windows', () => {
  const w = (selectors: Partial<ScheduleWindow>): ScheduleWindow => ({
    start: '08:00',
    end: '21:00',
    servers: 3,
    ...selectors,
  });

  it.each([
    [
      'dates: each month with its year, only the dates the window runs (a holiday it skips is left out)',
      w({ dates: ['2026-12-24..2027-01-02'], onHolidays: 'skip' }),
      ['cron(0 8 24,27,28,29,30,31 12 ? 2026)', 'cron(0 8 2 1 ? 2027)'],
    ],
    [
      'days of the month: a list, and L for the last',
      w({ daysOfMonth: [1, 15, -1] }),
      ['cron(0 8 1,15 * ? *)', 'cron(0 8 L * ? *)'],
    ],
    [
      'the second-to-last day: the days it can fall on',
      w({ daysOfMonth: [-2] }),
      ['cron(0 8 27,28,29,30 * ? *)'],
    ],
    [
      'the nth weekday exactly; the last one weekly',
      w({ weekdaysOfMonth: ['first-mon', 'last-fri'] }),
      ['cron(0 8 ? * 2#1 *)', 'cron(0 8 ? * FRI *)'],
    ],
    ['business days: every weekday', w({ businessDaysOfMonth: [-2, -1] }), ['cron(0 8 ? * MON-FRI *)']],
    [
      'business days on the weekdays the window allows',
      w({ businessDaysOfMonth: [1], days: ['mon', 'sat'] }),
      ['cron(0 8 ? * MON *)'],
    ],
  ])('%s', (_name, window, starts) => {
    const edges = scheduleEdges(ontario([window]));
    expect(edges.filter((e) => e.edge === 'start').map((e) => e.expression)).toEqual(starts);
  });

  it('fires the month-end window on Dec 30 and 31 2026, and on no weekend date', () => {
    const schedule = ontario([w({ businessDaysOfMonth: [-2, -1] })]);
    const fired = firingDates(schedule, 'start', '08:00', dayOfDate('2026-12-01'), 31);
    expect(fired).toContain('2026-12-30');
    expect(fired).toContain('2026-12-31');
    expect(
      fired.filter((date) =>
        ['sat', 'sun'].includes(DAYS[(localDate(dayOfDate(date)).weekday + 5) % 7] ?? ''),
      ),
    ).toEqual([]);
  });

  it('ends a 24:00 date window at 00:00 of the next date', () => {
    const edges = scheduleEdges(ontario([w({ dates: ['2026-12-31'], end: '24:00' })]));
    expect(edges.map((e) => e.expression)).toEqual(['cron(0 8 31 12 ? 2026)', 'cron(0 0 1 1 ? 2027)']);
  });

  it('fires daily in its years a window with dates over more than 12 months', () => {
    const edges = scheduleEdges(ontario([w({ dates: ['2026-01-01..2027-06-30'] })]));
    expect(edges.map((e) => e.expression)).toEqual([
      'cron(0 8 * * ? 2026-2027)',
      'cron(0 21 * * ? 2026-2027)',
    ]);
  });
});

// ---- property: every date a window runs, its edge schedules fire ----

const clock = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
const FROM = dayOfDate('2025-01-01');
const dateArb = fc.integer({ min: FROM, max: FROM + 3 * 365 }).map(dateOfDay);

const selectorsArb: fc.Arbitrary<Partial<ScheduleWindow>> = fc
  .record(
    {
      days: fc.subarray(DAYS, { minLength: 1 }),
      dates: fc.array(
        fc.tuple(dateArb, fc.integer({ min: 0, max: 40 })).map(([first, length]) => {
          const last = dateOfDay(dayOfDate(first) + length);
          return length === 0 ? first : `${first}..${last}`;
        }),
        { minLength: 1, maxLength: 3 },
      ),
      daysOfMonth: fc.array(fc.oneof(fc.integer({ min: 1, max: 31 }), fc.integer({ min: -31, max: -1 })), {
        minLength: 1,
        maxLength: 3,
      }),
      businessDaysOfMonth: fc.array(
        fc.oneof(fc.integer({ min: 1, max: 23 }), fc.integer({ min: -23, max: -1 })),
        {
          minLength: 1,
          maxLength: 3,
        },
      ),
      weekdaysOfMonth: fc.array(
        fc
          .tuple(
            fc.constantFrom('first', 'second', 'third', 'fourth', 'fifth', 'last'),
            fc.constantFrom(...DAYS),
          )
          .map(([n, d]) => `${n}-${d}`),
        { minLength: 1, maxLength: 2 },
      ),
      onHolidays: fc.constantFrom('skip' as const, 'apply' as const),
    },
    { requiredKeys: [] },
  )
  .filter((s) =>
    ['days', 'dates', 'daysOfMonth', 'businessDaysOfMonth', 'weekdaysOfMonth'].some((k) => k in s),
  );

const windowArb: fc.Arbitrary<ScheduleWindow> = fc
  .tuple(selectorsArb, fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 1, max: 1440 }))
  .map(([selectors, start, length]) => ({
    ...selectors,
    start: clock(start),
    end: clock(Math.min(1440, start + length)),
    servers: 2,
  }));

const scheduleArb: fc.Arbitrary<ScheduleConfig> = fc
  .record({
    windows: fc.array(windowArb, { minLength: 1, maxLength: 2 }),
    holidays: fc.constantFrom(undefined, { country: 'CA', state: 'ON' }, { country: 'GB', state: 'ENG' }),
    extraHolidays: fc.array(dateArb, { maxLength: 3 }),
  })
  .map(({ windows, holidays, extraHolidays }) => ({
    timeZone: 'Europe/London',
    baseline: 0,
    windows,
    ...(holidays === undefined ? {} : { holidays }),
    extraHolidays,
  }));

describe('scheduleEdges property', () => {
  it('fires each window’s start and end on every date it runs, at their local times', () => {
    fc.assert(
      fc.property(scheduleArb, fc.integer({ min: FROM, max: FROM + 3 * 365 }), (schedule, from) => {
        const calendar = calendarOf(schedule);
        const edges = scheduleEdges(schedule);
        schedule.windows.forEach((window, index) => {
          // An expression listed once may belong to an earlier window with the same edge.
          const expressions = edges.map((e) => e.expression);
          for (let day = from; day < from + 62; day++) {
            if (!windowOnDay(window, day, calendar).runs) continue;
            const date = dateOfDay(day);
            expect(
              expressions.some((e) => fires(e, localDate(day), minutesOf(window.start))),
              `window ${index} start on ${date}`,
            ).toBe(true);
            const endDay = window.end === '24:00' ? day + 1 : day;
            const endTime = window.end === '24:00' ? 0 : minutesOf(window.end);
            expect(
              expressions.some((e) => fires(e, localDate(endDay), endTime)),
              `window ${index} end on ${date}`,
            ).toBe(true);
          }
        });
      }),
      { numRuns: 60 },
    );
  });
});
