/**
 * What a demand policy is given and what it answers: shared by `demand` (demand.ts), which judges
 * the samples and the stabilization window, and the policies it hands them to (policies/).
 */
import type { PolicyConfig, QueueProbeConfig } from './config.js';
import type { QueueSample } from './types.js';

export interface DemandInput {
  policy: PolicyConfig;
  queue: Pick<QueueProbeConfig, 'maxSampleAgeSeconds'>;
  /** Recent samples, any order; at least the stabilization window's worth when available. */
  samples: readonly QueueSample[];
  /** Servers counting toward capacity now (launching, pending, booting, in service). */
  current: number;
  /** The schedule floor: extra servers are counted above it. */
  floor: number;
  now: number;
  /**
   * What the previous converge held at, if it held recently. A hold keeps at least this many, so a
   * server lost while the queue is unknown is replaced instead of shrinking the fleet.
   */
  previousHold?: number;
  /** Servers in service, their workers and the learned launch delay (the drain-time policy's inputs). */
  fleet?: FleetView;
}

export type DemandResult =
  /** The queue asks for `servers` in total. */
  | { kind: 'known'; servers: number; queueLength: number; reason: string }
  /** Keep at least `servers` (the current capacity): the samples do not allow a decision to shrink. */
  | { kind: 'hold'; servers: number; queueLength: number | null; reason: string };

/** What the fleet looks like to the policy: servers serving now and each one's workers. */
export interface FleetView {
  inService: number;
  workersPerServer: number;
  /** Learned launch-to-in-service p90; the policy's default when there is no history. */
  launchDelaySeconds?: number;
  /** Warm servers that can be started now (the role's pool, startable); absent: none. */
  warmReady?: number;
  /** Learned StartInstances-to-in-service p90 of warm starts; absent: no history yet. */
  startDelaySeconds?: number;
  /** Warm servers started and not yet back in service; absent: none. */
  warmStarting?: number;
  /**
   * Of the servers in service started from the warm pool that a scale-in stops back into it (the
   * role returns servers on scale-in), the longest any waited in the pool before its start, in
   * seconds; absent: none serves.
   */
  onLoanRestSeconds?: number;
  /** Seconds since the newest server still starting was launched; absent when none is starting. */
  newestStartingAgeSeconds?: number;
  /** Seconds one job takes on one worker, as learned (job-time.ts); absent: the policy's `jobSeconds`. */
  jobSeconds?: number;
  /** Seconds since a server last came into or left service (what learning needs); absent: unknown. */
  inServiceSteadySeconds?: number;
  /**
   * Seconds since a server that has served last changed state out of service (retired, drained,
   * stopped into the pool or terminated): how long the servers in service have served without it.
   * Absent: none has left.
   */
  leftServiceSeconds?: number;
}

/** The stabilization window's lengths when every sample in it is known and it is covered. */
export type StabilizationWindow = { ok: true; lengths: number[] } | { ok: false; reason: string };
