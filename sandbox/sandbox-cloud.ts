/**
 * The test fake cloud with per-instance delays drawn from realistic ranges, and a hook on every
 * state change so the sandbox can start and stop each instance's real server. A start from the
 * warm pool (EC2 resets the launch time) draws its own, shorter delays: the instance is booted and
 * deployed already.
 */
import type { CloudInstance } from '../domain/types.js';
import { FakeCloud, type FakeCloudOptions, type FakeInstance } from '../fakes/fake-cloud.js';

export type InstanceState = CloudInstance['state'];

/**
 * A start from the warm pool: 15-45 s until the server takes work (pending a few seconds, then the
 * kit's units and the workers; the release is deployed already), as the simulator models it.
 */
const START_PENDING_MS: readonly [number, number] = [5_000, 15_000];
const START_BOOT_MS: readonly [number, number] = [10_000, 30_000];

export interface InstanceTransition {
  instance: FakeInstance;
  from: InstanceState | undefined;
  to: InstanceState;
  /** Simulated time the sandbox noticed it. */
  at: number;
}

export interface SandboxCloudOptions extends Omit<FakeCloudOptions, 'pendingMs' | 'bootMs'> {
  /** Random numbers in [0, 1) for the delays (seeded, for repeatable runs). */
  random: () => number;
  /** pending → running, simulated ms, drawn uniformly per instance. */
  pendingMs: readonly [number, number];
  /** running → answering "Welcome", simulated ms, drawn uniformly per instance. */
  bootMs: readonly [number, number];
  /** After a start from the warm pool: pending → running (default 5-15 s). */
  startPendingMs?: readonly [number, number];
  /** After a start from the warm pool: running → answering (default 10-30 s). */
  startBootMs?: readonly [number, number];
  onTransition: (transition: InstanceTransition) => void;
}

export class SandboxCloud extends FakeCloud {
  private readonly seen = new Map<string, InstanceState>();
  private readonly runningAt = new Map<string, { launchedAt: number; at: number }>();

  constructor(private readonly sandbox: SandboxCloudOptions) {
    // The base class never moves an instance out of pending: this class does, per instance.
    const {
      bootMs: _boot,
      pendingMs: _pending,
      startPendingMs: _startPending,
      startBootMs: _startBoot,
      onTransition: _hook,
      ...base
    } = sandbox;
    super({ ...base, pendingMs: Number.POSITIVE_INFINITY });
  }

  /** When the instance's server answers "Welcome" (simulated ms). */
  bootedAt(instance: FakeInstance): number {
    return instance.healthyAt;
  }

  override advance(): void {
    super.advance();
    const now = this.options.clock.now();
    for (const instance of this.instances.values()) {
      let running = this.runningAt.get(instance.instanceId);
      if (running === undefined || running.launchedAt !== instance.launchedAt) {
        const started = running !== undefined;
        const at =
          instance.launchedAt +
          this.draw(started ? (this.sandbox.startPendingMs ?? START_PENDING_MS) : this.sandbox.pendingMs);
        running = { launchedAt: instance.launchedAt, at };
        this.runningAt.set(instance.instanceId, running);
        instance.healthyAt =
          at + this.draw(started ? (this.sandbox.startBootMs ?? START_BOOT_MS) : this.sandbox.bootMs);
        const run = instance.runs.at(-1);
        if (run !== undefined) run.readyMs = instance.healthyAt;
      }
      if (instance.state === 'pending' && now >= running.at) instance.state = 'running';
      const from = this.seen.get(instance.instanceId);
      if (from !== instance.state) {
        this.seen.set(instance.instanceId, instance.state);
        this.sandbox.onTransition({ instance, from, to: instance.state, at: now });
      }
    }
  }

  private draw([low, high]: readonly [number, number]): number {
    return Math.round(low + (high - low) * this.sandbox.random());
  }
}
