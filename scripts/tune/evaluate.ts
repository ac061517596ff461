/**
 * One candidate on one trace: the user's job role with the candidate's policy and minimum lifetime,
 * replayed through the simulator. The only place the tuner calls the simulator.
 */
import { type SimRole, type SimulationSummary, simulate } from '../lib/simulator.js';
import type { TraceJob } from '../lib/trace.js';
import type { Candidate } from './grid.js';

export type Outcome = Pick<
  SimulationSummary,
  'waitP50S' | 'waitP95S' | 'waitMaxS' | 'instanceHours' | 'launches'
>;

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
export async function evaluate(jobs: readonly TraceJob[], role: SimRole | 'seed-2010'): Promise<Outcome> {
  const { summary } = await (role === 'seed-2010'
    ? simulate({ jobs, policy: 'seed-2010' })
    : simulate({ jobs, policy: 'default', role }));
  return {
    waitP50S: summary.waitP50S,
    waitP95S: summary.waitP95S,
    waitMaxS: summary.waitMaxS,
    instanceHours: summary.instanceHours,
    launches: summary.launches,
  };
}
