/**
 * How long one job takes on one worker, learned from what the queue shows, for the drain-time
 * policy; its configured `jobSeconds` is only the starting guess.
 *
 * While every worker in service is busy through the rate window (queue-window.ts) and no server
 * came into or left service, the workers finish what the queue fell by plus what arrived, and at
 * least what it rose by between probes arrived: `workers x window / (fall + rises)` is an upper
 * bound on a job's time, the tighter the fewer jobs arrive unseen. So:
 * - an observation shorter than the estimate proves it too long: the estimate moves to it quickly;
 * - a longer one may be only arrivals. It counts, slowly, only from a clean drain, a window in
 *   which the queue fell at every probe (a burst being worked off, little arriving): while jobs
 *   keep arriving, a saturated fleet's queue barely falls and would read as jobs many times longer
 *   than they are.
 * One observation a minute at most.
 */
import type { JobTimeRecord, QueueSample } from '../types.js';
import { readWindow } from './queue-window.js';

/** Weight of an observation shorter than the estimate: it bounds the job's time. */
export const LEARN_DOWN = 0.3;
/** Weight of a longer observation from a clean drain: some of it may still be arrivals. */
export const LEARN_UP = 0.1;
/** Converges seconds apart (a tick, then an instance's event) see the same window: one counts. */
export const LEARN_EVERY_SECONDS = 60;
/** An observation is at least this and at most a day. */
const MIN_JOB_SECONDS = 1;
const MAX_JOB_SECONDS = 86_400;

/** The known samples of the last `windowSeconds`, oldest first. */
function inWindow(samples: readonly QueueSample[], now: number, windowSeconds: number) {
  return samples
    .filter(
      (s): s is QueueSample & { length: number } =>
        s.at <= now && s.at >= now - windowSeconds * 1000 && s.length !== null,
    )
    .sort((a, b) => a.at - b.at);
}

/** What the policy knows of the fleet to learn from (see drain-time.ts's `FleetView`). */
export interface LearningView {
  inService: number;
  workersPerServer: number;
  /** Seconds since a server last came into or left service; absent: unknown, no learning. */
  inServiceSteadySeconds?: number;
}

/** One window's reading of a job's time (see the file comment). */
export interface JobTimeObservation {
  /** `workers x window / (fall + rises)`: an upper bound on one job's time on one worker. */
  seconds: number;
  /** The queue fell at every probe of the window: little arrived, the bound is near the truth. */
  clean: boolean;
}

/**
 * A job's time on one worker as this window shows it, or undefined when the window says nothing:
 * the workers were not all busy throughout, the fleet changed within it, or the queue did not fall.
 */
export function observedJobSeconds(
  samples: readonly QueueSample[],
  now: number,
  windowSeconds: number,
  fleet: LearningView,
  /** The current estimate: how much busy workers move the queue. */
  jobSeconds: number,
): JobTimeObservation | undefined {
  const workers = fleet.inService * fleet.workersPerServer;
  if (workers <= 0 || (fleet.inServiceSteadySeconds ?? 0) < windowSeconds) return undefined;
  if (!readWindow(samples, now, windowSeconds, workers, jobSeconds).busy) return undefined;
  const known = inWindow(samples, now, windowSeconds);
  const first = known[0];
  const last = known.at(-1);
  if (first === undefined || last === undefined || first.length <= last.length) return undefined;
  let rises = 0;
  let clean = true;
  for (let i = 1; i < known.length; i += 1) {
    const step = (known[i]?.length ?? 0) - (known[i - 1]?.length ?? 0);
    if (step > 0) rises += step;
    if (step >= 0) clean = false;
  }
  const finished = first.length - last.length + rises;
  const seconds = (workers * (last.at - first.at)) / 1000 / finished;
  return { seconds: Math.min(MAX_JOB_SECONDS, Math.max(MIN_JOB_SECONDS, seconds)), clean };
}

/**
 * The estimate after an observation: `previous` (or the configured guess) moved toward it by
 * {@link LEARN_DOWN} when it is shorter, by {@link LEARN_UP} when it is longer and clean. Unchanged
 * (the same object) otherwise, or within {@link LEARN_EVERY_SECONDS} of the last one.
 */
export function learnJobSeconds(
  previous: JobTimeRecord | undefined,
  observed: JobTimeObservation | undefined,
  guess: number,
  now: number,
): JobTimeRecord | undefined {
  if (observed === undefined) return previous;
  if (previous !== undefined && now - previous.at < LEARN_EVERY_SECONDS * 1000) return previous;
  const from = previous?.jobSeconds ?? guess;
  if (observed.seconds >= from && !observed.clean) return previous;
  const weight = observed.seconds < from ? LEARN_DOWN : LEARN_UP;
  return {
    jobSeconds: Math.round((from + weight * (observed.seconds - from)) * 100) / 100,
    at: now,
    observations: (previous?.observations ?? 0) + 1,
  };
}
