/**
 * Which surplus servers a plan retires: the configured order (newest-first, oldest-first, closest
 * to the end of the paid hour), the role's base that goes last, and the lifetime and billing rules
 * that hold a server back. Pure: no I/O, no clock; `now` is an input.
 */
import type { RoleConfig } from './config.js';
import { type MarketConfig, onDemandBaseServers } from './market.js';
import { drainTailMinutes, retireMinutes } from './paid-hour.js';
import type { Action, BlockedAction, DesiredDecision, ObservedServer, ServerRecord } from './types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** What retiring needs of a plan's input. */
export interface RetireInput {
  role: string;
  now: number;
  config: Pick<RoleConfig, 'lifecycle' | 'loadBalancer'> & { launch?: MarketConfig };
  desired: DesiredDecision;
}

/** Age of a server: from EC2's launch time, or from the intent while EC2 has not reported one. */
export function serverAge(server: ServerRecord, now: number): number {
  return now - (server.launchedAt ?? server.createdAt);
}

/** Minutes already used of the server's current paid hour. */
function minutesIntoPaidHour(server: ServerRecord, now: number): number {
  return Math.floor((serverAge(server, now) % HOUR) / MINUTE);
}

/** A server's name in reasons: its instance id, or its intent while EC2 has not reported one. */
function label(server: ServerRecord): string {
  return server.instanceId ?? `intent ${server.intentId}`;
}

/**
 * Drains `count` of the role's surplus servers in the configured order, reporting in `blocked`
 * each one a rule holds back. `failed` servers are being replaced and are not counted. Returns the
 * drained servers with nothing to drain: the warm pool stops or terminates them now (pool-plan.ts).
 */
export function retire(
  input: RetireInput,
  capacity: readonly ObservedServer[],
  failed: readonly ObservedServer[],
  count: number,
  actions: Action[],
  blocked: BlockedAction[],
): { server: ObservedServer; reason: string }[] {
  const done: { server: ObservedServer; reason: string }[] = [];
  const { now, config, role, desired } = input;
  const { lifecycle } = config;
  // The servers holding up the on-demand base go last, whatever the order.
  const onDemand =
    config.launch === undefined ? new Set<string>() : onDemandBaseServers(config.launch, capacity);
  // A set, not the array: a fleet with many failed boots must not make this quadratic.
  const failing = new Set(failed);
  const sorted = capacity.filter((s) => !failing.has(s)).sort(retireOrder(lifecycle.retireOrder, now));
  const order = [
    ...sorted.filter((s) => !onDemand.has(s.intentId)),
    ...sorted.filter((s) => onDemand.has(s.intentId)),
  ];
  // The last servers in that order are the role's base (its schedule floor, its on-demand base):
  // one of them goes only after every server ahead of it, never in place of one that a rule holds
  // back or that EC2 has not reported yet. Ranked by the paid hour, servers change places every
  // minute, so no one of them is permanent; holding the last-ranked could even wait forever (a
  // server whose only retiring minute is the first of its hour always ranks last then).
  const floor = lifecycle.retireOrder === 'closest-to-paid-hour-end' ? 0 : desired.floor;
  const baseSize = Math.min(order.length, Math.max(floor, onDemand.size));
  const firstBase = order.length - baseSize;
  const passedOver: ObservedServer[] = [];
  let unreported = 0;
  const waits = drainTailMinutes(config) > 0;
  let left = count;
  for (const [at, server] of order.entries()) {
    if (left === 0) break;
    if (at >= firstBase && passedOver.length > 0) {
      const base = [
        ...(floor > 0 ? [`schedule floor ${floor}`] : []),
        ...(onDemand.size > 0 ? [`on-demand base ${onDemand.size}`] : []),
      ].join(', ');
      blocked.push({
        kind: 'retire',
        serverId: server.intentId,
        reason: `retire blocked: ${role} server ${label(server)} is in the role's base of ${baseSize} (${base}): it goes only after ${passedOver.map(label).join(', ')}, ahead of it in ${lifecycle.retireOrder} order`,
      });
      break;
    }
    // A launch with no instance yet cannot be drained; it is retired once EC2 reports it.
    if (server.state === 'launching') {
      unreported += 1;
      passedOver.push(server);
      continue;
    }
    // A start from the warm pool in flight: its instance is in flux until EC2 reports it running.
    if (server.state === 'starting') {
      passedOver.push(server);
      continue;
    }
    const why = retireBlock(input, server);
    if (why !== undefined) {
      blocked.push({ kind: 'retire', serverId: server.intentId, reason: why });
      passedOver.push(server);
      continue;
    }
    left -= 1;
    const reason = `${capacity.length - failed.length} servers, ${desired.count} desired (${lifecycle.retireOrder})`;
    actions.push({ kind: 'drain', serverId: server.intentId, reason });
    if (!waits) done.push({ server, reason: 'nothing to drain' });
  }
  if (left > 0 && unreported > 0) {
    blocked.push({
      kind: 'retire',
      reason: `${Math.min(left, unreported)} surplus launch(es) not yet reported by EC2`,
    });
  }
  return done;
}

/** Why the lifetime and billing rules keep `server` from retiring now, if they do. */
function retireBlock(input: RetireInput, server: ObservedServer): string | undefined {
  const { now, role } = input;
  const { lifecycle } = input.config;
  const ageMin = Math.floor(serverAge(server, now) / MINUTE);
  if (ageMin < lifecycle.minLifetimeMinutes) {
    return `retire blocked: ${role} server ${label(server)} has run ${ageMin} of ${lifecycle.minLifetimeMinutes} minutes`;
  }
  if (lifecycle.billing !== 'hourly') return undefined;
  const used = minutesIntoPaidHour(server, now);
  // The drain and the tick that terminates after it must also end inside the paid hour.
  const { first, last, tail } = retireMinutes(input.config);
  if (used < first) {
    return `retire blocked: ${role} server ${label(server)} is ${used} minutes into its paid hour; retiring only in the last ${lifecycle.retireInLastMinutesOfHour}${tail > 0 ? ` before its ${tail}-minute drain` : ''}`;
  }
  if (used > last) {
    return `retire blocked: ${role} server ${label(server)} is ${used} minutes into its paid hour; its ${tail}-minute drain would run into the next hour`;
  }
  return undefined;
}

function retireOrder(
  order: RoleConfig['lifecycle']['retireOrder'],
  now: number,
): (a: ServerRecord, b: ServerRecord) => number {
  const started = (s: ServerRecord) => s.launchedAt ?? s.createdAt;
  const tie = (a: ServerRecord, b: ServerRecord) => a.intentId.localeCompare(b.intentId);
  switch (order) {
    case 'newest-first':
      return (a, b) => started(b) - started(a) || tie(a, b);
    case 'oldest-first':
      return (a, b) => started(a) - started(b) || tie(a, b);
    case 'closest-to-paid-hour-end': {
      const left = (s: ServerRecord) => HOUR - (serverAge(s, now) % HOUR);
      return (a, b) => left(a) - left(b) || tie(a, b);
    }
  }
}
