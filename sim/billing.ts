/**
 * The simulator's arithmetic: what an instance's lifetime is billed (per second with EC2's 60 s
 * minimum, and hourly as a second figure), nearest-rank percentiles of the job waits, rounding.
 */

const HOUR_MS = 3_600_000;

/** Billed seconds of one instance under per-second billing: rounded up, at least 60. */
export function billedSeconds(durationMs: number): number {
  return Math.max(60, Math.ceil(durationMs / 1000));
}

/** Billed hours of one instance under hourly billing: every started hour, at least one. */
export function billedHours(durationMs: number): number {
  return Math.max(1, Math.ceil(durationMs / HOUR_MS));
}

/** Nearest-rank percentile (p in (0, 100]) of values; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  return nearestRank(
    [...values].sort((a, b) => a - b),
    p,
  );
}

function nearestRank(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? 0;
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export interface WaitFigures {
  waitP50S: number;
  waitP95S: number;
  waitMaxS: number;
  waitMeanS: number;
}

/** The wait figures of a run, in seconds rounded to the millisecond (one sort for all of them). */
export function waitFigures(waits: readonly number[]): WaitFigures {
  const sorted = [...waits].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    waitP50S: round(nearestRank(sorted, 50), 3),
    waitP95S: round(nearestRank(sorted, 95), 3),
    waitMaxS: round(sorted.at(-1) ?? 0, 3),
    waitMeanS: round(sorted.length === 0 ? 0 : sum / sorted.length, 3),
  };
}

export interface BilledFigures {
  /** Per-second billing with a 60 s minimum per instance. */
  instanceHours: number;
  /** Every started hour billed. */
  instanceHoursHourly: number;
}

/** Instance-hours of instance lifetimes (launch to termination, ms) under both billing rules. */
export function billedFigures(durationsMs: readonly number[]): BilledFigures {
  let seconds = 0;
  let hours = 0;
  for (const duration of durationsMs) {
    seconds += billedSeconds(duration);
    hours += billedHours(duration);
  }
  return { instanceHours: round(seconds / 3600, 4), instanceHoursHourly: hours };
}
