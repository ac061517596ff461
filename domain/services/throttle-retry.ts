/**
 * Throttling survived: every call through a port that the outside system throttles (EC2
 * RequestLimitExceeded, ELB Throttling, DynamoDB ProvisionedThroughputExceeded, all a
 * ThrottlingError by then) is tried again after an exponential backoff with full jitter, as AWS
 * advises, but only while the wait fits: within the tick's time budget when a tick runs, within a
 * few seconds otherwise. Each backoff is counted (`ThrottledCalls`, under the stack's partition);
 * a call still throttled when the wait no longer fits fails as before, for the caller to contain.
 * Waiting is an input (a real timer in Lambda, simulated time in the fakes), and so is the jitter.
 */
import pRetry from 'p-retry';
import { ThrottlingError } from '../errors.js';
import type { Clock, Observer } from '../ports.js';
import { STACK_JOURNAL } from '../types.js';

export interface BackoffSettings {
  /** The first backoff's ceiling; each next one doubles, up to `capMs`. */
  baseMs: number;
  capMs: number;
  /** The most tries after the first. */
  retries: number;
  /** Outside a tick's budget: how long one call may keep backing off, from its first try. */
  maxElapsedMs: number;
}

/** 0.2, 0.4, 0.8, 1.6, 3.2, 5, 5 s ceilings (full jitter: a random wait up to each). */
export const DEFAULT_BACKOFF: BackoffSettings = {
  baseMs: 200,
  capMs: 5_000,
  retries: 7,
  maxElapsedMs: 10_000,
};

export interface ThrottleRetryDeps {
  clock: Clock;
  observer: Observer;
  wait: (ms: number) => Promise<void>;
  /** Numbers in [0, 1): the jitter. */
  random: () => number;
  settings?: BackoffSettings;
}

/**
 * When backing off must stop: the tick sets the end of its time budget while its rounds run, so a
 * backoff never pushes a round past it.
 */
export class RetryBudget {
  private deadline: number | undefined;

  /** Backoffs end by `deadline` (epoch ms) until {@link clear}. */
  until(deadline: number): void {
    this.deadline = deadline;
  }

  clear(): void {
    this.deadline = undefined;
  }

  /** The latest time a backoff may end for a call first tried at `startedAt`. */
  endFor(startedAt: number, maxElapsedMs: number): number {
    return this.deadline ?? startedAt + maxElapsedMs;
  }
}

/**
 * Runs `call`, backing off and trying again while it is throttled and the wait fits the budget.
 * @throws the last ThrottlingError when it no longer fits, any other error at once.
 */
export async function retryThrottled<T>(
  what: string,
  call: () => Promise<T>,
  deps: ThrottleRetryDeps,
  budget: RetryBudget,
): Promise<T> {
  const startedAt = deps.clock.now();
  // The common case costs one call and no retry machinery.
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof ThrottlingError)) throw error;
    await backOff(what, error, 1, startedAt, deps, budget);
  }
  const settings = deps.settings ?? DEFAULT_BACKOFF;
  return pRetry(call, {
    retries: settings.retries - 1,
    // The backoff waits through deps.wait (simulated time in the fakes), not p-retry's timers.
    minTimeout: 0,
    maxTimeout: 0,
    shouldRetry: (error) => error instanceof ThrottlingError,
    onFailedAttempt: async (error) => {
      if (!(error instanceof ThrottlingError) || error.retriesLeft === 0) return;
      await backOff(what, error, error.attemptNumber + 1, startedAt, deps, budget);
    },
  });
}

/**
 * Waits before try `failures + 1`: a random time up to the doubling ceiling, when it ends within
 * the budget. @throws `error` when it would not.
 */
async function backOff(
  what: string,
  error: ThrottlingError,
  failures: number,
  startedAt: number,
  deps: ThrottleRetryDeps,
  budget: RetryBudget,
): Promise<void> {
  const settings = deps.settings ?? DEFAULT_BACKOFF;
  const ceiling = Math.min(settings.capMs, settings.baseMs * 2 ** (failures - 1));
  const delayMs = Math.round(deps.random() * ceiling);
  if (settings.retries < 1 || deps.clock.now() + delayMs > budget.endFor(startedAt, settings.maxElapsedMs)) {
    deps.observer.warn('throttled, no time left to back off', { call: what, attempts: failures });
    // Thrown from p-retry's onFailedAttempt, this stops it and rejects with this (the original) error.
    throw error;
  }
  deps.observer.metric(STACK_JOURNAL, 'ThrottledCalls', 1, 'Count');
  deps.observer.info('throttled, backing off', { call: what, attempt: failures, delayMs });
  await deps.wait(delayMs);
}

/**
 * The port with every method going through {@link retryThrottled}, named `<port>.<method>` in the
 * logs. Properties that are not methods pass through unchanged.
 *
 * @example const compute = withThrottleRetry(cloud.compute, 'compute', deps, budget);
 */
export function withThrottleRetry<T extends object>(
  port: T,
  name: string,
  deps: ThrottleRetryDeps,
  budget: RetryBudget,
): T {
  return new Proxy(port, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        retryThrottled(
          `${name}.${String(prop)}`,
          () => Promise.resolve(value.apply(target, args)),
          deps,
          budget,
        );
    },
  });
}
