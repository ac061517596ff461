/**
 * One candidate on one trace: the user's job role with the candidate's policy and minimum lifetime,
 * replayed through the simulator. The only place the tuner calls the simulator.
 */
import { type SimRole, type SimulationSummary, type SpotPricing, simulate } from '../index.js';
import type { TraceJob } from '../trace.js';
import type { Candidate } from './grid.js';

export type Outcome = Pick<
  SimulationSummary,
  'waitP50S' | 'waitP95S' | 'waitMaxS' | 'instanceHours' | 'launches' | 'instanceCost' | 'interruptions'
>;

/** How candidates are bought and priced: with `spot`, above the permanent servers on Spot. */
export interface MarketRun {
  spot: boolean;
  pricing: Partial<SpotPricing>;
}

/** The role a candidate runs as. */
export function candidateRole(
  role: SimRole,
  candidate: Pick<Candidate, 'policy' | 'minLifetimeMinutes'>,
): SimRole {
  return {
    ...role,
    policy: candidate.policy,
    lifecycle: { ...role.lifecycle, minLifetimeMinutes: candidate.minLifetimeMinutes },
  };
}

/** Replays the trace with `role` (or the 2010 rule) and keeps the figures the tuner compares. */
export async function evaluate(
  jobs: readonly TraceJob[],
  role: SimRole | 'seed-2010',
  market: MarketRun = { spot: false, pricing: {} },
): Promise<Outcome> {
  const { summary } = await (role === 'seed-2010'
    ? simulate({ jobs, policy: 'seed-2010', pricing: market.pricing })
    : simulate({ jobs, policy: 'default', role, spot: market.spot, pricing: market.pricing }));
  return {
    waitP50S: summary.waitP50S,
    waitP95S: summary.waitP95S,
    waitMaxS: summary.waitMaxS,
    instanceHours: summary.instanceHours,
    launches: summary.launches,
    instanceCost: summary.instanceCost,
    interruptions: summary.interruptions,
  };
}
