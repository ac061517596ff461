/** A whole fleet-pilot on the fake cloud: services wired exactly as the Lambda handlers wire them. */
import { MemoryLedger } from '../adapters/memory-ledger.js';
import type { Config } from '../domain/config.js';
import { type Ledger, type Observer, type RoundQueue, SILENT_OBSERVER } from '../domain/ports.js';
import { type App, createApp } from '../handlers/app.js';
import { testConfig } from './config.js';
import { type CloudOp, FakeCloud, type FakeCloudOptions, ManualClock } from './fake-cloud.js';

/** Monday 2026-03-02 10:00 in Toronto (EST, UTC-5): inside the app's business-hours window. */
export const MONDAY_10AM = Date.parse('2026-03-02T15:00:00Z');

export interface Harness {
  app: App;
  cloud: FakeCloud;
  clock: ManualClock;
  ledger: Ledger;
  config: Config;
  /** Moves the clock and lets the fake cloud catch up. */
  advance(ms: number): void;
  /** Every later `op` takes `ms` of simulated time (a slow or stalled AWS call). */
  takesTime(op: CloudOp | '*', ms: number): void;
  /** The Lambda context of an invocation starting now with a `timeoutMs` timeout, on the fake clock. */
  invocation(timeoutMs: number): { getRemainingTimeInMillis(): number };
  /** A deploy of another config: the same cloud, ledger, clock and ids, new functions. */
  redeploy(config: Config): void;
}

export function harness(
  options: {
    config?: Config;
    ledger?: Ledger;
    start?: number;
    cloud?: Partial<FakeCloudOptions>;
    observer?: Observer;
    /** The tick's later rounds go here (default: none, every round runs in the scheduled tick). */
    roundQueue?: RoundQueue;
  } = {},
): Harness {
  const clock = new ManualClock(options.start ?? MONDAY_10AM);
  const config = options.config ?? testConfig();
  const cloud = new FakeCloud({ clock, stack: 'fleet-pilot-test', ...options.cloud });
  const ledger = options.ledger ?? new MemoryLedger();
  let next = 0;
  // Backoff jitter from a fixed sequence: the same run waits the same simulated time.
  const jitter = options.cloud?.random ?? lcg(0x5eed);
  const build = (config: Config): App => {
    const roles = Object.entries(config.roles);
    return createApp({
      config,
      stack: cloud.stack,
      ledger,
      compute: cloud.compute,
      loadBalancers: Object.fromEntries(
        roles.map(([role, c]) => [
          role,
          c.loadBalancer.type === 'none'
            ? undefined
            : cloud.loadBalancer(
                c.loadBalancer.type === 'classic' ? c.loadBalancer.name : c.loadBalancer.targetGroupArn,
              ),
        ]),
      ),
      healthProbes: Object.fromEntries(roles.map(([role]) => [role, cloud.healthProbe])),
      queueProbes: Object.fromEntries(
        roles.map(([role, c]) => [role, c.queue === undefined ? undefined : cloud.queueProbe]),
      ),
      ...(options.roundQueue === undefined ? {} : { roundQueue: options.roundQueue }),
      clock,
      // The tick's sub-minute rounds: simulated time moves on at once.
      wait: async (ms) => {
        if (ms > 0) {
          clock.advance(ms);
          cloud.advance();
        }
      },
      observer: options.observer ?? SILENT_OBSERVER,
      random: jitter,
      newId: () => {
        next += 1;
        return `00000000-0000-4000-8000-${next.toString(16).padStart(12, '0')}`;
      },
    });
  };
  const h: Harness = {
    app: build(config),
    cloud,
    clock,
    ledger,
    config,
    advance(ms: number) {
      clock.advance(ms);
      cloud.advance();
    },
    takesTime(op, ms) {
      cloud.watch(op, () => clock.advance(ms));
    },
    invocation(timeoutMs) {
      const end = clock.now() + timeoutMs;
      return { getRemainingTimeInMillis: () => end - clock.now() };
    },
    redeploy(next: Config) {
      h.config = next;
      h.app = build(next);
    },
  };
  return h;
}

/** Runs ticks every `stepMs` for `totalMs`. */
export async function runFor(h: Harness, totalMs: number, stepMs = 60_000): Promise<void> {
  for (let t = 0; t < totalMs; t += stepMs) {
    h.advance(stepMs);
    await h.app.fleet.tick();
  }
}

/** A small seeded generator of numbers in [0, 1). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}
