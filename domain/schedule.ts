/**
 * Schedule floors: how many servers a role's schedule asks for at an instant, when that may next
 * change, and the EventBridge Scheduler cron expressions that fire at the window edges.
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
import type { ScheduleConfig, ScheduleWindow, Weekday } from './config.js';
import { ConfigError } from './errors.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** How far ahead `nextScheduleEdge` looks: every window recurs at least weekly. */
const LOOKAHEAD_DAYS = 8;

/** Weekdays in `Date#getUTCDay` order (0 = Sunday). */
const BY_UTC_DAY: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
/** Weekdays in the order people read them (and config writes them). */
const READING_ORDER: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export interface ScheduleFloor {
  servers: number;
  /** The window that set the floor (the first of the largest when several are active). */
  window?: ScheduleWindow;
  reason: string;
}

/** One window edge as an EventBridge Scheduler schedule. */
export interface ScheduleEdge {
  /** EventBridge cron: minutes hours day-of-month month day-of-week year. */
  expression: string;
  timeZone: string;
  edge: 'start' | 'end';
  /** Index of the window in `schedule.windows`. */
  window: number;
}

/**
 * The schedule's floor at instant `at` (epoch ms): the largest `servers` of the windows active
 * then, or `baseline` outside every window. A window is active from its start (inclusive) to its
 * end (exclusive) on each of its days, in the schedule's time zone.
 *
 * @example
 * // 2026-03-09T12:00:00Z is Monday 08:00 EDT
 * scheduleFloor(appSchedule, Date.parse('2026-03-09T12:00:00Z'))
 * // => { servers: 3, window, reason: 'window mon-fri 08:00-21:00 America/Toronto → 3' }
 */
export function scheduleFloor(schedule: ScheduleConfig, at: number): ScheduleFloor {
  const zone = zoneOf(schedule);
  const today = localDay(zone, at);
  let best: ScheduleWindow | undefined;
  let active = 0;
  for (const window of schedule.windows) {
    const isActive = [today - 1, today, today + 1].some((day) => {
      const span = windowSpan(zone, window, day);
      return span !== undefined && span.start <= at && at < span.end;
    });
    if (!isActive) continue;
    active += 1;
    if (best === undefined || window.servers > best.servers) best = window;
  }
  if (best === undefined) {
    return { servers: schedule.baseline, reason: `outside every window → baseline ${schedule.baseline}` };
  }
  const others = active > 1 ? ` (largest of ${active} active windows)` : '';
  return {
    servers: best.servers,
    window: best,
    reason: `window ${describeWindow(best)} ${schedule.timeZone} → ${best.servers}${others}`,
  };
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
  let ahead = scheduleFloor(schedule, at + leadMs);
  for (let edge = nextScheduleEdge(schedule, at); edge !== undefined && edge < at + leadMs; ) {
    const floor = scheduleFloor(schedule, edge);
    if (floor.servers > ahead.servers) ahead = floor;
    edge = nextScheduleEdge(schedule, edge);
  }
  if (ahead.servers <= now.servers) return now;
  return { ...ahead, reason: `${ahead.reason} within ${Math.round(leadMs / 60_000)} min: launching ahead` };
}

/**
 * The first instant strictly after `at` at which some window starts or ends (so the floor may
 * change), or undefined when the schedule has no windows. Between `at` and this instant
 * {@link scheduleFloor} is constant.
 */
export function nextScheduleEdge(schedule: ScheduleConfig, at: number): number | undefined {
  const zone = zoneOf(schedule);
  const today = localDay(zone, at);
  let next: number | undefined;
  for (let day = today - 1; day <= today + LOOKAHEAD_DAYS; day++) {
    for (const window of schedule.windows) {
      const span = windowSpan(zone, window, day);
      if (span === undefined) continue;
      for (const edge of [span.start, span.end]) {
        if (edge > at && (next === undefined || edge < next)) next = edge;
      }
    }
  }
  return next;
}

/**
 * Every window edge as an EventBridge Scheduler cron expression in the schedule's time zone, in
 * window order (start, then end), without repeating an expression already listed. An end of
 * '24:00' fires at 00:00 on the following days.
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
    add(cronAt(window.start, window.days), 'start', index);
    if (window.end === '24:00') add(cronAt('00:00', window.days.map(nextWeekday)), 'end', index);
    else add(cronAt(window.end, window.days), 'end', index);
  });
  return edges;
}

function zoneOf(schedule: ScheduleConfig): IANAZone {
  const zone = IANAZone.create(schedule.timeZone);
  if (!zone.isValid) throw new ConfigError([`schedule.timeZone: unknown time zone "${schedule.timeZone}"`]);
  return zone;
}

/** Local wall-clock time of `at`, as epoch ms of the same wall-clock reading in UTC. */
function wallClock(zone: IANAZone, at: number): number {
  return at + zone.offset(at) * MINUTE;
}

/** The local date of `at` as a day number (days since 1970-01-01). */
function localDay(zone: IANAZone, at: number): number {
  return Math.floor(wallClock(zone, at) / DAY);
}

function weekdayOf(day: number): Weekday {
  return BY_UTC_DAY[(((day + 4) % 7) + 7) % 7] as Weekday;
}

/** The window's instants on local date `day`, or undefined when it does not run that day. */
function windowSpan(
  zone: IANAZone,
  window: ScheduleWindow,
  day: number,
): { start: number; end: number } | undefined {
  if (!window.days.includes(weekdayOf(day))) return undefined;
  const midnight = day * DAY;
  return {
    start: firstInstantAtOrAfter(zone, midnight + minutesOf(window.start) * MINUTE),
    end: firstInstantAtOrAfter(zone, midnight + minutesOf(window.end) * MINUTE),
  };
}

/** 'HH:MM' as minutes after midnight; '24:00' is 1440. */
function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

/**
 * The first instant whose local wall-clock reading is at or after `wall`: the first occurrence of an
 * ambiguous time, the end of the gap for a time that does not exist. Assumes at most one offset
 * change within a day of `wall`, which holds for every real zone.
 */
function firstInstantAtOrAfter(zone: IANAZone, wall: number): number {
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

function nextWeekday(day: Weekday): Weekday {
  return READING_ORDER[(READING_ORDER.indexOf(day) + 1) % 7] as Weekday;
}

function cronAt(time: string, days: readonly Weekday[]): string {
  const minutes = minutesOf(time);
  return `cron(${minutes % 60} ${Math.floor(minutes / 60)} ? * ${cronDays(days)} *)`;
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

function describeWindow(window: ScheduleWindow): string {
  const days = runs(READING_ORDER, new Set(window.days))
    .map((run) => (run.length >= 3 ? `${run[0]}-${run[run.length - 1]}` : run.join(',')))
    .join(',');
  return `${days} ${window.start}-${window.end}`;
}

/** The chosen days split into runs of consecutive days in `order`. */
function runs(order: readonly Weekday[], chosen: ReadonlySet<Weekday>): Weekday[][] {
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
