/**
 * The `calendar` part of `npm run bench`: the payroll business over six weeks of real dates
 * (Mon 2026-08-24 to Sun 2026-10-04, America/Toronto, Ontario holidays: Labour Day on Sep 7), with
 * two month-ends (Aug 28 and 31, Sep 29 and 30; sim/traces/multi-week.ts). Five rows, each over
 * the whole span from the same trace and launch delays:
 *
 * - `seed-2010`: the 2010 rule (1 permanent server, at most 2 extra: fixed, the baseline);
 * - `default`: the shipped job role, no calendar;
 * - `default + window`: with a hand-written window on the last two business days;
 * - `default + forecast floor` / `default + forecast warm`: with the learned forecast and no date
 *   window (`warm` with a warm pool of 0 outside the forecast, unless the shipped role has one).
 *
 * Every row but the 2010 rule runs the shipped role with `max` {@link CALENDAR_MAX}: the everyday
 * policy is the shipped one, only a raised floor (window, forecast) reaches above 3.
 *
 * Reported: p95 wait on the month-end days the forecast could have learned (September's: August's
 * month-end is its first, with nothing to learn from), p95 on every month-end day, and dollars
 * over the whole span, each against the 2010 rule's. Targets: the forecast p95 <= 0.5x on the
 * learned month-end days at <= 1.0x the dollars; the window <= 0.3x.
 */
import { DEFAULT_LAUNCH_DELAY, type PolicySpec, percentile, simulate } from '../index.js';
import { defaultRole, simulationRole } from '../policies.js';
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
  /** The row's role: its max, window names, configured warm pool size and forecast mode (null: the 2010 rule's own, none). */
  max: number | null;
  windows: string[];
  warmPool: number | null;
  forecast: string | null;
}

/**
 * The job role every row but the 2010 rule runs: the shipped one with room on the days a payroll
 * business knows are heavy. Its everyday scale-out is the shipped policy's (`maxExtra` over the
 * floor); only a window's or the forecast's raised floor reaches above the shipped max of 3, the
 * queue's extra servers on top of it. See docs/benchmark.md "Calendar: month-ends over six weeks".
 */
export const CALENDAR_MAX = 6;

/**
 * The hand-written month-end window of the `default + window` row: 4 servers through the 10:00 run
 * (the queue's extra servers on top reach the role's max), chosen on trace seeds 1-3.
 */
export const MONTH_END_WINDOW = {
  name: 'month-end',
  businessDaysOfMonth: [-2, -1],
  start: '09:30',
  end: '12:00',
  servers: 4,
} as const;

/**
 * The rows: the 2010 rule, and the shipped job role (with `max` {@link CALENDAR_MAX}) with what
 * each row adds to it. Each keeps the shipped role's own windows and warm pool, so the rows compare
 * the same additions whatever the shipped default holds.
 */
export function calendarRows(): [string, PolicySpec][] {
  const shipped = defaultRole();
  const role = (adds: { windows?: unknown[]; forecast?: unknown; calendar?: boolean; pool?: boolean }) =>
    simulationRole({
      roles: {
        job: {
          max: CALENDAR_MAX,
          schedule: {
            ...(adds.calendar === true ? { holidays: CALENDAR_SPAN.holidays } : {}),
            windows: [...shipped.schedule.windows, ...(adds.windows ?? [])],
          },
          // `warm` needs a pool: none outside the forecast unless the shipped role has its own.
          ...(adds.pool === true && shipped.warmPool === undefined ? { warmPool: { size: 0 } } : {}),
          ...(adds.forecast === undefined ? {} : { forecast: adds.forecast }),
        },
      },
    });
  return [
    ['seed-2010', 'seed-2010'],
    ['default', { name: 'default', role: role({}) }],
    ['default + window', { name: 'window', role: role({ calendar: true, windows: [MONTH_END_WINDOW] }) }],
    [
      'default + forecast floor',
      { name: 'forecast-floor', role: role({ calendar: true, forecast: { mode: 'floor' } }) },
    ],
    [
      'default + forecast warm',
      { name: 'forecast-warm', role: role({ calendar: true, pool: true, forecast: { mode: 'warm' } }) },
    ],
  ];
}

/** What a row's role holds that the rows differ by. */
function describeRole(
  policy: PolicySpec,
): Pick<CalendarBenchRow, 'max' | 'windows' | 'warmPool' | 'forecast'> {
  if (typeof policy === 'string' || policy.role === undefined) {
    return { max: null, windows: [], warmPool: null, forecast: null };
  }
  const { role } = policy;
  return {
    max: role.max,
    windows: role.schedule.windows.map((w) => w.name ?? 'unnamed'),
    warmPool: role.warmPool?.size ?? null,
    forecast: role.forecast?.mode ?? null,
  };
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
      ...describeRole(policy),
    };
    rows.push(row);
    onRow(row);
  }
  return { span: CALENDAR_SPAN, days: trace.days, rows };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
