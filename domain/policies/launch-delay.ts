/**
 * How long a launch takes to serve, learned from the ledger's own history: the p90 of launch to
 * in-service over the most recent launches. Used by the drain-time policy (a server arriving after
 * the backlog drained is pure cost) and by schedules (servers in service by a window's start).
 */
import type { ServerRecord } from '../types.js';

/** Launches considered: recent ones describe today's AMI, instance type and region. */
export const LAUNCH_HISTORY_SIZE = 20;
/** Fewer launches than this are not yet a history: the caller's default applies. */
export const LAUNCH_HISTORY_MIN = 3;

/**
 * The 90th percentile (nearest rank) of launch-to-in-service seconds over the newest
 * {@link LAUNCH_HISTORY_SIZE} records that have both times, or undefined with fewer than
 * {@link LAUNCH_HISTORY_MIN} of them. Launches slower than `maxSeconds` (the boot deadline) are left
 * out: a server held booting by a pause or a failing health check says nothing about boot time.
 *
 * @example
 * learnedLaunchDelaySeconds(records) ?? policy.defaultLaunchDelaySeconds
 */
export function learnedLaunchDelaySeconds(
  records: readonly Pick<ServerRecord, 'launchedAt' | 'inServiceAt'>[],
  maxSeconds = Number.POSITIVE_INFINITY,
): number | undefined {
  const launches = records.flatMap((r) =>
    r.launchedAt !== undefined && r.inServiceAt !== undefined && r.inServiceAt >= r.launchedAt
      ? [{ at: r.launchedAt, seconds: (r.inServiceAt - r.launchedAt) / 1000 }]
      : [],
  );
  return newestP90(launches, maxSeconds, LAUNCH_HISTORY_MIN);
}

/**
 * The 90th percentile (nearest rank) of `seconds` over the newest {@link LAUNCH_HISTORY_SIZE}
 * entries (by `at`) within [0, `maxSeconds`], or undefined with fewer than `least` of them.
 */
function newestP90(
  entries: readonly { at: number; seconds: number }[],
  maxSeconds: number,
  least: number,
): number | undefined {
  const delays = [...entries]
    .sort((a, b) => b.at - a.at)
    .slice(0, LAUNCH_HISTORY_SIZE)
    .map((e) => e.seconds)
    .filter((seconds) => seconds >= 0 && seconds <= maxSeconds)
    .sort((a, b) => a - b);
  if (delays.length < least) return undefined;
  return delays[Math.ceil(0.9 * delays.length) - 1];
}

/**
 * StartInstances to in service assumed for a warm server until two starts are recorded: EC2 starts
 * a stopped instance in 15-45 s (docs/benchmark.md, "The model's figures"), and the in-service
 * mark waits for the next converge's health check.
 */
export const DEFAULT_START_DELAY_SECONDS = 60;
/** Fewer recorded starts than this are not yet a history (a pool may hold only two servers). */
export const START_HISTORY_MIN = 2;

/**
 * The 90th percentile (nearest rank) of the last start of each of the newest
 * {@link LAUNCH_HISTORY_SIZE} servers started from the warm pool, or undefined with fewer than
 * {@link START_HISTORY_MIN}. Starts slower than `maxSeconds` are left out, as for launches.
 *
 * @example
 * learnedStartDelaySeconds(records) ?? DEFAULT_START_DELAY_SECONDS
 */
export function learnedStartDelaySeconds(
  records: readonly Pick<ServerRecord, 'startSeconds' | 'stateSince'>[],
  maxSeconds = Number.POSITIVE_INFINITY,
): number | undefined {
  const starts = records.flatMap((r) =>
    r.startSeconds === undefined ? [] : [{ at: r.stateSince, seconds: r.startSeconds }],
  );
  return newestP90(starts, maxSeconds, START_HISTORY_MIN);
}

/** Schedule lead without a configured one or a launch history: 5 minutes. */
export const DEFAULT_SCHEDULE_LEAD_SECONDS = 300;

/** How early a schedule window's servers are launched: configured, else learned, else 5 minutes. */
export function scheduleLeadMs(
  leadMinutes: number | undefined,
  records: readonly Pick<ServerRecord, 'launchedAt' | 'inServiceAt'>[],
  maxSeconds = Number.POSITIVE_INFINITY,
): number {
  return leadMsOf(
    leadMinutes,
    leadMinutes === undefined ? learnedLaunchDelaySeconds(records, maxSeconds) : undefined,
  );
}

/** {@link scheduleLeadMs} from a launch delay already learned (undefined: no history yet). */
export function leadMsOf(leadMinutes: number | undefined, learnedSeconds: number | undefined): number {
  if (leadMinutes !== undefined) return leadMinutes * 60_000;
  return (learnedSeconds ?? DEFAULT_SCHEDULE_LEAD_SECONDS) * 1000;
}
