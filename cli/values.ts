/**
 * Checks of one flag's value, as commander argument parsers: each returns the value or throws
 * InvalidArgumentError saying what was expected, which commander reports naming the flag.
 */
import { InvalidArgumentError } from 'commander';
import { DateTime } from 'luxon';

/** A number (an integer with `integer`) from `min` to `max`. */
export function numberIn(range: { min: number; max: number; integer?: boolean }): (raw: string) => number {
  const kind = range.integer ? 'an integer' : 'a number';
  return (raw) => {
    const value = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(value) || (range.integer && !Number.isInteger(value))) {
      throw new InvalidArgumentError(`expected ${kind}`);
    }
    if (value < range.min || value > range.max) {
      throw new InvalidArgumentError(`expected ${kind} from ${show(range.min)} to ${show(range.max)}`);
    }
    return value;
  };
}

/** Any text but an empty one. */
export function nonEmpty(what: string): (raw: string) => string {
  return (raw) => {
    if (raw.trim() === '') throw new InvalidArgumentError(`expected ${what}, got an empty string`);
    return raw;
  };
}

/** A local date, YYYY-MM-DD. */
export function localDate(raw: string): string {
  if (!(/^\d{4}-\d{2}-\d{2}$/.test(raw) && DateTime.fromISO(raw).isValid)) {
    throw new InvalidArgumentError('expected a date YYYY-MM-DD');
  }
  return raw;
}

/** A duration such as `90s`, `15m`, `2h`, `1d` (a bare number is minutes), in milliseconds. */
export function duration(raw: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(s|m|min|h|d)?$/.exec(raw.trim());
  if (match === null) throw new InvalidArgumentError('expected a duration such as 30m, 2h or 1d');
  const unit = { s: 1_000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] ?? 'm'] ?? 60_000;
  const ms = Number(match[1]) * unit;
  if (ms <= 0) throw new InvalidArgumentError('expected a duration above zero');
  return ms;
}

function show(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}
