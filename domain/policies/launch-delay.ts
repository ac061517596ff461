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
  const delays = records
    .filter(
      (r): r is { launchedAt: number; inServiceAt: number } =>
        r.launchedAt !== undefined && r.inServiceAt !== undefined && r.inServiceAt >= r.launchedAt,
    )
    .sort((a, b) => b.launchedAt - a.launchedAt)
    .slice(0, LAUNCH_HISTORY_SIZE)
    .map((r) => (r.inServiceAt - r.launchedAt) / 1000)
    .filter((seconds) => seconds <= maxSeconds)
    .sort((a, b) => a - b);
  if (delays.length < LAUNCH_HISTORY_MIN) return undefined;
  return delays[Math.ceil(0.9 * delays.length) - 1];
}

/** Schedule lead without a configured one or a launch history: 5 minutes. */
export const DEFAULT_SCHEDULE_LEAD_SECONDS = 300;

/** How early a schedule window's servers are launched: configured, else learned, else 5 minutes. */
export function scheduleLeadMs(
  leadMinutes: number | undefined,
  records: readonly Pick<ServerRecord, 'launchedAt' | 'inServiceAt'>[],
  maxSeconds = Number.POSITIVE_INFINITY,
): number {
  if (leadMinutes !== undefined) return leadMinutes * 60_000;
  return (learnedLaunchDelaySeconds(records, maxSeconds) ?? DEFAULT_SCHEDULE_LEAD_SECONDS) * 1000;
}
