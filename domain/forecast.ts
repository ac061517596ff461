/**
 * The learned forecast: from a role's demand history (one {@link DemandDay} per local date), the
 * servers needed in each slot of the next hours. Two patterns are learned:
 *
 * - weekly: the median of the same slot on the same weekday of past weeks (holidays left out);
 * - business day of the month: the same slot on the days that held the same place among their
 *   month's business days, counted from the start and from the end (the last business day of last
 *   month for the last business day of this one). A place counts only as high as its lowest month
 *   shows it, so one odd day does not become a pattern.
 *
 * A slot's forecast is the larger of the two. A holiday is not forecast (the schedule alone).
 * Too little history (fewer than `minWeeks` same weekdays), or a forecast that missed badly over
 * the last hour, makes the forecast unusable: it says so, and the caller steps back to the schedule.
 * Pure: `now` and the history are inputs.
 */
import type { IANAZone } from 'luxon';
import { calendarOf, dateOfDay, dayOfDate, type ScheduleCalendar } from './calendar.js';
import type { ForecastConfig } from './forecast-schema.js';
import { firstInstantAtOrAfter, wallClock, zoneOf } from './schedule.js';
import type { ScheduleConfig } from './schedule-schema.js';
import type { DemandDay } from './types.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const HOUR = 60 * MINUTE;

export interface ForecastSlot {
  start: number;
  end: number;
  /** Servers needed, or null when not forecast (a holiday, too little history). */
  servers: number | null;
  /** Which pattern set it, e.g. "weekly median of 4 fri" or "last business day (-1)". */
  basis: string;
  /**
   * Set when the business-day-of-month pattern set it above the weekly median: this day of the
   * month has been heavier than its weekday usually is (a month-end run).
   */
  aboveWeekly?: true;
}

export interface Forecast {
  /** Whether the forecast may act: enough history and no bad miss over the last hour. */
  usable: boolean;
  reason: string;
  /** From the slot holding `now` to `now + horizonHours`. */
  slots: ForecastSlot[];
  /** The last hour, forecast against what was seen, when it was known. */
  lastHour?: { forecast: number; actual: number; slots: number; missed: boolean };
}

export interface ForecastInput {
  config: ForecastConfig;
  schedule: ScheduleConfig;
  /** Any days of the role's history (others than those of {@link historyDates} are ignored). */
  history: readonly DemandDay[];
  now: number;
}

/** The local date and slot of instant `at`. */
export function slotAt(zone: IANAZone, at: number, slotMinutes: number): { day: number; slot: number } {
  const wall = wallClock(zone, at);
  const day = Math.floor(wall / DAY);
  return { day, slot: Math.floor((wall - day * DAY) / (slotMinutes * MINUTE)) };
}

/** The local date ("YYYY-MM-DD") holding `now`: the day an observation at `now` goes into. */
export function localDate(schedule: ScheduleConfig, now: number): string {
  return dateOfDay(slotAt(zoneOf(schedule), now, 60).day);
}

/** Until when (epoch ms) a day of history is kept: `historyWeeks` after the day ends. */
export function keepUntil(date: string, historyWeeks: number): number {
  return (dayOfDate(date) + 1 + historyWeeks * 7) * DAY;
}

/**
 * The local dates the forecast at `now` reads: today and every day the next `horizonHours` learn
 * from (same weekdays, same business-day places), within `historyWeeks`. A few dozen at most.
 */
export function historyDates(config: ForecastConfig, schedule: ScheduleConfig, now: number): string[] {
  const zone = zoneOf(schedule);
  const calendar = calendarOf(schedule);
  const today = slotAt(zone, now, config.slotMinutes).day;
  const last = slotAt(zone, now + config.horizonHours * HOUR, config.slotMinutes).day;
  const days = new Set<number>([today]);
  for (let day = today; day <= last; day++) {
    for (const peer of peersOf(day, config, calendar)) days.add(peer.day);
  }
  return [...days].sort((a, b) => a - b).map(dateOfDay);
}

/** The forecast at `now` for the next `horizonHours`, with whether it may act and why. */
export function forecast(input: ForecastInput): Forecast {
  const { config, schedule, now } = input;
  const zone = zoneOf(schedule);
  const calendar = calendarOf(schedule);
  const byDay = new Map<number, DemandDay>();
  for (const d of input.history) if (d.slotMinutes === config.slotMinutes) byDay.set(dayOfDate(d.date), d);
  const perDay = 1440 / config.slotMinutes;
  const here = slotAt(zone, now, config.slotMinutes);
  const slots: ForecastSlot[] = [];
  const until = now + config.horizonHours * HOUR;
  for (let { day, slot } = here; ; ) {
    const start = firstInstantAtOrAfter(zone, day * DAY + slot * config.slotMinutes * MINUTE);
    if (start >= until) break;
    const next = slot + 1 === perDay ? { day: day + 1, slot: 0 } : { day, slot: slot + 1 };
    const end = firstInstantAtOrAfter(zone, next.day * DAY + next.slot * config.slotMinutes * MINUTE);
    // A wall-clock slot skipped by a DST change has no instants: nothing to forecast.
    if (end > start) slots.push({ start, end, ...predict(day, slot, config, calendar, byDay) });
    ({ day, slot } = next);
  }
  const current = slots.find((s) => s.start <= now && now < s.end) ?? slots[0];
  if (current === undefined || current.servers === null) {
    return { usable: false, reason: `no forecast now: ${current?.basis ?? 'no slot'}`, slots };
  }
  const lastHour = backtest(here, config, calendar, byDay);
  if (lastHour?.missed === true) {
    return {
      usable: false,
      reason: `missed badly over the last hour (forecast ${lastHour.forecast}, saw ${lastHour.actual} servers on average): back to the schedule`,
      slots,
      lastHour,
    };
  }
  return {
    usable: true,
    reason: 'learned from history',
    slots,
    ...(lastHour === undefined ? {} : { lastHour }),
  };
}

/** The largest forecast over the slots that overlap [from, until], with the slot that set it. */
export function forecastPeak(
  result: Forecast,
  from: number,
  until: number,
): { servers: number; slot: ForecastSlot } | undefined {
  let best: { servers: number; slot: ForecastSlot } | undefined;
  for (const slot of result.slots) {
    if (slot.end <= from || slot.start > until || slot.servers === null) continue;
    if (best === undefined || slot.servers > best.servers) best = { servers: slot.servers, slot };
  }
  return best;
}

/**
 * `day` (the stored day holding `at`, if any) with what was seen at `at` folded into its slot:
 * the deepest queue and the most servers. `changed` is false when the slot already held as much
 * (nothing to write); `opened` when the slot had nothing yet.
 */
export function observe(
  day: DemandDay | undefined,
  input: {
    schedule: ScheduleConfig;
    slotMinutes: number;
    at: number;
    queue: number | null;
    servers: number | null;
  },
): { day: DemandDay; changed: boolean; opened: boolean } {
  const { slot, day: local } = slotAt(zoneOf(input.schedule), input.at, input.slotMinutes);
  const date = dateOfDay(local);
  const perDay = 1440 / input.slotMinutes;
  const fresh = day === undefined || day.date !== date || day.slotMinutes !== input.slotMinutes;
  const base: DemandDay = fresh
    ? {
        date,
        slotMinutes: input.slotMinutes,
        queue: Array(perDay).fill(null),
        servers: Array(perDay).fill(null),
      }
    : { ...day, queue: [...day.queue], servers: [...day.servers] };
  const opened = (base.queue[slot] ?? null) === null && (base.servers[slot] ?? null) === null;
  const grow = (list: (number | null)[], value: number | null): boolean => {
    const old = list[slot] ?? null;
    if (value === null || (old !== null && old >= value)) return false;
    list[slot] = value;
    return true;
  };
  const q = grow(base.queue, input.queue);
  const s = grow(base.servers, input.servers);
  return { day: base, changed: fresh || q || s, opened };
}

interface Peer {
  day: number;
  kind: 'weekly' | 'fromStart' | 'fromEnd';
}

/** Peers per calendar, history length and day: each converge asks for the same few days again. */
const peerCache = new WeakMap<ScheduleCalendar, Map<string, Peer[]>>();

/** The past days `day` learns from: same weekday, and same business-day places, within the history. */
function peersOf(day: number, config: ForecastConfig, calendar: ScheduleCalendar): Peer[] {
  let cache = peerCache.get(calendar);
  if (cache === undefined) {
    cache = new Map();
    peerCache.set(calendar, cache);
  }
  const key = `${config.historyWeeks}:${day}`;
  const known = cache.get(key);
  if (known !== undefined) return known;
  if (cache.size > 1000) cache.clear();
  const peers = findPeers(day, config, calendar);
  cache.set(key, peers);
  return peers;
}

function findPeers(day: number, config: ForecastConfig, calendar: ScheduleCalendar): Peer[] {
  const oldest = day - config.historyWeeks * 7;
  const peers: Peer[] = [];
  for (let week = 1; day - week * 7 >= oldest; week++) peers.push({ day: day - week * 7, kind: 'weekly' });
  const place = calendar.factsOf(day).businessDay;
  if (place === undefined) return peers;
  // The month before has its own place days; walk back a month at a time while inside the history.
  for (let first = firstOfMonth(day); first - 1 >= oldest; ) {
    first = firstOfMonth(first - 1);
    const facts = calendar.factsOf(first);
    for (let d = first; d < first + facts.daysInMonth; d++) {
      const p = calendar.factsOf(d).businessDay;
      if (d < oldest || p === undefined) continue;
      if (p.fromStart === place.fromStart) peers.push({ day: d, kind: 'fromStart' });
      if (p.fromEnd === place.fromEnd) peers.push({ day: d, kind: 'fromEnd' });
    }
  }
  return peers;
}

function firstOfMonth(day: number): number {
  const date = new Date(day * DAY);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) / DAY;
}

function predict(
  day: number,
  slot: number,
  config: ForecastConfig,
  calendar: ScheduleCalendar,
  byDay: ReadonlyMap<number, DemandDay>,
): Pick<ForecastSlot, 'servers' | 'basis' | 'aboveWeekly'> {
  const facts = calendar.factsOf(day);
  if (facts.holiday !== undefined)
    return { servers: null, basis: `holiday (${facts.holiday}): the schedule alone` };
  const peers = peersOf(day, config, calendar);
  const seen = (kind: Peer['kind']) =>
    peers.filter((p) => p.kind === kind && byDay.has(p.day) && calendar.factsOf(p.day).holiday === undefined);
  const weeks = seen('weekly');
  if (weeks.length < config.minWeeks) {
    return {
      servers: null,
      basis: `too little history: ${weeks.length} of ${config.minWeeks} past ${facts.weekday} days`,
    };
  }
  const values = (list: Peer[]) =>
    list.map((p) => byDay.get(p.day)?.servers[slot] ?? null).filter((v): v is number => v !== null);
  const weekly = median(values(weeks));
  let servers = weekly ?? 0;
  let basis = `weekly median of ${values(weeks).length} ${facts.weekday}`;
  let aboveWeekly = false;
  const place = facts.businessDay;
  for (const kind of ['fromEnd', 'fromStart'] as const) {
    const known = values(seen(kind));
    if (known.length === 0 || place === undefined) continue;
    const low = Math.min(...known);
    if (low > servers) {
      servers = low;
      basis = `business day ${place[kind]} of the month (${known.length} month${known.length === 1 ? '' : 's'})`;
      aboveWeekly = Math.ceil(low) > Math.ceil(weekly ?? 0);
    }
  }
  return { servers: Math.ceil(servers), basis, ...(aboveWeekly ? { aboveWeekly: true as const } : {}) };
}

/** The last hour's recorded slots of today against what the forecast says for them. */
function backtest(
  here: { day: number; slot: number },
  config: ForecastConfig,
  calendar: ScheduleCalendar,
  byDay: ReadonlyMap<number, DemandDay>,
): Forecast['lastHour'] {
  const today = byDay.get(here.day);
  if (today === undefined) return undefined;
  const pairs: [number, number][] = [];
  for (let slot = Math.max(0, here.slot - 60 / config.slotMinutes); slot < here.slot; slot++) {
    const actual = today.servers[slot] ?? null;
    const predicted = predict(here.day, slot, config, calendar, byDay).servers;
    if (actual !== null && predicted !== null) pairs.push([predicted, actual]);
  }
  if (pairs.length === 0) return undefined;
  const mean = (f: (p: [number, number]) => number) => pairs.reduce((s, p) => s + f(p), 0) / pairs.length;
  const error = mean(([p, a]) => Math.abs(p - a));
  const level = mean(([p, a]) => Math.max(p, a));
  return {
    forecast: round(mean(([p]) => p)),
    actual: round(mean(([, a]) => a)),
    slots: pairs.length,
    missed: error > Math.max(1, config.missRatio * level),
  };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
