/**
 * The trickle: an idle fleet whose queue holds a few jobs nobody can take yet (reminders due later),
 * with two batches that call for the extra servers. Read as a saturated fleet, that small queue
 * kept the extra servers for most of the day; the drain-time policy must let them go.
 */
import { describe, expect, it } from 'vitest';
import { simulate } from '../../sim/index.js';
import { trickleDay } from '../../sim/traces/make-traces.js';

describe('trickle-day with the shipped default', () => {
  it.each([1, 2, 3])('trace seed %i: the extra servers go between the batches', async (seed) => {
    const jobs = trickleDay(seed);
    // The queue is never empty for long: some reminders always wait for their time.
    expect(jobs.some((j) => j.runAtS !== undefined && j.runAtS > j.arrivalS)).toBe(true);
    const { timeline, summary } = await simulate({ jobs, policy: 'default' });
    const minutesAboveFloor = timeline.billed.filter((billed) => billed > summary.permanentServers).length;
    // Two batches of 10-20 minutes each; the rest of the day one server serves the trickle.
    expect(minutesAboveFloor).toBeLessThan(120);
    const at = (hour: number) => timeline.billed[timeline.times.findIndex((t) => t >= hour * 3600)];
    for (const hour of [11, 12, 16, 17, 22]) expect(at(hour)).toBe(summary.permanentServers);
    expect(summary.jobs).toBe(jobs.length);
  });
});
