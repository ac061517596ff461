/**
 * The test fake cloud with per-instance delays drawn from realistic ranges, and a hook on every
 * state change so the sandbox can start and stop each instance's real server.
 */
import type { CloudInstance } from '../domain/types.js';
import { FakeCloud, type FakeCloudOptions, type FakeInstance } from '../fakes/fake-cloud.js';

export type InstanceState = CloudInstance['state'];

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
  onTransition: (transition: InstanceTransition) => void;
}

export class SandboxCloud extends FakeCloud {
  private readonly seen = new Map<string, InstanceState>();
  private readonly runningAt = new Map<string, number>();

  constructor(private readonly sandbox: SandboxCloudOptions) {
    // The base class never moves an instance out of pending: this class does, per instance.
    const { bootMs: _boot, pendingMs: _pending, onTransition: _hook, ...base } = sandbox;
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
      let runningAt = this.runningAt.get(instance.instanceId);
      if (runningAt === undefined) {
        runningAt = instance.launchedAt + this.draw(this.sandbox.pendingMs);
        this.runningAt.set(instance.instanceId, runningAt);
        instance.healthyAt = runningAt + this.draw(this.sandbox.bootMs);
      }
      if (instance.state === 'pending' && now >= runningAt) instance.state = 'running';
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
