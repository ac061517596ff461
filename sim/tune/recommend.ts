/**
 * recommended.json: the chosen candidate as a config fragment that merges over the user's config
 * (`roles.job.policy` replaces the policy, `lifecycle.minLifetimeMinutes` is set), with its figures
 * and the reason it was chosen under `tuning`, which fleet-pilot ignores. When the candidates ran
 * on Spot (`--spot-discount`), the fragment buys Spot as they did, so its figures hold once merged.
 */
import type { TuneResult } from './run.js';

/** How the candidates were bought: Spot above this many On-Demand servers, as the simulator ran them. */
export interface SpotRun {
  onDemandBase: number;
}

export function recommendedFragment(result: TuneResult, trace: string, spot?: SpotRun) {
  const { recommended: r, seed } = result;
  return {
    roles: {
      job: {
        policy: r.candidate.policy,
        lifecycle: { minLifetimeMinutes: r.candidate.minLifetimeMinutes },
        ...(spot === undefined
          ? {}
          : { launch: { market: 'spot-then-on-demand' as const, onDemandBase: spot.onDemandBase } }),
      },
    },
    tuning: {
      trace,
      candidate: r.label,
      why: result.why,
      waitP95S: r.waitP95S,
      instanceHours: r.instanceHours,
      vsSeed2010: {
        p95Ratio: round(r.waitP95S / Math.max(seed.waitP95S, 1e-9)),
        instanceHoursRatio: round(r.instanceHours / seed.instanceHours),
      },
      seed2010: { waitP95S: seed.waitP95S, instanceHours: seed.instanceHours },
      bound: { waitP95S: result.bound.waitP95S, instanceHours: result.bound.instanceHours },
    },
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
