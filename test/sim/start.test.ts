import { describe, expect, it } from 'vitest';
import { DEFAULT_START_AT } from '../../sim/policies.js';
import { replayStart } from '../../sim/start.js';
import { TRACE_START_AT } from '../../sim/traces/make-traces.js';

const ZONE = 'America/Toronto';

describe('replayStart', () => {
  it.each([
    // trace file, --start, trace time 0
    ['sim/traces/quiet-weekend.csv', undefined, TRACE_START_AT['quiet-weekend']],
    ['sim/traces/steady-weekday.csv', undefined, TRACE_START_AT['steady-weekday']],
    ['my-queue.csv', undefined, DEFAULT_START_AT],
    ['my-queue.csv', '2026-03-07', Date.parse('2026-03-07T05:00:00Z')],
    // The night clocks go forward (02:00 on 2026-03-08): midnight is still EST.
    ['my-queue.csv', '2026-03-08', Date.parse('2026-03-08T05:00:00Z')],
    ['my-queue.csv', '2026-07-01', Date.parse('2026-07-01T04:00:00Z')],
    // A date given wins over a reference trace's own day.
    ['sim/traces/quiet-weekend.csv', '2026-03-09', Date.parse('2026-03-09T04:00:00Z')],
  ])('%s from %s', (file, date, expected) => {
    expect(replayStart(file, ZONE, date).at).toBe(expected);
  });

  it('names the day a replay starts on, as the schedule reads it', () => {
    expect(replayStart('sim/traces/quiet-weekend.csv', ZONE).text).toBe(
      'Sat 2026-03-07 00:00 America/Toronto',
    );
    expect(replayStart('my-queue.csv', ZONE).text).toBe('Mon 2026-03-02 00:00 America/Toronto');
  });

  it('refuses what is not a date', () => {
    expect(() => replayStart('my-queue.csv', ZONE, '2026-02-30')).toThrow('not a date: 2026-02-30');
  });
});
