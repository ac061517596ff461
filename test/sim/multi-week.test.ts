/** Multi-week traces with real dates: each local date's kind from the calendar, its jobs within its own hours. */
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { multiWeekPayroll } from '../../sim/traces/multi-week.js';

const ONTARIO = { country: 'CA', state: 'ON' };

describe('multiWeekPayroll', () => {
  const trace = multiWeekPayroll(1, {
    start: '2026-08-24',
    weeks: 6,
    timeZone: 'America/Toronto',
    holidays: ONTARIO,
  });
  const kind = (date: string) => trace.days.find((d) => d.date === date)?.kind;

  it('follows the calendar: the last two business days are month-end, Labour Day a holiday', () => {
    expect(trace.days).toHaveLength(42);
    expect(trace.startAt).toBe(DateTime.fromISO('2026-08-24', { zone: 'America/Toronto' }).toMillis());
    expect(['2026-08-28', '2026-08-31', '2026-09-29', '2026-09-30'].map(kind)).toEqual(
      Array(4).fill('month-end'),
    );
    expect(kind('2026-09-07')).toBe('holiday');
    expect(kind('2026-09-05')).toBe('weekend');
    expect(kind('2026-09-28')).toBe('business');
    expect(trace.days.filter((d) => d.kind === 'month-end')).toHaveLength(4);
  });

  it('puts the month-end run on month-end days only: far more work between 10:00 and 11:00', () => {
    const work = (date: string) => {
      const day = trace.days.find((d) => d.date === date);
      if (day === undefined) throw new Error(date);
      const from = day.fromS + 10 * 3600;
      return trace.jobs
        .filter((j) => j.arrivalS >= from && j.arrivalS < from + 3600)
        .reduce((s, j) => s + j.serviceS, 0);
    };
    expect(work('2026-09-30')).toBeGreaterThan(3 * work('2026-09-23'));
    expect(work('2026-09-07')).toBeLessThan(work('2026-09-08'));
  });

  it('keeps arrivals in order, and a 25-hour day (DST ends) as long as it is', () => {
    const fall = multiWeekPayroll(3, { start: '2026-10-26', weeks: 2, timeZone: 'America/Toronto' });
    const sunday = fall.days.find((d) => d.date === '2026-11-01');
    expect((sunday?.toS ?? 0) - (sunday?.fromS ?? 0)).toBe(25 * 3600);
    expect(fall.jobs.every((j, i) => i === 0 || j.arrivalS >= (fall.jobs[i - 1]?.arrivalS ?? 0))).toBe(true);
    expect(multiWeekPayroll(3, { start: '2026-10-26', weeks: 2, timeZone: 'America/Toronto' }).jobs).toEqual(
      fall.jobs,
    );
  });
});
