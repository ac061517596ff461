/**
 * The warm pool's part of a plan, pure: a shortfall is met by starting warm servers before any
 * cold launch; a Spot role bridges a burst with warm On-Demand servers while its Spot launches
 * boot, and sends them back once the Spot servers are in service; a drained server goes back into
 * the pool while it is below its size; ready warming servers are stopped; the pool is filled,
 * trimmed and refreshed a few servers at a time, never emptying it while fresh servers warm.
 */
import { serverAge } from './retire.js';
import type { Action, Market, ObservedServer } from './types.js';
import { CAPACITY_STATES } from './types.js';
import {
  countsAsCapacity,
  type PoolInput,
  type PoolLaunchSettings,
  returnsToPool,
  type Staleness,
  staleness,
} from './warm-pool.js';

export interface PoolPlanInput {
  now: number;
  /** The role's desired count, and its schedule floor (what serves beyond it is a burst). */
  desired: number;
  floor: number;
  servers: readonly ObservedServer[];
  pool: PoolInput;
  bootDeadlineSeconds: number;
  /** Whether the role launches Spot (its bursts are bridged with warm On-Demand servers). */
  spot: boolean;
  /** Whether a drained server waits out a drain time (a load balancer to leave) before it goes. */
  drainWaits: boolean;
  /** The plan's actions so far (its launch is split into starts and launches); appended to. */
  actions: Action[];
  /** Servers whose drain is over (or that had nothing to drain): each is stopped or terminated. */
  drained: readonly { server: ObservedServer; reason: string }[];
}

/**
 * The warm servers a start may take, in the order it takes them: fresh ones first, then ones only
 * past their age or release (still better than a cold launch), oldest first; with every warm
 * server's staleness.
 */
export function startCandidates<S extends ObservedServer>(
  servers: readonly S[],
  pool: PoolLaunchSettings,
  now: number,
): { warm: S[]; stale: Map<string, Staleness>; candidates: S[] } {
  const warm = servers.filter((s) => s.state === 'warm' && s.instanceId !== undefined);
  const stale = new Map(warm.map((s) => [s.intentId, staleness(s, pool, now)]));
  const fresh = (s: S) => isFresh(stale, s);
  const candidates = [
    ...warm.filter(fresh).sort(oldest),
    ...warm.filter((s) => !fresh(s) && stale.get(s.intentId)?.unstartable === false).sort(oldest),
  ];
  return { warm, stale, candidates };
}

/** Oldest first, by launch intent; ties by intent id. */
function oldest(a: ObservedServer, b: ObservedServer): number {
  return a.createdAt - b.createdAt || a.intentId.localeCompare(b.intentId);
}

/** Current in every respect (a server without a staleness entry counts as fresh). */
function isFresh(stale: ReadonlyMap<string, { reasons: string[] }>, server: ObservedServer): boolean {
  return (stale.get(server.intentId)?.reasons.length ?? 0) === 0;
}

/** Adds the pool's actions to `input.actions` (see the file's comment). */
export function planPool(input: PoolPlanInput): void {
  const { pool, now, actions } = input;
  const { warm, stale, candidates } = startCandidates(input.servers, pool, now);
  const started = startForShortfall(input, candidates);
  const freshStarts = started.filter((id) => stale.get(id)?.reasons.length === 0).length;
  const bridged = bridge(input, candidates.slice(started.length), started.length);
  started.push(...bridged);
  const drained = [...input.drained, ...returnBridges(input)];
  // Servers out of the pool that come back to it: the pool counts them instead of refilling. Those
  // whose drain is over in this plan are counted below, as stopped into it.
  const finishing = new Set(drained.map((d) => d.server.intentId));
  const loaned = onLoan(input, freshStarts, finishing) + bridgesOut(input, finishing) + bridged.length;

  // What the pool holds once this plan is carried out (starts taken out, stops put in).
  const taken = new Set(started);
  const ready = warm.filter((s) => !taken.has(s.intentId));
  const coming: ObservedServer[] = input.servers.filter((s) => s.state === 'stopping');
  const size = pool.size;
  for (const server of input.servers) {
    if (server.state !== 'warming') continue;
    // A launch EC2 has not reported yet cannot be stopped or terminated: it counts as on its way.
    if (server.instanceId === undefined) {
      coming.push(server);
      continue;
    }
    const readyNow = server.health?.healthy === true;
    if (size > 0 && readyNow) {
      actions.push({ kind: 'stop', serverId: server.intentId, reason: 'ready: stopping into the warm pool' });
      coming.push(server);
    } else if (size === 0) {
      actions.push({
        kind: 'terminate',
        serverId: server.intentId,
        reason: `warming, not wanted: ${pool.reason}`,
      });
    } else if (serverAge(server, now) > input.bootDeadlineSeconds * 1000) {
      const why = server.health?.healthy === false ? `: ${server.health.reason}` : '';
      actions.push({
        kind: 'terminate',
        serverId: server.intentId,
        reason: `not ready ${Math.round(serverAge(server, now) / 1000)} s after launch (deadline ${input.bootDeadlineSeconds} s)${why}`,
      });
    } else {
      coming.push(server);
    }
  }
  for (const { server, reason } of drained) {
    const back = returnsToPool(server, input.pool, input.now) && ready.length + coming.length < size;
    const next: Action = back
      ? { kind: 'stop', serverId: server.intentId, reason: `${reason}: back into the warm pool` }
      : { kind: 'terminate', serverId: server.intentId, reason };
    // Right after its drain when drained in this plan.
    const drainedAt = actions.findIndex((a) => a.kind === 'drain' && a.serverId === server.intentId);
    actions.splice(drainedAt < 0 ? actions.length : drainedAt + 1, 0, next);
    if (back) coming.push(server);
  }
  keep(input, ready, coming, stale, loaned);
  // A start falls back to the next warm server when one fails: never to one this plan terminates
  // (trimmed above the size), which would be started and then terminated by the same converge.
  const ending = new Set(actions.flatMap((a) => (a.kind === 'terminate' ? [a.serverId] : [])));
  for (const action of actions) {
    if (action.kind === 'start') action.candidates = action.candidates.filter((id) => !ending.has(id));
  }
}

/**
 * Pool servers serving a burst that scale-in will put back: started from the pool (this plan's
 * fresh starts included), ones a drain returns (`returnsToPool`), and no more than the role serves
 * beyond its schedule floor; and those already draining on their way back (drained by this plan
 * or before: a role with a load balancer drains for its drain time). The pool counts them instead of warming replacements, so a
 * burst costs no launch and its end no termination; servers serving the floor are for good, and
 * the pool is refilled behind them. `finishing`: drained in this plan, counted as stopped instead.
 */
function onLoan(input: PoolPlanInput, startedNow: number, finishing: ReadonlySet<string>): number {
  if (input.pool.settings?.returnOnScaleIn !== true) return 0;
  const draining = new Set(input.actions.flatMap((a) => (a.kind === 'drain' ? [a.serverId] : [])));
  const leaving = (s: ObservedServer) => s.state === 'draining' || draining.has(s.intentId);
  // Serving or on its way back: the ledger's ended servers are not looked at (returnsToPool weighs
  // staleness, and the history is long).
  const lent = input.servers.filter(
    (s) =>
      (countsAsCapacity(s) || leaving(s)) &&
      s.startedAt !== undefined &&
      s.bridge !== true &&
      !finishing.has(s.intentId) &&
      returnsToPool(s, input.pool, input.now),
  );
  const serving = lent.filter((s) => countsAsCapacity(s) && !leaving(s)).length;
  const back = lent.filter(leaving).length;
  return Math.min(serving + startedNow, Math.max(0, input.desired - input.floor)) + back;
}

/** Bridges out of the pool (serving, or draining on their way back), but those stopped by this plan. */
function bridgesOut(input: PoolPlanInput, finishing: ReadonlySet<string>): number {
  return input.servers.filter(
    (s) =>
      s.bridge === true &&
      !finishing.has(s.intentId) &&
      (CAPACITY_STATES.has(s.state) || s.state === 'draining'),
  ).length;
}

/**
 * Splits the plan's launches: On-Demand servers come from the pool first, the rest are launched.
 * A launch that must keep out of a Spot pool (a rebalance replacement) stays as it is.
 */
function startForShortfall(input: PoolPlanInput, candidates: readonly ObservedServer[]): string[] {
  const { actions } = input;
  const taken: string[] = [];
  for (let at = 0; at < actions.length; at += 1) {
    const launch = actions[at];
    const left = candidates.slice(taken.length);
    if (launch?.kind !== 'launch' || launch.avoid !== undefined || left.length === 0) continue;
    const markets: Market[] = launch.markets ?? Array.from({ length: launch.count }, () => 'on-demand');
    const starts = Math.min(left.length, markets.filter((m) => m === 'on-demand').length);
    if (starts === 0) continue;
    const rest = [...markets];
    for (let n = 0; n < starts; n += 1) rest.splice(rest.indexOf('on-demand'), 1);
    const replacement: Action[] = [
      {
        kind: 'start',
        count: starts,
        candidates: left.map((s) => s.intentId),
        reason: `${launch.reason}: ${starts} from the warm pool`,
        fallback: 'launch',
      },
    ];
    if (rest.length > 0) {
      replacement.push({
        kind: 'launch',
        count: rest.length,
        reason: `${launch.reason}: ${rest.length} launched`,
        ...(launch.markets === undefined ? {} : { markets: rest }),
      });
    }
    actions.splice(at, 1, ...replacement);
    at += replacement.length - 1;
    taken.push(...left.slice(0, starts).map((s) => s.intentId));
  }
  return taken;
}

/**
 * A Spot role's burst: warm On-Demand servers serve now while its Spot launches boot. As many are
 * started as the role is short of servers in service or already started from the pool.
 */
function bridge(input: PoolPlanInput, candidates: readonly ObservedServer[], startedNow: number): string[] {
  if (!input.spot || candidates.length === 0) return [];
  const fast = input.servers.filter(
    (s) =>
      countsAsCapacity(s) &&
      (s.state === 'in-service' || s.state === 'starting' || s.startedAt !== undefined),
  ).length;
  const bridges = input.servers.filter((s) => s.bridge === true && CAPACITY_STATES.has(s.state)).length;
  const count = Math.min(candidates.length, input.desired - fast - startedNow - bridges);
  if (count <= 0) return [];
  input.actions.push({
    kind: 'start',
    count,
    candidates: candidates.map((s) => s.intentId),
    reason: `${count} warm On-Demand server(s) bridge the burst while Spot servers boot`,
    fallback: 'none',
    bridge: true,
  });
  return candidates.slice(0, count).map((s) => s.intentId);
}

/** Bridges no longer needed: the Spot servers they stood in for are in service. */
function returnBridges(input: PoolPlanInput): { server: ObservedServer; reason: string }[] {
  const inService = input.servers.filter((s) => countsAsCapacity(s) && s.state === 'in-service').length;
  const bridges = input.servers.filter((s) => s.bridge === true && CAPACITY_STATES.has(s.state));
  let surplus = bridges.length - Math.max(0, input.desired - inService);
  const drained: { server: ObservedServer; reason: string }[] = [];
  for (const server of bridges) {
    if (surplus <= 0) break;
    if (server.state !== 'in-service') continue;
    surplus -= 1;
    const reason = `${inService} of ${input.desired} servers in service without bridges: bridge no longer needed`;
    input.actions.push({ kind: 'drain', serverId: server.intentId, reason });
    if (!input.drainWaits) drained.push({ server, reason: 'bridge drained' });
  }
  return drained;
}

/**
 * Trims the pool to its size (stale servers first) only from ready servers above it, so a refresh
 * never leaves fewer ready than the size; fills it with fresh launches, at most `refreshPerTick`
 * beyond the size while stale servers wait for their replacements.
 */
function keep(
  input: PoolPlanInput,
  ready: ObservedServer[],
  coming: readonly ObservedServer[],
  stale: ReadonlyMap<string, { reasons: string[] }>,
  loaned: number,
): void {
  const { pool, actions } = input;
  const size = pool.size;
  const fresh = (s: ObservedServer) => isFresh(stale, s);
  const order = [...ready.filter((s) => !fresh(s)).sort(oldest), ...ready.filter(fresh).sort(oldest)];
  for (const server of order.slice(0, Math.max(0, ready.length - size))) {
    const why = stale.get(server.intentId)?.reasons.join('; ') ?? '';
    actions.push({
      kind: 'terminate',
      serverId: server.intentId,
      reason: why === '' ? `warm pool above its size ${size} (${pool.reason})` : `stale warm server: ${why}`,
    });
    ready.splice(ready.indexOf(server), 1);
  }
  const comingFresh = coming.filter((s) => staleness(s, pool, input.now).reasons.length === 0).length;
  const freshCount = ready.filter(fresh).length + comingFresh + loaned;
  const total = ready.length + coming.length + loaned;
  const surge = pool.settings?.refreshPerTick ?? 0;
  const count = Math.min(size - freshCount, size + surge - total);
  if (count > 0) {
    const out = loaned > 0 ? `, ${loaned} serving a burst` : '';
    actions.push({
      kind: 'warm',
      count,
      reason: `warm pool: ${freshCount - loaned} fresh of ${size}${out} (${pool.reason})`,
    });
  }
}
