/**
 * Trace time 0 of a replay. A trace holds seconds from its start, and the role's schedule (business
 * hours, weekday windows, a weekday warm pool) is read from the date that start falls on: a
 * weekend's queue replayed on a Monday meets the weekday pool. `npm run simulate` and `npm run
 * tune` take the date with `--start`; without it a reference trace starts on its own day (the
 * weekend trace on a Saturday) and any other on {@link DEFAULT_START_AT}, as the bench replays them.
 */
import { basename } from 'node:path';
import { DateTime } from 'luxon';
import { traceStartAt } from './traces/make-traces.js';

/** `--start`'s help in both commands. */
export const START_HELP =
  "trace time 0: midnight of this date in the role's schedule time zone (default: a reference trace's own day, quiet-weekend's a Saturday; any other trace Monday 2026-03-02)";

/** Midnight of `date` (YYYY-MM-DD) in `timeZone`; else the trace's own start by its file name. */
export function replayStartAt(traceFile: string, timeZone: string, date?: string): number {
  if (date === undefined) return traceStartAt(basename(traceFile, '.csv'));
  const day = DateTime.fromISO(date, { zone: timeZone });
  if (!day.isValid) throw new RangeError(`not a date: ${date}`);
  return day.startOf('day').toMillis();
}

/** `Sat 2026-03-07 00:00 America/Toronto`: a replay's start as the schedule reads it. */
export function describeStart(startAt: number, timeZone: string): string {
  return `${DateTime.fromMillis(startAt, { zone: timeZone }).toFormat('ccc yyyy-LL-dd HH:mm')} ${timeZone}`;
}
