/**
 * Schedule floors: how many servers a role's schedule asks for at an instant and when that may next
 * change. Which dates a window runs on is domain/calendar.ts; the EventBridge Scheduler cron
 * expressions that fire at the window edges are domain/schedule-edges.ts.
 *
 * A window is a span of local wall-clock time on each of its days, in the schedule's IANA time zone.
 * On one local date D it covers the instants [edge(D start), edge(D end)), where `end` '24:00' means
 * 00:00 of the next date and `edge(wall time)` is the FIRST instant whose local wall-clock time is at
 * or after that wall time. That one rule settles the DST cases:
 * - a wall time inside a spring-forward gap (02:30 on 2026-03-08 in America/Toronto) resolves to the
 *   first valid instant after the gap (03:00 EDT). Luxon's `DateTime.fromObject` would shift it a
 *   full gap later (03:30 EDT) instead;
 * - an ambiguous wall time (01:30 on 2026-11-01 in America/Toronto) resolves to its first
 *   occurrence (01:30 EDT), so a window never flickers off and on again during the repeated hour.
 *
 * Edges are found with luxon's `IANAZone.offset`, never `DateTime.fromObject`: the latter resolves an
 * ambiguous time from a guess based on the current clock, so its answer would depend on when it ran.
 *
 * EventBridge Scheduler skips a cron time that falls in a gap and fires an ambiguous one once; the
 * periodic tick converges every role anyway, so a skipped edge event costs at most one tick.
 */
import { IANAZone } from 'luxon';
import { calendarOf, type WindowDay, windowOnDay } from './calendar.js';
import { ConfigError } from './errors.js';
import type { ScheduleConfig, ScheduleWindow, Weekday } from './schedule-schema.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const HOUR = 3_600_000;
/**
 * How far ahead `nextScheduleEdge` looks: a weekly window recurs within 8 days, one by the month
 * within two months; a date further than this has no next edge yet.
 */
const LOOKAHEAD_DAYS = 400;

/** Weekdays in `Date#getUTCDay` order (0 = Sunday). */
export const BY_UTC_DAY: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
/** Weekdays in the order people read them (and config writes them). */
export const READING_ORDER: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export interface ScheduleFloor {
  servers: number;
  /** The window that set the floor (the first of the largest when several are active). */
  window?: ScheduleWindow;
  reason: string;
  /** The holidays that kept a window from running now, when some did. */
  skippedForHolidays?: string[];
}

/**
 * The schedule's floor at instant `at` (epoch ms): the largest `servers` of the windows active
 * then, or `baseline` outside every window. A window is active from its start (inclusive) to its
 * end (exclusive) on each local date its day selectors match, in the schedule's time zone.
 *
 * @example
 * // 2026-03-09T12:00:00Z is Monday 08:00 EDT
 * scheduleFloor(appSchedule, Date.parse('2026-03-09T12:00:00Z'))
 * // => { servers: 3, window, reason: 'window mon-fri 08:00-21:00 America/Toronto → 3' }
 */
export function scheduleFloor(schedule: ScheduleConfig, at: number): ScheduleFloor {
  return heldAt(schedule, at)?.floor ?? computeFloor(schedule, at);
}

function computeFloor(schedule: ScheduleConfig, at: number): ScheduleFloor {
  const zone = zoneOf(schedule);
  const calendar = calendarOf(schedule);
  const today = localDay(zone, at);
  let best: ScheduleWindow | undefined;
  let active = 0;
  const skipped: string[] = [];
  for (const window of schedule.windows) {
    let isActive = false;
    for (const day of [today - 1, today, today + 1]) {
      const verdict = windowOnDay(window, day, calendar);
      if (!verdict.runs && verdict.skippedForHoliday === undefined) continue;
      const span = spanOn(zone, window, day);
      if (!(span.start <= at && at < span.end)) continue;
      if (verdict.runs) isActive = true;
      else skipped.push(`${describeWindow(window)} skipped on a holiday: ${verdict.skippedForHoliday}`);
    }
    // A window that only sizes the warm pool leaves the floor to the others and the baseline.
    if (!isActive || window.servers === undefined) continue;
    active += 1;
    if (best === undefined || window.servers > (best.servers ?? 0)) best = window;
  }
  const holidays = skipped.length === 0 ? {} : { skippedForHolidays: skipped };
  const because = skipped.length === 0 ? '' : ` (${skipped.join('; ')})`;
  if (best === undefined) {
    return {
      servers: schedule.baseline,
      reason: `outside every window → baseline ${schedule.baseline}${because}`,
      ...holidays,
    };
  }
  const others = active > 1 ? ` (largest of ${active} active windows)` : '';
  const servers = best.servers ?? schedule.baseline;
  return {
    servers,
    window: best,
    reason: `window ${describeWindow(best)} ${schedule.timeZone} → ${servers}${others}${because}`,
    ...holidays,
  };
}

/** The windows active at instant `at`, in config order (see {@link scheduleFloor} for "active"). */
export function activeWindows(schedule: ScheduleConfig, at: number): readonly ScheduleWindow[] {
  return heldAt(schedule, at)?.active ?? computeActive(schedule, at);
}

function computeActive(schedule: ScheduleConfig, at: number): ScheduleWindow[] {
  const zone = zoneOf(schedule);
  const calendar = calendarOf(schedule);
  const today = localDay(zone, at);
  return schedule.windows.filter((window) =>
    [today - 1, today, today + 1].some((day) => {
      if (!windowOnDay(window, day, calendar).runs) return false;
      const span = spanOn(zone, window, day);
      return span.start <= at && at < span.end;
    }),
  );
}

/**
 * The floor that has a window's servers in service by its start: the largest floor from `at` to
 * `at + leadMs` (launches start `leadMs` early; a window still ends on time). Every window edge in
 * that span counts, so a window shorter than the lead keeps its servers from launch to start.
 *
 * @example
 * // lead 5 minutes: at 07:55 the 08:00-21:00 window's 3 servers are already the floor
 * scheduleFloorAhead(appSchedule, Date.parse('2026-03-09T11:55:00Z'), 300_000).servers // => 3
 */
export function scheduleFloorAhead(schedule: ScheduleConfig, at: number, leadMs: number): ScheduleFloor {
  const now = scheduleFloor(schedule, at);
  if (leadMs <= 0) return now;
  const until = at + leadMs;
  let ahead = scheduleFloor(schedule, until);
  for (let edge = nextScheduleEdge(schedule, at, until); edge !== undefined && edge < until; ) {
    const floor = scheduleFloor(schedule, edge);
    if (floor.servers > ahead.servers) ahead = floor;
    edge = nextScheduleEdge(schedule, edge, until);
  }
  if (ahead.servers <= now.servers) return now;
  return { ...ahead, reason: `${ahead.reason} within ${Math.round(leadMs / 60_000)} min: launching ahead` };
}

/**
 * The first instant strictly after `at` at which some window starts or ends on a date it runs
 * (so the floor may change), or undefined when there is none within {@link LOOKAHEAD_DAYS} days.
 * Between `at` and this instant {@link scheduleFloor} is constant. With `until` the search may stop
 * a day past it: an edge after `until` may or may not be returned (callers look no further).
 */
export function nextScheduleEdge(schedule: ScheduleConfig, at: number, until?: number): number | undefined {
  if (schedule.windows.length === 0) return undefined;
  if (!frozen(schedule)) return edgeAfter(schedule, at, until, runsOnly);
  const known = nextEdges.get(schedule);
  if (known !== undefined && known.from <= at && at < known.next) return known.next;
  const next = edgeAfter(schedule, at, undefined, runsOnly);
  if (next !== undefined) nextEdges.set(schedule, { from: at, next });
  return next;
}

const runsOnly = (day: WindowDay): boolean => day.runs;
/** A window skipped for a holiday changes the floor's reason at its edges, not its servers. */
const runsOrSkipped = (day: WindowDay): boolean => day.runs || day.skippedForHoliday !== undefined;

/** The first edge after `at` of a window on a date `counts` accepts (see {@link nextScheduleEdge}). */
function edgeAfter(
  schedule: ScheduleConfig,
  at: number,
  until: number | undefined,
  counts: (day: WindowDay) => boolean,
): number | undefined {
  const zone = zoneOf(schedule);
  const calendar = calendarOf(schedule);
  const today = localDay(zone, at);
  const lastDay = until === undefined ? today + LOOKAHEAD_DAYS : localDay(zone, until) + 1;
  let next: number | undefined;
  for (let day = today - 1; day <= lastDay; day++) {
    // No instant of this date or a later one comes before `next`: every zone is within 14 hours of UTC.
    if (next !== undefined && next < day * DAY - 15 * HOUR) break;
    for (const window of schedule.windows) {
      if (!counts(windowOnDay(window, day, calendar))) continue;
      const span = spanOn(zone, window, day);
      for (const edge of [span.start, span.end]) {
        if (edge > at && (next === undefined || edge < next)) next = edge;
      }
    }
  }
  return next;
}

/**
 * Every tick asks for the floor and the active windows, and they change only at a window's edge.
 * For a frozen schedule (a loaded config is) the last answer is kept with the span it holds for:
 * from the instant it was worked out to the next edge of any window, run or skipped.
 */
interface Held {
  from: number;
  until: number;
  floor: ScheduleFloor;
  active: readonly ScheduleWindow[];
}
const held = new WeakMap<ScheduleConfig, Held>();
/** Per frozen schedule, the next edge found from `from`: the answer for every instant before it. */
const nextEdges = new WeakMap<ScheduleConfig, { from: number; next: number }>();

function frozen(schedule: ScheduleConfig): boolean {
  return Object.isFrozen(schedule) && Object.isFrozen(schedule.windows);
}

function heldAt(schedule: ScheduleConfig, at: number): Held | undefined {
  if (!frozen(schedule)) return undefined;
  const known = held.get(schedule);
  if (known !== undefined && known.from <= at && at < known.until) return known;
  const edge = edgeAfter(schedule, at, undefined, runsOrSkipped);
  const fresh: Held = {
    from: at,
    // No edge within the lookahead: the answer holds for this instant alone.
    until: edge ?? at + 1,
    floor: Object.freeze(computeFloor(schedule, at)),
    active: Object.freeze(computeActive(schedule, at)),
  };
  held.set(schedule, fresh);
  return fresh;
}

export function zoneOf(schedule: ScheduleConfig): IANAZone {
  const zone = IANAZone.create(schedule.timeZone);
  if (!zone.isValid) throw new ConfigError([`schedule.timeZone: unknown time zone "${schedule.timeZone}"`]);
  return zone;
}

/** Local wall-clock time of `at`, as epoch ms of the same wall-clock reading in UTC. */
export function wallClock(zone: IANAZone, at: number): number {
  return at + offsetAt(zone, at) * MINUTE;
}

/**
 * The zone's offset from UTC at `at`, in minutes, as luxon's `IANAZone.offset` gives it. Intl is slow
 * and every tick asks, so each hour's offset is worked out once: an offset that is the same at both
 * ends of an hour holds through it (no real zone changes its offset twice within an hour), and an
 * hour with a change in it asks Intl for each instant.
 */
export function offsetAt(zone: IANAZone, at: number): number {
  let hours = offsets.get(zone.name);
  if (hours === undefined) {
    hours = new Map();
    offsets.set(zone.name, hours);
  }
  const hour = Math.floor(at / HOUR);
  let known = hours.get(hour);
  if (known === undefined) {
    if (hours.size >= MAX_REMEMBERED_HOURS) hours.clear();
    const first = zone.offset(hour * HOUR);
    known = first === zone.offset((hour + 1) * HOUR - 1) ? first : null;
    hours.set(hour, known);
  }
  return known ?? zone.offset(at);
}

/** About 11 years of hours per zone. */
const MAX_REMEMBERED_HOURS = 100_000;
/** By zone name, by hour since the epoch: the hour's offset, or null when it changes within it. */
const offsets = new Map<string, Map<number, number | null>>();

/** The local date of `at` as a day number (days since 1970-01-01). */
export function localDay(zone: IANAZone, at: number): number {
  return Math.floor(wallClock(zone, at) / DAY);
}

/** The instants the window's times take on local date `day`, whether or not it runs that day. */
function spanOn(zone: IANAZone, window: ScheduleWindow, day: number): { start: number; end: number } {
  const midnight = day * DAY;
  return {
    start: firstInstantAtOrAfter(zone, midnight + minutesOf(window.start) * MINUTE),
    end: firstInstantAtOrAfter(zone, midnight + minutesOf(window.end) * MINUTE),
  };
}

/** 'HH:MM' as minutes after midnight; '24:00' is 1440. */
export function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

/**
 * The first instant whose local wall-clock reading is at or after `wall`: the first occurrence of an
 * ambiguous time, the end of the gap for a time that does not exist. Assumes at most one offset
 * change within a day of `wall`, which holds for every real zone.
 */
export function firstInstantAtOrAfter(zone: IANAZone, wall: number): number {
  const key = `${zone.name} ${wall}`;
  const known = instants.get(key);
  if (known !== undefined) return known;
  // Zone offsets come from Intl and are slow; window edges repeat, so each is worked out once.
  if (instants.size >= MAX_REMEMBERED_INSTANTS) instants.clear();
  const instant = computeFirstInstantAtOrAfter(zone, wall);
  instants.set(key, instant);
  return instant;
}

const MAX_REMEMBERED_INSTANTS = 100_000;
const instants = new Map<string, number>();

function computeFirstInstantAtOrAfter(zone: IANAZone, wall: number): number {
  const offsets = [zone.offset(wall - DAY), zone.offset(wall), zone.offset(wall + DAY)];
  let first: number | undefined;
  for (const offset of offsets) {
    const candidate = wall - offset * MINUTE;
    if (zone.offset(candidate) === offset && (first === undefined || candidate < first)) first = candidate;
  }
  if (first !== undefined) return first;
  // In a gap: `low` reads before `wall` (old offset), `high` after it (new offset). Bisect to the
  // transition, which is the first instant reading at or after `wall`.
  let low = wall - Math.max(...offsets) * MINUTE;
  let high = wall - Math.min(...offsets) * MINUTE;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (wallClock(zone, middle) >= wall) high = middle;
    else low = middle;
  }
  return high;
}

/**
 * A window as people read it: its name if it has one, its day selectors and its times, e.g.
 * "mon-fri 08:00-21:00" or "month-end (business days -2,-1) 08:00-21:00".
 */
export function describeWindow(window: ScheduleWindow): string {
  const selectors: string[] = [];
  if (window.days !== undefined) {
    selectors.push(
      runs(READING_ORDER, new Set(window.days))
        .map((run) => (run.length >= 3 ? `${run[0]}-${run[run.length - 1]}` : run.join(',')))
        .join(','),
    );
  }
  if (window.dates !== undefined) selectors.push(`dates ${window.dates.join(',')}`);
  if (window.daysOfMonth !== undefined) selectors.push(`days of month ${window.daysOfMonth.join(',')}`);
  if (window.businessDaysOfMonth !== undefined) {
    selectors.push(`business days ${window.businessDaysOfMonth.join(',')}`);
  }
  if (window.weekdaysOfMonth !== undefined) selectors.push(window.weekdaysOfMonth.join(','));
  const days = selectors.join(' ');
  const times = `${window.start}-${window.end}`;
  return window.name === undefined ? `${days} ${times}` : `${window.name} (${days}) ${times}`;
}

/** The chosen days split into runs of consecutive days in `order`. */
export function runs(order: readonly Weekday[], chosen: ReadonlySet<Weekday>): Weekday[][] {
  const out: Weekday[][] = [];
  let current: Weekday[] = [];
  for (const day of order) {
    if (chosen.has(day)) {
      current.push(day);
    } else if (current.length > 0) {
      out.push(current);
      current = [];
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}
