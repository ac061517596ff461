/**
 * Terminating many servers at once: the plan's terminations of one converge share one deregister
 * and one TerminateInstances call (it takes up to 1,000 ids), with every record marked first.
 */
import { FleetError } from '../errors.js';
import { ownEntry } from '../roles.js';
import type { Action, CloudInstance, ServerRecord } from '../types.js';
import type { ActionOutcome, FleetDeps } from './fleet-deps.js';
import { assertOwned } from './ownership.js';
import { describe } from './reporting.js';

export type TerminateAction = Extract<Action, { kind: 'terminate' }>;

function serverOf(byId: Map<string, ServerRecord>, id: string): ServerRecord {
  const found = byId.get(id);
  if (found === undefined) throw new FleetError(`no ledger record ${id}`);
  return found;
}

/**
 * The plan's terminations of one converge together: one deregister for all, each record marked
 * terminating first (intent first), then one TerminateInstances naming every owned instance.
 * Each action has its own outcome: a record that cannot be written or an instance not owned
 * fails alone; a failed call fails the actions it named (their records say terminating, so the
 * reconciler asks again).
 */
export async function terminateMany(
  deps: FleetDeps,
  role: string,
  actions: readonly TerminateAction[],
  byId: Map<string, ServerRecord>,
  owned: ReadonlyMap<string, CloudInstance>,
): Promise<ActionOutcome[]> {
  const outcomes = new Map<TerminateAction, ActionOutcome>();
  const failed = (action: TerminateAction, error: unknown) => {
    deps.observer.warn('action failed', { action, error: describe(error) });
    outcomes.set(action, { action, ok: false, error: describe(error) });
  };
  const lb = ownEntry(deps.loadBalancers, role);
  const members = actions.flatMap((a) => byId.get(a.serverId)?.instanceId ?? []);
  try {
    // Deregistering a non-member is harmless; a drain whose deregister failed must not leave a
    // terminated instance behind the load balancer.
    if (lb !== undefined && members.length > 0) await lb.deregister(members);
  } catch (error) {
    for (const action of actions) failed(action, error);
    return actions.map((a) => outcomes.get(a) as ActionOutcome);
  }
  const named: { action: TerminateAction; instanceId: string }[] = [];
  for (const action of actions) {
    try {
      const current = serverOf(byId, action.serverId);
      const updated = await deps.ledger.updateServer(role, current.intentId, current.version, {
        state: 'terminating',
        registered: false,
        stateSince: deps.clock.now(),
        reason: action.reason,
      });
      byId.set(current.intentId, updated);
      if (current.instanceId === undefined) {
        outcomes.set(action, { action, ok: true });
        continue;
      }
      assertOwned(current, owned);
      named.push({ action, instanceId: current.instanceId });
    } catch (error) {
      failed(action, error);
    }
  }
  if (named.length > 0) {
    try {
      await deps.compute.terminate(named.map((n) => n.instanceId));
      for (const { action } of named) outcomes.set(action, { action, ok: true });
    } catch (error) {
      for (const { action } of named) failed(action, error);
    }
  }
  return actions.map((a) => outcomes.get(a) as ActionOutcome);
}
