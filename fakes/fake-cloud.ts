/**
 * An in-memory cloud implementing the Compute, LoadBalancer, HealthProbe and QueueProbe ports, for
 * service tests, handler tests, the chaos test, the sandbox and the benchmark.
 *
 * Instances get loopback addresses (127.0.0.2, 127.0.0.3, ...), move pending → running after
 * `pendingMs` and answer health checks `bootMs` after launch. Every call is recorded; faults are
 * injected one-shot (`failNext`), with a probability (`failRate`), while a call's arguments match
 * (`failWhen`, e.g. no capacity for one instance type) or right after a call took effect (`after`,
 * e.g. the process dying after RunInstances). `watch` sees every call before any fault (the chaos
 * test's ownership check and its "dead process" gate); `clearFaults()` stops every fault and keeps
 * the world; `reset()` clears everything.
 */
import { InvalidRequestError, NotFoundError, ThrottlingError, TransientError } from '../domain/errors.js';
import type { Clock, Compute, HealthProbe, LoadBalancer, QueueProbe } from '../domain/ports.js';
import type {
  CloudInstance,
  HealthResult,
  LaunchRequest,
  LoadBalancerMember,
  QueueSample,
} from '../domain/types.js';

export type CloudOp =
  | 'launch'
  | 'list'
  | 'terminate'
  | 'vcpus'
  | 'register'
  | 'deregister'
  | 'members'
  | 'health'
  | 'queue';

export interface FakeInstance extends CloudInstance {
  clientToken: string;
  stack: string;
  /** When it starts answering the content health check (ms). */
  healthyAt: number;
  /** A broken server never becomes healthy. */
  broken: boolean;
  terminatedAt?: number;
  userData: string;
}

export interface FakeCloudOptions {
  clock: Clock;
  stack?: string;
  pendingMs?: number;
  bootMs?: number;
  shutdownMs?: number;
  /** Random numbers in [0, 1) for probabilistic faults. */
  random?: () => number;
  vcpus?: Record<string, number>;
}

interface RateFault {
  probability: number;
  make: () => Error;
}

interface ConditionalFault {
  when: (args: unknown) => boolean;
  make: () => Error;
}

/** Sees a call before any injected fault; throwing fails the call with that error. */
export type CallWatcher = (op: CloudOp, args: unknown) => void;

export class FakeCloud {
  readonly instances = new Map<string, FakeInstance>();
  readonly calls: { op: CloudOp; args: unknown }[] = [];
  /** Load-balancer members by load-balancer name. */
  readonly members = new Map<string, Set<string>>();
  /** Queue length served by `queueProbe()`; null makes the probe report unknown. */
  queueLength: number | null = 0;
  private readonly oneShot = new Map<CloudOp, Error[]>();
  private readonly rates = new Map<CloudOp, RateFault>();
  private readonly afterHooks = new Map<CloudOp, (() => void)[]>();
  private readonly conditional = new Map<CloudOp, ConditionalFault[]>();
  private readonly watchers: { op: CloudOp | '*'; watcher: CallWatcher }[] = [];
  /** How many calls an injected fault (one-shot, rate or conditional) failed. */
  faultsFired = 0;
  /**
   * EC2's eventual consistency: an instance launched less than this long ago is missing from
   * `list()` (DescribeInstances lags RunInstances) until a listing has shown it once.
   */
  listLagMs = 0;
  private readonly listed = new Set<string>();
  private nextInstance = 1;
  private nextAddress = 2;
  readonly stack: string;

  constructor(readonly options: FakeCloudOptions) {
    this.stack = options.stack ?? 'fleet-pilot-test';
  }

  /** The next `op` throws `error` (queued: call again to fail the next ones too). */
  failNext(op: CloudOp, error: Error): this {
    const list = this.oneShot.get(op) ?? [];
    list.push(error);
    this.oneShot.set(op, list);
    return this;
  }

  /** Every `op` fails with this probability until cleared with probability 0. */
  failRate(op: CloudOp, probability: number, make: () => Error): this {
    if (probability <= 0) this.rates.delete(op);
    else this.rates.set(op, { probability, make });
    return this;
  }

  /** Runs `hook` once right after the next successful `op` (e.g. to simulate a crash after it). */
  after(op: CloudOp, hook: () => void): this {
    const list = this.afterHooks.get(op) ?? [];
    list.push(hook);
    this.afterHooks.set(op, list);
    return this;
  }

  /** Every `op` whose arguments satisfy `when` fails with `make()` until `clearFaults()`. */
  failWhen(op: CloudOp, when: (args: unknown) => boolean, make: () => Error): this {
    const list = this.conditional.get(op) ?? [];
    list.push({ when, make });
    this.conditional.set(op, list);
    return this;
  }

  /**
   * Calls `watcher` on every `op` (or every op with `'*'`) before any injected fault, in the order
   * watchers were added; a watcher that throws fails the call. Survives `clearFaults()`.
   * @returns a function that removes the watcher.
   */
  watch(op: CloudOp | '*', watcher: CallWatcher): () => void {
    const entry = { op, watcher };
    this.watchers.push(entry);
    return () => {
      const at = this.watchers.indexOf(entry);
      if (at >= 0) this.watchers.splice(at, 1);
    };
  }

  /** Stops every injected fault (one-shot, rate, conditional, after-hooks, list lag); the world stays. */
  clearFaults(): this {
    this.oneShot.clear();
    this.rates.clear();
    this.conditional.clear();
    this.afterHooks.clear();
    this.listLagMs = 0;
    return this;
  }

  reset(): void {
    this.instances.clear();
    this.calls.length = 0;
    this.members.clear();
    this.oneShot.clear();
    this.rates.clear();
    this.afterHooks.clear();
    this.conditional.clear();
    this.watchers.length = 0;
    this.listLagMs = 0;
    this.listed.clear();
    this.faultsFired = 0;
    this.queueLength = 0;
  }

  /** Counts of calls by op (AWS calls, for the benchmark). */
  callCount(op?: CloudOp): number {
    return op === undefined ? this.calls.length : this.calls.filter((c) => c.op === op).length;
  }

  /**
   * Records the call, runs the watchers, then throws the first injected fault that applies.
   * `applies` narrows which faults can hit this call; one that cannot stays queued.
   */
  private enter(op: CloudOp, args: unknown, applies: (error: Error) => boolean = () => true): void {
    this.calls.push({ op, args });
    for (const { op: watched, watcher } of [...this.watchers]) {
      if (watched === '*' || watched === op) watcher(op, args);
    }
    const queued = this.oneShot.get(op);
    const next = queued?.[0];
    if (next !== undefined && applies(next)) {
      queued?.shift();
      this.faultsFired += 1;
      throw next;
    }
    const rate = this.rates.get(op);
    if (rate !== undefined && (this.options.random ?? Math.random)() < rate.probability) {
      const error = rate.make();
      if (applies(error)) {
        this.faultsFired += 1;
        throw error;
      }
    }
    const matching = this.conditional.get(op)?.find((fault) => fault.when(args));
    if (matching !== undefined) {
      const error = matching.make();
      if (applies(error)) {
        this.faultsFired += 1;
        throw error;
      }
    }
  }

  private leave(op: CloudOp): void {
    const hook = this.afterHooks.get(op)?.shift();
    if (hook !== undefined) hook();
  }

  /** Moves time-driven states along: pending → running, shutting-down → terminated. */
  advance(): void {
    const now = this.options.clock.now();
    for (const instance of this.instances.values()) {
      if (instance.state === 'pending' && now >= instance.launchedAt + (this.options.pendingMs ?? 20_000)) {
        instance.state = 'running';
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
    };
    if (req.intentId !== undefined) instance.intentId = req.intentId;
    this.instances.set(id, instance);
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
      const existing = [...this.instances.values()].find((i) => i.clientToken === req.clientToken);
      // EC2 answers a replayed ClientToken with the instance it already launched: only throttling
      // and transient faults can hit the replay, never "no capacity" or "invalid parameter".
      this.enter('launch', req, (error) =>
        existing === undefined ? true : error instanceof ThrottlingError || error instanceof TransientError,
      );
      if (req.clientToken.length > 64) throw new InvalidRequestError('ClientToken longer than 64 characters');
      if (existing !== undefined) return publicView(existing);
      const instance = this.create(req);
      this.leave('launch');
      return publicView(instance);
    },
    list: async (): Promise<CloudInstance[]> => {
      this.enter('list', undefined);
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
    terminate: async (ids: readonly string[]): Promise<void> => {
      if (ids.length === 0) return;
      this.enter('terminate', [...ids]);
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
    vcpus: async (type: string): Promise<number> => {
      this.enter('vcpus', type);
      const table = this.options.vcpus ?? { 'c5.large': 2, 'm5.large': 2, 'c5.xlarge': 4, 't3.micro': 2 };
      const found = table[type];
      if (found === undefined) throw new NotFoundError(`unknown instance type ${type}`);
      return found;
    },
  };

  /** A load balancer (classic or target group, they behave alike here) by name. */
  loadBalancer(name: string): LoadBalancer {
    const set = (): Set<string> => {
      const found = this.members.get(name) ?? new Set<string>();
      this.members.set(name, found);
      return found;
    };
    return {
      register: async (ids) => {
        if (ids.length === 0) return;
        this.enter('register', { name, ids: [...ids] });
        for (const id of ids) {
          const instance = this.instances.get(id);
          if (instance === undefined || instance.state !== 'running') {
            throw new InvalidRequestError(`cannot register ${id}: not a running instance`);
          }
          set().add(id);
        }
        this.leave('register');
      },
      deregister: async (ids) => {
        if (ids.length === 0) return;
        this.enter('deregister', { name, ids: [...ids] });
        for (const id of ids) set().delete(id);
        this.leave('deregister');
      },
      members: async (): Promise<LoadBalancerMember[]> => {
        this.enter('members', name);
        return [...set()].map((instanceId) => ({
          instanceId,
          state: this.instances.get(instanceId)?.state === 'running' ? 'in-service' : 'out-of-service',
        }));
      },
    };
  }

  /** Content health by address: healthy once running and booted, unless broken. */
  readonly healthProbe: HealthProbe = {
    check: async (privateIp: string): Promise<HealthResult> => {
      try {
        this.enter('health', privateIp);
      } catch (error) {
        return { healthy: false, reason: error instanceof Error ? error.message : String(error) };
      }
      const instance = [...this.instances.values()].find((i) => i.privateIp === privateIp);
      if (instance === undefined || instance.state !== 'running')
        return { healthy: false, reason: 'connection refused' };
      if (instance.broken) return { healthy: false, reason: "body does not contain 'welcome'" };
      if (this.options.clock.now() < instance.healthyAt)
        return { healthy: false, reason: 'connection refused' };
      return { healthy: true };
    },
  };

  readonly queueProbe: QueueProbe = {
    read: async (now: number): Promise<QueueSample> => {
      try {
        this.enter('queue', undefined);
      } catch (error) {
        return { at: now, length: null, error: error instanceof Error ? error.message : String(error) };
      }
      return this.queueLength === null
        ? { at: now, length: null, error: 'probe failed' }
        : { at: now, length: this.queueLength };
    },
  };

  /** Instances alive (not shutting down or terminated) for a role. */
  alive(role?: string): FakeInstance[] {
    return [...this.instances.values()].filter(
      (i) => (role === undefined || i.role === role) && (i.state === 'pending' || i.state === 'running'),
    );
  }
}

function publicView(instance: FakeInstance): CloudInstance {
  const view: CloudInstance = {
    instanceId: instance.instanceId,
    state: instance.state,
    launchedAt: instance.launchedAt,
    instanceType: instance.instanceType,
  };
  if (instance.role !== undefined) view.role = instance.role;
  if (instance.intentId !== undefined) view.intentId = instance.intentId;
  if (instance.privateIp !== undefined) view.privateIp = instance.privateIp;
  return view;
}

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private at: number) {}
  now(): number {
    return this.at;
  }
  set(at: number): void {
    this.at = at;
  }
  advance(ms: number): number {
    this.at += ms;
    return this.at;
  }
}
