/**
 * A ledger that counts its calls: each is one DynamoDB request on the real ledger (a large query
 * pages, which a steady fleet's never does). For the tests and the benchmark that state what a
 * tick costs in AWS calls.
 */
import type { Ledger } from '../domain/ports.js';

export interface CallCounter {
  /** Calls so far, by ledger method. */
  readonly byMethod: Map<string, number>;
  total(): number;
  reset(): void;
}

/** Wraps `ledger`; every method call is counted in the returned counter. */
export function countingLedger(ledger: Ledger): { ledger: Ledger; calls: CallCounter } {
  const byMethod = new Map<string, number>();
  const calls: CallCounter = {
    byMethod,
    total: () => [...byMethod.values()].reduce((a, b) => a + b, 0),
    reset: () => byMethod.clear(),
  };
  const counted = new Proxy(ledger, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        byMethod.set(String(prop), (byMethod.get(String(prop)) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  });
  return { ledger: counted, calls };
}
