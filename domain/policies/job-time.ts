/**
 * How long one job takes on one worker, learned from what the queue shows, for the drain-time
 * policy; its configured `jobSeconds` is only the starting guess.
 *
 * While every worker in service is busy through the rate window (queue-window.ts; and no server
 * came into or left service), the queue falls by what the
 * workers finish minus what arrives: the workers finish at least the fall, so `workers / fall` is
 * an upper bound on a job's time, and equal to it when nothing arrives (a burst draining). The
 * estimate therefore moves quickly down to an observation below it (the bound proves it too long)
 * and slowly up to one above it (which may only be arrivals), one observation a minute at most.
 */
import type { JobTimeRecord, QueueSample } from '../types.js';
import { readWindow } from './queue-window.js';

/** Weight of an observation shorter than the estimate: it bounds the job's time. */
export const LEARN_DOWN = 0.3;
/** Weight of an observation longer than the estimate: it may be arrivals, not slower jobs. */
export const LEARN_UP = 0.05;
/** Converges seconds apart (a tick, then an instance's event) see the same window: one counts. */
export const LEARN_EVERY_SECONDS = 60;
/** An observation is at least this and at most a day. */
const MIN_JOB_SECONDS = 1;
const MAX_JOB_SECONDS = 86_400;

/** The known samples of the last `windowSeconds`, oldest first (`samples` sorted). */
function inWindow(samples: readonly QueueSample[], now: number, windowSeconds: number) {
  return samples.filter(
    (s): s is QueueSample & { length: number } =>
      s.at <= now && s.at >= now - windowSeconds * 1000 && s.length !== null,
  );
}

/** What the policy knows of the fleet to learn from (see drain-time.ts's `FleetView`). */
export interface LearningView {
  inService: number;
  workersPerServer: number;
  /** Seconds since a server last came into or left service; absent: unknown, no learning. */
  inServiceSteadySeconds?: number;
}

/**
 * A job's time on one worker as this window shows it (an upper bound; see the file comment), or
 * undefined when the window says nothing: not busy throughout, the fleet changed within it, or the
 * queue did not fall.
 */
export function observedJobSeconds(
  samples: readonly QueueSample[],
  now: number,
  windowSeconds: number,
  fleet: LearningView,
  /** The current estimate: how much busy workers move the queue. */
  jobSeconds: number,
): number | undefined {
  const workers = fleet.inService * fleet.workersPerServer;
  if (workers <= 0 || (fleet.inServiceSteadySeconds ?? 0) < windowSeconds) return undefined;
  if (!readWindow(samples, now, windowSeconds, workers, jobSeconds).busy) return undefined;
  const known = inWindow(samples, now, windowSeconds);
  const first = known[0];
  const last = known.at(-1);
  if (first === undefined || last === undefined) return undefined;
  const fallPerSecond = (first.length - last.length) / ((last.at - first.at) / 1000);
  if (fallPerSecond <= 0) return undefined;
  return Math.min(MAX_JOB_SECONDS, Math.max(MIN_JOB_SECONDS, workers / fallPerSecond));
}

/**
 * The estimate after an observation: `previous` (or the configured guess) moved toward `observed`
 * by {@link LEARN_DOWN} or {@link LEARN_UP}. Unchanged (the same object) without an observation or
 * within {@link LEARN_EVERY_SECONDS} of the last one.
 */
export function learnJobSeconds(
  previous: JobTimeRecord | undefined,
  observed: number | undefined,
  guess: number,
  now: number,
): JobTimeRecord | undefined {
  if (observed === undefined) return previous;
  if (previous !== undefined && now - previous.at < LEARN_EVERY_SECONDS * 1000) return previous;
  const from = previous?.jobSeconds ?? guess;
  const weight = observed < from ? LEARN_DOWN : LEARN_UP;
  return {
    jobSeconds: Math.round((from + weight * (observed - from)) * 100) / 100,
    at: now,
    observations: (previous?.observations ?? 0) + 1,
  };
}
