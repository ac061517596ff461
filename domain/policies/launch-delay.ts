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
  const newest = new Newest();
  for (const r of records) {
    if (r.launchedAt !== undefined && r.inServiceAt !== undefined && r.inServiceAt >= r.launchedAt) {
      newest.add(r.launchedAt, (r.inServiceAt - r.launchedAt) / 1000);
    }
  }
  return newest.p90(maxSeconds, LAUNCH_HISTORY_MIN);
}

/**
 * The newest {@link LAUNCH_HISTORY_SIZE} entries (by `at`; of equal ones, the first added) seen
 * one by one: every decision asks, and the ledger keeps ended servers for days, so the history is
 * not sorted whole.
 */
class Newest {
  /** Newest first. */
  private readonly kept: { at: number; seconds: number }[] = [];

  add(at: number, seconds: number): void {
    const { kept } = this;
    if (kept.length === LAUNCH_HISTORY_SIZE && (kept.at(-1)?.at ?? at) >= at) return;
    let i = kept.length;
    while (i > 0 && (kept[i - 1]?.at ?? at) < at) i -= 1;
    kept.splice(i, 0, { at, seconds });
    if (kept.length > LAUNCH_HISTORY_SIZE) kept.pop();
  }

  /**
   * The 90th percentile (nearest rank) of the kept `seconds` within [0, `maxSeconds`], or
   * undefined with fewer than `least` of them.
   */
  p90(maxSeconds: number, least: number): number | undefined {
    const delays = this.kept
      .map((e) => e.seconds)
      .filter((seconds) => seconds >= 0 && seconds <= maxSeconds)
      .sort((a, b) => a - b);
    if (delays.length < least) return undefined;
    return delays[Math.ceil(0.9 * delays.length) - 1];
  }
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
  const newest = new Newest();
  for (const r of records) if (r.startSeconds !== undefined) newest.add(r.stateSince, r.startSeconds);
  return newest.p90(maxSeconds, START_HISTORY_MIN);
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
