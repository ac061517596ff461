/**
 * The reconciler's rules for the warm pool's states, pure: a stopped owned server is the pool's,
 * never an orphan to adopt or a failure to replace; a stop that did not take is asked again, one
 * stuck in `stopping` is terminated, a start that did not take puts the server back in the pool
 * (also once EC2 accepted it: a start can fail after StartInstances answers, the instance going
 * from pending back to stopped), and a warm server found running is stopped again. reconcile.ts
 * applies them.
 */
import type { CloudInstance, ServerRecord } from './types.js';

/** A fix the pool's rules ask for (a subset of reconcile.ts's `Fix`, plus `stop`). */
export type PoolFix =
  | {
      kind: 'update';
      serverId: string;
      patch: Partial<
        Pick<ServerRecord, 'state' | 'reason' | 'launchedAt' | 'privateIp' | 'startedAt' | 'bridge'>
      >;
      reason: string;
    }
  /** Ask EC2 again to stop an owned instance the ledger has in (or on its way into) the pool. */
  | { kind: 'stop'; serverId: string; instanceId: string; reason: string };

export interface PoolReconcileSettings {
  /** A `stopping` server still not stopped this long after its drain time is stuck: terminated. */
  stopGraceMs: number;
  /** A `starting` server EC2 still lists as stopped after this long did not start: back to warm. */
  startGraceMs: number;
}

export const DEFAULT_POOL_RECONCILE_SETTINGS: PoolReconcileSettings = {
  stopGraceMs: 10 * 60_000,
  startGraceMs: 2 * 60_000,
};

/**
 * The fix for a record in a pool state (`stopping`, `warm`, `starting`, or `pending` after a start)
 * whose instance EC2 lists as pending, running, stopping or stopped; `null` when the general rules
 * apply instead (any other state: a warming server someone stopped is replaced like any other).
 */
export function reconcilePoolRecord(
  record: ServerRecord,
  instance: CloudInstance,
  now: number,
  settings: PoolReconcileSettings & { drainSeconds: number },
): PoolFix | undefined | null {
  const serverId = record.intentId;
  const { instanceId, state } = instance;
  const held = now - record.stateSince;
  switch (record.state) {
    case 'stopping':
      if (state === 'stopped') {
        return {
          kind: 'update',
          serverId,
          patch: { state: 'warm', reason: `${instanceId} stopped: ready in the warm pool` },
          reason: `${instanceId} is stopped`,
        };
      }
      // Its drain hook may hold the shutdown for up to the drain time.
      if (state === 'stopping' && held > settings.drainSeconds * 1000 + settings.stopGraceMs) {
        return {
          kind: 'update',
          serverId,
          patch: {
            state: 'terminating',
            reason: `${instanceId} stuck in stopping for ${Math.round(held / 1000)} s: terminating it`,
          },
          reason: `${instanceId} stuck in stopping`,
        };
      }
      if (state === 'running' && held > 30_000) {
        return {
          kind: 'stop',
          serverId,
          instanceId,
          reason: `${instanceId} is still running: stopping it again`,
        };
      }
      return undefined;
    case 'warm':
      if (state === 'running') {
        return {
          kind: 'stop',
          serverId,
          instanceId,
          reason: `${instanceId} is warm in the ledger but running: stopping it again`,
        };
      }
      return undefined;
    case 'starting':
      if (state === 'pending' || state === 'running') {
        return {
          kind: 'update',
          serverId,
          patch: {
            state: state === 'running' ? 'booting' : 'pending',
            launchedAt: instance.launchedAt,
            ...(instance.privateIp === undefined ? {} : { privateIp: instance.privateIp }),
          },
          reason: `${instanceId} started (${state})`,
        };
      }
      return state === 'stopped' && held > settings.startGraceMs
        ? backInPool(record, instance, held)
        : undefined;
    case 'pending':
      // Started (EC2 accepted the call), yet stopping or stopped: the start did not take. The server
      // is the pool's as it was; a listing seconds after the call may not show the start yet.
      if (record.startedAt === undefined) return null;
      if (state === 'stopping') {
        return {
          kind: 'update',
          serverId,
          patch: {
            state: 'stopping',
            startedAt: undefined,
            bridge: undefined,
            reason: `${instanceId} is stopping after its start: the start did not take, back to the pool`,
          },
          reason: `${instanceId} did not start`,
        };
      }
      if (state === 'stopped')
        return held > settings.startGraceMs ? backInPool(record, instance, held) : undefined;
      return null;
    default:
      return null;
  }
}

/** A started server EC2 still (or again) lists as stopped: back in the pool, ready to start again. */
function backInPool(record: ServerRecord, instance: CloudInstance, held: number): PoolFix {
  return {
    kind: 'update',
    serverId: record.intentId,
    patch: {
      state: 'warm',
      startedAt: undefined,
      bridge: undefined,
      reason: `${instance.instanceId} still stopped ${Math.round(held / 1000)} s after its start: back in the pool`,
    },
    reason: `${instance.instanceId} did not start`,
  };
}
