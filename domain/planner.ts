/**
 * Decide, then act: `desiredCount` says how many servers a role should have, `plan` turns that and
 * the observed servers into actions with reasons, and `applyPlan` shows what the ledger looks like
 * once the actions are carried out (used to prove planning idempotent and by the simulator).
 * Pure: no I/O, no clock; `now` is an input.
 */
import type { RoleConfig } from './config.js';
import type { DemandResult } from './demand.js';
import { type MarketConfig, marketsFor } from './market.js';
import { drainTailMinutes } from './paid-hour.js';
import { planPool } from './pool-plan.js';
import { awaitingReplacement, replacementLaunches, retireWarned } from './rebalance.js';
import { retire, serverAge } from './retire.js';
import type {
  Action,
  BlockedAction,
  DesiredDecision,
  ObservedServer,
  Plan,
  RoleBounds,
  ServerRecord,
} from './types.js';
import { countsAsCapacity, NO_POOL, type PoolInput } from './warm-pool.js';

export interface DesiredInput {
  config: Pick<RoleConfig, 'min' | 'max'>;
  floor: { servers: number; reason: string };
  demand?: DemandResult;
  /** The operator's min/max, if set. */
  override?: RoleBounds;
  now: number;
}

/** Whether the operator's bounds record still applies (some bound of it has not ended). */
export function overrideActive(override: RoleBounds | undefined, now: number): boolean {
  return override !== undefined && (override.expiresAt === undefined || override.expiresAt > now);
}

/** When one bound stops applying: its own end, else the record's; undefined: never. */
export function boundEnd(bounds: RoleBounds, bound: 'min' | 'max'): number | undefined {
  return (bound === 'min' ? bounds.minUntil : bounds.maxUntil) ?? bounds.expiresAt;
}

/** Why one bound is held: its own reason, else the record's. */
export function boundReason(bounds: RoleBounds, bound: 'min' | 'max'): string | undefined {
  return (bound === 'min' ? bounds.minReason : bounds.maxReason) ?? bounds.reason;
}

/**
 * The operator's bounds that still apply at `now`, each by its own end; undefined when none does.
 * When only one bound is left, the record's `reason` is that bound's.
 */
export function activeBounds(bounds: RoleBounds | undefined, now: number): RoleBounds | undefined {
  if (bounds === undefined || !overrideActive(bounds, now)) return undefined;
  const { min, max, minUntil, maxUntil, minReason, maxReason, ...rest } = bounds;
  const live = (bound: 'min' | 'max') => {
    const end = boundEnd(bounds, bound);
    return end === undefined || end > now;
  };
  const keepMin = min !== undefined && live('min');
  const keepMax = max !== undefined && live('max');
  if (!keepMin && !keepMax) return undefined;
  // Both still apply: the record as it is.
  if (keepMin && keepMax) return bounds;
  const reason = boundReason(bounds, keepMin ? 'min' : 'max');
  return {
    ...(keepMin ? { min, ...(minUntil === undefined ? {} : { minUntil }) } : {}),
    ...(keepMax ? { max, ...(maxUntil === undefined ? {} : { maxUntil }) } : {}),
    ...rest,
    ...(reason === undefined ? {} : { reason }),
  };
}

/** `clamp(max(floor, demand, override.min), min, max)`, capped by `override.max`. */
export function desiredCount(input: DesiredInput): DesiredDecision {
  const { config, floor, demand, now } = input;
  const override = activeBounds(input.override, now);
  const reasons = [`schedule: ${floor.reason}`];
  if (demand !== undefined) reasons.push(`demand: ${demand.reason}`);
  let want = Math.max(floor.servers, demand?.servers ?? 0);
  if (override?.min !== undefined && override.min > want) {
    want = override.min;
    reasons.push(`override min ${override.min}${until(override, 'min')}`);
  }
  let count = Math.min(config.max, Math.max(config.min, want));
  if (count !== want) reasons.push(`clamped to [${config.min}, ${config.max}]`);
  if (override?.max !== undefined && override.max < count) {
    count = override.max;
    reasons.push(`override max ${override.max}${until(override, 'max')}`);
  }
  const decision: DesiredDecision = {
    count,
    floor: floor.servers,
    demand: demand?.servers ?? null,
    reasons,
  };
  if (demand?.kind === 'hold') decision.hold = demand.reason;
  return decision;
}

function until(override: RoleBounds, bound: 'min' | 'max'): string {
  const end = boundEnd(override, bound);
  return end === undefined ? '' : ` until ${new Date(end).toISOString()}`;
}

export interface PlanInput {
  role: string;
  now: number;
  /** With `launch`, new servers get markets that keep the role's on-demand base (market.ts). */
  config: Pick<RoleConfig, 'health' | 'lifecycle' | 'loadBalancer'> & { launch?: MarketConfig };
  desired: DesiredDecision;
  /** Every owned server of the role, as the ledger and this tick's health checks see it. */
  servers: readonly ObservedServer[];
  /** A paused role plans nothing. */
  paused?: { reason: string };
  /** The role's warm pool (domain/warm-pool.ts); without it, any warm server is stale and trimmed. */
  pool?: PoolInput;
}

/**
 * The actions that move the role's servers toward `desired`, each with its reason, and the actions
 * a rule blocked. Every action names only servers from `input.servers`.
 */
export function plan(input: PlanInput): Plan {
  const { role, now, desired, config } = input;
  const result: Plan = { role, at: now, desired, actions: [], blocked: [] };
  if (input.paused !== undefined) {
    result.blocked.push({ kind: 'launch', reason: `role ${role} is paused: ${input.paused.reason}` });
    return result;
  }
  const actions: Action[] = result.actions;
  const blocked: BlockedAction[] = result.blocked;
  // A server awaiting its replacement (rebalance.ts) is leaving: it does not count as capacity,
  // nor does a bridge (a warm server standing in for Spot servers still booting): the pool counts it.
  const warned = input.servers.filter(awaitingReplacement);
  const warnedSet = new Set(warned);
  const capacity = input.servers.filter((s) => countsAsCapacity(s) && !warnedSet.has(s));
  const bootDeadlineMs = config.health.bootDeadlineSeconds * 1000;

  // Servers that booted: healthy ones go into service, ones past their deadline are replaced.
  const failed: ObservedServer[] = [];
  for (const server of input.servers) {
    if (warned.includes(server)) continue;
    if (server.state !== 'booting' && server.state !== 'pending') continue;
    if (server.state === 'booting' && server.health?.healthy === true) {
      actions.push({ kind: 'register', serverId: server.intentId, reason: 'content health check passed' });
    } else if (serverAge(server, now) > bootDeadlineMs) {
      failed.push(server);
    }
  }
  // A failed server is replaced, unless capacity is above desired anyway: then it goes first.
  let surplus = Math.max(0, capacity.length - desired.count);
  for (const server of failed) {
    const why = `not healthy ${Math.round(serverAge(server, now) / 1000)} s after launch (deadline ${config.health.bootDeadlineSeconds} s)${
      server.health?.healthy === false ? `: ${server.health.reason}` : ''
    }`;
    if (surplus > 0 || server.bridge === true) {
      if (server.bridge !== true) surplus -= 1;
      actions.push({ kind: 'terminate', serverId: server.intentId, reason: `${why}; not needed` });
    } else {
      actions.push({ kind: 'replace', serverId: server.intentId, reason: why });
    }
  }

  // Drained servers are terminated, or go back into the warm pool (pool-plan.ts).
  const drained = input.servers
    .filter((s) => s.state === 'draining' && (s.drainUntil ?? 0) <= now)
    .map((server) => ({ server, reason: 'drain time over' }));

  if (capacity.length < desired.count) {
    const count = desired.count - capacity.length;
    actions.push(
      ...replacementLaunches(warned, count, `${capacity.length} of ${desired.count} desired servers`),
    );
  }
  assignMarkets(config.launch, capacity, failed, actions);
  const leaving = retireWarned(warned, capacity, desired.count, config);
  actions.push(...leaving.actions);
  blocked.push(...leaving.blocked);
  if (capacity.length >= desired.count && surplus > 0) {
    drained.push(...retire(input, capacity, failed, surplus, actions, blocked));
  }
  planPool({
    now,
    desired: desired.count,
    floor: desired.floor,
    servers: input.servers,
    pool: input.pool ?? NO_POOL,
    bootDeadlineSeconds: config.health.bootDeadlineSeconds,
    spot: config.launch !== undefined && config.launch.market !== 'on-demand',
    drainWaits: drainTailMinutes(config) > 0,
    actions,
    drained,
  });
  // A server drained in this plan is not registered first, only to be drained again at once.
  const draining = new Set(actions.flatMap((a) => (a.kind === 'drain' ? [a.serverId] : [])));
  result.actions = actions.filter((a) => a.kind !== 'register' || !draining.has(a.serverId));
  return result;
}

/**
 * Names the market of every server the plan starts (replacements, then launches) so that the live
 * On-Demand servers, without the failed ones going away, reach the base first. Nothing to name
 * for a role that launches On-Demand only.
 */
function assignMarkets(
  launch: MarketConfig | undefined,
  capacity: readonly ObservedServer[],
  failed: readonly ObservedServer[],
  actions: Action[],
): void {
  if (launch === undefined || launch.market === 'on-demand') return;
  const starts = actions.reduce(
    (n, a) => n + (a.kind === 'launch' ? a.count : a.kind === 'replace' ? 1 : 0),
    0,
  );
  const failing = new Set(failed);
  const markets = marketsFor(
    launch,
    capacity.filter((s) => !failing.has(s)),
    starts,
  );
  for (const action of actions) {
    if (action.kind === 'replace') action.market = markets.shift() ?? 'spot';
  }
  for (const action of actions) {
    if (action.kind === 'launch') action.markets = markets.splice(0, action.count);
  }
}

/**
 * The ledger as it will be once `plan` is carried out at `now` (launches get ids from `newId`).
 * Planning again on the result yields no new actions: planning is idempotent.
 */
export function applyPlan(
  servers: readonly ServerRecord[],
  planned: Plan,
  config: Pick<RoleConfig, 'lifecycle'>,
  newId: () => string,
): ServerRecord[] {
  const now = planned.at;
  const byId = new Map(servers.map((s) => [s.intentId, { ...s }]));
  const launch = (state: 'launching' | 'warming' = 'launching'): void => {
    const intentId = newId();
    byId.set(intentId, {
      role: planned.role,
      intentId,
      state,
      createdAt: now,
      stateSince: now,
      registered: false,
      version: 0,
    });
  };
  const move = (id: string, patch: Partial<ServerRecord>): void => {
    const server = byId.get(id);
    if (server === undefined) throw new Error(`plan names unknown server ${id}`);
    byId.set(id, { ...server, ...patch, stateSince: now, version: server.version + 1 });
  };
  for (const action of planned.actions) {
    switch (action.kind) {
      case 'launch':
        for (let i = 0; i < action.count; i += 1) launch();
        break;
      case 'register':
        move(action.serverId, { state: 'in-service', registered: true, reason: action.reason });
        break;
      case 'drain':
        move(action.serverId, {
          state: 'draining',
          registered: false,
          drainUntil: now + config.lifecycle.drainSeconds * 1000,
          reason: action.reason,
        });
        break;
      case 'terminate':
        move(action.serverId, { state: 'terminating', registered: false, reason: action.reason });
        break;
      case 'replace':
        move(action.serverId, { state: 'terminating', registered: false, reason: action.reason });
        launch();
        break;
      case 'start':
        for (const id of action.candidates.slice(0, action.count)) {
          move(id, {
            state: 'starting',
            startedAt: now,
            reason: action.reason,
            ...(action.bridge ? { bridge: true } : {}),
          });
        }
        break;
      case 'stop':
        move(action.serverId, {
          state: 'stopping',
          registered: false,
          startedAt: undefined,
          bridge: undefined,
          reason: action.reason,
        });
        break;
      case 'warm':
        for (let i = 0; i < action.count; i += 1) launch('warming');
        break;
    }
  }
  return [...byId.values()];
}
