/**
 * Acting on servers through the ports: apply a plan's actions and reconcile's fixes, register,
 * drain and terminate, and retire a server on an operator's command. Every write names its intent
 * before the call it stands for, and nothing is terminated unless the ledger and EC2 agree it is
 * this stack's.
 */
import type { RoleConfig } from '../config.js';
import { ConflictError, FleetError } from '../errors.js';
import type { Ledger } from '../ports.js';
import type { Fix } from '../reconcile.js';
import { ownEntry } from '../roles.js';
import type { Action, CloudInstance, ServerRecord } from '../types.js';
import { type ActionOutcome, DEFAULT_LEASE_TTL_MS, type FleetDeps, roleConfigOf } from './fleet-deps.js';
import type { Launcher } from './launcher.js';
import { assertOwned } from './ownership.js';
import { PoolActuator } from './pool-actuator.js';
import { describe } from './reporting.js';

/** An intent whose launch is still to be made (or retried with its own ClientToken). */
function awaitsLaunch(record: ServerRecord): boolean {
  return record.state === 'launching' || record.state === 'warming';
}

export class Actuator {
  private readonly pool: PoolActuator;

  constructor(
    private readonly deps: FleetDeps,
    private readonly launcher: Launcher,
  ) {
    this.pool = new PoolActuator(deps, launcher);
  }

  /**
   * Runs one action or fix; a failure is logged and answered as an outcome, never thrown. What
   * `run` returns (e.g. a warm start that fell back to a cold launch) is the outcome's note.
   */
  async attempt(action: Action | Fix, run: () => Promise<unknown>): Promise<ActionOutcome> {
    try {
      const note = await run();
      return typeof note === 'string' ? { action, ok: true, note } : { action, ok: true };
    } catch (error) {
      this.deps.observer.warn('action failed', { action, error: describe(error) });
      return { action, ok: false, error: describe(error) };
    }
  }

  /**
   * Retires one named server now (an operator's command): deregister, drain, then terminate, under
   * the role's lease. Lifetime and billing rules do not apply; ownership rules do.
   */
  async retireServer(
    role: string,
    server: ServerRecord,
    reason: string,
    instances: readonly CloudInstance[],
    options: { paused: boolean; interruptedAt?: number },
  ): Promise<void> {
    const config = roleConfigOf(this.deps.config, role);
    const owner = `control:${this.deps.newId()}`;
    const { ledger, clock } = this.deps;
    await ledger.acquireLease(role, owner, clock.now(), this.deps.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS);
    try {
      const owned = new Map(instances.map((i) => [i.instanceId, i]));
      this.assertOwned(server, owned);
      const byId = new Map([[server.intentId, server]]);
      const interrupted = options.interruptedAt === undefined ? {} : { interruptedAt: options.interruptedAt };
      await this.drain(role, config, server, reason, byId, interrupted);
      // A paused role plans nothing, so no later converge would finish the drain: finish it now.
      const { paused } = options;
      if (paused || config.loadBalancer.type === 'none' || config.lifecycle.drainSeconds === 0) {
        const why = paused ? 'role paused: terminated right after deregistering' : 'nothing to drain';
        await this.terminate(this.server(byId, server.intentId), why, owned, byId);
      }
    } finally {
      await ledger.releaseLease(role, owner).catch(() => undefined);
    }
  }

  /**
   * Marks an in-service server with EC2's rebalance recommendation, under the role's lease: it
   * keeps serving, and the next plans start its replacement and retire it once that is in service
   * (domain/rebalance.ts).
   */
  async markRebalance(role: string, server: ServerRecord, at: number): Promise<void> {
    const owner = `spot:${this.deps.newId()}`;
    const { ledger, clock } = this.deps;
    await ledger.acquireLease(role, owner, clock.now(), this.deps.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS);
    try {
      await ledger.updateServer(role, server.intentId, server.version, {
        rebalanceAt: at,
        reason:
          'EC2 rebalance recommendation: serving until its replacement in another Spot pool is in service',
      });
    } finally {
      await ledger.releaseLease(role, owner).catch(() => undefined);
    }
  }

  async applyAction(
    role: string,
    config: RoleConfig,
    action: Action,
    byId: Map<string, ServerRecord>,
    owned: ReadonlyMap<string, CloudInstance>,
  ): Promise<string | undefined> {
    switch (action.kind) {
      case 'launch': {
        const preferred = config.launch.market === 'on-demand' ? 'on-demand' : 'spot';
        const markets = Array.from({ length: action.count }, (_, i) => action.markets?.[i] ?? preferred);
        const launched = await this.launcher.launchMany(role, config, action.reason, markets, action.avoid);
        return launched.length < action.count
          ? `${launched.length} of ${action.count} launched: EC2 had no room for the rest now`
          : undefined;
      }
      case 'register':
        return this.register(role, this.server(byId, action.serverId), action.reason);
      case 'drain':
        await this.drain(role, config, this.server(byId, action.serverId), action.reason, byId);
        return undefined;
      case 'terminate':
        await this.terminate(this.server(byId, action.serverId), action.reason, owned, byId);
        return undefined;
      case 'start':
        return this.pool.start(role, config, action, byId, owned);
      case 'stop':
        await this.pool.stop(role, config, this.server(byId, action.serverId), action.reason, byId, owned);
        return undefined;
      case 'warm':
        await this.pool.warm(role, config, action.count, action.reason);
        return undefined;
      case 'replace':
        await this.terminate(this.server(byId, action.serverId), action.reason, owned, byId);
        await this.launcher.launchNew(
          role,
          config,
          `replacing ${action.serverId}: ${action.reason}`,
          undefined,
          action.market,
        );
        return undefined;
    }
  }

  private server(byId: Map<string, ServerRecord>, id: string): ServerRecord {
    const found = byId.get(id);
    if (found === undefined) throw new FleetError(`no ledger record ${id}`);
    return found;
  }

  /** Registers and marks in service; for a server started from the pool, says how long that took. */
  private async register(role: string, server: ServerRecord, reason: string): Promise<string | undefined> {
    const lb = ownEntry(this.deps.loadBalancers, role);
    if (lb !== undefined && server.instanceId !== undefined) await lb.register([server.instanceId]);
    const now = this.deps.clock.now();
    const started = server.startedAt;
    const startSeconds = started === undefined ? undefined : Math.round((now - started) / 1000);
    const note =
      startSeconds === undefined
        ? undefined
        : `warm start: in service ${startSeconds} s after StartInstances`;
    const updated = await this.deps.ledger.updateServer(role, server.intentId, server.version, {
      state: 'in-service',
      registered: lb !== undefined,
      stateSince: now,
      // Kept after the server leaves service: launch delays are learned from it, start delays from startSeconds.
      inServiceAt: server.inServiceAt ?? now,
      ...(startSeconds === undefined ? {} : { startSeconds }),
      reason: note === undefined ? reason : `${reason}; ${note}`,
    });
    Object.assign(server, updated);
    if (started !== undefined) this.deps.observer.metric(role, 'WarmStartMs', now - started, 'Milliseconds');
    return note;
  }

  /** Marks draining, then deregisters; terminating waits for the drain (the scripts terminated first). */
  private async drain(
    role: string,
    config: RoleConfig,
    server: ServerRecord,
    reason: string,
    byId: Map<string, ServerRecord>,
    extra: Partial<ServerRecord> = {},
  ): Promise<void> {
    // Intent first: a crash after this write leaves a draining member, which reconcile deregisters.
    const now = this.deps.clock.now();
    const updated = await this.deps.ledger.updateServer(role, server.intentId, server.version, {
      state: 'draining',
      registered: false,
      drainUntil: now + config.lifecycle.drainSeconds * 1000,
      stateSince: now,
      reason,
      ...extra,
    });
    byId.set(server.intentId, updated);
    const lb = ownEntry(this.deps.loadBalancers, role);
    if (lb !== undefined && server.instanceId !== undefined) await lb.deregister([server.instanceId]);
  }

  /**
   * Marks the record terminating (intent first), then terminates, only an instance that is both in
   * the ledger and tagged for this stack in EC2's listing.
   */
  private async terminate(
    server: ServerRecord,
    reason: string,
    owned: ReadonlyMap<string, CloudInstance>,
    byId: Map<string, ServerRecord>,
  ): Promise<void> {
    const current = byId.get(server.intentId) ?? server;
    const lb = ownEntry(this.deps.loadBalancers, current.role);
    // Deregistering a non-member is harmless; a drain whose deregister failed must not leave a
    // terminated instance behind the load balancer.
    if (lb !== undefined && current.instanceId !== undefined) {
      await lb.deregister([current.instanceId]);
    }
    const updated = await this.deps.ledger.updateServer(current.role, current.intentId, current.version, {
      state: 'terminating',
      registered: false,
      stateSince: this.deps.clock.now(),
      reason,
    });
    byId.set(current.intentId, updated);
    if (current.instanceId === undefined) return;
    this.assertOwned(current, owned);
    await this.deps.compute.terminate([current.instanceId]);
  }

  private assertOwned(server: ServerRecord, owned: ReadonlyMap<string, CloudInstance>): void {
    assertOwned(server, owned);
  }

  async applyFix(
    role: string,
    fix: Fix,
    records: Map<string, ServerRecord>,
    owned: ReadonlyMap<string, CloudInstance>,
  ): Promise<void> {
    const { clock } = this.deps;
    const lb = ownEntry(this.deps.loadBalancers, role);
    const update = async (record: ServerRecord, patch: Parameters<Ledger['updateServer']>[3]) => {
      records.set(
        record.intentId,
        await this.deps.ledger.updateServer(role, record.intentId, record.version, patch),
      );
    };
    switch (fix.kind) {
      case 'update': {
        const record = this.server(records, fix.serverId);
        // A record marked terminated here names an instance EC2 no longer lists as this stack's:
        // it is not deregistered (the load balancer drops terminated instances by itself).
        await update(record, {
          ...fix.patch,
          stateSince:
            fix.patch.state !== undefined && fix.patch.state !== record.state
              ? clock.now()
              : record.stateSince,
        });
        return;
      }
      case 'resume-launch': {
        const intent = this.server(records, fix.serverId);
        const config = roleConfigOf(this.deps.config, role);
        if (intent.batchId === undefined) {
          const launched = await this.launcher.launchIntent(config, intent);
          records.set(launched.intentId, launched);
          return;
        }
        // The whole batch at once, with its first call's ClientToken and count; a fix for another
        // intent of the same batch then finds it settled.
        if (intent.instanceId !== undefined || !awaitsLaunch(intent)) return;
        const written = [...records.values()].filter((r) => r.batchId === intent.batchId);
        const batch = written.filter((r) => r.instanceId === undefined && awaitsLaunch(r));
        try {
          for (const launched of await this.launcher.resumeBatch(config, batch, written.length))
            records.set(launched.intentId, launched);
        } catch (error) {
          // The walk may have moved or closed every intent of the batch: the other fixes of this
          // converge must see that, not resume it again.
          for (const record of batch) {
            const now = await this.deps.ledger.getServer(role, record.intentId).catch(() => undefined);
            if (now === undefined) records.delete(record.intentId);
            else records.set(now.intentId, now);
          }
          throw error;
        }
        return;
      }
      case 'terminate': {
        const record = this.server(records, fix.serverId);
        // An expired intent whose instance EC2 listed late: the record never learned the instance.
        // It is ours when tagged with this record's role and intent; the ledger names it first.
        this.assertOwned({ ...record, instanceId: fix.instanceId }, owned);
        if (record.instanceId === undefined) {
          await update(record, {
            instanceId: fix.instanceId,
            reason: `${fix.instanceId} was launched for this expired intent and listed late: terminating it`,
          });
        }
        await this.deps.compute.terminate([fix.instanceId]);
        return;
      }
      case 'stop': {
        const record = this.server(records, fix.serverId);
        this.assertOwned({ ...record, instanceId: fix.instanceId }, owned);
        if (record.state !== 'stopping') {
          await update(record, { state: 'stopping', stateSince: clock.now(), reason: fix.reason });
        }
        await this.pool.stopInstance(roleConfigOf(this.deps.config, role), fix.instanceId);
        return;
      }
      case 'register':
      case 'deregister': {
        if (lb === undefined) return;
        const registered = fix.kind === 'register';
        await (registered ? lb.register([fix.instanceId]) : lb.deregister([fix.instanceId]));
        await update(this.server(records, fix.serverId), { registered });
        return;
      }
      case 'mark-orphan': {
        const now = clock.now();
        const terminateAfter = now + fix.graceMs;
        await this.deps.ledger
          .createIntent({
            role,
            intentId: `orphan-${fix.instance.instanceId}`,
            instanceId: fix.instance.instanceId,
            state: 'draining',
            createdAt: now,
            launchedAt: fix.instance.launchedAt,
            stateSince: now,
            instanceType: fix.instance.instanceType,
            ...(fix.instance.privateIp === undefined ? {} : { privateIp: fix.instance.privateIp }),
            registered: false,
            drainUntil: terminateAfter,
            orphan: true,
            reason: `${fix.reason}; terminated after ${new Date(terminateAfter).toISOString()} unless claimed`,
            version: 0,
          })
          .catch((error: unknown) => {
            if (!(error instanceof ConflictError)) throw error;
          });
        return;
      }
    }
  }
}
