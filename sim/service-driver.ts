/**
 * The real-service driver: the product's converge service (`createApp`, wired as the Lambda
 * handlers and `fakes/harness.ts` wire it) on the in-memory fake cloud and `MemoryLedger`, with a
 * `ManualClock` the simulation moves. Each tick sets the clock, and `fleet.tick()` runs exactly as
 * the scheduled Lambda runs it: probe, list, reconcile, health-check, decide, act, journal.
 *
 * What the fakes answer, and how their effects reach the job model:
 * - the queue probe reads the jobs waiting in the model (not the ones running) and how long the
 *   oldest has waited (as a JSON queue body would);
 * - a launch is an instance in the fake cloud (running at once: the launch delay covers pending
 *   and boot) that answers health checks after the k-th delay of the seeded stream; the model
 *   gets a server with the worker count and drain time the rendered user data carries
 *   (`FLEET_WORKERS`, `FLEET_DRAIN_SECONDS`);
 * - a terminate call starts the model's drain hook (see model.ts); the instance shows as
 *   shutting-down until its last worker exits and `STOP_MS` more, then terminated (billing ends
 *   when the hook exits: EC2 does not bill shutting-down, so this is an upper bound);
 * - the warm pool: a launch whose user data says it is warming gets a server that runs no worker;
 *   a stop call runs the model's drain hook and leaves the instance `stopped` when it exits (its
 *   volume billed, its time not); a start call runs it again, taking jobs after the k-th delay of
 *   a second seeded stream (`nextStartDelay`, 15–45 s by default). Launches that fill the pool are
 *   launches (RunInstances, a boot paid); starts are counted apart (`warmStarts`);
 * - EC2 state-change events are not replayed: a booted server is health-checked at the next tick.
 *
 * The servers up at the trace start come from two pre-roll ticks an hour before it (so their paid
 * hours, which hourly-billed retirement reads, line up with the trace's), on an empty queue, with
 * instant boots that use no delay from the stream; they are billed from the trace start. The
 * pre-roll brings up the schedule floor of that hour.
 */
import { MemoryLedger } from '../adapters/memory-ledger.js';
import type { Config, RoleConfig } from '../domain/config.js';
import { sampleSpanSeconds } from '../domain/demand.js';
import { type Compute, type QueueProbe, SILENT_OBSERVER } from '../domain/ports.js';
import { scheduleFloor } from '../domain/schedule.js';
import type { ConvergeResult } from '../domain/services/fleet.js';
import { type Action, batchIntentId, type CloudInstance, type LaunchRequest } from '../domain/types.js';
import { FakeCloud, ManualClock } from '../fakes/fake-cloud.js';
import { type App, createApp } from '../handlers/app.js';
import type { Controller, ControllerCounters } from './controller.js';
import type { JobModel, ModelServer } from './model.js';
import { DEFAULT_SEED, DEFAULT_START_DELAY, delayStream, START_SALT, vcpusOf } from './policies.js';
import { ShutdownLag } from './shutdown-lag.js';

export const SIM_STACK = 'fleet-pilot-sim';
/** The role name the simulated role runs under. */
export const SIM_ROLE = 'job';
const MINUTE_MS = 60_000;
/** The pre-roll ticks, before the trace start: launch, then register. */
const PRE_ROLL_MS = [60 * MINUTE_MS, 59 * MINUTE_MS];

/** One tick's decision for the simulated role. */
export interface TickDecision {
  /** Epoch ms. */
  at: number;
  desired: number;
  actions: Action[];
}

export interface ServiceDriverOptions {
  model: JobModel;
  role: RoleConfig;
  /** Epoch ms of model time 0. */
  startAt: number;
  /** Launch-to-healthy delay of the next launch, ms. */
  nextDelay: () => number;
  /** Start-to-taking-work delay of the next warm start, ms; default the seed-1 stream of 15–45 s. */
  nextStartDelay?: () => number;
  /** vCPUs of every instance type the role names; default by size. */
  vcpus?: number;
  /** What the queue probe reads instead of the model's waiting jobs (null: the probe fails). */
  queueLength?: () => number | null;
  /** Sees every tick's decision. */
  onDecision?: (decision: TickDecision) => void;
}

/** The user data of a server launched to fill the warm pool (the kit's warming mode). */
const WARMING = /^touch \/etc\/fleet-pilot\/warming$/m;

/** EC2 takes a Spot server back this long after its interruption warning. */
const SPOT_NOTICE_MS = 120_000;

export class ServiceDriver implements Controller {
  readonly everyMs: number;
  readonly maxServers: number;
  readonly counters: ControllerCounters = { launches: 0, retirements: 0, failedBoots: 0 };
  permanent = 0;
  desired = 0;
  readonly app: App;
  private readonly model: JobModel;
  private readonly role: RoleConfig;
  private readonly clock: ManualClock;
  private readonly cloud: FakeCloud;
  private readonly byInstance = new Map<string, ModelServer>();
  private readonly byIntent = new Map<string, ModelServer>();
  private readonly drainMs = new Map<ModelServer, number>();
  private readonly retired = new Set<string>();
  private launchedThisTick: ModelServer[] = [];
  /** Terminated this tick: their drain hooks start once the tick's decisions are noted. */
  private shutdowns: ModelServer[] = [];
  /** Stopped this tick into the warm pool: their drain hooks start likewise. */
  private stops: ModelServer[] = [];
  /** Stops and terminations whose drain hook has exited, until EC2 has them done. */
  private readonly lag: ShutdownLag;
  private preRoll = false;
  private readonly nextStartDelay: () => number;

  constructor(private readonly options: ServiceDriverOptions) {
    const { model, role, startAt } = options;
    this.model = model;
    this.role = role;
    this.nextStartDelay =
      options.nextStartDelay ?? delayStream(DEFAULT_START_DELAY, DEFAULT_SEED, START_SALT);
    this.everyMs = (role.queue?.intervalSeconds ?? 60) * 1000;
    this.maxServers = role.max;
    this.clock = new ManualClock(startAt);
    const vcpus = Object.fromEntries(
      role.launch.instanceTypes.map((type) => [type, options.vcpus ?? vcpusOf(type)]),
    );
    this.cloud = new FakeCloud({
      clock: this.clock,
      stack: SIM_STACK,
      pendingMs: 0,
      shutdownMs: Number.POSITIVE_INFINITY,
      // A stop ends when the model's drain hook exits (ShutdownLag).
      stopMs: Number.POSITIVE_INFINITY,
      vcpus,
    });
    const cloud = this.cloud;
    this.lag = new ShutdownLag(cloud);
    const compute: Compute = {
      ...cloud.compute,
      launch: async (request) => {
        const before = cloud.instances.size;
        const instance = await cloud.compute.launch(request);
        if (cloud.instances.size > before) this.launched(instance, request);
        return instance;
      },
      launchBatch: async (request) => {
        const before = cloud.instances.size;
        const instances = await cloud.compute.launchBatch(request);
        if (cloud.instances.size > before) {
          const { batchId, count: _count, ...rest } = request;
          for (const [index, instance] of instances.entries()) {
            this.launched(instance, { ...rest, intentId: batchIntentId(batchId, index) });
          }
        }
        return instances;
      },
      terminate: async (ids) => {
        await cloud.compute.terminate(ids);
        for (const id of ids) this.terminated(id);
      },
      start: async (id) => {
        const before = cloud.instances.get(id)?.starts ?? 0;
        await cloud.compute.start(id);
        if ((cloud.instances.get(id)?.starts ?? 0) > before) this.started(id);
      },
      stop: async (id, stopOptions) => {
        const wasRunning = cloud.instances.get(id)?.state === 'running';
        await cloud.compute.stop(id, stopOptions);
        const server = this.byInstance.get(id);
        if (wasRunning && server !== undefined) this.stops.push(server);
      },
    };
    const queueProbe: QueueProbe = {
      read: async (at) => {
        if (options.queueLength !== undefined) {
          const length = options.queueLength();
          return length === null ? { at, length, error: 'probe failed' } : { at, length };
        }
        // The JSON body's oldest-job age, as an endpoint that reports it would.
        const age = model.oldestWaitingSeconds;
        return { at, length: model.waiting, ...(age === undefined ? {} : { oldestAgeSeconds: age }) };
      },
    };
    const lb = role.loadBalancer;
    let next = 0;
    this.app = createApp({
      config: { roles: { [SIM_ROLE]: role } } as Config,
      stack: SIM_STACK,
      ledger: new MemoryLedger(ledgerLimits(role)),
      compute,
      loadBalancers: {
        [SIM_ROLE]:
          lb.type === 'none'
            ? undefined
            : cloud.loadBalancer(lb.type === 'classic' ? lb.name : lb.targetGroupArn),
      },
      healthProbes: { [SIM_ROLE]: cloud.healthProbe },
      queueProbes: { [SIM_ROLE]: queueProbe },
      clock: this.clock,
      observer: SILENT_OBSERVER,
      newId: () => {
        next += 1;
        return `00000000-0000-4000-8000-${next.toString(16).padStart(12, '0')}`;
      },
    });
    model.onEnd = (server) => this.hookExited(server, 'terminated');
    model.onStopped = (server) => this.hookExited(server, 'stopped');
  }

  /** Pre-roll: the service brings the fleet to its floor before the trace starts. */
  async start(): Promise<void> {
    this.preRoll = true;
    try {
      for (const before of PRE_ROLL_MS) await this.tickAt(this.options.startAt - before);
    } finally {
      this.preRoll = false;
    }
    this.permanent = this.model.liveServers.length;
  }

  async tick(): Promise<void> {
    await this.tickAt(this.options.startAt + this.model.now);
  }

  floor(): number {
    return scheduleFloor(this.role.schedule, this.options.startAt + this.model.now).servers;
  }

  private async tickAt(at: number): Promise<void> {
    this.clock.set(at);
    this.lag.advance(at - this.options.startAt);
    this.launchedThisTick = [];
    this.shutdowns = [];
    this.stops = [];
    const { results, errors } = await this.app.fleet.tick();
    if (errors.length > 0) {
      throw new Error(`converge failed at ${new Date(at).toISOString()}: ${errors[0]?.error}`);
    }
    const result = results.find((r) => r.role === SIM_ROLE);
    if (result?.plan === undefined) throw new Error(`no plan at ${new Date(at).toISOString()}`);
    this.absorb(result);
    for (const server of this.shutdowns) this.model.shutdown(server, this.drainMs.get(server) ?? 0);
    for (const server of this.stops) this.model.stop(server, this.drainMs.get(server) ?? 0);
    this.shutdowns = [];
    this.stops = [];
    this.options.onDecision?.({ at, desired: this.desired, actions: result.plan?.actions ?? [] });
  }

  /** Counts what the tick did and names the launches after the actions that asked for them. */
  private absorb(result: ConvergeResult): void {
    this.desired = result.plan?.desired.count ?? this.desired;
    const reasons: string[] = [];
    for (const outcome of [...result.fixes, ...result.outcomes]) {
      const { action } = outcome;
      if (!outcome.ok) {
        throw new Error(`${action.kind} failed at ${this.model.now / 1000} s: ${outcome.error}`);
      }
      if (action.kind === 'launch' || action.kind === 'warm') {
        for (let i = 0; i < action.count; i += 1) reasons.push(action.reason);
      } else if (action.kind === 'replace') {
        reasons.push(`replacing ${this.label(action.serverId)}: ${action.reason}`);
      }
      if (action.kind === 'drain' || action.kind === 'terminate' || action.kind === 'replace') {
        const server = this.byIntent.get(action.serverId);
        if (server === undefined || this.retired.has(action.serverId)) continue;
        this.retired.add(action.serverId);
        if (action.reason.startsWith('not healthy')) this.counters.failedBoots += 1;
        else if (!this.preRoll) {
          this.counters.retirements += 1;
          this.model.note('retire', server, action.reason);
        }
      }
    }
    this.launchedThisTick.forEach((server, i) => {
      this.model.note('launch', server, reasons[i] ?? 'launched by the converge service');
    });
  }

  private launched(instance: CloudInstance, request: LaunchRequest): void {
    const fake = this.cloud.instances.get(instance.instanceId);
    if (fake === undefined) throw new Error(`fake cloud lost ${instance.instanceId}`);
    const now = this.model.now;
    const delayMs = this.preRoll ? 0 : this.options.nextDelay();
    fake.healthyAt = this.clock.now() + delayMs;
    const server = this.model.addServer({
      launchMs: now,
      healthyMs: now + delayMs,
      extra: !this.preRoll,
      workers: userDataNumber(request.userData, 'FLEET_WORKERS'),
      warming: WARMING.test(request.userData),
    });
    this.drainMs.set(server, userDataNumber(request.userData, 'FLEET_DRAIN_SECONDS') * 1000);
    server.market = instance.market ?? 'on-demand';
    this.byInstance.set(instance.instanceId, server);
    this.byIntent.set(request.intentId, server);
    if (!this.preRoll) {
      this.counters.launches += 1;
      this.launchedThisTick.push(server);
    }
  }

  /**
   * EC2's interruption warning for the oldest live Spot server: the product drains and replaces
   * it (the spotWarning function's path), and EC2 takes it back two minutes later, so its jobs get
   * at most that long to finish.
   */
  async interrupt(): Promise<void> {
    const spot = [...this.byInstance].find(
      ([, s]) => s.market === 'spot' && s.shutdownMs === undefined && s.endMs === undefined,
    );
    if (spot === undefined) return;
    const [instanceId, server] = spot;
    this.drainMs.set(server, Math.min(this.drainMs.get(server) ?? 0, SPOT_NOTICE_MS));
    this.counters.interruptions = (this.counters.interruptions ?? 0) + 1;
    this.clock.set(this.options.startAt + this.model.now);
    this.launchedThisTick = [];
    this.shutdowns = [];
    const result = await this.app.fleet.instanceWarned(instanceId, 'interruption');
    // EC2 reclaims it whatever the service did: its drain hook runs now, with the notice's time.
    if (!this.shutdowns.includes(server)) this.shutdowns.push(server);
    if (!('ignored' in result)) this.absorb(result);
    for (const s of this.shutdowns) this.model.shutdown(s, this.drainMs.get(s) ?? 0);
    this.shutdowns = [];
  }

  /** A warm server started: it takes work after the next start delay. */
  private started(instanceId: string): void {
    const server = this.byInstance.get(instanceId);
    const fake = this.cloud.instances.get(instanceId);
    if (server === undefined || fake === undefined) throw new Error(`fake cloud lost ${instanceId}`);
    const delayMs = this.preRoll ? 0 : this.nextStartDelay();
    fake.healthyAt = this.clock.now() + delayMs;
    this.model.start(server, this.model.now + delayMs, 'started from the warm pool');
    // Back in service: its next retirement is a new one.
    for (const [intentId, known] of this.byIntent) if (known === server) this.retired.delete(intentId);
    if (!this.preRoll) this.counters.warmStarts = (this.counters.warmStarts ?? 0) + 1;
  }

  private terminated(instanceId: string): void {
    const server = this.byInstance.get(instanceId);
    if (server !== undefined) this.shutdowns.push(server);
  }

  /**
   * The drain hook of a stop or termination exited: EC2 has the instance stopped (if it is still
   * stopping) or gone `STOP_MS` later, at once in the pre-roll.
   */
  private hookExited(server: ModelServer, ending: 'stopped' | 'terminated'): void {
    for (const [instanceId, known] of this.byInstance) {
      if (known !== server) continue;
      if (ending === 'stopped' && this.cloud.instances.get(instanceId)?.state !== 'stopping') continue;
      this.lag.hookExited(instanceId, ending, this.preRoll ? undefined : this.model.now);
    }
  }

  private label(intentId: string): string {
    return this.byIntent.get(intentId)?.id ?? intentId;
  }
}

/** Enough samples for the longest window the demand policy reads, and a short journal. */
function ledgerLimits(role: RoleConfig): {
  maxSamplesPerRole: number;
  maxJournalPerRole: number;
  terminatedTtlMs: number;
} {
  // Every sample a converge reads (demand's span), at the role's probe interval.
  const windowS = role.policy === undefined ? 0 : sampleSpanSeconds(role.policy, role.queue);
  const everyS = role.queue?.intervalSeconds ?? 60;
  return {
    maxSamplesPerRole: Math.ceil(windowS / everyS) + PRE_ROLL_MS.length + 10,
    maxJournalPerRole: 50,
    // The deployed ledger's TTL for terminated records: a run over weeks stays as fast as a day's.
    terminatedTtlMs: 7 * 24 * 3_600_000,
  };
}

function userDataNumber(userData: string, key: string): number {
  const found = new RegExp(`^${key}=(\\d+)$`, 'm').exec(userData);
  if (found === null) throw new Error(`the user data does not set ${key}`);
  return Number(found[1]);
}
