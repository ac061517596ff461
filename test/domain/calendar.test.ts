import { describe, expect, it } from 'vitest';
import { calendarOf, dateOfDay, dayOfDate, windowOnDay } from '../../domain/calendar.js';
import type { ScheduleConfig, ScheduleWindow } from '../../domain/config.js';
import { regionHolidays } from '../../domain/holidays.js';
import { scheduleFloor, scheduleFloorAhead } from '../../domain/schedule.js';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri'] as const;
const weekday: ScheduleWindow = { days: [...WEEKDAYS], start: '08:00', end: '21:00', servers: 2 };
const monthEnd: ScheduleWindow = { businessDaysOfMonth: [-2, -1], start: '08:00', end: '21:00', servers: 3 };

function ontario(over: Partial<ScheduleConfig> = {}): ScheduleConfig {
  return {
    timeZone: 'America/Toronto',
    baseline: 1,
    windows: [weekday, monthEnd],
    holidays: { country: 'CA', state: 'ON' },
    ...over,
  };
}

/** The dates from `from` to `to` (inclusive) on which the window runs. */
function runsOn(schedule: ScheduleConfig, window: ScheduleWindow, from: string, to: string): string[] {
  const calendar = calendarOf(schedule);
  const out: string[] = [];
  for (let day = dayOfDate(from); day <= dayOfDate(to); day++) {
    if (windowOnDay(window, day, calendar).runs) out.push(dateOfDay(day));
  }
  return out;
}

describe('the holiday calendar', () => {
  it('has Ontario 2026 Christmas and Boxing Day on their own dates, with no Monday substitute', () => {
    const holidays = regionHolidays({ country: 'CA', state: 'ON' }, 2026);
    expect(holidays.get('2026-12-25')).toBe('Christmas Day');
    expect(holidays.get('2026-12-26')).toBe('Boxing Day');
    expect(holidays.has('2026-12-28')).toBe(false);
    // Civic Holiday is not a statutory holiday in Ontario: the calendar calls it optional.
    expect(holidays.has('2026-08-03')).toBe(false);
    expect(regionHolidays({ country: 'CA', state: 'ON', types: ['optional'] }, 2026).has('2026-08-03')).toBe(
      true,
    );
  });

  it('has the substitute days of regions that move them (England 2027: Christmas on Saturday)', () => {
    const holidays = regionHolidays({ country: 'GB', state: 'ENG' }, 2027);
    expect(holidays.get('2027-12-27')).toMatch(/substitute/);
    expect(holidays.get('2027-12-28')).toMatch(/substitute/);
  });
});

describe('windowOnDay: day selectors', () => {
  const plain: ScheduleConfig = { timeZone: 'UTC', baseline: 0, windows: [] };
  const w = (selectors: Partial<ScheduleWindow>): ScheduleWindow => ({
    start: '08:00',
    end: '09:00',
    servers: 1,
    ...selectors,
  });

  it.each([
    ['an explicit date', w({ dates: ['2026-12-24'] }), '2026-12-20', '2026-12-31', ['2026-12-24']],
    [
      'a range, inclusive, across a month end',
      w({ dates: ['2026-11-29..2026-12-02'] }),
      '2026-11-01',
      '2026-12-31',
      ['2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02'],
    ],
    [
      'days of the month from either end in February',
      w({ daysOfMonth: [15, -1] }),
      '2026-02-01',
      '2026-03-01',
      ['2026-02-15', '2026-02-28'],
    ],
    [
      'the last day of a leap February',
      w({ daysOfMonth: [-1] }),
      '2028-02-01',
      '2028-03-31',
      ['2028-02-29', '2028-03-31'],
    ],
    [
      'a 31st only in months that have one',
      w({ daysOfMonth: [31] }),
      '2026-04-01',
      '2026-05-31',
      ['2026-05-31'],
    ],
    [
      'the first Monday and last Friday',
      w({ weekdaysOfMonth: ['first-mon', 'last-fri'] }),
      '2026-11-01',
      '2026-11-30',
      ['2026-11-02', '2026-11-27'],
    ],
    [
      'a fifth Thursday only where there is one',
      w({ weekdaysOfMonth: ['fifth-thu'] }),
      '2026-10-01',
      '2026-11-30',
      ['2026-10-29'],
    ],
    [
      'business days from the start skip the weekend',
      w({ businessDaysOfMonth: [1, 2] }),
      '2026-08-01',
      '2026-08-31',
      ['2026-08-03', '2026-08-04'],
    ],
    [
      'business days from the end without holidays',
      w({ businessDaysOfMonth: [-1] }),
      '2026-10-01',
      '2026-10-31',
      ['2026-10-30'],
    ],
    [
      'selectors combine with AND: Friday the 13th',
      w({ days: ['fri'], daysOfMonth: [13] }),
      '2026-01-01',
      '2026-12-31',
      ['2026-02-13', '2026-03-13', '2026-11-13'],
    ],
  ])('%s', (_name, window, from, to, expected) => {
    expect(runsOn(plain, window, from, to)).toEqual(expected);
  });
});

describe('windowOnDay: holidays (Ontario, December 2026)', () => {
  it('runs the last-two-business-days window on Dec 30 and 31', () => {
    expect(runsOn(ontario(), monthEnd, '2026-12-01', '2026-12-31')).toEqual(['2026-12-30', '2026-12-31']);
  });

  it('skips the weekday window on Christmas Day and says why', () => {
    const verdict = windowOnDay(weekday, dayOfDate('2026-12-25'), calendarOf(ontario()));
    expect(verdict).toEqual({
      runs: false,
      why: 'skipped on a holiday: Christmas Day',
      skippedForHoliday: 'Christmas Day',
    });
  });

  it('runs the weekday window on Monday Dec 28 unless extraHolidays lists it', () => {
    expect(runsOn(ontario(), weekday, '2026-12-24', '2026-12-29')).toEqual([
      '2026-12-24',
      '2026-12-28',
      '2026-12-29',
    ]);
    const closed = ontario({ extraHolidays: ['2026-12-28'] });
    expect(runsOn(closed, weekday, '2026-12-24', '2026-12-29')).toEqual(['2026-12-24', '2026-12-29']);
    expect(windowOnDay(weekday, dayOfDate('2026-12-28'), calendarOf(closed)).why).toBe(
      'skipped on a holiday: extra holiday (extraHolidays)',
    );
  });

  it('counts business days around holidays: extra holidays move the month end earlier', () => {
    const closed = ontario({ extraHolidays: ['2026-12-30..2026-12-31'] });
    expect(runsOn(closed, monthEnd, '2026-12-01', '2026-12-31')).toEqual(['2026-12-28', '2026-12-29']);
    const longer = ontario({ extraHolidays: ['2026-12-28..2026-12-31'] });
    expect(runsOn(longer, monthEnd, '2026-12-01', '2026-12-31')).toEqual(['2026-12-23', '2026-12-24']);
  });

  it('business day 1 of January 2027 is Monday the 4th (Friday the 1st is a holiday)', () => {
    const first: ScheduleWindow = { businessDaysOfMonth: [1], start: '08:00', end: '09:00', servers: 2 };
    expect(runsOn(ontario(), first, '2027-01-01', '2027-01-31')).toEqual(['2027-01-04']);
  });

  it('works a calendar holiday that notHolidays lists', () => {
    const open = ontario({ notHolidays: ['2026-12-25'] });
    expect(runsOn(open, weekday, '2026-12-25', '2026-12-25')).toEqual(['2026-12-25']);
    expect(runsOn(open, monthEnd, '2026-12-01', '2026-12-31')).toEqual(['2026-12-30', '2026-12-31']);
  });

  it('runs on holidays with onHolidays "apply", and a window naming dates applies by default', () => {
    expect(runsOn(ontario(), { ...weekday, onHolidays: 'apply' }, '2026-12-25', '2026-12-25')).toEqual([
      '2026-12-25',
    ]);
    const sale: ScheduleWindow = {
      dates: ['2026-12-24..2026-12-26'],
      start: '08:00',
      end: '21:00',
      servers: 4,
    };
    expect(runsOn(ontario(), sale, '2026-12-20', '2026-12-31')).toEqual([
      '2026-12-24',
      '2026-12-25',
      '2026-12-26',
    ]);
    expect(runsOn(ontario(), { ...sale, onHolidays: 'skip' }, '2026-12-20', '2026-12-31')).toEqual([
      '2026-12-24',
    ]);
  });

  it('without holidays configured, every weekday window runs on Christmas Day', () => {
    const none: ScheduleConfig = { timeZone: 'America/Toronto', baseline: 1, windows: [weekday] };
    expect(runsOn(none, weekday, '2026-12-25', '2026-12-25')).toEqual(['2026-12-25']);
  });
});

describe('scheduleFloor with date windows', () => {
  const at = (iso: string) => Date.parse(iso);

  it('takes the largest window on a month-end day and names it', () => {
    const floor = scheduleFloor(ontario(), at('2026-12-30T15:00:00Z'));
    expect(floor.servers).toBe(3);
    expect(floor.reason).toBe(
      'window business days -2,-1 08:00-21:00 America/Toronto → 3 (largest of 2 active windows)',
    );
  });

  it('falls back to the baseline on Christmas Day and says which window the holiday skipped', () => {
    const floor = scheduleFloor(ontario(), at('2026-12-25T15:00:00Z'));
    expect(floor.servers).toBe(1);
    expect(floor.reason).toBe(
      'outside every window → baseline 1 (mon-fri 08:00-21:00 skipped on a holiday: Christmas Day)',
    );
    expect(floor.skippedForHolidays).toHaveLength(1);
  });

  it('launches a month-start window ahead across the month end (lead 30 min, 00:15 on the 1st)', () => {
    const first: ScheduleConfig = {
      timeZone: 'Australia/Sydney',
      baseline: 0,
      windows: [{ daysOfMonth: [1], start: '00:15', end: '06:00', servers: 5 }],
    };
    // 2026-04-30 23:50 AEST (UTC+10) is 13:50Z; the window starts 2026-05-01 00:15 AEST.
    expect(scheduleFloorAhead(first, at('2026-04-30T13:44:59Z'), 30 * 60_000).servers).toBe(0);
    expect(scheduleFloorAhead(first, at('2026-04-30T13:45:00Z'), 30 * 60_000).servers).toBe(5);
    expect(scheduleFloor(first, at('2026-04-30T14:15:00Z')).servers).toBe(5);
  });

  it('starts a date window on the spring-forward day when the gap ends', () => {
    const dst: ScheduleConfig = {
      timeZone: 'America/Toronto',
      baseline: 1,
      windows: [{ dates: ['2026-03-08'], start: '02:30', end: '05:00', servers: 4 }],
    };
    expect(scheduleFloor(dst, at('2026-03-08T06:59:59.999Z')).servers).toBe(1);
    expect(scheduleFloor(dst, at('2026-03-08T07:00:00Z')).servers).toBe(4);
    expect(scheduleFloor(dst, at('2026-03-15T07:00:00Z')).servers).toBe(1);
  });
});
