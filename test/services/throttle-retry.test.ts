import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ThrottlingError, TransientError } from '../../domain/errors.js';
import { SILENT_OBSERVER } from '../../domain/ports.js';
import { RetryBudget, retryThrottled } from '../../domain/services/throttle-retry.js';
import { ManualClock } from '../../fakes/fake-cloud.js';

/** A call refused `throttles` times, then answering 'ok'; the clock moves only by the waits. */
function setup(throttles: number, random: () => number) {
  const clock = new ManualClock(0);
  const waits: number[] = [];
  let calls = 0;
  const deps = {
    clock,
    observer: SILENT_OBSERVER,
    random,
    wait: async (ms: number) => {
      waits.push(ms);
      clock.advance(ms);
    },
  };
  const call = async () => {
    calls += 1;
    if (calls <= throttles) throw new ThrottlingError('RequestLimitExceeded');
    return 'ok';
  };
  return { clock, waits, deps, call, calls: () => calls };
}

describe('backing off throttled calls', () => {
  it('never waits past the budget, and answers once a try is not throttled', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 0, max: 30_000 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        async (throttles, budgetMs, jitter) => {
          const { clock, waits, deps, call, calls } = setup(throttles, () => jitter);
          const budget = new RetryBudget();
          budget.until(budgetMs);
          const outcome = await retryThrottled('test', call, deps, budget).catch((e: unknown) => e);
          expect(clock.now()).toBeLessThanOrEqual(budgetMs);
          expect(waits).toHaveLength(calls() - 1);
          if (outcome === 'ok') expect(calls()).toBe(throttles + 1);
          else expect(outcome).toBeInstanceOf(ThrottlingError);
        },
      ),
    );
  });

  it('waits a random time up to a ceiling that doubles: 0.2 s, 0.4 s, 0.8 s …', async () => {
    const { waits, deps, call } = setup(4, () => 0.5);
    await expect(retryThrottled('test', call, deps, new RetryBudget())).resolves.toBe('ok');
    expect(waits).toEqual([100, 200, 400, 800]);
  });

  it('tries anything else once: a transient error is the caller’s to handle', async () => {
    const { deps } = setup(0, () => 0.5);
    let calls = 0;
    const failing = async () => {
      calls += 1;
      throw new TransientError('503');
    };
    await expect(retryThrottled('test', failing, deps, new RetryBudget())).rejects.toBeInstanceOf(
      TransientError,
    );
    expect(calls).toBe(1);
  });
});
