/**
 * A schedule's floor, date by date, as an operator reads it before it costs money: each local
 * date's steps (from, to, servers), the window that set each step and why it runs that date, the
 * date's holiday and the windows the holiday skipped. `npm run calendar` prints it.
 */
import { calendarOf, dateOfDay, dayOfDate, windowOnDay } from './calendar.js';
import {
  describeWindow,
  firstInstantAtOrAfter,
  nextScheduleEdge,
  scheduleFloor,
  wallClock,
  zoneOf,
} from './schedule.js';
import type { ScheduleConfig } from './schedule-schema.js';

const DAY = 86_400_000;

/** One step of a date's floor: `servers` from `start` to `end` (local "HH:MM"; the date's end is "24:00"). */
export interface TimelineStep {
  date: string;
  start: string;
  end: string;
  servers: number;
  /** The window that set the floor (as {@link describeWindow} writes it), or null for the baseline. */
  window: string | null;
  /** The date's holiday, or null. */
  holiday: string | null;
  /** Why: the selector that made the window run this date, or why the baseline holds. */
  why: string;
}

export interface TimelineDay {
  date: string;
  weekday: string;
  holiday: string | null;
  /** Windows the holiday kept from running this date. */
  skipped: string[];
  steps: TimelineStep[];
}

/**
 * The floor of `days` local dates from `from` ("YYYY-MM-DD"), in the schedule's time zone. Steps
 * are instants where the floor changes; a date cut short or made longer by a DST change keeps its
 * local wall-clock times.
 *
 * @example
 * scheduleTimeline(jobSchedule, '2026-12-30', 1)[0].steps
 * // => [{ start: '00:00', end: '06:00', servers: 1, window: null, ... },
 * //     { start: '06:00', end: '22:00', servers: 3, window: 'month-end (business days -2,-1) 06:00-22:00',
 * //       why: 'business day -2 of the month', ... }, { start: '22:00', end: '24:00', servers: 1, ... }]
 */
export function scheduleTimeline(schedule: ScheduleConfig, from: string, days: number): TimelineDay[] {
  const zone = zoneOf(schedule);
  const calendar = calendarOf(schedule);
  const out: TimelineDay[] = [];
  for (let day = dayOfDate(from); day < dayOfDate(from) + days; day++) {
    const facts = calendar.factsOf(day);
    const holiday = facts.holiday ?? null;
    const skipped = schedule.windows
      .filter((w) => {
        const verdict = windowOnDay(w, day, calendar);
        return !verdict.runs && verdict.skippedForHoliday !== undefined;
      })
      .map(describeWindow);
    const dayStart = firstInstantAtOrAfter(zone, day * DAY);
    const dayEnd = firstInstantAtOrAfter(zone, (day + 1) * DAY);
    const local = (at: number) =>
      at >= dayEnd ? '24:00' : new Date(wallClock(zone, at)).toISOString().slice(11, 16);
    const steps: TimelineStep[] = [];
    for (let at = dayStart; at < dayEnd; ) {
      const next = Math.min(nextScheduleEdge(schedule, at, dayEnd) ?? dayEnd, dayEnd);
      const floor = scheduleFloor(schedule, at);
      const window = floor.window === undefined ? null : describeWindow(floor.window);
      const why =
        floor.window === undefined
          ? `outside every window${skipped.length > 0 ? `; ${holiday} skipped ${skipped.join(', ')}` : ''}`
          : windowOnDay(floor.window, day, calendar).why;
      const last = steps[steps.length - 1];
      if (last !== undefined && last.servers === floor.servers && last.window === window) {
        last.end = local(next);
      } else {
        steps.push({
          date: dateOfDay(day),
          start: local(at),
          end: local(next),
          servers: floor.servers,
          window,
          holiday,
          why,
        });
      }
      at = next;
    }
    out.push({ date: dateOfDay(day), weekday: facts.weekday, holiday, skipped, steps });
  }
  return out;
}
