/**
 * One candidate on one trace: the user's job role with the candidate's policy, minimum lifetime and
 * probe interval, replayed through the simulator. The only place the tuner calls the simulator.
 */
import { WarmPoolSchema } from '../../domain/warm-pool-schema.js';
import { type Pricing, type SimRole, type SimulationSummary, simulate } from '../index.js';
import { withoutPool } from '../policies.js';
import type { TraceJob } from '../trace.js';
import type { Candidate } from './grid.js';

export type Outcome = Pick<
  SimulationSummary,
  | 'waitP50S'
  | 'waitP95S'
  | 'waitMaxS'
  | 'instanceHours'
  | 'cost'
  | 'launches'
  | 'coldLaunches'
  | 'warmStarts'
  | 'instanceCost'
  | 'interruptions'
>;

/** How candidates are bought and priced: with `spot`, above the permanent servers on Spot. */
export interface MarketRun {
  spot: boolean;
  pricing: Partial<Pricing>;
}

/** The trace a tuning run replays, and its time 0 (sim/start.ts). */
export interface Replay {
  jobs: readonly TraceJob[];
  /** Default: the simulator's, Monday 2026-03-02. */
  startAt?: number;
}

/** A sample stays useful for three probe intervals, as the config's default has it. */
const SAMPLE_AGE_PROBES = 3;

/** The role a candidate runs as. */
export function candidateRole(
  role: SimRole,
  candidate: Pick<Candidate, 'policy' | 'minLifetimeMinutes' | 'probeSeconds' | 'warmPool'>,
): SimRole {
  const probe = candidate.probeSeconds;
  const size = candidate.warmPool;
  // A swept pool size holds all day: the windows' own sizes are dropped with the role's pool.
  const pooled: SimRole =
    size === undefined
      ? role
      : size === 0
        ? withoutPool(role)
        : { ...withoutPool(role), warmPool: WarmPoolSchema.parse({ ...role.warmPool, size }) };
  const out: SimRole = {
    ...pooled,
    policy: candidate.policy,
    lifecycle: { ...role.lifecycle, minLifetimeMinutes: candidate.minLifetimeMinutes },
  };
  if (probe !== undefined && role.queue !== undefined) {
    const { everySeconds: _, ...queue } = role.queue;
    out.queue = {
      ...queue,
      ...probeSettings(probe),
      intervalSeconds: probe,
      maxSampleAgeSeconds: SAMPLE_AGE_PROBES * probe,
    };
  }
  return out;
}

/** The `queue` keys that probe every `seconds` (under a minute: rounds within the one-minute tick). */
export function probeSettings(seconds: number): { everyMinutes: number; everySeconds?: 10 | 15 | 20 | 30 } {
  if (seconds < 60) return { everyMinutes: 1, everySeconds: seconds as 10 | 15 | 20 | 30 };
  return { everyMinutes: Math.round(seconds / 60) };
}

/** Replays the trace with `role` (or the 2010 rule) and keeps the figures the tuner compares. */
export async function evaluate(
  trace: Replay,
  role: SimRole | 'seed-2010',
  market: MarketRun = { spot: false, pricing: {} },
): Promise<Outcome> {
  const { jobs, startAt } = trace;
  const { summary } = await (role === 'seed-2010'
    ? simulate({ jobs, startAt, policy: 'seed-2010', pricing: market.pricing })
    : simulate({ jobs, startAt, policy: 'default', role, spot: market.spot, pricing: market.pricing }));
  return {
    waitP50S: summary.waitP50S,
    waitP95S: summary.waitP95S,
    waitMaxS: summary.waitMaxS,
    instanceHours: summary.instanceHours,
    cost: summary.cost,
    launches: summary.launches,
    coldLaunches: summary.coldLaunches,
    warmStarts: summary.warmStarts,
    instanceCost: summary.instanceCost,
    interruptions: summary.interruptions,
  };
}
