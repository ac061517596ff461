/**
 * The level-triggered backstop: compare the ledger with EC2 (instances tagged for the stack) and the
 * load balancer, and say what to fix. Pure; the converge service applies the fixes.
 *
 * A missed or duplicated event changes nothing here: every rule looks only at current state.
 */
import {
  DEFAULT_POOL_RECONCILE_SETTINGS,
  type PoolReconcileSettings,
  reconcilePoolRecord,
} from './reconcile-pool.js';
import type { CloudInstance, LoadBalancerMember, ServerRecord } from './types.js';
import { CAPACITY_STATES } from './types.js';

export interface ReconcileSettings extends Partial<PoolReconcileSettings> {
  /** A launch intent with no instance after this long is expired. */
  launchDeadlineMs: number;
  /** A record whose instance EC2 does not list is a ghost only after this long (EC2 lists lag). */
  ghostGraceMs: number;
  /** A tagged instance with no intent is terminated only after this long unclaimed. */
  orphanGraceMs: number;
}

export const DEFAULT_RECONCILE_SETTINGS: ReconcileSettings = {
  launchDeadlineMs: 10 * 60_000,
  ghostGraceMs: 5 * 60_000,
  orphanGraceMs: 30 * 60_000,
};

export interface ReconcileInput {
  role: string;
  records: readonly ServerRecord[];
  /** Instances tagged for the stack (any role); those of other roles are ignored. */
  instances: readonly CloudInstance[];
  /** Load-balancer members, or undefined when the role has no load balancer. */
  members?: readonly LoadBalancerMember[];
  now: number;
  settings: ReconcileSettings;
  /** The role's drain time: a server stopping into the warm pool may drain that long first. */
  drainSeconds?: number;
  /**
   * When `instances` were listed (taken before the call). A record whose state changed after it is
   * not judged by the listing, which may show the instance as it was before: a warm server started
   * since still listed as stopped is not a server someone stopped. The next listing judges it.
   */
  listedAt?: number;
}

export type RecordPatch = Partial<
  Pick<
    ServerRecord,
    | 'state'
    | 'instanceId'
    | 'privateIp'
    | 'launchedAt'
    | 'instanceType'
    | 'registered'
    | 'reason'
    | 'missingSince'
    | 'startedAt'
    | 'bridge'
  >
>;

export type Fix =
  /** Bring a record in line with EC2 (adopt an instance, pending → booting, gone → terminated). */
  | { kind: 'update'; serverId: string; patch: RecordPatch; reason: string }
  /** Call RunInstances again with the intent's same ClientToken (idempotent). */
  | { kind: 'resume-launch'; serverId: string; reason: string }
  /** Terminate an owned instance again (record says terminating or terminated, instance alive). */
  | { kind: 'terminate'; serverId: string; instanceId: string; reason: string }
  | { kind: 'register'; serverId: string; instanceId: string; reason: string }
  | { kind: 'deregister'; serverId: string; instanceId: string; reason: string }
  /** A tagged instance with no intent: mark it now, terminate after the grace. */
  /** The grace runs from when the mark is written (a slow round may write it well after `now`). */
  | { kind: 'mark-orphan'; instance: CloudInstance; graceMs: number; reason: string }
  /** Ask EC2 again to stop an owned instance the ledger has in (or on its way into) the warm pool. */
  | { kind: 'stop'; serverId: string; instanceId: string; reason: string };

const ALIVE = new Set<CloudInstance['state']>(['pending', 'running', 'stopping', 'stopped']);

/** What to fix for one role. Every fix names a ledger record, or (orphans) a stack-tagged instance. */
export function reconcile(input: ReconcileInput): Fix[] {
  const { role, now, settings } = input;
  const fixes: Fix[] = [];
  const mine = input.instances.filter((i) => i.role === role);
  const byInstance = new Map(mine.map((i) => [i.instanceId, i]));
  const byIntent = new Map(mine.filter((i) => i.intentId !== undefined).map((i) => [i.intentId, i]));
  const claimed = new Set<string>();

  for (const record of input.records) {
    const instance =
      record.instanceId !== undefined ? byInstance.get(record.instanceId) : byIntent.get(record.intentId);
    if (instance !== undefined) claimed.add(instance.instanceId);
    if (input.listedAt !== undefined && record.stateSince > input.listedAt) continue;
    const fix = reconcileRecord(record, instance, now, settings, input.drainSeconds ?? 0);
    if (fix !== undefined) fixes.push(fix);
  }

  for (const instance of mine) {
    if (claimed.has(instance.instanceId) || !ALIVE.has(instance.state)) continue;
    fixes.push({
      kind: 'mark-orphan',
      instance,
      graceMs: settings.orphanGraceMs,
      reason: `instance ${instance.instanceId} is tagged for this stack (role ${role}) but has no intent or record`,
    });
  }

  if (input.members !== undefined) fixes.push(...reconcileMembers(input.records, input.members, byInstance));
  return fixes;
}

function reconcileRecord(
  record: ServerRecord,
  instance: CloudInstance | undefined,
  now: number,
  settings: ReconcileSettings,
  drainSeconds: number,
): Fix | undefined {
  const serverId = record.intentId;
  if (record.state === 'terminated') {
    if (instance !== undefined && ALIVE.has(instance.state)) {
      return {
        kind: 'terminate',
        serverId,
        instanceId: instance.instanceId,
        reason: `ledger says terminated but ${instance.instanceId} is ${instance.state}`,
      };
    }
    return undefined;
  }
  if (instance === undefined) {
    if (record.instanceId === undefined) {
      if (now - record.createdAt > settings.launchDeadlineMs) {
        return {
          kind: 'update',
          serverId,
          patch: { state: 'terminated', reason: 'launch intent expired: no instance was ever seen' },
          reason: `intent stuck in ${record.state} for ${Math.round((now - record.createdAt) / 1000)} s with no instance`,
        };
      }
      // An intent given up before EC2 reported its instance is never launched again: it waits for
      // the instance (then terminated) or for the launch deadline.
      if (record.state !== 'launching' && record.state !== 'warming') return undefined;
      return { kind: 'resume-launch', serverId, reason: 'intent has no instance yet: retrying its launch' };
    }
    if (record.state !== 'terminating' && record.missingSince === undefined) {
      return {
        kind: 'update',
        serverId,
        patch: { missingSince: now },
        reason: `${record.instanceId} is not listed by EC2: a ghost if still missing after ${settings.ghostGraceMs / 1000} s`,
      };
    }
    if (record.state === 'terminating' || now - (record.missingSince ?? now) > settings.ghostGraceMs) {
      return {
        kind: 'update',
        serverId,
        patch: {
          state: 'terminated',
          registered: false,
          reason: `${record.instanceId} no longer exists in EC2`,
        },
        reason:
          record.state === 'terminating' ? 'termination finished' : `ghost: ${record.instanceId} is gone`,
      };
    }
    return undefined;
  }

  if (record.missingSince !== undefined) {
    return {
      kind: 'update',
      serverId,
      patch: { missingSince: undefined },
      reason: `${instance.instanceId} is listed again`,
    };
  }
  if (record.instanceId === undefined) {
    return {
      kind: 'update',
      serverId,
      patch: {
        ...instanceFacts(instance),
        // A warming server stays the pool's while it boots.
        state:
          record.state === 'warming' && stateFor(instance) !== 'terminating' ? 'warming' : stateFor(instance),
      },
      reason: `adopted ${instance.instanceId}, launched for this intent but never recorded`,
    };
  }
  if (instance.state === 'shutting-down' || instance.state === 'terminated') {
    if (record.state === 'terminating') return undefined;
    return {
      kind: 'update',
      serverId,
      patch: {
        state: 'terminating',
        reason: `${instance.instanceId} is ${instance.state} (not by fleet-pilot)`,
      },
      reason: `${instance.instanceId} is ${instance.state}`,
    };
  }
  const pool = reconcilePoolRecord(record, instance, now, {
    ...DEFAULT_POOL_RECONCILE_SETTINGS,
    ...definedOnly(settings),
    drainSeconds,
  });
  if (pool !== null) return pool;
  if (instance.state === 'stopping' || instance.state === 'stopped') {
    // An orphan is not ours to replace: it stays marked until its grace ends, stopped or not.
    if (record.orphan === true && record.state === 'draining') return undefined;
    if (record.state === 'terminating') {
      return { kind: 'terminate', serverId, instanceId: instance.instanceId, reason: 'retrying termination' };
    }
    return {
      kind: 'update',
      serverId,
      patch: { state: 'terminating', reason: `${instance.instanceId} was ${instance.state}: replacing it` },
      reason: `${instance.instanceId} is ${instance.state}`,
    };
  }
  if (record.state === 'terminating') {
    return { kind: 'terminate', serverId, instanceId: instance.instanceId, reason: 'retrying termination' };
  }
  if ((record.state === 'pending' || record.state === 'launching') && instance.state === 'running') {
    return {
      kind: 'update',
      serverId,
      patch: { ...instanceFacts(instance), state: 'booting' },
      reason: `${instance.instanceId} is running`,
    };
  }
  if (record.state === 'launching') {
    return {
      kind: 'update',
      serverId,
      patch: { ...instanceFacts(instance), state: 'pending' },
      reason: `${instance.instanceId} is pending`,
    };
  }
  if (record.privateIp === undefined && instance.privateIp !== undefined) {
    return {
      kind: 'update',
      serverId,
      patch: instanceFacts(instance),
      reason: 'learned the private address',
    };
  }
  return undefined;
}

function definedOnly(settings: ReconcileSettings): Partial<PoolReconcileSettings> {
  return {
    ...(settings.stopGraceMs === undefined ? {} : { stopGraceMs: settings.stopGraceMs }),
    ...(settings.startGraceMs === undefined ? {} : { startGraceMs: settings.startGraceMs }),
  };
}

function instanceFacts(instance: CloudInstance): RecordPatch {
  const facts: RecordPatch = {
    instanceId: instance.instanceId,
    launchedAt: instance.launchedAt,
    instanceType: instance.instanceType,
  };
  if (instance.privateIp !== undefined) facts.privateIp = instance.privateIp;
  return facts;
}

function stateFor(instance: CloudInstance): ServerRecord['state'] {
  if (instance.state === 'running') return 'booting';
  if (instance.state === 'pending') return 'pending';
  return 'terminating';
}

function reconcileMembers(
  records: readonly ServerRecord[],
  members: readonly LoadBalancerMember[],
  instances: ReadonlyMap<string, CloudInstance>,
): Fix[] {
  const fixes: Fix[] = [];
  const registered = new Set(members.map((m) => m.instanceId));
  for (const record of records) {
    const instanceId = record.instanceId;
    if (instanceId === undefined) continue;
    const isMember = registered.has(instanceId);
    const alive = instances.get(instanceId)?.state === 'running';
    if (record.state === 'in-service' && !isMember && alive) {
      fixes.push({
        kind: 'register',
        serverId: record.intentId,
        instanceId,
        reason: 'in service in the ledger but not registered with the load balancer',
      });
    } else if (isMember && !CAPACITY_STATES.has(record.state)) {
      fixes.push({
        kind: 'deregister',
        serverId: record.intentId,
        instanceId,
        reason: `registered with the load balancer but ${record.state} in the ledger`,
      });
    } else if (isMember && record.state !== 'in-service' && record.state !== 'booting') {
      fixes.push({
        kind: 'deregister',
        serverId: record.intentId,
        instanceId,
        reason: `registered with the load balancer before passing the content health check (${record.state})`,
      });
    }
  }
  return fixes;
}
