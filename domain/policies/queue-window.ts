/**
 * What the queue samples of a window say about the workers in service: were they all busy, or did
 * some jobs sit in the queue that no worker took? The drain-time policy reads arrivals from the
 * queue's fall only while the workers were busy, and leaves out jobs nobody could take; its job
 * time is learned only from busy windows (job-time.ts).
 *
 * - Busy: at least one waiting job per worker at every probe, and the queue moving as busy
 *   workers move it. Each finished job takes one from the queue and arrivals add to it, so between
 *   two probes it moves by about the square root of twice the jobs finished (as a random walk);
 *   a queue that moved less than a quarter of that over the window was not being worked.
 * - Unserved: jobs that sat in the queue while workers were free. Fewer jobs than workers at a probe
 *   says little alone: the queue counts only waiting jobs, and on long jobs every worker can be busy
 *   with a few waiting. Those jobs move, though: each finished job takes one, so the queue moves as
 *   busy workers move it (above). A queue under the worker count that stood still was not being
 *   worked: a free worker would have taken any job that could run within its next poll, so the least
 *   it held over the window is jobs that could not run (scheduled for later, held for a retry), not
 *   work a server could do now.
 * - Stalled: a job for every worker at every probe, and the queue standing still. Nobody takes
 *   those jobs: they cannot run yet, or the workers are stuck. A new server would not help the
 *   first and retiring one would hurt the second, so the policy keeps what runs.
 */
import type { QueueSample } from '../types.js';

/** A queue that moved less than this share of what busy workers move it was not being worked. */
export const MOVEMENT_SHARE = 0.25;

export interface WindowReading {
  /** Every worker in service busy through the window. */
  busy: boolean;
  /** Jobs that sat unserved through the window (0 when the workers were busy, or it cannot tell). */
  unserved: number;
  /** A job for every worker at every probe, and the queue standing still. */
  stalled: boolean;
}

/**
 * Reads the known samples of the last `windowSeconds` (two or more, covering half the window, or it
 * says neither busy nor unserved) for `workers` workers whose jobs take about `jobSeconds`.
 */
export function readWindow(
  samples: readonly QueueSample[],
  now: number,
  windowSeconds: number,
  workers: number,
  jobSeconds: number,
): WindowReading {
  const known = samples
    .filter(
      (s): s is QueueSample & { length: number } =>
        s.at <= now && s.at >= now - windowSeconds * 1000 && s.length !== null,
    )
    .sort((a, b) => a.at - b.at);
  const first = known[0];
  const last = known.at(-1);
  if (first === undefined || last === undefined || (last.at - first.at) / 1000 < windowSeconds / 2) {
    return { busy: false, unserved: 0, stalled: false };
  }
  const perWorker = Math.max(1, workers);
  let moved = 0;
  let expected = 0;
  for (let i = 1; i < known.length; i += 1) {
    const a = known[i - 1] as QueueSample & { length: number };
    const b = known[i] as QueueSample & { length: number };
    moved += Math.abs(b.length - a.length);
    expected += Math.sqrt((2 * perWorker * (b.at - a.at)) / 1000 / Math.max(1, jobSeconds));
  }
  const worked = moved >= MOVEMENT_SHARE * expected;
  if (known.some((s) => s.length < perWorker)) {
    return { busy: false, unserved: worked ? 0 : Math.min(...known.map((s) => s.length)), stalled: false };
  }
  return { busy: worked, unserved: 0, stalled: !worked };
}
