/**
 * What every chaos run must keep true, checked at the end of the run and, for ownership and
 * intent-first, at every call:
 *
 * - leaked: alive instances tagged for the stack with no non-terminated ledger record (must be 0);
 * - doubleLaunch: launch intents with more than one instance (must be 0);
 * - unownedTerminations: TerminateInstances naming an instance not tagged for the stack, not in
 *   the ledger at that instant, or an orphan before its grace (must be 0), with instances of
 *   another stack and hand-launched orphans in the world to make this bite;
 * - RunInstances only for an intent already written;
 * - doubleStart: StartInstances naming an instance the ledger did not hold as `starting` at that
 *   instant, or did not own (must be 0); StopInstances likewise needs `stopping`, or it counts as
 *   an unowned termination would;
 * - converged: once faults stop, alive capacity per role equals the desired count of a dry-run
 *   converge, every warm pool server is stopped and the pool needs nothing (`unsettled` says why
 *   not). A stopped server the ledger forgot is leaked, so none is lost.
 */

import { DEFAULT_RECONCILE_SETTINGS } from '../../domain/reconcile.js';
import type { ServerRecord } from '../../domain/types.js';
import type { FakeInstance } from '../../fakes/fake-cloud.js';
import type { Harness } from '../../fakes/harness.js';
import type { ChaosWorld } from './chaos-world.js';
import { ROLES } from './scenario.js';

export interface RunReport {
  faults: number;
  leaked: string[];
  doubleLaunch: string[];
  unownedTerminations: string[];
  doubleStart: string[];
  converged: boolean;
  /** Why the run did not converge, or errors no port contract allows (e.g. a TypeError). */
  problems: string[];
  settleMinutes: number;
}

/** Whether a run broke any invariant. */
export function failed(report: RunReport): boolean {
  return (
    report.leaked.length > 0 ||
    report.doubleLaunch.length > 0 ||
    report.unownedTerminations.length > 0 ||
    report.doubleStart.length > 0 ||
    !report.converged ||
    report.problems.length > 0
  );
}

/**
 * Why RunInstances for this intent (or for each intent of this batch) now breaks intent-first, or
 * undefined when every intent it may launch is written (and, but for a replay, still waiting).
 */
export function launchWithoutIntent(
  world: ChaosWorld,
  args: { intentId?: string; batchId?: string; count?: number; role: string },
): string | undefined {
  const records = world.ledger.records().filter((r) => r.role === args.role);
  if (args.batchId !== undefined) {
    const batch = records.filter((r) => r.batchId === args.batchId);
    const indexes = new Set(batch.map((r) => r.batchIndex));
    for (let i = 0; i < (args.count ?? 1); i += 1) {
      if (!indexes.has(i))
        return `RunInstances for batch ${args.batchId} before intent ${i} of ${args.count} was written`;
    }
    if (!batch.some((r) => r.state === 'launching' || r.state === 'warming'))
      return `RunInstances for batch ${args.batchId} with no intent of it waiting for a launch`;
    return undefined;
  }
  const intent = records.find((r) => r.intentId === args.intentId);
  // A launch for the warm pool is written as `warming`: its intent, like `launching` for any other.
  if (intent === undefined || (intent.state !== 'launching' && intent.state !== 'warming')) {
    return `RunInstances for intent ${args.intentId} before its intent was written (ledger: ${intent?.state ?? 'none'})`;
  }
  return undefined;
}

/**
 * The stack's instance `instanceId` and the one ledger record naming it, or why there is no such
 * pair (no instance, another stack's, no record, several records).
 */
function stackInstanceRecord(
  world: ChaosWorld,
  instanceId: string,
): { instance: FakeInstance; record: ServerRecord } | string {
  const { cloud } = world.h;
  const instance = cloud.instances.get(instanceId);
  if (instance === undefined) return `${instanceId}: no such instance`;
  if (instance.stack !== cloud.stack) return `${instanceId}: tagged for stack ${instance.stack}`;
  const naming = world.ledger.records().filter((r) => r.instanceId === instanceId);
  const [record] = naming;
  if (record === undefined) return `${instanceId}: not in the ledger`;
  if (naming.length > 1) {
    return `${instanceId}: named by ${naming.length} ledger records (${naming.map((r) => r.intentId).join(', ')})`;
  }
  return { instance, record };
}

/** Why terminating `instanceId` now would not be ours to do, or undefined when it is. */
export function ownershipProblem(world: ChaosWorld, instanceId: string): string | undefined {
  const found = stackInstanceRecord(world, instanceId);
  if (typeof found === 'string') return found;
  const { instance, record } = found;
  if (record.role !== instance.role)
    return `${instanceId}: a ${instance.role} instance, ledger says ${record.role}`;
  if (!record.orphan && instance.intentId !== undefined && instance.intentId !== record.intentId) {
    return `${instanceId}: launched for intent ${instance.intentId}, ledger record ${record.intentId}`;
  }
  // Measured from when the orphan was marked, not from the record's own deadline (which a bug
  // could set as easily as it could skip the grace).
  if (record.orphan && world.h.clock.now() < record.createdAt + DEFAULT_RECONCILE_SETTINGS.orphanGraceMs) {
    return `${instanceId}: orphan terminated before its grace ended`;
  }
  return undefined;
}

/**
 * Why StartInstances (`expected` 'starting') or StopInstances ('stopping') of `instanceId` now is
 * not the service's to make, or undefined when the ledger owns it and says so first.
 */
export function poolCallProblem(
  world: ChaosWorld,
  instanceId: string,
  expected: 'starting' | 'stopping',
): string | undefined {
  const found = stackInstanceRecord(world, instanceId);
  if (typeof found === 'string') return found;
  const { instance, record } = found;
  if (record.orphan === true) return `${instanceId}: an orphan`;
  if (instance.intentId !== undefined && instance.intentId !== record.intentId) {
    return `${instanceId}: launched for intent ${instance.intentId}, ledger record ${record.intentId}`;
  }
  if (record.state !== expected)
    return `${instanceId}: ${expected === 'starting' ? 'started' : 'stopped'} while the ledger says ${record.state}`;
  return undefined;
}

/** Why the fleet is not at rest, or '' when every role has exactly its desired servers in service. */
export async function unsettled(world: ChaosWorld): Promise<string> {
  const { h, ledger } = world;
  const alive = [...h.cloud.instances.values()].filter((i) => i.stack === h.cloud.stack && isAlive(i));
  for (const r of ROLES) {
    const records = (await ledger.inner.listServers(r)).filter((s) => s.state !== 'terminated');
    const moving = records.filter((s) => s.state !== 'in-service' && s.state !== 'warm');
    if (moving.length > 0)
      return `${r}: ${moving.map((s) => `${s.instanceId ?? s.intentId} ${s.state}`).join(', ')}`;
    const instances = alive.filter((i) => i.role === r);
    if (instances.length !== records.length) {
      return `${r}: ${instances.length} alive instances, ${records.length} in-service and warm records`;
    }
    for (const record of records.filter((s) => s.state === 'warm')) {
      const state = h.cloud.instances.get(record.instanceId ?? '')?.state;
      if (state !== 'stopped') return `${r}: warm ${record.instanceId} is ${state ?? 'gone'}`;
    }
  }
  for (const r of ROLES) {
    const dry = await h.app.fleet.converge(r, { trigger: 'chaos:check', dryRun: true });
    const desired = dry.plan?.desired;
    const inService = alive.filter((i) => i.role === r && i.state !== 'stopped').length;
    if (desired === undefined) return `${r}: no plan`;
    if (desired.hold !== undefined) return `${r}: holding (${desired.hold})`;
    if (inService !== desired.count) return `${r}: ${inService} alive, ${desired.count} desired`;
    if (dry.fixes.length > 0 || (dry.plan?.actions.length ?? 0) > 0) {
      return `${r}: still to do: ${[...dry.fixes.map((f) => f.action.reason), ...(dry.plan?.actions ?? []).map((a) => a.reason)].join('; ')}`;
    }
  }
  return '';
}

function isAlive(instance: FakeInstance): boolean {
  return (
    instance.state === 'pending' ||
    instance.state === 'running' ||
    instance.state === 'stopping' ||
    instance.state === 'stopped'
  );
}

/** Alive instances tagged for the stack that no non-terminated ledger record names. */
export async function leakedInstances(world: ChaosWorld): Promise<string[]> {
  const { h, ledger } = world;
  const owned = new Set<string>();
  for (const r of ROLES) {
    for (const record of await ledger.inner.listServers(r)) {
      if (record.state !== 'terminated' && record.instanceId !== undefined) owned.add(record.instanceId);
    }
  }
  return [...h.cloud.instances.values()]
    .filter((i) => i.stack === h.cloud.stack && isAlive(i) && !owned.has(i.instanceId))
    .map((i) => `${i.instanceId} (${i.role ?? 'no role'}, intent ${i.intentId ?? 'none'}, ${i.state})`);
}

/** Launch intents with more than one instance. */
export function doubleLaunches(h: Harness): string[] {
  const byIntent = new Map<string, string[]>();
  for (const instance of h.cloud.instances.values()) {
    if (instance.intentId === undefined || instance.stack !== h.cloud.stack) continue;
    byIntent.set(instance.intentId, [...(byIntent.get(instance.intentId) ?? []), instance.instanceId]);
  }
  return [...byIntent.entries()]
    .filter(([, ids]) => ids.length > 1)
    .map(([intent, ids]) => `${intent}: ${ids.join(', ')}`);
}
