/**
 * Trace time 0 of a replay. A trace holds seconds from its start, and the role's schedule (business
 * hours, weekday windows, a weekday warm pool) is read from the date that start falls on: a
 * weekend's queue replayed on a Monday meets the weekday pool. `npm run simulate` and `npm run
 * tune` take the date with `--start`; without it a reference trace starts on its own day (the
 * weekend trace on a Saturday) and any other on {@link DEFAULT_START_AT}, as the bench replays them.
 */
import { basename } from 'node:path';
import { DateTime } from 'luxon';
import { DEFAULT_START_AT } from './policies.js';
import { traceStartAt } from './traces/make-traces.js';

/** `--start`'s help in both commands. */
export const START_HELP = `trace time 0: midnight of this date in the role's schedule time zone (default: a reference trace's own day, quiet-weekend's a Saturday; any other trace ${DateTime.fromMillis(DEFAULT_START_AT, { zone: 'utc' }).toFormat('cccc yyyy-LL-dd')})`;

/** A replay's time 0, and the day it names as the schedule reads it (`Sat 2026-03-07 00:00 America/Toronto`). */
export interface ReplayStart {
  at: number;
  text: string;
}

/** Midnight of `date` (YYYY-MM-DD) in `timeZone`; else the trace's own start by its file name. */
export function replayStart(traceFile: string, timeZone: string, date?: string): ReplayStart {
  const at = date === undefined ? traceStartAt(basename(traceFile, '.csv')) : midnight(date, timeZone);
  return {
    at,
    text: `${DateTime.fromMillis(at, { zone: timeZone }).toFormat('ccc yyyy-LL-dd HH:mm')} ${timeZone}`,
  };
}

function midnight(date: string, timeZone: string): number {
  const day = DateTime.fromISO(date, { zone: timeZone });
  if (!day.isValid) throw new RangeError(`not a date: ${date}`);
  return day.startOf('day').toMillis();
}
