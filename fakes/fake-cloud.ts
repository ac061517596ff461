/**
 * An in-memory cloud implementing the Compute, LoadBalancer, HealthProbe and QueueProbe ports, for
 * service tests, handler tests, the chaos test, the sandbox and the benchmark.
 *
 * Instances get loopback addresses (127.0.0.2, 127.0.0.3, ...), move pending → running after
 * `pendingMs` and answer health checks `bootMs` after launch. Every call is recorded (call-faults.ts); faults
 * are injected one-shot (`failNext`), with a probability (`failRate`), while a call's arguments match
 * (`failWhen`, e.g. no capacity for one instance type) or right after a call took effect (`after`,
 * e.g. the process dying after RunInstances). `watch` sees every call before any fault (the chaos
 * test's ownership check and its "dead process" gate); `clearFaults()` stops every fault and keeps
 * the world; `reset()` clears everything. Spot: `spotShortage` fails Spot launches as EC2 does, and
 * `interrupt` warns about a Spot instance and takes it back two minutes later. Warm pools: `stop`
 * takes `stopMs` to reach `stopped` (never, for an instance made `stuckStopping`), and `start` makes
 * a stopped instance pending again, healthy `startMs` later. EC2's per-call limits, request
 * throttling, limited capacity and throttling storms are modelled by `limits` (api-limits.ts),
 * off until `useApiLimits()`.
 */
import {
  CapacityError,
  IncorrectStateError,
  InvalidRequestError,
  NotFoundError,
  SpotUnavailableError,
  ThrottlingError,
  TransientError,
} from '../domain/errors.js';
import type { Clock, Compute } from '../domain/ports.js';
import {
  type BatchLaunchRequest,
  batchIntentId,
  type CloudInstance,
  type LaunchRequest,
} from '../domain/types.js';
import { type ApiLimitSettings, ApiLimits, EC2_API_LIMITS } from './api-limits.js';
import { type FakeInstance, publicView, type SpotShortage } from './fake-instance.js';
import { FakeNetwork } from './fake-network.js';

export type { CallWatcher, CloudOp } from './call-faults.js';
export { type FakeInstance, ManualClock, type SpotShortage } from './fake-instance.js';

export interface FakeCloudOptions {
  clock: Clock;
  stack?: string;
  pendingMs?: number;
  bootMs?: number;
  shutdownMs?: number;
  /** Running → stopped (default 30 s). */
  stopMs?: number;
  /** StartInstances → answering health checks (default 30 s). */
  startMs?: number;
  /** Random numbers in [0, 1) for probabilistic faults. */
  random?: () => number;
  vcpus?: Record<string, number>;
}

export class FakeCloud extends FakeNetwork {
  /**
   * EC2's eventual consistency: an instance launched less than this long ago is missing from
   * `list()` (DescribeInstances lags RunInstances) until a listing has shown it once.
   */
  listLagMs = 0;
  private readonly listed = new Set<string>();
  /** Instances by the ClientToken that launched them (no scans per call). */
  private readonly byToken = new Map<string, FakeInstance[]>();
  /** EC2's per-call limits and throttling; none until {@link useApiLimits}. */
  limits: ApiLimits;
  private nextInstance = 1;
  private nextAddress = 2;
  readonly stack: string;

  constructor(readonly options: FakeCloudOptions) {
    super(() => (options.random ?? Math.random)(), options.clock);
    this.stack = options.stack ?? 'fleet-pilot-test';
    this.limits = new ApiLimits(options.clock, undefined);
  }

  /** Models EC2's per-call limits and request throttling from now on (EC2's own by default). */
  useApiLimits(settings: ApiLimitSettings = EC2_API_LIMITS): this {
    this.limits = new ApiLimits(this.options.clock, settings);
    return this;
  }

  /**
   * Stops every injected fault (one-shot, rate, conditional, after-hooks, list lag, throttling
   * storms, capacity limits); the world stays.
   */
  override clearFaults(): this {
    super.clearFaults();
    this.listLagMs = 0;
    this.limits?.clear();
    return this;
  }

  reset(): void {
    this.instances.clear();
    this.byToken.clear();
    this.byAddress.clear();
    this.limits = new ApiLimits(this.options.clock, undefined);
    this.resetCalls();
    this.members.clear();
    this.listLagMs = 0;
    this.listed.clear();
    this.queueLength = 0;
  }

  /** Moves time-driven states along: pending → running, shutting-down → terminated. */
  advance(): void {
    const now = this.options.clock.now();
    for (const instance of this.instances.values()) {
      if (instance.state === 'pending' && now >= instance.launchedAt + (this.options.pendingMs ?? 20_000)) {
        instance.state = 'running';
      }
      if ((instance.reclaimAt ?? Number.POSITIVE_INFINITY) <= now && instance.state !== 'terminated') {
        if (instance.state !== 'shutting-down') instance.terminatedAt = instance.reclaimAt;
        instance.state = 'shutting-down';
      }
      if (
        instance.state === 'stopping' &&
        instance.stuckStopping !== true &&
        now >= (instance.stoppingSince ?? now) + (this.options.stopMs ?? 30_000)
      ) {
        instance.state = 'stopped';
      }
      if (
        instance.state === 'shutting-down' &&
        now >= (instance.terminatedAt ?? now) + (this.options.shutdownMs ?? 30_000)
      ) {
        instance.state = 'terminated';
        for (const set of this.members.values()) set.delete(instance.instanceId);
      }
    }
  }

  /** Every Spot launch fails as EC2 fails it for `shortage`, until `clearFaults()`. */
  spotShortage(shortage: SpotShortage = 'capacity'): this {
    return this.failWhen(
      'launch',
      (args) => (args as LaunchRequest).market === 'spot',
      () =>
        shortage === 'capacity'
          ? new CapacityError('InsufficientInstanceCapacity: no Spot capacity')
          : new SpotUnavailableError(
              shortage === 'price' ? 'SpotMaxPriceTooLow' : 'MaxSpotInstanceCountExceeded',
              shortage === 'limit',
            ),
    );
  }

  /**
   * EC2's Spot interruption warning: a Spot instance is taken back (shutting down, then terminated)
   * two minutes from now. A rebalance recommendation only warns. Returns the time of the warning.
   */
  interrupt(instanceId: string, kind: 'interruption' | 'rebalance' = 'interruption'): number {
    const now = this.options.clock.now();
    const instance = this.instances.get(instanceId);
    if (kind === 'interruption' && instance?.market === 'spot' && instance.reclaimAt === undefined) {
      instance.reclaimAt = now + 120_000;
    }
    return now;
  }

  /** Launches an instance tagged for the stack without any intent, as a person might by hand. */
  addForeignTagged(role: string, state: CloudInstance['state'] = 'running'): FakeInstance {
    return this.create(
      { role, intentId: undefined, clientToken: `manual-${this.nextInstance}`, userData: '' },
      state,
    );
  }

  /**
   * An instance this stack does not own: tagged for `stack` (another stack by default), optionally
   * with a role and an intent id of its own. `list()` shows it only when `stack` is this stack.
   */
  addForeign(
    options: { stack?: string; role?: string; intentId?: string; state?: CloudInstance['state'] } = {},
  ): FakeInstance {
    const instance = this.create(
      {
        role: options.role ?? 'app',
        intentId: options.intentId,
        clientToken: `foreign-${this.nextInstance}`,
        userData: '',
      },
      options.state ?? 'running',
    );
    instance.stack = options.stack ?? 'someone-else';
    if (options.role === undefined) delete instance.role;
    return instance;
  }

  private create(
    req: {
      role: string;
      intentId: string | undefined;
      clientToken: string;
      userData: string;
      instanceType?: string;
      market?: CloudInstance['market'];
      hibernate?: boolean;
      batchId?: string;
      launchIndex?: number;
    },
    state: CloudInstance['state'] = 'pending',
  ): FakeInstance {
    const now = this.options.clock.now();
    const id = `i-${(0x0f1ee7000000 + this.nextInstance).toString(16).padStart(17, '0')}`;
    this.nextInstance += 1;
    const instance: FakeInstance = {
      instanceId: id,
      role: req.role,
      state,
      privateIp: this.allocateAddress(),
      launchedAt: now,
      instanceType: req.instanceType ?? 'c5.large',
      clientToken: req.clientToken,
      stack: this.stack,
      healthyAt: now + (this.options.bootMs ?? 90_000),
      broken: false,
      userData: req.userData,
      hibernationConfigured: req.hibernate === true,
      starts: 0,
      launchIndex: req.launchIndex ?? 0,
      createdAt: now,
      runs: [{ fromMs: now, readyMs: now + (this.options.bootMs ?? 90_000) }],
    };
    if (req.intentId !== undefined) instance.intentId = req.intentId;
    if (req.batchId !== undefined) instance.batchId = req.batchId;
    if (req.market === 'spot') instance.market = 'spot';
    this.instances.set(id, instance);
    if (instance.privateIp !== undefined) this.byAddress.set(instance.privateIp, instance);
    const launched = this.byToken.get(req.clientToken);
    if (launched === undefined) this.byToken.set(req.clientToken, [instance]);
    else launched.push(instance);
    return instance;
  }

  /** 127.0.0.2, 127.0.0.3, … then 127.0.1.0, …: always loopback. */
  private allocateAddress(): string {
    const n = this.nextAddress;
    this.nextAddress += 1;
    return `127.${Math.floor(n / 65_536) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`;
  }

  readonly compute: Compute = {
    launch: async (req: LaunchRequest): Promise<CloudInstance> => {
      const existing = this.byToken.get(req.clientToken)?.[0];
      // EC2 answers a replayed ClientToken with the instance it already launched: only throttling
      // and transient faults can hit the replay, never "no capacity" or "invalid parameter".
      this.enter('launch', req, (error) =>
        existing === undefined ? true : error instanceof ThrottlingError || error instanceof TransientError,
      );
      if (req.clientToken.length > 64) throw new InvalidRequestError('ClientToken longer than 64 characters');
      this.limits.admit('launch', 1);
      if (existing !== undefined) return publicView(existing);
      this.limits.fulfil(req.instanceType ?? 'c5.large', 1);
      const instance = this.create(req);
      this.leave('launch');
      return publicView(instance);
    },
    launchBatch: async (req: BatchLaunchRequest): Promise<CloudInstance[]> => {
      const existing = this.byToken.get(req.clientToken);
      this.enter('launch', req, (error) =>
        existing === undefined ? true : error instanceof ThrottlingError || error instanceof TransientError,
      );
      if (req.clientToken.length > 64) throw new InvalidRequestError('ClientToken longer than 64 characters');
      if (req.count < 1) throw new InvalidRequestError(`InvalidParameterValue: MaxCount ${req.count}`);
      this.limits.admit('launch', req.count);
      if (existing !== undefined) return existing.map(publicView);
      const given = this.limits.fulfil(req.instanceType ?? 'c5.large', req.count);
      const launched: FakeInstance[] = [];
      for (let index = 0; index < given; index += 1) {
        launched.push(
          this.create({ ...req, intentId: batchIntentId(req.batchId, index), launchIndex: index }),
        );
      }
      this.leave('launch');
      return launched.map(publicView);
    },
    list: async (): Promise<CloudInstance[]> => {
      this.enter('list', undefined);
      this.limits.admit('list');
      this.advance();
      const now = this.options.clock.now();
      const shown = [...this.instances.values()].filter(
        (i) =>
          i.stack === this.stack &&
          i.state !== 'terminated' &&
          (this.listed.has(i.instanceId) || now - i.launchedAt >= this.listLagMs),
      );
      for (const instance of shown) this.listed.add(instance.instanceId);
      return shown.map(publicView);
    },
    find: async (instanceId: string): Promise<CloudInstance | undefined> => {
      this.enter('find', instanceId);
      this.limits.admit('find');
      this.advance();
      const instance = this.instances.get(instanceId);
      if (instance === undefined || instance.stack !== this.stack) return undefined;
      const now = this.options.clock.now();
      // EC2's eventual consistency, as for list(): not yet visible shortly after launch.
      if (!this.listed.has(instanceId) && now - instance.launchedAt < this.listLagMs) return undefined;
      return publicView(instance);
    },
    terminate: async (ids: readonly string[]): Promise<void> => {
      if (ids.length === 0) return;
      this.enter('terminate', [...ids]);
      this.limits.admit('terminate', ids.length);
      const now = this.options.clock.now();
      for (const id of ids) {
        const instance = this.instances.get(id);
        if (instance === undefined || instance.state === 'terminated' || instance.state === 'shutting-down')
          continue;
        instance.state = 'shutting-down';
        instance.terminatedAt = now;
      }
      this.leave('terminate');
    },
    start: async (id: string): Promise<void> => {
      this.enter('start', id);
      this.limits.admit('start');
      const instance = this.owned(id);
      if (instance.state === 'pending' || instance.state === 'running') return;
      if (instance.state !== 'stopped') {
        throw new IncorrectStateError(`IncorrectInstanceState: ${id} is ${instance.state}, not stopped`);
      }
      const now = this.options.clock.now();
      instance.state = 'pending';
      // EC2 resets an instance's LaunchTime at each start.
      instance.launchedAt = now;
      instance.healthyAt = now + (this.options.startMs ?? 30_000);
      instance.hibernated = false;
      instance.starts += 1;
      instance.runs.push({ fromMs: now, readyMs: instance.healthyAt });
      this.leave('start');
    },
    stop: async (id: string, options: { hibernate: boolean }): Promise<void> => {
      this.enter('stop', { id, hibernate: options.hibernate });
      this.limits.admit('stop');
      const instance = this.owned(id);
      if (instance.state === 'stopping' || instance.state === 'stopped') return;
      if (instance.state !== 'running') {
        throw new IncorrectStateError(`IncorrectInstanceState: ${id} is ${instance.state}, not running`);
      }
      if (options.hibernate && !instance.hibernationConfigured) {
        throw new InvalidRequestError(
          `UnsupportedHibernationConfiguration: ${id} was not launched for hibernation`,
        );
      }
      instance.state = 'stopping';
      instance.stoppingSince = this.options.clock.now();
      const run = instance.runs.at(-1);
      if (run !== undefined && run.toMs === undefined) run.toMs = instance.stoppingSince;
      instance.hibernated = options.hibernate;
      for (const set of this.members.values()) set.delete(id);
      this.leave('stop');
    },
    vcpus: async (type: string): Promise<number> => {
      this.enter('vcpus', type);
      const table = this.options.vcpus ?? { 'c5.large': 2, 'm5.large': 2, 'c5.xlarge': 4, 't3.micro': 2 };
      const found = table[type];
      if (found === undefined) throw new NotFoundError(`unknown instance type ${type}`);
      return found;
    },
  };

  /** An instance of this stack by id (EC2 answers InvalidInstanceID.NotFound for any other). */
  private owned(id: string): FakeInstance {
    const instance = this.instances.get(id);
    if (instance === undefined || instance.stack !== this.stack) {
      throw new NotFoundError(`InvalidInstanceID.NotFound: ${id}`);
    }
    return instance;
  }

  /** The next stop of this instance never finishes: it stays `stopping` until terminated. */
  stuckStopping(instanceId: string): this {
    const instance = this.instances.get(instanceId);
    if (instance !== undefined) instance.stuckStopping = true;
    return this;
  }

  /** Instances alive (not shutting down or terminated) for a role. */
  alive(role?: string): FakeInstance[] {
    return [...this.instances.values()].filter(
      (i) => (role === undefined || i.role === role) && (i.state === 'pending' || i.state === 'running'),
    );
  }
}
