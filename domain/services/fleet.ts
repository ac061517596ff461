/**
 * The converge service: under a role's lease, observe (ledger + EC2 + load balancer), reconcile,
 * health-check booting servers, decide (demand → desired → plan), act through the ports, and
 * journal the decision. Every step is safe to repeat: a retried or duplicated trigger converges to
 * the same state and launches nothing twice.
 */
import type { Config, RoleConfig } from '../config.js';
import { type DemandInput, type DemandResult, demand } from '../demand.js';
import { CapacityError, ConflictError, FleetError, LeaseHeldError, NotOwnedError } from '../errors.js';
import { desiredCount, overrideActive, plan } from '../planner.js';
import type { Clock, Compute, HealthProbe, Ledger, LoadBalancer, Observer, QueueProbe } from '../ports.js';
import { DEFAULT_RECONCILE_SETTINGS, type Fix, type ReconcileSettings, reconcile } from '../reconcile.js';
import { scheduleFloor } from '../schedule.js';
import type {
  Action,
  CloudInstance,
  DesiredDecision,
  LoadBalancerMember,
  ObservedServer,
  Plan,
  QueueSample,
  RoleOverride,
  ServerRecord,
} from '../types.js';
import { STACK_JOURNAL } from '../types.js';
import { renderUserData } from '../user-data.js';

export interface FleetDeps {
  config: Config;
  /** Stack name: tags, user data and the ledger's owner id. */
  stack: string;
  ledger: Ledger;
  compute: Compute;
  loadBalancers: Readonly<Record<string, LoadBalancer | undefined>>;
  healthProbes: Readonly<Record<string, HealthProbe>>;
  queueProbes: Readonly<Record<string, QueueProbe | undefined>>;
  clock: Clock;
  /** New unique ids (launch intents, lease owners). */
  newId: () => string;
  observer: Observer;
  reconcile?: ReconcileSettings;
  /** How long a role's lease lasts; longer than one converge may take. */
  leaseTtlMs?: number;
  /** How many servers are health-checked at once. */
  healthConcurrency?: number;
}

export interface ActionOutcome {
  action: Action | Fix;
  ok: boolean;
  error?: string;
}

export interface ConvergeResult {
  role: string;
  /** Set when another invocation held the role: nothing was done. */
  skipped?: string;
  plan?: Plan;
  fixes: ActionOutcome[];
  outcomes: ActionOutcome[];
  /** The servers after this converge, as the ledger has them. */
  servers: ServerRecord[];
}

export interface ConvergeOptions {
  /** What started this converge (journaled). */
  trigger: string;
  /** Plan and report, change nothing. */
  dryRun?: boolean;
  /** EC2's view, when the caller already listed it this tick. */
  instances?: readonly CloudInstance[];
  /** Plan with this override instead of the stored one (dry runs of control commands). */
  override?: RoleOverride;
}

/** Longer than the slowest function's timeout (control: 120 s), so a killed invocation blocks briefly. */
const DEFAULT_LEASE_TTL_MS = 150_000;

export class Fleet {
  private readonly reconcileSettings: ReconcileSettings;

  constructor(private readonly deps: FleetDeps) {
    this.reconcileSettings = deps.reconcile ?? DEFAULT_RECONCILE_SETTINGS;
  }

  get roles(): string[] {
    return Object.keys(this.deps.config.roles);
  }

  roleConfig(role: string): RoleConfig {
    const found = this.deps.config.roles[role];
    if (found === undefined) throw new FleetError(`unknown role ${role}`);
    return found;
  }

  /**
   * The periodic tick: probe every queue-driven role, then converge every role (one EC2 listing
   * for all). A role that fails does not stop the others; its error is in the result.
   */
  async tick(
    trigger = 'tick',
    options: { probe?: boolean } = {},
  ): Promise<{ results: ConvergeResult[]; errors: { role: string; error: string }[] }> {
    const errors: { role: string; error: string }[] = [];
    if (options.probe !== false) {
      // A sample that could not be read or stored must not stop any role converging: the demand
      // policy already holds on missing or stale samples.
      await Promise.all(
        this.roles.map(async (role) => {
          try {
            await this.probe(role);
          } catch (error) {
            errors.push({ role, error: `queue probe: ${describe(error)}` });
            this.deps.observer.warn('queue sample not recorded', { role, trigger, error: describe(error) });
          }
        }),
      );
    }
    const instances = await this.deps.compute.list();
    this.reportUnmanaged(instances);
    const results: ConvergeResult[] = [];
    for (const role of this.roles) {
      try {
        results.push(await this.converge(role, { trigger, instances }));
      } catch (error) {
        errors.push({ role, error: describe(error) });
        this.deps.observer.warn('converge failed', { role, trigger, error: describe(error) });
      }
    }
    return { results, errors };
  }

  /**
   * An EC2 state change: find the owning role and converge it now (the fast path to health checks
   * and registration). Level-triggered, so duplicated or out-of-order events change nothing.
   * An instance the ledger does not know is not ours: it is journaled and left alone.
   */
  async instanceChanged(instanceId: string, state: string): Promise<ConvergeResult | { ignored: string }> {
    for (const role of this.roles) {
      const records = await this.deps.ledger.listServers(role);
      if (records.some((r) => r.instanceId === instanceId)) {
        return this.converge(role, { trigger: `event:${state}:${instanceId}` });
      }
    }
    // Not recorded yet (launch in flight) or foreign: the tick's reconcile decides which.
    const ignored = `${instanceId} (${state}) is not in the ledger: left to the next reconcile`;
    this.deps.observer.info('event for an unrecorded instance', { instanceId, state });
    await this.journalRefusal('event', ignored, { instanceId, state });
    return { ignored };
  }

  /**
   * Journals input that was refused or ignored (nothing was changed), under its role when it names
   * a known one, else under the stack's own partition. Never throws: the refusal is the answer.
   */
  async journalRefusal(
    kind: 'control' | 'event',
    summary: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    const named =
      typeof detail.role === 'string' && this.roles.includes(detail.role) ? detail.role : STACK_JOURNAL;
    try {
      await this.deps.ledger.journal({ role: named, at: this.deps.clock.now(), kind, summary, detail });
    } catch (error) {
      this.deps.observer.warn('refusal not journaled', { summary, error: describe(error) });
    }
  }

  /**
   * Instances tagged for this stack whose role is not in the config (a role removed from it) are
   * never converged or reconciled: say so every tick, per role, so they are not left running unseen.
   */
  private reportUnmanaged(instances: readonly CloudInstance[]): void {
    const unmanaged = new Map<string, string[]>();
    for (const instance of instances) {
      const role = instance.role ?? '(no role tag)';
      if (this.roles.includes(role) || instance.state === 'terminated') continue;
      unmanaged.set(role, [...(unmanaged.get(role) ?? []), instance.instanceId]);
    }
    for (const [role, ids] of unmanaged) {
      this.deps.observer.warn('instances of an unconfigured role', { role, instanceIds: ids });
      this.deps.observer.metric(role, 'UnmanagedInstances', ids.length);
    }
  }

  /** Reads the role's queue once and records the sample (unknown samples too). */
  async probe(role: string): Promise<QueueSample | undefined> {
    const probe = this.deps.queueProbes[role];
    if (probe === undefined) return undefined;
    const sample = await probe.read(this.deps.clock.now());
    await this.deps.ledger.recordSample(role, sample);
    if (sample.length === null) {
      this.deps.observer.metric(role, 'QueueProbeFailures', 1, 'Count');
      this.deps.observer.warn('queue probe failed', { role, error: sample.error });
    } else {
      this.deps.observer.metric(role, 'QueueLength', sample.length, 'Count');
    }
    return sample;
  }

  /** Converges one role under its lease. Another holder → `skipped`, nothing done. */
  async converge(role: string, options: ConvergeOptions): Promise<ConvergeResult> {
    const config = this.roleConfig(role);
    const { ledger, clock } = this.deps;
    const owner = `${options.trigger}:${this.deps.newId()}`;
    if (!options.dryRun) {
      try {
        await ledger.acquireLease(role, owner, clock.now(), this.deps.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS);
      } catch (error) {
        if (error instanceof LeaseHeldError) {
          this.deps.observer.info('role busy, skipped', { role, holder: error.holder });
          return { role, skipped: error.message, fixes: [], outcomes: [], servers: [] };
        }
        throw error;
      }
    }
    try {
      return await this.convergeHeld(role, config, options);
    } finally {
      if (!options.dryRun) await ledger.releaseLease(role, owner).catch(() => undefined);
    }
  }

  private async convergeHeld(
    role: string,
    config: RoleConfig,
    options: ConvergeOptions,
  ): Promise<ConvergeResult> {
    const { ledger, clock, observer } = this.deps;
    const lb = this.deps.loadBalancers[role];
    const instances = options.instances ?? (await this.deps.compute.list());
    const members = lb === undefined ? undefined : await lb.members();
    let records = await ledger.listServers(role);

    const fixes = reconcile({
      role,
      records,
      instances,
      ...(members === undefined ? {} : { members }),
      now: clock.now(),
      settings: this.reconcileSettings,
    });
    const fixOutcomes: ActionOutcome[] = options.dryRun ? fixes.map((action) => ({ action, ok: true })) : [];
    if (!options.dryRun && fixes.length > 0) {
      // One read serves every fix; each fix keeps the map current, so a second fix of the same
      // record sees the version the first one wrote.
      const byIntent = new Map(records.map((r) => [r.intentId, r]));
      const owned = new Map(instances.map((i) => [i.instanceId, i]));
      for (const fix of fixes)
        fixOutcomes.push(await this.attempt(fix, () => this.applyFix(role, fix, byIntent, owned)));
      records = await ledger.listServers(role);
      await ledger.journal({
        role,
        at: clock.now(),
        kind: 'reconcile',
        summary: fixOutcomes
          .map((o) => `${o.action.kind}${o.ok ? '' : ' (failed)'}: ${o.action.reason}`)
          .join('; '),
        detail: { trigger: options.trigger, fixes: fixOutcomes },
      });
    }

    const now = clock.now();
    const observed = await this.healthCheck(role, records);
    const capacityNow = observed.filter((s) =>
      ['launching', 'pending', 'booting', 'in-service'].includes(s.state),
    );
    const floor = scheduleFloor(config.schedule, now);
    const samples =
      config.policy === undefined
        ? []
        : await ledger.samplesSince(
            role,
            now -
              Math.max(config.policy.stabilizationSeconds, config.queue?.maxSampleAgeSeconds ?? 0) * 1000 -
              60_000,
          );
    let demandResult: DemandResult | undefined;
    if (config.policy !== undefined && config.queue !== undefined) {
      const input: DemandInput = {
        policy: config.policy,
        queue: config.queue,
        samples,
        current: capacityNow.length,
        floor: floor.servers,
        now,
      };
      demandResult = demand(input);
      if (demandResult.kind === 'hold') {
        // Holding: keep what the last hold kept, so losing a server during an outage is repaired.
        const previousHold = await this.previousHold(role, now - config.queue.maxSampleAgeSeconds * 1000);
        if (previousHold !== undefined) demandResult = demand({ ...input, previousHold });
      }
    }
    const override = options.override ?? (await ledger.getOverride(role));
    const desired = desiredCount({
      config,
      floor,
      ...(demandResult === undefined ? {} : { demand: demandResult }),
      ...(override === undefined ? {} : { override }),
      now,
    });
    const planned = plan({
      role,
      now,
      config,
      desired,
      servers: observed,
      ...(override?.paused ? { paused: { reason: override.reason ?? 'paused by an operator' } } : {}),
    });

    const outcomes: ActionOutcome[] = [];
    if (!options.dryRun) {
      const owned = new Map(instances.map((i) => [i.instanceId, i]));
      const byId = new Map(observed.map((s) => [s.intentId, s as ServerRecord]));
      for (const action of planned.actions) {
        outcomes.push(await this.attempt(action, () => this.applyAction(role, config, action, byId, owned)));
      }
    }
    // Re-read only when something was written: a quiet tick costs no extra ledger query.
    const after = options.dryRun || outcomes.length === 0 ? records : await ledger.listServers(role);
    this.report(role, planned, outcomes, after, members, options);
    if (!options.dryRun && (planned.actions.length > 0 || planned.blocked.length > 0 || desired.hold)) {
      await ledger.journal({
        role,
        at: now,
        kind: 'plan',
        summary: summarize(planned, outcomes),
        detail: {
          trigger: options.trigger,
          desired,
          actions: outcomes,
          blocked: planned.blocked,
          override: override ?? null,
          overrideActive: overrideActive(override, now),
        },
      });
    }
    observer.info('converged', {
      role,
      trigger: options.trigger,
      dryRun: options.dryRun === true,
      desired: desired.count,
      floor: desired.floor,
      demand: desired.demand,
      hold: desired.hold,
      reasons: desired.reasons,
      actions: planned.actions,
      blocked: planned.blocked,
      failed: outcomes.filter((o) => !o.ok),
    });
    return { role, plan: planned, fixes: fixOutcomes, outcomes, servers: after };
  }

  /** The demand the newest plan held at, if it was a hold journaled at or after `since`. */
  private async previousHold(role: string, since: number): Promise<number | undefined> {
    const [last] = (await this.deps.ledger.recentJournal(role, 5)).filter((e) => e.kind === 'plan');
    if (last === undefined || last.at < since) return undefined;
    const desired = last.detail.desired as Partial<DesiredDecision> | undefined;
    return desired?.hold !== undefined && typeof desired.demand === 'number' ? desired.demand : undefined;
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
    options: { paused: boolean },
  ): Promise<void> {
    const config = this.roleConfig(role);
    const owner = `control:${this.deps.newId()}`;
    const { ledger, clock } = this.deps;
    await ledger.acquireLease(role, owner, clock.now(), this.deps.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS);
    try {
      const owned = new Map(instances.map((i) => [i.instanceId, i]));
      this.assertOwned(server, owned);
      const byId = new Map([[server.intentId, server]]);
      await this.drain(role, config, server, reason, byId);
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

  private report(
    role: string,
    planned: Plan,
    outcomes: ActionOutcome[],
    servers: ServerRecord[],
    members: readonly LoadBalancerMember[] | undefined,
    options: ConvergeOptions,
  ): void {
    if (options.dryRun) return;
    const { observer } = this.deps;
    observer.metric(role, 'Desired', planned.desired.count);
    observer.metric(role, 'InService', servers.filter((s) => s.state === 'in-service').length);
    const launches = outcomes
      .filter((o) => o.ok && (o.action.kind === 'launch' || o.action.kind === 'replace'))
      .reduce((n, o) => n + (o.action.kind === 'launch' ? o.action.count : 1), 0);
    const retirements = outcomes.filter((o) => o.ok && o.action.kind === 'drain').length;
    observer.metric(role, 'Launches', launches);
    observer.metric(role, 'Retirements', retirements);
    observer.metric(role, 'ActionFailures', outcomes.filter((o) => !o.ok).length);
    const unhealthy = planned.actions.filter(
      (a) => a.kind === 'replace' || (a.kind === 'terminate' && a.reason.startsWith('not healthy')),
    ).length;
    observer.metric(role, 'UnhealthyReplacements', unhealthy);
    if (members !== undefined) observer.metric(role, 'LoadBalancerMembers', members.length);
  }

  private async attempt(action: Action | Fix, run: () => Promise<void>): Promise<ActionOutcome> {
    try {
      await run();
      return { action, ok: true };
    } catch (error) {
      this.deps.observer.warn('action failed', { action, error: describe(error) });
      return { action, ok: false, error: describe(error) };
    }
  }

  /** Health-checks booting servers (bounded concurrency); the result rides on the observed server. */
  private async healthCheck(role: string, records: ServerRecord[]): Promise<ObservedServer[]> {
    const probe = this.deps.healthProbes[role];
    const observed: ObservedServer[] = records.map((r) => ({ ...r }));
    if (probe === undefined) return observed;
    const due = observed.filter((s) => s.state === 'booting' && s.privateIp !== undefined);
    const limit = this.deps.healthConcurrency ?? 10;
    for (let i = 0; i < due.length; i += limit) {
      await Promise.all(
        due.slice(i, i + limit).map(async (server) => {
          server.health = await probe.check(server.privateIp ?? '');
        }),
      );
    }
    return observed;
  }

  private async applyAction(
    role: string,
    config: RoleConfig,
    action: Action,
    byId: Map<string, ServerRecord>,
    owned: ReadonlyMap<string, CloudInstance>,
  ): Promise<void> {
    switch (action.kind) {
      case 'launch':
        for (let i = 0; i < action.count; i += 1) await this.launchNew(role, config, action.reason);
        return;
      case 'register':
        return this.register(role, this.server(byId, action.serverId), action.reason);
      case 'drain':
        return this.drain(role, config, this.server(byId, action.serverId), action.reason, byId);
      case 'terminate':
        return this.terminate(this.server(byId, action.serverId), action.reason, owned, byId);
      case 'replace':
        await this.terminate(this.server(byId, action.serverId), action.reason, owned, byId);
        await this.launchNew(role, config, `replacing ${action.serverId}: ${action.reason}`);
        return;
    }
  }

  private server(byId: Map<string, ServerRecord>, id: string): ServerRecord {
    const found = byId.get(id);
    if (found === undefined) throw new FleetError(`no ledger record ${id}`);
    return found;
  }

  /** Writes the intent, then launches: a crash in between is resumed or adopted, never doubled. */
  async launchNew(
    role: string,
    config: RoleConfig,
    reason: string,
    intentId = this.deps.newId(),
  ): Promise<ServerRecord> {
    const now = this.deps.clock.now();
    const record: ServerRecord = {
      role,
      intentId,
      state: 'launching',
      createdAt: now,
      stateSince: now,
      registered: false,
      reason,
      launchAttempt: 0,
      version: 0,
    };
    await this.deps.ledger.createIntent(record);
    return this.launchIntent(config, record);
  }

  /**
   * Launches (or re-launches, idempotently) the instance of an intent in `launching`, walking the
   * instance type × subnet fallbacks on capacity errors. Each attempt's ClientToken is
   * `<intentId>-<attempt>`, and the attempt is written before the call.
   */
  async launchIntent(config: RoleConfig, intent: ServerRecord): Promise<ServerRecord> {
    const { compute, ledger, clock } = this.deps;
    const options = launchOptions(config);
    let record = intent;
    for (let attempt = record.launchAttempt ?? 0; attempt < options.length; attempt += 1) {
      if ((record.launchAttempt ?? 0) !== attempt) {
        record = await ledger.updateServer(record.role, record.intentId, record.version, {
          launchAttempt: attempt,
        });
      }
      const option = options[attempt] ?? {};
      const instanceType = option.instanceType ?? config.launch.instanceTypes[0];
      const vcpus = instanceType === undefined ? 1 : await compute.vcpus(instanceType);
      const userData = renderUserData({
        role: record.role,
        dbHost: config.dbHost,
        vcpus,
        workersPerVcpu: config.workersPerVcpu,
        stack: this.deps.stack,
        intentId: record.intentId,
        drainSeconds: config.lifecycle.drainSeconds,
      });
      try {
        const instance = await compute.launch({
          role: record.role,
          intentId: record.intentId,
          clientToken: `${record.intentId}-${attempt}`,
          userData,
          ...option,
        });
        const patch: Partial<ServerRecord> = {
          instanceId: instance.instanceId,
          state: launchedState(instance.state),
          launchedAt: instance.launchedAt,
          instanceType: instance.instanceType,
        };
        if (instance.privateIp !== undefined) patch.privateIp = instance.privateIp;
        const launched = await ledger.updateServer(record.role, record.intentId, record.version, {
          ...patch,
          stateSince: clock.now(),
        });
        this.deps.observer.info('launched', { role: record.role, intentId: record.intentId, ...patch });
        return launched;
      } catch (error) {
        if (error instanceof CapacityError && attempt + 1 < options.length) {
          this.deps.observer.warn('no capacity, trying the next option', {
            role: record.role,
            intentId: record.intentId,
            tried: option,
            error: describe(error),
          });
          continue;
        }
        if (error instanceof CapacityError) {
          await ledger.updateServer(record.role, record.intentId, record.version, {
            state: 'terminated',
            stateSince: clock.now(),
            reason: `no capacity in any configured instance type and subnet: ${describe(error)}`,
          });
        }
        throw error;
      }
    }
    throw new FleetError(`intent ${record.intentId} has no launch option left`);
  }

  private async register(role: string, server: ServerRecord, reason: string): Promise<void> {
    const lb = this.deps.loadBalancers[role];
    if (lb !== undefined && server.instanceId !== undefined) await lb.register([server.instanceId]);
    const updated = await this.deps.ledger.updateServer(role, server.intentId, server.version, {
      state: 'in-service',
      registered: lb !== undefined,
      stateSince: this.deps.clock.now(),
      reason,
    });
    Object.assign(server, updated);
  }

  /** Marks draining, then deregisters; terminating waits for the drain (the scripts terminated first). */
  private async drain(
    role: string,
    config: RoleConfig,
    server: ServerRecord,
    reason: string,
    byId: Map<string, ServerRecord>,
  ): Promise<void> {
    // Intent first: a crash after this write leaves a draining member, which reconcile deregisters.
    const now = this.deps.clock.now();
    const updated = await this.deps.ledger.updateServer(role, server.intentId, server.version, {
      state: 'draining',
      registered: false,
      drainUntil: now + config.lifecycle.drainSeconds * 1000,
      stateSince: now,
      reason,
    });
    byId.set(server.intentId, updated);
    const lb = this.deps.loadBalancers[role];
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
    const lb = this.deps.loadBalancers[current.role];
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
    const instanceId = server.instanceId ?? '';
    const instance = owned.get(instanceId);
    if (instance === undefined || instance.role !== server.role) throw new NotOwnedError(instanceId);
    if (instance.intentId !== undefined && instance.intentId !== server.intentId && !server.orphan) {
      throw new NotOwnedError(instanceId);
    }
  }

  private async applyFix(
    role: string,
    fix: Fix,
    records: Map<string, ServerRecord>,
    owned: ReadonlyMap<string, CloudInstance>,
  ): Promise<void> {
    const { clock } = this.deps;
    const lb = this.deps.loadBalancers[role];
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
        const launched = await this.launchIntent(this.roleConfig(role), this.server(records, fix.serverId));
        records.set(launched.intentId, launched);
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
            drainUntil: fix.terminateAfter,
            orphan: true,
            reason: `${fix.reason}; terminated after ${new Date(fix.terminateAfter).toISOString()} unless claimed`,
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

/**
 * The ledger state of a just-launched instance. A replayed ClientToken can answer with an instance
 * that has already ended: that launch is over, not capacity on the way.
 */
function launchedState(state: CloudInstance['state']): ServerRecord['state'] {
  if (state === 'running') return 'booting';
  if (state === 'pending') return 'pending';
  return state === 'terminated' ? 'terminated' : 'terminating';
}

/** The launch options in fallback order: each instance type across each subnet. */
export function launchOptions(config: RoleConfig): { instanceType?: string; subnetId?: string }[] {
  const types: (string | undefined)[] =
    config.launch.instanceTypes.length > 0 ? config.launch.instanceTypes : [undefined];
  const subnets: (string | undefined)[] =
    config.launch.subnetIds.length > 0 ? config.launch.subnetIds : [undefined];
  const options: { instanceType?: string; subnetId?: string }[] = [];
  for (const instanceType of types) {
    for (const subnetId of subnets) {
      options.push({
        ...(instanceType === undefined ? {} : { instanceType }),
        ...(subnetId === undefined ? {} : { subnetId }),
      });
    }
  }
  return options;
}

function summarize(planned: Plan, outcomes: ActionOutcome[]): string {
  const parts = [`desired ${planned.desired.count}`];
  for (const o of outcomes) parts.push(`${describeAction(o.action)}${o.ok ? '' : ` FAILED (${o.error})`}`);
  for (const b of planned.blocked) parts.push(b.reason);
  if (planned.desired.hold) parts.push(`hold: ${planned.desired.hold}`);
  return parts.join('; ');
}

export function describeAction(action: Action | Fix): string {
  switch (action.kind) {
    case 'launch':
      return `launch ${action.count}: ${action.reason}`;
    case 'mark-orphan':
      return `mark orphan ${action.instance.instanceId}: ${action.reason}`;
    default:
      return `${action.kind} ${action.serverId}: ${action.reason}`;
  }
}

export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
