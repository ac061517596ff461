/**
 * recommended.json: the chosen settings as a config fragment that merges over the user's config
 * (`roles.job.policy` replaces the policy, `lifecycle.minLifetimeMinutes` and the probe interval
 * are set), with its figures and the reason it was chosen under `tuning`, which fleet-pilot ignores.
 * When the current config won, the fragment holds its own settings (merging changes nothing) and
 * `tuning.keepCurrent` is true. When the candidates ran on Spot (`--spot-discount`), the fragment
 * buys Spot as they did, so its figures hold once merged. A swept pool size sets `warmPool.size`
 * and the role's windows without their own pool sizes (`windows`, as the candidate ran them).
 */
import type { RoleConfig } from '../../domain/config.js';
import { withoutPool } from '../policies.js';
import { probeSettings } from './evaluate.js';
import type { TuneResult } from './run.js';

/** How the candidates were bought: Spot above this many On-Demand servers, as the simulator ran them. */
export interface SpotRun {
  onDemandBase: number;
}

export function recommendedFragment(
  result: TuneResult,
  trace: string,
  spot?: SpotRun,
  /** The tuned role: its windows go into the fragment when a pool size was swept. */
  role?: Pick<RoleConfig, 'schedule' | 'warmPool' | 'launch'>,
) {
  const { recommended: r, seed, current } = result;
  const probe = r.candidate.probeSeconds;
  const pool = r.candidate.warmPool;
  return {
    roles: {
      job: {
        policy: r.candidate.policy,
        lifecycle: { minLifetimeMinutes: r.candidate.minLifetimeMinutes },
        // everySeconds null: probe at the whole-minute rate (the merge removes the key).
        ...(probe === undefined ? {} : { queue: { everySeconds: null, ...probeSettings(probe) } }),
        ...(spot === undefined
          ? {}
          : { launch: { market: 'spot-then-on-demand' as const, onDemandBase: spot.onDemandBase } }),
        ...(pool === undefined
          ? {}
          : {
              // null removes the pool (the merge drops the key).
              warmPool: pool === 0 ? null : { size: pool },
              ...(role === undefined
                ? {}
                : { schedule: { windows: withoutPool(role as RoleConfig).schedule.windows } }),
            }),
      },
    },
    tuning: {
      trace,
      candidate: r.label,
      keepCurrent: result.keepCurrent,
      why: result.why,
      versusCurrent: result.versusCurrent,
      waitP95S: r.waitP95S,
      cost: r.cost,
      instanceHours: r.instanceHours,
      coldLaunches: r.coldLaunches,
      warmStarts: r.warmStarts,
      vsSeed2010: {
        p95Ratio: round(r.waitP95S / Math.max(seed.waitP95S, 1e-9)),
        costRatio: round(r.cost / seed.cost),
        instanceHoursRatio: round(r.instanceHours / seed.instanceHours),
      },
      seed2010: { waitP95S: seed.waitP95S, cost: seed.cost, instanceHours: seed.instanceHours },
      current: { waitP95S: current.waitP95S, cost: current.cost, instanceHours: current.instanceHours },
      bound: {
        waitP95S: result.bound.waitP95S,
        cost: result.bound.cost,
        instanceHours: result.bound.instanceHours,
      },
    },
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
