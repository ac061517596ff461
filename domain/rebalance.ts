/**
 * EC2's rebalance recommendation: a Spot server at elevated risk of interruption, not yet told to
 * go. The server keeps serving while a replacement starts in another Spot pool (another instance
 * type or subnet of the role's launch choices, when it has several), and it is retired once the
 * role's other servers in service reach the desired count. Until then it does not count toward
 * the role's capacity, so the plan's launch is its replacement. A real interruption notice retires
 * it at once (triggers.ts); a paused role plans nothing, so it keeps serving until resumed.
 * Pure: no I/O, no clock.
 */
import { poolOf } from './market.js';
import { drainTailMinutes, type PaidHourSettings } from './paid-hour.js';
import type { Action, BlockedAction, ServerRecord } from './types.js';

/** In service, with EC2's rebalance recommendation: serving until its replacement is. */
export function awaitingReplacement(server: ServerRecord): boolean {
  return server.state === 'in-service' && server.rebalanceAt !== undefined;
}

function label(server: ServerRecord): string {
  return server.instanceId ?? `intent ${server.intentId}`;
}

/**
 * The launches for `count` missing servers when `warned` servers await replacement: one launch
 * per warned server (up to `count`), each keeping out of that server's pool, then the rest.
 */
export function replacementLaunches(
  warned: readonly ServerRecord[],
  count: number,
  reason: string,
): Action[] {
  const launches: Action[] = [];
  for (const server of warned.slice(0, count)) {
    const avoid = poolOf(server);
    launches.push({
      kind: 'launch',
      count: 1,
      reason: `replacing ${label(server)} before it retires (EC2 rebalance recommendation), in another Spot pool`,
      ...(avoid === undefined ? {} : { avoid }),
    });
  }
  if (count > launches.length) launches.push({ kind: 'launch', count: count - launches.length, reason });
  return launches;
}

/**
 * Retires the warned servers once the role's other servers in service reach `desired` (the
 * replacements are in service, or fewer servers are wanted now); until then each waits, said as
 * a blocked retire. Lifetime and billing rules do not apply: the server is at risk anyway.
 */
export function retireWarned(
  warned: readonly ServerRecord[],
  others: readonly ServerRecord[],
  desired: number,
  config: PaidHourSettings,
): { actions: Action[]; blocked: BlockedAction[] } {
  const actions: Action[] = [];
  const blocked: BlockedAction[] = [];
  const inService = others.filter((s) => s.state === 'in-service').length;
  const situation = `${inService} of ${desired} desired servers in service without it`;
  for (const server of warned) {
    if (inService < desired) {
      blocked.push({
        kind: 'retire',
        serverId: server.intentId,
        reason: `${label(server)} retires once its replacement is in service (EC2 rebalance recommendation): ${situation}`,
      });
      continue;
    }
    const reason = `EC2 rebalance recommendation: replaced, ${situation}`;
    actions.push({ kind: 'drain', serverId: server.intentId, reason });
    if (drainTailMinutes(config) === 0)
      actions.push({ kind: 'terminate', serverId: server.intentId, reason: 'nothing to drain' });
  }
  return { actions, blocked };
}
