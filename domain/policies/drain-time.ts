/**
 * The `drain-time` demand policy: servers for how long the backlog will take to drain, not for
 * fixed queue thresholds.
 *
 * From the known samples of the last `rateWindowSeconds` it measures the queue's net drain rate D
 * (jobs/s it shrinks by). One server takes `workersPerServer / jobSeconds` jobs/s off the queue
 * (its `unit`), so the servers in service take C = inService x unit and jobs arrive at about
 * C - D. Then:
 * - launch only when the backlog will not have drained by the time a new server could serve
 *   (`launchDelaySeconds`, learned from the ledger): the backlog then, Q - D x delay, must exceed
 *   what the servers already running or on their way clear within `targetWaitSeconds`. Enough
 *   servers are asked for at once to clear it within the target and keep up with arrivals. A backlog
 *   of at most `smallBacklogPerServer` jobs per server in service launches nothing: at the edge of
 *   an idle fleet the measured arrivals are barely above capacity, and a launch for one or two jobs
 *   is paid churn (boot delay and minimum billing) that the next free workers make unnecessary;
 * - retire as soon as fewer servers still keep every sample of the stabilization window within the
 *   target wait and keep up with arrivals (an empty queue all window long: down to the floor);
 * - an `oldestAgeSeconds` over the target means the fleet is already behind: one more server than
 *   the estimate, and no retiring.
 *
 * Unknown is not zero: the caller (`demand`) holds on missing, failed or stale samples, and scale-in
 * needs a known, covered stabilization window.
 */
import type { DemandInput, DemandResult, StabilizationWindow } from '../demand-types.js';
import type { QueueSample } from '../types.js';
import type { DrainTimePolicy } from './drain-time-schema.js';

/** While jobs wait past the target, one more server a minute: not one more per converge. */
export const BEHIND_STEP_SECONDS = 60;

/** The queue's net drain rate (jobs/s, positive = shrinking) over the known samples of the window. */
export function drainRate(samples: readonly QueueSample[], now: number, windowSeconds: number): number {
  const known = samples.filter((s) => s.at <= now && s.at >= now - windowSeconds * 1000 && s.length !== null);
  const first = known[0];
  const last = known.at(-1);
  if (first === undefined || last === undefined || last.at <= first.at) return 0;
  return ((first.length ?? 0) - (last.length ?? 0)) / ((last.at - first.at) / 1000);
}

/**
 * Demand under a drain-time policy. `samples` are sorted, the newest (`latest`) known and fresh;
 * `window` is the stabilization window as `demand` judged it.
 */
export function drainTimeDemand(
  input: DemandInput,
  policy: DrainTimePolicy,
  latest: QueueSample & { length: number },
  samples: readonly QueueSample[],
  window: StabilizationWindow,
  hold: (reason: string) => DemandResult,
): DemandResult {
  const fleet = input.fleet ?? { inService: input.current, workersPerServer: 1 };
  const unit = Math.max(1, fleet.workersPerServer) / policy.jobSeconds;
  const delayS = fleet.launchDelaySeconds ?? policy.defaultLaunchDelaySeconds;
  const rate = drainRate(samples, input.now, policy.rateWindowSeconds);
  const arrivals = Math.max(0, fleet.inService * unit - rate);
  const behind = latest.oldestAgeSeconds !== undefined && latest.oldestAgeSeconds > policy.targetWaitSeconds;
  const cap = Math.max(input.current, input.floor + policy.maxExtra);
  /** Servers that clear `backlog` within the target and keep up with arrivals (0 for none). */
  const serversFor = (backlog: number) =>
    backlog <= 0
      ? 0
      : Math.max(Math.ceil(backlog / (policy.targetWaitSeconds * unit)), Math.ceil(arrivals / unit - 1e-9));
  const length = latest.length;
  const describe = `queue ${length}, draining ${round(rate * 60)}/min, ${round(unit * 60)}/min per server, launch-to-serve ${Math.round(delayS)} s`;

  const backlogThen = Math.max(0, length - rate * delayS);
  // Behind: one more server, at most one a minute. Converges seconds apart (a tick, then the new
  // instances' events) must not each add one for the same waiting job.
  const justLaunched =
    fleet.newestStartingAgeSeconds !== undefined && fleet.newestStartingAgeSeconds < BEHIND_STEP_SECONDS;
  const behindWanted = justLaunched ? input.current : input.current + 1;
  const wanted = Math.max(serversFor(backlogThen), behind ? behindWanted : 0);
  const small = length <= policy.smallBacklogPerServer * fleet.inService;
  if ((backlogThen === 0 || small) && !behind) {
    // Fall through to scale-in: a launch now would serve an empty queue, or jobs the running servers' next free workers take.
  } else if (wanted > input.current) {
    const servers = Math.min(cap, Math.max(input.floor, wanted));
    if (servers > input.current) {
      return {
        kind: 'known',
        servers,
        queueLength: length,
        reason: `${describe}: ${round(backlogThen)} jobs left when a new server could serve${behind ? `, oldest waiting ${latest.oldestAgeSeconds} s` : ''} → ${servers} servers`,
      };
    }
  }
  if (input.current <= input.floor) {
    return {
      kind: 'known',
      servers: input.current,
      queueLength: length,
      reason: `${describe}: keep ${input.current}`,
    };
  }
  if (behind)
    return hold(`${describe}, oldest waiting ${latest.oldestAgeSeconds} s: no retiring while behind`);
  if (!window.ok) return hold(`${describe}; ${window.reason}`);
  const needed = Math.max(input.floor, ...window.lengths.map(serversFor));
  if (needed >= input.current) {
    return {
      kind: 'known',
      servers: input.current,
      queueLength: length,
      reason: `${describe}: keep ${input.current}`,
    };
  }
  return {
    kind: 'known',
    servers: needed,
    queueLength: length,
    reason: `${describe}: ${needed} servers keep the ${policy.targetWaitSeconds} s target for ${policy.stabilizationSeconds} s`,
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
