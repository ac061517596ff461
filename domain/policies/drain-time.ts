/**
 * The `drain-time` demand policy: servers for how long the backlog will take to drain, not for
 * fixed queue thresholds.
 *
 * From the known samples of the last `rateWindowSeconds` it measures the queue's net drain rate D
 * (jobs/s it shrinks by). One server takes `workersPerServer / jobSeconds` jobs/s off the queue
 * (its `unit`; `jobSeconds` as learned from the queue, job-time.ts, the configured value until
 * then). While every worker in service was busy through the window (queue-window.ts), the
 * servers took C = inService x unit and jobs arrived at about C - D. Otherwise some workers were
 * idle, and the fall says nothing of arrivals: what the queue rose by between samples is what is
 * known to have arrived, and jobs that sat in the queue unserved (scheduled for later, held for a
 * retry) are not work a server could do now. So a job that waits a few seconds for an idle
 * worker's next poll now and then, or a few that nobody takes, no longer read as a saturated fleet
 * that must keep every server. Then:
 * - launch only when the backlog will not have drained by the time a new server could serve
 *   (`launchDelaySeconds`, learned from the ledger; with warm servers ready, the start delay
 *   learned from their starts, a minute until two are recorded, and what the pool cannot cover
 *   is sized for when a launch would serve): the backlog then, Q - D x delay, must exceed
 *   what the servers already running or on their way clear within `targetWaitSeconds`. Enough
 *   servers are asked for at once to clear it within the target and keep up with arrivals. A backlog
 *   of at most `smallBacklogPerServer` jobs per server in service launches nothing: at the edge of
 *   an idle fleet the measured arrivals are barely above capacity, and a launch for one or two jobs
 *   is paid churn (boot delay and minimum billing) that the next free workers make unnecessary;
 * - retire as soon as fewer servers still keep every sample of the stabilization window within the
 *   target wait and keep up with arrivals (an empty queue all window long: down to the floor), but
 *   never while a server started from the warm pool is still coming up and a job waited in the
 *   window: it serves within seconds, and retiring it only stops it to start it again; and never
 *   within a stabilization window of a server leaving service (or taking its next step out:
 *   stopped, back in the pool, terminated), since an empty queue watched with three busy servers
 *   says nothing of whether one keeps up. The window is `poolStabilizationSeconds` while a server
 *   started from the pool serves that had waited there `poolRestSeconds` or more: retiring it only
 *   stops it back into the pool, seconds from serving again, and it was not needed back soon the
 *   last time it went (one that was waits the whole window, so a rush does not cycle it);
 * - an `oldestAgeSeconds` over the target means the fleet is already behind: one more server than
 *   the estimate, and no retiring.
 *
 * Unknown is not zero: the caller (`demand`) holds on missing, failed or stale samples, and scale-in
 * needs a known, covered stabilization window.
 */
import type { DemandInput, DemandResult, StabilizationWindow } from '../demand-types.js';
import type { QueueSample } from '../types.js';
import type { DrainTimePolicy } from './drain-time-schema.js';
import { DEFAULT_START_DELAY_SECONDS } from './launch-delay.js';
import { readWindow } from './queue-window.js';

/** While jobs wait past the target, one more server a minute: not one more per converge. */
export const BEHIND_STEP_SECONDS = 60;

/**
 * The stabilization window a scale-in waits for: a drain-time role's `poolStabilizationSeconds`
 * (never longer than `stabilizationSeconds`) while a server on loan from the warm pool serves that
 * had waited there at least `poolRestSeconds` (retiring it only stops it back into the pool, a
 * start away); else `stabilizationSeconds`.
 */
export function stabilizationSecondsOf(input: Pick<DemandInput, 'policy' | 'fleet'>): number {
  const { policy } = input;
  const rest = input.fleet?.onLoanRestSeconds;
  if (policy.type !== 'drain-time' || rest === undefined || rest < policy.poolRestSeconds) {
    return policy.stabilizationSeconds;
  }
  return Math.min(policy.poolStabilizationSeconds, policy.stabilizationSeconds);
}

/** The queue's net drain rate (jobs/s, positive = shrinking) over the known samples of the window. */
export function drainRate(samples: readonly QueueSample[], now: number, windowSeconds: number): number {
  const known = samples.filter((s) => s.at <= now && s.at >= now - windowSeconds * 1000 && s.length !== null);
  const first = known[0];
  const last = known.at(-1);
  if (first === undefined || last === undefined || last.at <= first.at) return 0;
  return ((first.length ?? 0) - (last.length ?? 0)) / ((last.at - first.at) / 1000);
}

/** Jobs/s the queue rose by between consecutive known samples of the window: arrivals at least. */
export function riseRate(samples: readonly QueueSample[], now: number, windowSeconds: number): number {
  const known = samples.filter((s) => s.at <= now && s.at >= now - windowSeconds * 1000 && s.length !== null);
  const first = known[0];
  const last = known.at(-1);
  if (first === undefined || last === undefined || last.at <= first.at) return 0;
  let rose = 0;
  for (let i = 1; i < known.length; i += 1) {
    rose += Math.max(0, (known[i]?.length ?? 0) - (known[i - 1]?.length ?? 0));
  }
  return rose / ((last.at - first.at) / 1000);
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
  const jobSeconds = fleet.jobSeconds ?? policy.jobSeconds;
  const unit = Math.max(1, fleet.workersPerServer) / jobSeconds;
  const coldDelayS = fleet.launchDelaySeconds ?? policy.defaultLaunchDelaySeconds;
  const warmReady = fleet.warmReady ?? 0;
  const rate = drainRate(samples, input.now, policy.rateWindowSeconds);
  const rose = riseRate(samples, input.now, policy.rateWindowSeconds);
  const workers = fleet.inService * Math.max(1, fleet.workersPerServer);
  const { busy, unserved, stalled } = readWindow(
    samples,
    input.now,
    policy.rateWindowSeconds,
    workers,
    jobSeconds,
  );
  const arrivals = busy ? Math.max(fleet.inService * unit - rate, rose) : rose;
  const behind = latest.oldestAgeSeconds !== undefined && latest.oldestAgeSeconds > policy.targetWaitSeconds;
  const cap = Math.max(input.current, input.floor + policy.maxExtra);
  /** Servers that clear `backlog` within the target and keep up with arrivals (0 for none). */
  const serversFor = (backlog: number) =>
    backlog <= 0
      ? 0
      : Math.max(Math.ceil(backlog / (policy.targetWaitSeconds * unit)), Math.ceil(arrivals / unit - 1e-9));
  const length = Math.max(0, latest.length - unserved);
  const backlogAt = (delayS: number) => Math.max(0, length - rate * delayS);
  // The first servers come from the warm pool when it has some: the backlog that matters is the one
  // left when a started server serves. What the pool cannot cover arrives a launch later, sized on
  // the backlog then. So a rising queue never asks a pooled role for more than a cold one.
  const startDelayS = Math.min(coldDelayS, fleet.startDelaySeconds ?? DEFAULT_START_DELAY_SECONDS);
  const delayS = warmReady > 0 ? startDelayS : coldDelayS;
  const backlogThen = backlogAt(delayS);
  const first = serversFor(backlogThen);
  const pooled = input.current + warmReady;
  const sized =
    warmReady === 0 || first <= pooled ? first : Math.max(pooled, serversFor(backlogAt(coldDelayS)));
  const learned = fleet.jobSeconds === undefined ? '' : ` (${Math.round(jobSeconds)} s jobs, learned)`;
  const serveIn =
    warmReady > 0
      ? `start-to-serve ${Math.round(startDelayS)} s (${warmReady} warm), launch-to-serve ${Math.round(coldDelayS)} s`
      : `launch-to-serve ${Math.round(coldDelayS)} s`;
  const describe = `queue ${latest.length}${unserved > 0 ? ` (${unserved} unserved while workers idle)` : ''}, draining ${round(rate * 60)}/min, ${round(unit * 60)}/min per server${learned}, ${serveIn}`;

  // Behind: one more server, at most one a minute. Converges seconds apart (a tick, then the new
  // instances' events) must not each add one for the same waiting job.
  const justLaunched =
    fleet.newestStartingAgeSeconds !== undefined && fleet.newestStartingAgeSeconds < BEHIND_STEP_SECONDS;
  const behindWanted = justLaunched ? input.current : input.current + 1;
  const wanted = Math.max(sized, behind ? behindWanted : 0);
  const small = length <= policy.smallBacklogPerServer * fleet.inService;
  const known = (servers: number, reason: string): DemandResult => ({
    kind: 'known',
    servers,
    queueLength: latest.length,
    reason,
  });
  if (stalled && !behind) {
    return known(
      Math.max(input.current, input.floor),
      `${describe}: the queue has not moved in ${policy.rateWindowSeconds} s with a job for every worker (nobody takes them): keep ${Math.max(input.current, input.floor)}`,
    );
  }
  const launchRule = (backlogThen === 0 || small) && !behind ? 0 : Math.min(cap, wanted);
  if (launchRule === 0) {
    // Fall through to scale-in: a launch now would serve an empty queue, or jobs the running servers' next free workers take.
  } else if (wanted > input.current) {
    const servers = Math.min(cap, Math.max(input.floor, wanted));
    if (servers > input.current) {
      return known(
        servers,
        `${describe}: ${round(backlogThen)} jobs left when ${warmReady > 0 ? 'a started' : 'a new'} server could serve${behind ? `, oldest waiting ${latest.oldestAgeSeconds} s` : ''} → ${servers} servers`,
      );
    }
  }
  if (input.current <= input.floor) {
    return known(input.current, `${describe}: keep ${input.current}`);
  }
  if (behind)
    return hold(`${describe}, oldest waiting ${latest.oldestAgeSeconds} s: no retiring while behind`);
  if (!window.ok) return hold(`${describe}; ${window.reason}`);
  // A warm server started for this backlog serves within seconds: retiring it before it does, for a
  // queue that has not emptied, only stops it to start it again a tick later.
  const warmStarting = fleet.warmStarting ?? 0;
  if (warmStarting > 0 && window.lengths.some((l) => l > 0)) {
    return known(
      input.current,
      `${describe}: keep ${input.current} while ${warmStarting} started server${warmStarting === 1 ? ' is' : 's are'} not yet serving`,
    );
  }
  // Retirements a window apart: the window's empty queue was watched with the servers in service
  // then. It says nothing of whether fewer keep up once one has left (a queue that stays empty with
  // three busy servers may not with one), so the next retirement waits for a window with those left.
  const left = fleet.leftServiceSeconds;
  const span = stabilizationSecondsOf(input);
  if (left !== undefined && left < span) {
    return known(
      input.current,
      `${describe}: keep ${input.current}, a server left service ${Math.round(left)} s ago (next retirement after ${span} s with those left)`,
    );
  }
  // Never below what the launch rule asks for now: a server launched a tick ago is not retired by
  // the next one for a backlog it was launched to clear.
  const needed = Math.max(
    input.floor,
    launchRule,
    ...window.lengths.map((l) => serversFor(Math.max(0, l - unserved))),
  );
  if (needed >= input.current) {
    return known(input.current, `${describe}: keep ${input.current}`);
  }
  return known(
    needed,
    `${describe}: ${needed === 1 ? '1 server keeps' : `${needed} servers keep`} the ${policy.targetWaitSeconds} s target for ${span} s${span < policy.stabilizationSeconds ? ' (a warm server goes back to the pool)' : ''}`,
  );
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
