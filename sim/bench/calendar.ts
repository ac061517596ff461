/**
 * The `calendar` part of `npm run bench`: the payroll business over six weeks of real dates
 * (Mon 2026-08-24 to Sun 2026-10-04, America/Toronto, Ontario holidays: Labour Day on Sep 7), with
 * two month-ends (Aug 28 and 31, Sep 29 and 30; sim/traces/multi-week.ts). Five rows, each over
 * the whole span from the same trace and launch delays:
 *
 * - `seed-2010`: the 2010 rule;
 * - `default`: today's default, no calendar;
 * - `default + window`: the default with a hand-written window on the last two business days;
 * - `default + forecast floor` / `default + forecast warm`: the default with the learned forecast
 *   and no date window (`warm` with a warm pool of 0 outside the forecast).
 *
 * Reported: p95 wait on the month-end days the forecast could have learned (September's: August's
 * month-end is its first, with nothing to learn from), p95 on every month-end day, and dollars
 * over the whole span, each against the 2010 rule's. Targets: the forecast p95 <= 0.5x on the
 * learned month-end days at <= 1.0x the dollars; the window <= 0.3x.
 */
import type { RoleConfig } from '../../domain/config.js';
import { DEFAULT_LAUNCH_DELAY, type PolicySpec, percentile, simulate } from '../index.js';
import { simulationRole } from '../policies.js';
import { type MultiWeekTrace, multiWeekPayroll } from '../traces/multi-week.js';

export const CALENDAR_SPAN = {
  start: '2026-08-24',
  weeks: 6,
  timeZone: 'America/Toronto',
  holidays: { country: 'CA', state: 'ON' },
} as const;
/** Month-end days from this date on are the learned ones. */
const LEARNED_FROM = '2026-09-01';
const TRACE_SEED = 1;
const DELAY_SEED = 1;

export interface CalendarBenchRow {
  row: string;
  /** p95 wait (s) on the learned month-end days, and against seed-2010's. */
  monthEndP95S: number;
  monthEndP95Ratio: number;
  /** p95 wait (s) on every month-end day of the span. */
  allMonthEndP95S: number;
  /** p95 wait (s) over the whole span. */
  p95S: number;
  dollars: number;
  dollarsRatio: number;
  launches: number;
  warmStarts: number;
}

const HOLIDAYS = { holidays: CALENDAR_SPAN.holidays };

/** The rows' roles: the shipped default with what each row adds. */
export function calendarRows(): [string, PolicySpec][] {
  const role = (job: Record<string, unknown>): RoleConfig => simulationRole({ roles: { job } });
  const window = {
    name: 'month-end',
    businessDaysOfMonth: [-2, -1],
    start: '09:30',
    end: '16:30',
    servers: 3,
  };
  return [
    ['seed-2010', 'seed-2010'],
    ['default', 'default'],
    ['default + window', { name: 'window', role: role({ schedule: { ...HOLIDAYS, windows: [window] } }) }],
    [
      'default + forecast floor',
      { name: 'forecast-floor', role: role({ schedule: HOLIDAYS, forecast: { mode: 'floor' } }) },
    ],
    [
      'default + forecast warm',
      {
        name: 'forecast-warm',
        role: role({ schedule: HOLIDAYS, warmPool: { size: 0 }, forecast: { mode: 'warm' } }),
      },
    ],
  ];
}

export async function benchCalendar(
  onRow: (row: CalendarBenchRow) => void = () => undefined,
): Promise<{ span: typeof CALENDAR_SPAN; days: MultiWeekTrace['days']; rows: CalendarBenchRow[] }> {
  const trace = multiWeekPayroll(TRACE_SEED, CALENDAR_SPAN);
  const monthEnd = trace.days.filter((d) => d.kind === 'month-end');
  const learned = monthEnd.filter((d) => d.date >= LEARNED_FROM);
  const rows: CalendarBenchRow[] = [];
  let seed: { p95: number; dollars: number } | undefined;
  for (const [name, policy] of calendarRows()) {
    const result = await simulate({
      jobs: trace.jobs,
      policy,
      seed: DELAY_SEED,
      launchDelay: DEFAULT_LAUNCH_DELAY,
      startAt: trace.startAt,
    });
    const on = (days: typeof monthEnd) =>
      percentile(
        result.outcomes
          .filter((o) => days.some((d) => o.arrivalS >= d.fromS && o.arrivalS < d.toS))
          .map((o) => o.waitS),
        95,
      );
    const p95 = on(learned);
    seed ??= { p95, dollars: result.summary.cost };
    const row: CalendarBenchRow = {
      row: name,
      monthEndP95S: round(p95),
      monthEndP95Ratio: round(p95 / seed.p95),
      allMonthEndP95S: round(on(monthEnd)),
      p95S: result.summary.waitP95S,
      dollars: round(result.summary.cost),
      dollarsRatio: round(result.summary.cost / seed.dollars),
      launches: result.summary.launches,
      warmStarts: result.summary.warmStarts,
    };
    rows.push(row);
    onRow(row);
  }
  return { span: CALENDAR_SPAN, days: trace.days, rows };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
