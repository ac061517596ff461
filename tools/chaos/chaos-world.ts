/** The state a chaos scenario's world carries; its own module so the checks and the world that runs them share it. */
import type { FaultyLedger, Lifeline } from '../../fakes/faulty-ledger.js';
import type { Harness } from '../../fakes/harness.js';

/** A world: the app on the fake cloud, the faulty ledger, and what the checks saw along the way. */
export interface ChaosWorld {
  h: Harness;
  ledger: FaultyLedger;
  lifeline: Lifeline;
  faults: number;
  unowned: string[];
  /** StartInstances of an instance the ledger did not hold as `starting`, or did not own. */
  doubleStarts: string[];
  unexpected: string[];
}
