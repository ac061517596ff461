/**
 * What-if simulator: replays a job trace against the job role and reports waits and cost.
 *
 * A discrete-event simulation with integer-millisecond time. The planner-based policies (`default`,
 * `backlog-per-server`) decide through the real domain code: every probe interval the simulated
 * queue is sampled, `demand` + `desiredCount` + `plan` run on the simulated servers as
 * `ObservedServer` records, and the plan's actions are applied to the simulation. `seed-2010` is the
 * 2010 cron script, hand-coded, not the planner.
 *
 * Model (identical for every policy, so the ratios are fair):
 * - servers at the trace start: the role's schedule floor, in service; each server runs
 *   vCPUs x `workersPerVcpu` workers (2 x 2 = 4 for the default c5.large);
 * - jobs wait in one FIFO queue and start on the first free worker (oldest server first); the queue
 *   length a policy sees is the jobs waiting, not the ones running;
 * - a launched server takes jobs after its launch-to-healthy delay, drawn from a seeded stream in
 *   launch order (the k-th launch gets the same delay under every policy);
 * - fleet-pilot retires a server by stopping it taking jobs; it terminates once its running jobs
 *   finish (the drain hook). The 2010 script terminated at once: a job it cuts off goes back to the
 *   front of the queue and runs again from the start, and the lost time counts as waiting
 *   (wait = start of the run that completed it - arrival);
 * - billing runs from launch to termination: `instanceHours` per second with a 60 s minimum per
 *   instance, `instanceHoursHourly` with every started hour billed. Planner decisions still use the
 *   role's configured billing (hourly by default), as they would in production;
 * - the run covers the trace's whole days (the horizon), then goes on without arrivals until every
 *   job is done and the fleet is back at its floor; servers still up at the end are billed to it.
 *
 * Deterministic: same trace, policy, role, delays and seed → same result.
 */

import { type Config, DEFAULT_CONFIG, parseConfig, type RoleConfig } from '../../domain/config.js';
import { demand } from '../../domain/demand.js';
import { desiredCount, plan } from '../../domain/planner.js';
import { scheduleFloor } from '../../domain/schedule.js';
import {
  CAPACITY_STATES,
  type LifecycleState,
  type ObservedServer,
  type QueueSample,
} from '../../domain/types.js';
import { seededRandom } from './random.js';
import { renderTimeline } from './timeline-svg.js';
import type { TraceJob } from './trace.js';

export const POLICY_NAMES = ['seed-2010', 'default', 'backlog-per-server'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export function isPolicyName(name: string): name is PolicyName {
  return (POLICY_NAMES as readonly string[]).includes(name);
}

/** Launch-to-healthy delay of a new server. */
export type LaunchDelay =
  | { kind: 'fixed'; seconds: number }
  | { kind: 'uniform'; minS: number; maxS: number };

/** EC2 pending (~30 s) plus boot and app start: one to three minutes. */
export const DEFAULT_LAUNCH_DELAY: LaunchDelay = { kind: 'uniform', minS: 60, maxS: 180 };
export const DEFAULT_SEED = 1;
/** Trace time 0 is Monday 2026-03-02 00:00 in America/Toronto (schedule floors are evaluated from it). */
export const DEFAULT_START_AT = Date.parse('2026-03-02T05:00:00Z');

/**
 * The `backlog-per-server` policy's target: one extra server per this many waiting jobs (a server
 * runs 4 workers, so 10 waiting jobs are 2-3 jobs' work per worker). The bench barely moves
 * between 10 and 20.
 */
export const BACKLOG_TARGET_PER_SERVER = 10;

/** The 2010 script's numbers (not configurable: it is the baseline). */
const SEED = {
  probeEveryS: 300,
  scaleOutAbove: 20,
  scaleInBelow: 5,
  maxExtra: 2,
  minLifetimeS: 45 * 60,
} as const;

/** What the simulation needs of a role. */
export type SimRole = Pick<
  RoleConfig,
  | 'min'
  | 'max'
  | 'schedule'
  | 'policy'
  | 'queue'
  | 'health'
  | 'lifecycle'
  | 'loadBalancer'
  | 'launch'
  | 'workersPerVcpu'
>;

export interface SimulationOptions {
  jobs: readonly TraceJob[];
  policy: PolicyName;
  /** The queue-driven role (its policy is replaced for `backlog-per-server`); default: the shipped job role. */
  role?: SimRole;
  seed?: number;
  launchDelay?: LaunchDelay;
  /** Epoch ms of trace time 0. */
  startAt?: number;
  /** Arrivals stop mattering after this; default: the whole days that cover the trace. */
  horizonS?: number;
  /** vCPUs per server; default from the role's first instance type (c5.large when none). */
  vcpus?: number;
  /** Timeline sample spacing. */
  timelineStepS?: number;
}

export interface SimulationSummary {
  policy: PolicyName;
  jobs: number;
  waitP50S: number;
  waitP95S: number;
  waitMaxS: number;
  waitMeanS: number;
  /** Per-second billing with a 60 s minimum per instance. */
  instanceHours: number;
  /** Every started hour billed. */
  instanceHoursHourly: number;
  launches: number;
  retirements: number;
  /** Servers terminated because they were not healthy by the boot deadline. */
  failedBoots: number;
  /** Jobs cut off by a termination and run again (only the 2010 script cuts jobs). */
  requeuedJobs: number;
  simulatedHours: number;
  seed: number;
  launchDelay: LaunchDelay;
  workersPerServer: number;
  permanentServers: number;
  maxServers: number;
}

export interface SimulationEvent {
  atS: number;
  kind: 'launch' | 'healthy' | 'retire' | 'terminate';
  server: string;
  reason: string;
}

export interface JobOutcome {
  arrivalS: number;
  /** Start of the run that completed it. */
  startS: number;
  endS: number;
  waitS: number;
}

export interface SimulationResult {
  summary: SimulationSummary;
  /** Per job, in trace order. */
  outcomes: JobOutcome[];
  /** Job indexes in the order they completed (each exactly once). */
  completions: number[];
  events: SimulationEvent[];
  timeline: { times: number[]; queue: number[]; desired: number[]; inService: number[]; billed: number[] };
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_S = 86_400;

/** Billed seconds of one instance under per-second billing: rounded up, at least 60. */
export function billedSeconds(durationMs: number): number {
  return Math.max(60, Math.ceil(durationMs / 1000));
}

/** Billed hours of one instance under hourly billing: every started hour, at least one. */
export function billedHours(durationMs: number): number {
  return Math.max(1, Math.ceil(durationMs / HOUR_MS));
}

/** Nearest-rank percentile (p in (0, 100]) of values; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? 0;
}

/** vCPUs of an EC2 instance type by its size (large = 2, xlarge = 4, Nxlarge = 4N); 2 otherwise. */
export function vcpusOf(instanceType: string | undefined): number {
  const size = instanceType?.split('.')[1] ?? 'large';
  if (size === 'xlarge') return 4;
  const multiple = /^(\d+)xlarge$/.exec(size);
  return multiple === null ? 2 : 4 * Number(multiple[1]);
}

/** Launch settings and DB host are not simulated: placeholders let a document without them validate. */
const SIM_PLACEHOLDERS = {
  launch: {
    imageId: 'ami-00000000',
    instanceTypes: ['c5.large'],
    securityGroupIds: ['sg-00000000'],
    subnetIds: ['subnet-00000000'],
  },
  dbHost: 'simulated.invalid',
};

/**
 * The role to simulate from a config document merged over the defaults (via `parseConfig`), with
 * placeholders for the launch settings and DB host the simulation does not use.
 * @throws ConfigError naming every bad key, or the missing role.
 */
export function simulationRole(document: unknown = {}, roleName = 'job'): RoleConfig {
  const doc = (typeof document === 'object' && document !== null ? document : {}) as { roles?: unknown };
  const named = typeof doc.roles === 'object' && doc.roles !== null ? Object.keys(doc.roles) : [];
  const roleNames = new Set([...Object.keys(DEFAULT_CONFIG.roles), ...named]);
  const placeholders = Object.fromEntries([...roleNames].map((name) => [name, SIM_PLACEHOLDERS]));
  const config: Config = parseConfig(mergeObjects({ roles: placeholders }, document));
  const role = config.roles[roleName];
  if (role === undefined) {
    throw new Error(`config has no role "${roleName}" (roles: ${Object.keys(config.roles).join(', ')})`);
  }
  if (role.policy === undefined || role.queue === undefined) {
    throw new Error(`role "${roleName}" has no queue-driven policy to simulate`);
  }
  return role;
}

function mergeObjects(base: unknown, over: unknown): unknown {
  if (typeof base !== 'object' || base === null || Array.isArray(base)) return over;
  // null passes through: parseConfig reads it as "remove this key".
  if (typeof over !== 'object' || over === null || Array.isArray(over))
    return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(over)) out[key] = mergeObjects(out[key], value);
  return out;
}

/** The role a planner-based policy runs with. */
export function policyRole(policy: Exclude<PolicyName, 'seed-2010'>, role: SimRole): SimRole {
  if (policy === 'default') return role;
  const base = role.policy;
  if (base === undefined) throw new Error('the role has no demand policy');
  return {
    ...role,
    policy: {
      type: 'backlog-per-server',
      targetPerServer: BACKLOG_TARGET_PER_SERVER,
      maxExtra: base.maxExtra,
      stabilizationSeconds: base.stabilizationSeconds,
    },
  };
}

function delayStream(delay: LaunchDelay, seed: number): () => number {
  const random = seededRandom(seed);
  if (delay.kind === 'fixed') return () => Math.round(delay.seconds * 1000);
  // Whole seconds keep event logs readable; the stream advances once per launch either way.
  return () => Math.round(delay.minS + (delay.maxS - delay.minS) * random()) * 1000;
}

interface Running {
  job: number;
  startMs: number;
  token: number;
}

interface SimServer {
  id: string;
  seq: number;
  launchMs: number;
  healthyMs: number;
  state: LifecycleState;
  /** Workers pull jobs only while this is true (healthy and not retiring). */
  accepting: boolean;
  registered: boolean;
  drainUntilMs?: number;
  terminatedMs?: number;
  /** Terminate once the running jobs finish. */
  terminateWhenIdle: boolean;
  workers: (Running | null)[];
  stateSinceMs: number;
  version: number;
  extra: boolean;
}

type EventKind = 'complete' | 'healthy' | 'arrive' | 'control' | 'sample';
/** At one instant: work finishes, servers come up and jobs arrive before a policy looks. */
const ORDER: Record<EventKind, number> = { complete: 0, healthy: 1, arrive: 2, control: 3, sample: 4 };

interface QueuedEvent {
  atMs: number;
  kind: EventKind;
  seq: number;
  server?: SimServer;
  worker?: number;
  token?: number;
  job?: number;
}

/** A binary min-heap of events by (time, kind order, insertion). */
class EventQueue {
  private readonly heap: QueuedEvent[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(event: Omit<QueuedEvent, 'seq'>): void {
    const item = { ...event, seq: this.seq++ };
    const heap = this.heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item, heap[parent] as QueuedEvent)) break;
      heap[i] = heap[parent] as QueuedEvent;
      i = parent;
    }
    heap[i] = item;
  }

  pop(): QueuedEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child =
        right < heap.length && before(heap[right] as QueuedEvent, heap[left] as QueuedEvent) ? right : left;
      if (!before(heap[child] as QueuedEvent, last)) break;
      heap[i] = heap[child] as QueuedEvent;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

function before(a: QueuedEvent, b: QueuedEvent): boolean {
  if (a.atMs !== b.atMs) return a.atMs < b.atMs;
  if (ORDER[a.kind] !== ORDER[b.kind]) return ORDER[a.kind] < ORDER[b.kind];
  return a.seq < b.seq;
}

/** A FIFO of job indexes that can also take a job back at its front. */
class JobQueue {
  private items: number[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(job: number): void {
    this.items.push(job);
  }

  unshift(job: number): void {
    if (this.head > 0) this.items[--this.head] = job;
    else this.items.unshift(job);
  }

  shift(): number | undefined {
    if (this.head >= this.items.length) return undefined;
    const job = this.items[this.head++];
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return job;
  }
}

/** Runs one policy over one trace. */
export function simulate(options: SimulationOptions): SimulationResult {
  return new Simulation(options).run();
}

class Simulation {
  private readonly jobs: readonly TraceJob[];
  private readonly policy: PolicyName;
  private readonly role: SimRole;
  private readonly seed: number;
  private readonly launchDelay: LaunchDelay;
  private readonly startAt: number;
  private readonly horizonMs: number;
  private readonly workersPerServer: number;
  private readonly stepMs: number;
  private readonly nextDelay: () => number;
  private readonly permanent: number;

  private readonly events = new EventQueue();
  private readonly queue = new JobQueue();
  private readonly servers: SimServer[] = [];
  private readonly samples: QueueSample[] = [];
  private readonly log: SimulationEvent[] = [];
  private readonly outcomes: (JobOutcome | undefined)[];
  private readonly completions: number[] = [];
  private readonly timeline = {
    times: [] as number[],
    queue: [] as number[],
    desired: [] as number[],
    inService: [] as number[],
    billed: [] as number[],
  };
  private now = 0;
  private arrived = 0;
  private running = 0;
  private nextToken = 1;
  private launches = 0;
  private retirements = 0;
  private failedBoots = 0;
  private requeued = 0;
  private desired = 0;
  private lastActivityMs = 0;

  constructor(options: SimulationOptions) {
    this.jobs = options.jobs;
    this.policy = options.policy;
    const base = options.role ?? defaultRole();
    this.role = options.policy === 'seed-2010' ? base : policyRole(options.policy, base);
    this.seed = options.seed ?? DEFAULT_SEED;
    this.launchDelay = options.launchDelay ?? DEFAULT_LAUNCH_DELAY;
    validateDelay(this.launchDelay);
    this.startAt = options.startAt ?? DEFAULT_START_AT;
    const lastArrival = this.jobs.at(-1)?.arrivalS ?? 0;
    this.horizonMs = Math.round(
      (options.horizonS ?? Math.max(1, Math.ceil(lastArrival / DAY_S)) * DAY_S) * 1000,
    );
    const vcpus = options.vcpus ?? vcpusOf(this.role.launch.instanceTypes[0] ?? 'c5.large');
    this.workersPerServer = vcpus * this.role.workersPerVcpu;
    this.stepMs = Math.round((options.timelineStepS ?? 60) * 1000);
    this.nextDelay = delayStream(this.launchDelay, this.seed);
    this.permanent = this.floorAt(0);
    this.outcomes = new Array(this.jobs.length).fill(undefined);
  }

  run(): SimulationResult {
    for (let i = 0; i < this.permanent; i += 1) this.addServer(0, 0, 'in-service', false);
    this.desired = this.permanent;
    if (this.jobs.length > 0) this.events.push({ atMs: this.arrivalMs(0), kind: 'arrive', job: 0 });
    this.events.push({ atMs: 0, kind: 'control' });
    this.events.push({ atMs: 0, kind: 'sample' });
    const capMs = this.horizonMs + 24 * HOUR_MS;
    let endMs = this.horizonMs;
    for (;;) {
      const event = this.events.pop();
      if (event === undefined) break;
      if (event.atMs > capMs) {
        endMs = capMs;
        break;
      }
      this.now = event.atMs;
      this.handle(event);
      if (this.now >= this.horizonMs && this.settled()) {
        endMs = Math.max(this.horizonMs, this.lastActivityMs);
        break;
      }
    }
    if (this.outcomes.some((o) => o === undefined)) {
      throw new Error(`simulation stopped at ${endMs / 1000} s with jobs unfinished`);
    }
    return this.result(endMs);
  }

  private arrivalMs(job: number): number {
    return Math.round((this.jobs[job]?.arrivalS ?? 0) * 1000);
  }

  private floorAt(ms: number): number {
    return scheduleFloor(this.role.schedule, this.startAt + ms).servers;
  }

  /** Every job done and no server beyond the floor left running. */
  private settled(): boolean {
    if (this.arrived < this.jobs.length || this.queue.length > 0 || this.running > 0) return false;
    const live = this.servers.filter((s) => s.terminatedMs === undefined).length;
    return live <= this.floorAt(this.now);
  }

  private handle(event: QueuedEvent): void {
    switch (event.kind) {
      case 'arrive':
        this.arrive(event.job ?? 0);
        return;
      case 'complete':
        this.complete(event);
        return;
      case 'healthy':
        this.healthy(event.server as SimServer);
        return;
      case 'control':
        this.control();
        this.events.push({ atMs: this.now + this.controlEveryMs(), kind: 'control' });
        return;
      case 'sample':
        this.sample();
        this.events.push({ atMs: this.now + this.stepMs, kind: 'sample' });
        return;
    }
  }

  private arrive(job: number): void {
    // Every arrival at this instant joins the queue before anything else happens then.
    let next = job;
    while (next < this.jobs.length && this.arrivalMs(next) === this.now) {
      this.queue.push(next);
      this.arrived += 1;
      next += 1;
    }
    if (next < this.jobs.length) this.events.push({ atMs: this.arrivalMs(next), kind: 'arrive', job: next });
    this.dispatch();
  }

  private complete(event: QueuedEvent): void {
    const server = event.server as SimServer;
    const slot = server.workers[event.worker ?? 0];
    // A job cut off by a termination left a stale completion behind.
    if (slot === null || slot === undefined || slot.token !== event.token) return;
    server.workers[event.worker ?? 0] = null;
    this.running -= 1;
    const arrivalS = this.arrivalMs(slot.job) / 1000;
    this.outcomes[slot.job] = {
      arrivalS,
      startS: slot.startMs / 1000,
      endS: this.now / 1000,
      waitS: (slot.startMs - this.arrivalMs(slot.job)) / 1000,
    };
    this.completions.push(slot.job);
    this.lastActivityMs = this.now;
    if (server.terminateWhenIdle && server.workers.every((w) => w === null)) {
      this.terminateNow(server, 'running jobs finished');
    }
    this.dispatch();
  }

  private healthy(server: SimServer): void {
    if (server.terminatedMs !== undefined || server.terminateWhenIdle || server.state === 'draining') return;
    server.accepting = true;
    this.log.push({ atS: this.now / 1000, kind: 'healthy', server: server.id, reason: 'workers up' });
    this.dispatch();
  }

  /** Starts waiting jobs on free workers, oldest server first. */
  private dispatch(): void {
    if (this.queue.length === 0) return;
    for (const server of this.servers) {
      if (!server.accepting) continue;
      for (let w = 0; w < server.workers.length; w += 1) {
        if (server.workers[w] !== null) continue;
        const job = this.queue.shift();
        if (job === undefined) return;
        const token = this.nextToken++;
        server.workers[w] = { job, startMs: this.now, token };
        this.running += 1;
        const serviceMs = Math.round((this.jobs[job]?.serviceS ?? 0) * 1000);
        this.events.push({ atMs: this.now + serviceMs, kind: 'complete', server, worker: w, token });
      }
    }
  }

  private controlEveryMs(): number {
    if (this.policy === 'seed-2010') return SEED.probeEveryS * 1000;
    return (this.role.queue?.everyMinutes ?? 1) * MINUTE_MS;
  }

  private control(): void {
    if (this.policy === 'seed-2010') this.seedControl();
    else this.plannerControl();
  }

  /**
   * The 2010 script, as intended (max 2 extra; the `-le 2` and `wc -l` bugs fixed): every 5
   * minutes, launch one server while the queue is over 20 and fewer than 2 extra servers exist
   * (booting or running); retire the newest extra when the queue is under 5 and it has run over
   * 45 minutes, terminating it at once. Its permanent servers are the role's floor at the trace
   * start (the 2010 job role had no schedule).
   */
  private seedControl(): void {
    const waiting = this.queue.length;
    const extras = this.servers.filter((s) => s.extra && s.terminatedMs === undefined);
    if (waiting > SEED.scaleOutAbove && extras.length < SEED.maxExtra) {
      this.launch(`seed-2010: queue ${waiting} > ${SEED.scaleOutAbove}, ${extras.length} extra`);
    } else if (waiting < SEED.scaleInBelow) {
      const newest = extras.at(-1);
      if (newest !== undefined && this.now - newest.launchMs > SEED.minLifetimeS * 1000) {
        this.retirements += 1;
        this.log.push({
          atS: this.now / 1000,
          kind: 'retire',
          server: newest.id,
          reason: `seed-2010: queue ${waiting} < ${SEED.scaleInBelow}, newest extra up ${Math.floor((this.now - newest.launchMs) / MINUTE_MS)} min`,
        });
        this.cutAndTerminate(newest);
      }
    }
    this.desired =
      this.permanent + this.servers.filter((s) => s.extra && s.terminatedMs === undefined).length;
  }

  /** One converge tick through the real domain code: sample, demand, desired, plan, act. */
  private plannerControl(): void {
    const role = this.role;
    const policy = role.policy;
    const queueConfig = role.queue;
    const at = this.startAt + this.now;
    const floor = scheduleFloor(role.schedule, at);
    this.samples.push({ at, length: this.queue.length });
    const keepMs =
      (Math.max(policy?.stabilizationSeconds ?? 0, queueConfig?.maxSampleAgeSeconds ?? 0) + 60) * 1000;
    while ((this.samples[0]?.at ?? at) < at - keepMs) this.samples.shift();
    const observed = this.observed(at);
    const current = observed.filter((s) => CAPACITY_STATES.has(s.state)).length;
    const demandResult =
      policy === undefined || queueConfig === undefined
        ? undefined
        : demand({
            policy,
            queue: queueConfig,
            samples: this.samples,
            current,
            floor: floor.servers,
            now: at,
          });
    const desired = desiredCount({
      config: role,
      floor,
      ...(demandResult === undefined ? {} : { demand: demandResult }),
      now: at,
    });
    const planned = plan({ role: 'job', now: at, config: role, desired, servers: observed });
    this.desired = desired.count;
    const byId = new Map(this.servers.map((s) => [s.id, s]));
    for (const action of planned.actions) {
      switch (action.kind) {
        case 'launch':
          for (let i = 0; i < action.count; i += 1) this.launch(action.reason);
          break;
        case 'register': {
          const server = this.server(byId, action.serverId);
          this.move(server, 'in-service');
          server.registered = true;
          break;
        }
        case 'drain': {
          const server = this.server(byId, action.serverId);
          if (CAPACITY_STATES.has(server.state)) this.countRetirement(server, action.reason);
          this.move(server, 'draining');
          server.accepting = false;
          server.registered = false;
          server.drainUntilMs = this.now + role.lifecycle.drainSeconds * 1000;
          break;
        }
        case 'terminate':
        case 'replace': {
          const server = this.server(byId, action.serverId);
          if (action.reason.startsWith('not healthy')) this.failedBoots += 1;
          else if (CAPACITY_STATES.has(server.state)) this.countRetirement(server, action.reason);
          this.move(server, 'terminating');
          server.accepting = false;
          server.registered = false;
          server.terminateWhenIdle = true;
          if (server.workers.every((w) => w === null)) this.terminateNow(server, action.reason);
          if (action.kind === 'replace') this.launch(`replacing ${server.id}: ${action.reason}`);
          break;
        }
      }
    }
  }

  private observed(at: number): ObservedServer[] {
    return this.servers
      .filter((s) => s.terminatedMs === undefined)
      .map((s) => {
        const record: ObservedServer = {
          role: 'job',
          intentId: s.id,
          instanceId: `i-sim${s.seq.toString(16).padStart(8, '0')}`,
          state: s.state,
          createdAt: this.startAt + s.launchMs,
          launchedAt: this.startAt + s.launchMs,
          stateSince: this.startAt + s.stateSinceMs,
          registered: s.registered,
          version: s.version,
        };
        if (s.drainUntilMs !== undefined) record.drainUntil = this.startAt + s.drainUntilMs;
        if (s.state === 'booting') {
          record.health =
            at >= this.startAt + s.healthyMs
              ? { healthy: true }
              : { healthy: false, reason: 'still booting' };
        }
        return record;
      });
  }

  private server(byId: Map<string, SimServer>, id: string): SimServer {
    const server = byId.get(id);
    if (server === undefined) throw new Error(`plan names unknown server ${id}`);
    return server;
  }

  private move(server: SimServer, state: LifecycleState): void {
    server.state = state;
    server.stateSinceMs = this.now;
    server.version += 1;
  }

  private countRetirement(server: SimServer, reason: string): void {
    this.retirements += 1;
    this.log.push({ atS: this.now / 1000, kind: 'retire', server: server.id, reason });
  }

  private addServer(launchMs: number, healthyMs: number, state: LifecycleState, extra: boolean): SimServer {
    const seq = this.servers.length + 1;
    const server: SimServer = {
      id: `job-${seq}`,
      seq,
      launchMs,
      healthyMs,
      state,
      accepting: state === 'in-service',
      registered: state === 'in-service',
      terminateWhenIdle: false,
      workers: new Array<Running | null>(this.workersPerServer).fill(null),
      stateSinceMs: launchMs,
      version: 1,
      extra,
    };
    this.servers.push(server);
    return server;
  }

  private launch(reason: string): void {
    const delayMs = this.nextDelay();
    const server = this.addServer(this.now, this.now + delayMs, 'booting', true);
    this.launches += 1;
    this.log.push({ atS: this.now / 1000, kind: 'launch', server: server.id, reason });
    this.events.push({ atMs: server.healthyMs, kind: 'healthy', server });
  }

  /** The 2010 way: terminate now; jobs it was running go back to the front of the queue. */
  private cutAndTerminate(server: SimServer): void {
    const cut = server.workers
      .filter((w): w is Running => w !== null)
      .sort((a, b) => this.arrivalMs(a.job) - this.arrivalMs(b.job) || a.job - b.job);
    for (let i = cut.length - 1; i >= 0; i -= 1) this.queue.unshift((cut[i] as Running).job);
    this.requeued += cut.length;
    this.running -= cut.length;
    server.workers.fill(null);
    server.accepting = false;
    this.terminateNow(server, 'terminated at once (2010 script)');
    this.dispatch();
  }

  private terminateNow(server: SimServer, reason: string): void {
    server.terminatedMs = this.now;
    server.accepting = false;
    server.state = 'terminated';
    this.lastActivityMs = Math.max(this.lastActivityMs, this.now);
    this.log.push({ atS: this.now / 1000, kind: 'terminate', server: server.id, reason });
  }

  private sample(): void {
    const live = this.servers.filter((s) => s.terminatedMs === undefined);
    this.timeline.times.push(this.now / 1000);
    this.timeline.queue.push(this.queue.length);
    this.timeline.desired.push(this.desired);
    this.timeline.inService.push(live.filter((s) => s.accepting).length);
    this.timeline.billed.push(live.length);
  }

  private result(endMs: number): SimulationResult {
    const outcomes = this.outcomes as JobOutcome[];
    const waits = outcomes.map((o) => o.waitS);
    let perSecond = 0;
    let hourly = 0;
    for (const server of this.servers) {
      const duration = (server.terminatedMs ?? endMs) - server.launchMs;
      perSecond += billedSeconds(duration);
      hourly += billedHours(duration);
    }
    // Trim the timeline to the end of the run.
    const keep = this.timeline.times.findIndex((t) => t * 1000 > endMs);
    const timeline = { ...this.timeline };
    if (keep >= 0) {
      for (const key of Object.keys(timeline) as (keyof typeof timeline)[])
        timeline[key] = timeline[key].slice(0, keep);
    }
    const summary: SimulationSummary = {
      policy: this.policy,
      jobs: this.jobs.length,
      waitP50S: round(percentile(waits, 50), 3),
      waitP95S: round(percentile(waits, 95), 3),
      waitMaxS: round(
        waits.reduce((a, b) => Math.max(a, b), 0),
        3,
      ),
      waitMeanS: round(waits.length === 0 ? 0 : waits.reduce((a, b) => a + b, 0) / waits.length, 3),
      instanceHours: round(perSecond / 3600, 4),
      instanceHoursHourly: hourly,
      launches: this.launches,
      retirements: this.retirements,
      failedBoots: this.failedBoots,
      requeuedJobs: this.requeued,
      simulatedHours: round(endMs / HOUR_MS, 4),
      seed: this.seed,
      launchDelay: this.launchDelay,
      workersPerServer: this.workersPerServer,
      permanentServers: this.permanent,
      maxServers: this.policy === 'seed-2010' ? this.permanent + SEED.maxExtra : this.role.max,
    };
    return { summary, outcomes, completions: this.completions, events: this.log, timeline };
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function validateDelay(delay: LaunchDelay): void {
  const ok =
    delay.kind === 'fixed'
      ? Number.isFinite(delay.seconds) && delay.seconds >= 0
      : Number.isFinite(delay.minS) &&
        Number.isFinite(delay.maxS) &&
        delay.minS >= 0 &&
        delay.minS <= delay.maxS;
  if (!ok) throw new Error(`invalid launch delay ${JSON.stringify(delay)}`);
}

let cachedDefaultRole: RoleConfig | undefined;

/** The shipped job role (DEFAULT_CONFIG), validated. */
export function defaultRole(): RoleConfig {
  cachedDefaultRole ??= simulationRole({});
  return cachedDefaultRole;
}

/** The simulation's timeline chart: queue length, desired, in-service and billed servers. */
export function timelineSvg(result: SimulationResult, title: string): string {
  const { timeline } = result;
  return renderTimeline({
    title,
    times: timeline.times,
    panels: [
      { title: 'Job queue', unit: 'jobs waiting', series: [{ name: 'waiting', values: timeline.queue }] },
      {
        title: 'Job servers',
        series: [
          { name: 'desired', values: timeline.desired },
          { name: 'in service', values: timeline.inService },
          { name: 'billed', values: timeline.billed },
        ],
      },
    ],
  });
}

export { seededRandom } from './random.js';
