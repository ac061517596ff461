/**
 * The decide step of a converge, as one pure function: the schedule floor, the queue's demand
 * (with the hold rule), the operator's bounds and pause turn into how many servers a role
 * should have and the plan that gets there. The converge service, the simulator and the sandbox
 * all decide through it. Pure: no I/O, no clock; `now` is an input.
 */
import type { RoleConfig } from './config.js';
import { type DemandResult, demand } from './demand.js';
import type { FleetView } from './demand-types.js';
import type { Forecast } from './forecast.js';
import { forecastFloor, forecastPool } from './forecast-effect.js';
import { desiredCount, plan } from './planner.js';
import { learnJobSeconds, observedJobSeconds } from './policies/job-time.js';
import { leadMsOf, learnedLaunchDelaySeconds, learnedStartDelaySeconds } from './policies/launch-delay.js';
import { startCandidates } from './pool-plan.js';
import { awaitingReplacement } from './rebalance.js';
import { scheduleFloorAhead } from './schedule.js';
import {
  CAPACITY_STATES,
  type DesiredDecision,
  type JobTimeRecord,
  type ObservedServer,
  type Plan,
  type PoolControl,
  type QueueSample,
  type RoleBounds,
  type RolePause,
} from './types.js';
import {
  countsAsCapacity,
  launchSpec,
  type PoolLaunchSettings,
  poolSize,
  returnsToPool,
} from './warm-pool.js';

/** Everything one role's decision depends on; a plain object, so callers can build it anywhere. */
export interface DecideInput {
  /** The role's name (it names the plan and its actions). */
  role: string;
  /** The role's validated config: schedule, demand policy and queue, min/max, lifecycle. */
  config: RoleConfig;
  /** The instant decided for (epoch ms). */
  now: number;
  /**
   * Recent queue samples, any order; at least the stabilization window's worth when available.
   * Ignored by a role without a demand policy.
   */
  samples: readonly QueueSample[];
  /** Every owned server of the role, as the ledger has it plus this tick's health checks. */
  servers: readonly ObservedServer[];
  /**
   * What the previous converge held at, if it held recently. Only read when the demand answers
   * `hold`, so a caller may leave it out, decide, and fetch it only when `demand.kind` is `hold`.
   */
  previousHold?: number;
  /** The operator's min/max, if set; they apply until they expire. */
  bounds?: RoleBounds;
  /** The operator's pause, if set: a paused role plans nothing. */
  pause?: RolePause;
  /** The operator's drain or refill of the role's warm pool, if set. */
  poolControl?: PoolControl;
  /** Workers one server runs (vCPUs x workersPerVcpu): what the drain-time policy sizes with. */
  workersPerServer?: number;
  /**
   * The drain-time policy's learned job time (job-time.ts), if any. Only read when a sample is
   * above 0, so a caller may leave it out when every sample is 0 ({@link usesJobTime}).
   */
  jobTime?: JobTimeRecord;
  /** The learned forecast (domain/forecast.ts), when the role has one; only `warm`/`floor` act on it. */
  forecast?: Forecast;
}

export interface Decision {
  /** The queue's answer; absent for a role without a demand policy and queue. */
  demand?: DemandResult;
  desired: DesiredDecision;
  plan: Plan;
  /** A job time the drain-time policy learned from this decision's samples: the caller records it. */
  jobTime?: JobTimeRecord;
}

/** Whether a decision reads the learned job time: a drain-time policy with some sample above 0. */
export function usesJobTime(config: RoleConfig, samples: readonly QueueSample[]): boolean {
  return config.policy?.type === 'drain-time' && samples.some((s) => (s.length ?? 0) > 0);
}

/**
 * Decides one role: floor, demand, hold, override → desired count → plan.
 *
 * @example
 * let decision = decide(input);
 * if (decision.demand?.kind === 'hold') decision = decide({ ...input, previousHold: await lastHold() });
 */
export function decide(input: DecideInput): Decision {
  const { role, config, now, bounds, pause } = input;
  // What the role launches now: a warm server is startable, and fresh, only against it.
  const refreshBefore = input.poolControl?.refreshBefore;
  const launched: PoolLaunchSettings = {
    ...(config.warmPool === undefined ? {} : { settings: config.warmPool }),
    spec: launchSpec(role, config),
    instanceTypes: config.launch.instanceTypes,
    ...(refreshBefore === undefined ? {} : { refreshBefore }),
  };
  // Launch a window's servers ahead of its start by the (learned) launch-to-in-service lead.
  const learnedLaunch = learnedLaunchDelaySeconds(input.servers, config.health.bootDeadlineSeconds);
  const leadMs = leadMsOf(config.schedule.leadMinutes, learnedLaunch);
  const floor = scheduleFloorAhead(config.schedule, now, leadMs);
  let demandResult: DemandResult | undefined;
  /** The queue's answer over `floorServers`; undefined without a demand policy. */
  let demandOver: (floorServers: number) => DemandResult | undefined = () => undefined;
  let learned: JobTimeRecord | undefined;
  if (config.policy !== undefined && config.queue !== undefined) {
    const { policy, queue } = config;
    let fleet: FleetView | undefined;
    if (config.policy.type === 'drain-time') {
      fleet = fleetView(input, launched, learnedLaunch);
      const sorted = [...input.samples].sort((a, b) => a.at - b.at);
      const estimate = input.jobTime?.jobSeconds ?? config.policy.jobSeconds;
      const observed = observedJobSeconds(sorted, now, config.policy.rateWindowSeconds, fleet, estimate);
      const next = learnJobSeconds(input.jobTime, observed, config.policy.jobSeconds, now);
      if (next !== input.jobTime) learned = next;
      if (next !== undefined) fleet = { ...fleet, jobSeconds: next.jobSeconds };
    }
    demandOver = (floorServers) =>
      demand({
        policy,
        queue,
        samples: input.samples,
        // A server awaiting its replacement is leaving: its replacement is the capacity. So is a
        // bridge (a warm On-Demand server standing in while Spot boots): the Spot servers are.
        current: input.servers.filter((s) => countsAsCapacity(s) && !awaitingReplacement(s)).length,
        floor: floorServers,
        now,
        // Holding: keep what the last hold kept, so losing a server during an outage is repaired.
        ...(input.previousHold === undefined ? {} : { previousHold: input.previousHold }),
        ...(fleet === undefined ? {} : { fleet }),
      });
    demandResult = demandOver(floor.servers);
  }
  // The decision's demand is the queue's on the schedule alone: what the history learns, so the
  // forecast's own servers never teach it more. A raised floor is weighed as a window's would be:
  // the queue may still add its extra servers on top of it.
  const raised = forecastFloor(config, input.forecast, floor, now, leadMs);
  const weighed = raised.servers > floor.servers ? demandOver(raised.servers) : demandResult;
  const desired = desiredCount({
    config,
    floor: raised,
    ...(weighed === undefined ? {} : { demand: weighed }),
    ...(bounds === undefined ? {} : { override: bounds }),
    now,
  });
  const { size, reason } = forecastPool(
    config,
    input.forecast,
    {
      pool: poolSize(config, now, leadMs, input.poolControl),
      drained: input.poolControl?.drained === true,
      floor: raised.servers,
    },
    now,
    leadMs,
  );
  const planned = plan({
    role,
    now,
    config,
    desired,
    servers: input.servers,
    ...(pause === undefined ? {} : { paused: { reason: pause.reason } }),
    pool: { ...launched, size, reason },
  });
  return {
    ...(demandResult === undefined ? {} : { demand: demandResult }),
    desired,
    plan: planned,
    ...(learned === undefined ? {} : { jobTime: learned }),
  };
}

/**
 * Servers in service, their workers, the launch delay (`learned`, worked out once per decision) and
 * start delay learned from the ledger's history, and the warm servers that could be started now.
 */
function fleetView(input: DecideInput, launched: PoolLaunchSettings, learned: number | undefined): FleetView {
  const { servers, now } = input;
  const deadline = input.config.health.bootDeadlineSeconds;
  const startDelay = learnedStartDelaySeconds(servers, deadline);
  const warmReady = startCandidates(servers, launched, now).candidates.length;
  let inService = 0;
  let warmStarting = 0;
  let onLoanRest: number | undefined;
  // The newest launch of a server still starting, state change of a server that has served, and
  // state change of one that has served and left: epoch ms, undefined while there is none.
  let startingAt: number | undefined;
  let servedAt: number | undefined;
  let leftAt: number | undefined;
  for (const s of servers) {
    const counted = CAPACITY_STATES.has(s.state);
    if (s.state === 'in-service') {
      if (!awaitingReplacement(s)) inService += 1;
      const rest = restBeforeLoan(s, launched, now);
      if (rest !== undefined) onLoanRest = Math.max(onLoanRest ?? 0, rest);
    } else if (counted) {
      // A bridge goes back to the pool once the Spot servers launched with it serve: it holds nothing.
      if (s.startedAt !== undefined && s.bridge !== true) warmStarting += 1;
      // A launch not yet recorded with its time is as new as it gets.
      startingAt = newest(startingAt, s.launchedAt ?? now);
    }
    // A server that has been in service and changed state since: it came into or left service then.
    if (s.inServiceAt !== undefined) {
      servedAt = newest(servedAt, s.stateSince);
      // One out of service now: it left then, and each state since (drained, stopping, back in the
      // pool or terminated) is a step of its leaving until its last job is done.
      if (!counted) leftAt = newest(leftAt, s.stateSince);
    }
  }
  const newestStarting = secondsSince(startingAt, now);
  const steady = secondsSince(servedAt, now);
  const left = secondsSince(leftAt, now);
  return {
    inService,
    workersPerServer: input.workersPerServer ?? 1,
    ...(steady === undefined ? {} : { inServiceSteadySeconds: steady }),
    ...(left === undefined ? {} : { leftServiceSeconds: left }),
    ...(learned === undefined ? {} : { launchDelaySeconds: learned }),
    ...(warmReady === 0 ? {} : { warmReady }),
    ...(warmStarting === 0 ? {} : { warmStarting }),
    ...(onLoanRest === undefined ? {} : { onLoanRestSeconds: onLoanRest }),
    ...(startDelay === undefined ? {} : { startDelaySeconds: startDelay }),
    ...(newestStarting === undefined ? {} : { newestStartingAgeSeconds: newestStarting }),
  };
}

/**
 * How long (s) a server on loan from the warm pool waited there, from its last stop to its start;
 * undefined unless a scale-in would stop it back into the pool (a bridge goes back on its own rule).
 */
function restBeforeLoan(s: ObservedServer, launched: PoolLaunchSettings, now: number): number | undefined {
  if (s.startedAt === undefined || s.stoppedAt === undefined || s.bridge === true) return undefined;
  return returnsToPool(s, launched, now) ? Math.max(0, (s.startedAt - s.stoppedAt) / 1000) : undefined;
}

function newest(at: number | undefined, time: number): number {
  return at === undefined ? time : Math.max(at, time);
}

/** Seconds from `at` to `now` (never negative); undefined without `at`. */
function secondsSince(at: number | undefined, now: number): number | undefined {
  return at === undefined ? undefined : Math.max(0, (now - at) / 1000);
}
