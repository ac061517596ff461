/**
 * What-if simulator entry point: replays a job trace with one policy and reports waits and cost.
 *
 * `seed-2010` is the 2010 cron script, hand-coded (seed-2010.ts). Every other policy runs the
 * product itself: the converge service on the fake cloud (service-driver.ts), ticking at the
 * role's probe interval. Both act on the same job model (model.ts), so the figures are fair:
 * - servers at the trace start: the role's schedule floor, in service; each server runs
 *   vCPUs x `workersPerVcpu` workers (2 x 2 = 4 for the default c5.large);
 * - the k-th launch takes the k-th launch-to-healthy delay of a stream seeded by `seed`, under
 *   every policy;
 * - cost is dollars (pricing.ts): every second a server runs, from launch to termination, at its
 *   type's price (On-Demand, or Spot discounted; the boot before it takes work included), plus
 *   its root volume for as long as it exists (billing.ts keeps the instance-hours figures);
 * - with `spot`, the role buys Spot above its permanent servers and EC2 interrupts a live Spot
 *   server at seeded Poisson instants; the product replaces it (the spotWarning path) and its jobs
 *   get the two-minute notice to finish, then run again elsewhere;
 * - the run covers the trace's whole days (the horizon), then goes on without arrivals until every
 *   job is done and the fleet is back at its floor; servers still up at the end are billed to it.
 *
 * Deterministic: same trace, policy, role, delays and seed → same result.
 */
import { deepFreeze, type RoleConfig } from '../domain/config.js';
import { billedFigures, round, waitFigures } from './billing.js';
import type { Controller } from './controller.js';
import { JobModel, type JobOutcome, type SimulationEvent, type Timeline } from './model.js';
import { runDurations, serverBills } from './model-types.js';
import {
  DEFAULT_LAUNCH_DELAY,
  DEFAULT_SEED,
  DEFAULT_START_AT,
  DEFAULT_START_DELAY,
  delayStream,
  type LaunchDelay,
  type PolicySpec,
  resolvePolicy,
  START_SALT,
  vcpusOf,
} from './policies.js';
import {
  costFigures,
  DEFAULT_INTERRUPTIONS_PER_DAY,
  DEFAULT_SPOT_DISCOUNT,
  DEFAULT_VOLUME_GB,
  DEFAULT_VOLUME_PER_GB_MONTH,
  interruptionTimes,
  onDemandPerHour,
  type Pricing,
} from './pricing.js';
import { Seed2010 } from './seed-2010.js';
import { ServiceDriver, type TickDecision } from './service-driver.js';
import type { TraceJob } from './trace.js';

export interface SimulationOptions {
  jobs: readonly TraceJob[];
  /** `seed-2010`, a named policy, or a policy from config (any policy type and parameters). */
  policy: PolicySpec;
  /** The role a named policy starts from; default: the shipped job role. */
  role?: RoleConfig;
  seed?: number;
  launchDelay?: LaunchDelay;
  /** StartInstances to taking work, for a warm server (default {@link DEFAULT_START_DELAY}). */
  startDelay?: LaunchDelay;
  /** Epoch ms of trace time 0. */
  startAt?: number;
  /** Arrivals stop mattering after this; default: the whole days that cover the trace. */
  horizonS?: number;
  /** vCPUs per server; default from the role's first instance type (c5.large when none). */
  vcpus?: number;
  /** Timeline sample spacing. */
  timelineStepS?: number;
  /**
   * How long an idle worker sleeps before it looks at the queue again (default
   * {@link DEFAULT_WORKER_POLL_S}); 0: a free worker takes a job the instant it arrives.
   */
  workerPollS?: number;
  /** Sees every converge tick's decision (not called for `seed-2010`). */
  onDecision?: (decision: TickDecision) => void;
  /**
   * Prices (default: the role's first instance type On-Demand, a 30 GB gp3 root volume); with
   * `spot`, the role buys Spot above its permanent servers.
   */
  pricing?: Partial<Pricing>;
  /**
   * Run the role on Spot (`spot-then-on-demand`, its permanent servers On-Demand) with EC2
   * interrupting Spot servers at `pricing.interruptionsPerDay` (not for `seed-2010`).
   */
  spot?: boolean;
}

export interface SimulationSummary {
  policy: string;
  jobs: number;
  waitP50S: number;
  waitP95S: number;
  waitMaxS: number;
  waitMeanS: number;
  /** Per-second billing with a 60 s minimum per instance. */
  instanceHours: number;
  /** Every started hour billed. */
  instanceHoursHourly: number;
  /** Of `instanceHours`, the Spot ones. */
  spotHours: number;
  /** Dollars in all: running time (per second, 60 s minimum per run) plus root volumes. */
  cost: number;
  /** Dollars of running time: On-Demand hours at the type's price, Spot hours discounted. */
  instanceCost: number;
  /** `instanceCost` had every hour been On-Demand. */
  instanceCostAllOnDemand: number;
  /** Of `instanceCost`, the time servers ran before they took work (boot, deploy, start). */
  bootCost: number;
  /** Dollars of root volumes, of running and stopped servers. */
  volumeCost: number;
  /** Of `volumeCost`, while servers were stopped (a warm pool waiting). */
  stoppedVolumeCost: number;
  /** The prices the dollars are figured at. */
  pricing: Pricing;
  /** Spot servers EC2 took back. */
  interruptions: number;
  /** Servers brought into service: `coldLaunches` plus `warmStarts`. */
  launches: number;
  /** Servers launched (RunInstances) straight into service. */
  coldLaunches: number;
  /** Stopped servers started from a warm pool. */
  warmStarts: number;
  retirements: number;
  /** Servers terminated because they were not healthy by the boot deadline. */
  failedBoots: number;
  /** Jobs cut off (2010) or killed at the drain deadline by a termination, and run again. */
  requeuedJobs: number;
  simulatedHours: number;
  seed: number;
  launchDelay: LaunchDelay;
  /** Seconds an idle worker sleeps between looks at the queue. */
  workerPollS: number;
  workersPerServer: number;
  permanentServers: number;
  maxServers: number;
}

export interface SimulationResult {
  summary: SimulationSummary;
  /** Per job, in trace order. */
  outcomes: JobOutcome[];
  /** Job indexes in the order they completed (each exactly once). */
  completions: number[];
  events: SimulationEvent[];
  timeline: Timeline;
}

const HOUR_MS = 3_600_000;
const DAY_S = 86_400;
/** delayed_job's and Resque's default: an idle worker looks at the queue every 5 seconds. */
export const DEFAULT_WORKER_POLL_S = 5;

/** Runs one policy over one trace. */
export async function simulate(options: SimulationOptions): Promise<SimulationResult> {
  const resolved = resolvePolicy(options.policy, options.role);
  const spot = options.spot === true && !resolved.seed2010;
  // A frozen copy, as a deployed stack's loaded config is: the schedule keeps its last floor until
  // the next window edge only for a config nobody can change under it.
  const policy = {
    ...resolved,
    role: deepFreeze(structuredClone(spot ? onSpot(resolved.role) : resolved.role)),
  };
  const vcpus = options.vcpus ?? vcpusOf(policy.role.launch.instanceTypes[0] ?? 'c5.large');
  const pricing: Pricing = {
    onDemandPerHour: onDemandPerHour(policy.role.launch.instanceTypes[0], vcpus),
    spotDiscount: DEFAULT_SPOT_DISCOUNT,
    interruptionsPerDay: DEFAULT_INTERRUPTIONS_PER_DAY,
    volumeGb: DEFAULT_VOLUME_GB,
    volumePerGbMonth: DEFAULT_VOLUME_PER_GB_MONTH,
    ...options.pricing,
  };
  const seed = options.seed ?? DEFAULT_SEED;
  const launchDelay = options.launchDelay ?? DEFAULT_LAUNCH_DELAY;
  const nextDelay = delayStream(launchDelay, seed);
  const startAt = options.startAt ?? DEFAULT_START_AT;
  const jobs = options.jobs;
  const lastArrival = jobs.at(-1)?.arrivalS ?? 0;
  const horizonMs = Math.round(
    (options.horizonS ?? Math.max(1, Math.ceil(lastArrival / DAY_S)) * DAY_S) * 1000,
  );
  const workersPerServer = vcpus * policy.role.workersPerVcpu;
  const stepMs = Math.round((options.timelineStepS ?? 60) * 1000);

  const workerPollS = options.workerPollS ?? DEFAULT_WORKER_POLL_S;
  if (!Number.isFinite(workerPollS) || workerPollS < 0)
    throw new Error(`invalid worker poll interval ${workerPollS}`);
  const model = new JobModel(jobs, workersPerServer, Math.round(workerPollS * 1000));
  const controller: Controller = policy.seed2010
    ? new Seed2010(model, policy.role, startAt, nextDelay)
    : new ServiceDriver({
        model,
        role: policy.role,
        startAt,
        nextDelay,
        nextStartDelay: delayStream(options.startDelay ?? DEFAULT_START_DELAY, seed, START_SALT),
        vcpus,
        ...(options.onDecision === undefined ? {} : { onDecision: options.onDecision }),
      });
  await controller.start();
  model.schedule(0, 'control');
  model.schedule(0, 'sample');
  if (spot) {
    for (const at of interruptionTimes(pricing.interruptionsPerDay, horizonMs, seed))
      model.schedule(at, 'interrupt');
  }

  const capMs = horizonMs + 24 * HOUR_MS;
  let endMs = horizonMs;
  for (;;) {
    const event = model.next();
    if (event === undefined) break;
    if (event.atMs > capMs) {
      endMs = capMs;
      break;
    }
    if (event.kind === 'control') {
      await controller.tick();
      model.schedule(model.now + controller.everyMs, 'control');
    } else if (event.kind === 'interrupt') {
      await controller.interrupt?.();
    } else if (event.kind === 'sample') {
      model.sample(controller.desired);
      model.schedule(model.now + stepMs, 'sample');
    }
    if (model.now >= horizonMs && model.settled(controller.floor())) {
      endMs = Math.max(horizonMs, model.lastActivityMs);
      break;
    }
  }
  const unfinished = model.unfinished();
  if (unfinished > 0) {
    throw new Error(`simulation stopped at ${endMs / 1000} s with ${unfinished} job(s) unfinished`);
  }

  const outcomes = model.outcomes as JobOutcome[];
  const cost = costFigures(serverBills(model.servers, endMs), pricing);
  const { interruptions = 0, warmStarts = 0, ...counters } = controller.counters;
  const summary: SimulationSummary = {
    policy: spot ? `${policy.name}+spot` : policy.name,
    jobs: jobs.length,
    ...waitFigures(outcomes.map((o) => o.waitS)),
    ...billedFigures(runDurations(model.servers, endMs)),
    spotHours: cost.spotHours,
    cost: cost.cost,
    instanceCost: cost.runningCost,
    instanceCostAllOnDemand: cost.runningCostAllOnDemand,
    bootCost: cost.bootCost,
    volumeCost: cost.volumeCost,
    stoppedVolumeCost: cost.stoppedVolumeCost,
    pricing,
    interruptions,
    ...counters,
    launches: counters.launches + warmStarts,
    coldLaunches: counters.launches,
    warmStarts,
    requeuedJobs: model.requeued,
    simulatedHours: round(endMs / HOUR_MS, 4),
    seed,
    launchDelay,
    workerPollS,
    workersPerServer,
    permanentServers: controller.permanent,
    maxServers: controller.maxServers,
  };
  return {
    summary,
    outcomes,
    completions: model.completions,
    events: model.log,
    timeline: trimTimeline(model.timeline, endMs),
  };
}

/** Servers kept On-Demand when the role runs on Spot: its permanent ones (minimum, baseline). */
export function spotOnDemandBase(role: RoleConfig): number {
  return Math.max(role.min, role.schedule.baseline);
}

/** The role on Spot above its permanent servers, falling back to On-Demand. */
function onSpot(role: RoleConfig): RoleConfig {
  return {
    ...role,
    launch: { ...role.launch, market: 'spot-then-on-demand', onDemandBase: spotOnDemandBase(role) },
  };
}

function trimTimeline(timeline: Timeline, endMs: number): Timeline {
  const keep = timeline.times.findIndex((t) => t * 1000 > endMs);
  if (keep < 0) return timeline;
  const out = { ...timeline };
  for (const key of Object.keys(out) as (keyof Timeline)[]) out[key] = out[key].slice(0, keep);
  return out;
}
