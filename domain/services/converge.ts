/**
 * The converge pipeline of one role, under the role's lease: observe (ledger + EC2 + load
 * balancer), reconcile, health-check booting servers, decide (domain/decide.ts), act through the
 * actuator, and journal the decision. Every step is safe to repeat: a retried or duplicated
 * trigger converges to the same state and launches nothing twice.
 */
import type { RoleConfig } from '../config.js';
import { type DecideInput, decide, usesJobTime } from '../decide.js';
import { sampleSpanSeconds } from '../demand.js';
import { LeaseHeldError } from '../errors.js';
import { overrideActive } from '../planner.js';
import { DEFAULT_RECONCILE_SETTINGS, type ReconcileSettings, reconcile } from '../reconcile.js';
import { ownEntry } from '../roles.js';
import type { CloudInstance, ObservedServer, ServerRecord } from '../types.js';
import { workerCount } from '../user-data.js';
import type { Actuator } from './actuator.js';
import {
  type ActionOutcome,
  type ConvergeOptions,
  type ConvergeResult,
  DEFAULT_LEASE_TTL_MS,
  type FleetDeps,
  roleConfigOf,
} from './fleet-deps.js';
import { Forecaster } from './forecaster.js';
import { report, summarize } from './reporting.js';
import { type TerminateAction, terminateMany } from './terminations.js';

export class Converger {
  private readonly reconcileSettings: ReconcileSettings;
  private readonly forecaster: Forecaster;

  constructor(
    private readonly deps: FleetDeps,
    private readonly actuator: Actuator,
  ) {
    this.reconcileSettings = deps.reconcile ?? DEFAULT_RECONCILE_SETTINGS;
    this.forecaster = new Forecaster(deps);
  }

  /** Converges one role under its lease. Another holder → `skipped`, nothing done. */
  async converge(role: string, options: ConvergeOptions): Promise<ConvergeResult> {
    const config = roleConfigOf(this.deps.config, role);
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
    const lb = ownEntry(this.deps.loadBalancers, role);
    const listedAt = options.instances === undefined ? clock.now() : options.listedAt;
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
      drainSeconds: config.lifecycle.drainSeconds,
      ...(listedAt === undefined ? {} : { listedAt }),
    });
    const fixOutcomes: ActionOutcome[] = options.dryRun ? fixes.map((action) => ({ action, ok: true })) : [];
    if (!options.dryRun && fixes.length > 0) {
      // One read serves every fix; each fix keeps the map current, so a second fix of the same
      // record sees the version the first one wrote.
      const byIntent = new Map(records.map((r) => [r.intentId, r]));
      const owned = new Map(instances.map((i) => [i.instanceId, i]));
      for (const fix of fixes)
        fixOutcomes.push(
          await this.actuator.attempt(fix, () => this.actuator.applyFix(role, fix, byIntent, owned)),
        );
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
    const observed = await this.healthCheck(role, records, instances);
    const samples =
      config.policy === undefined
        ? []
        : await ledger.samplesSince(role, now - sampleSpanSeconds(config.policy, config.queue) * 1000);
    const { pause, bounds, pool } = options.controls ?? (await ledger.getControls(role));
    // An empty queue throughout reads no learned job time: a quiet tick costs no extra ledger call.
    const jobTime = usesJobTime(config, samples) ? await ledger.getJobTime(role) : undefined;
    const forecast = await this.forecaster.load(role, config, now);
    const input: DecideInput = {
      role,
      config,
      now,
      samples,
      servers: observed,
      ...(pause === undefined ? {} : { pause }),
      ...(bounds === undefined ? {} : { bounds }),
      ...(pool === undefined ? {} : { poolControl: pool }),
      ...(jobTime === undefined ? {} : { jobTime }),
      ...(forecast === undefined ? {} : { forecast: forecast.forecast }),
      ...(config.policy?.type === 'drain-time'
        ? { workersPerServer: await this.workersPerServer(config) }
        : {}),
    };
    let decision = decide(input);
    if (decision.demand?.kind === 'hold' && config.queue !== undefined) {
      // Only a hold reads and writes the hold record: a quiet tick costs no extra ledger call.
      const last = await ledger.getHold(role);
      if (last !== undefined && last.at >= now - config.queue.maxSampleAgeSeconds * 1000)
        decision = decide({ ...input, previousHold: last.level });
      if (!options.dryRun && decision.demand !== undefined)
        await ledger.putHold(role, { level: decision.demand.servers, at: now });
    }
    const { desired, plan: planned } = decision;
    if (!options.dryRun && decision.jobTime !== undefined) await ledger.putJobTime(role, decision.jobTime);
    if (!options.dryRun && config.forecast !== undefined) {
      await this.forecaster.record(
        role,
        { ...config, forecast: config.forecast },
        forecast,
        decision,
        samples,
        now,
      );
    }

    const outcomes: ActionOutcome[] = [];
    if (!options.dryRun) {
      const owned = new Map(instances.map((i) => [i.instanceId, i]));
      const byId = new Map(observed.map((s) => [s.intentId, s as ServerRecord]));
      const terminations: TerminateAction[] = [];
      for (const action of planned.actions) {
        // Terminations go together, in one TerminateInstances, once the other actions are done.
        if (action.kind === 'terminate') {
          terminations.push(action);
          continue;
        }
        outcomes.push(
          await this.actuator.attempt(action, () =>
            this.actuator.applyAction(role, config, action, byId, owned),
          ),
        );
      }
      if (terminations.length > 0)
        outcomes.push(...(await terminateMany(this.deps, role, terminations, byId, owned)));
    }
    // Re-read only when something was written: a quiet tick costs no extra ledger query.
    const after = options.dryRun || outcomes.length === 0 ? records : await ledger.listServers(role);
    report(observer, role, planned, outcomes, after, members, options, config.warmPool !== undefined);
    if (!options.dryRun && (planned.actions.length > 0 || planned.blocked.length > 0 || desired.hold)) {
      await ledger.journal({
        role,
        at: now,
        kind: 'plan',
        summary: summarize(planned, outcomes, after),
        detail: {
          trigger: options.trigger,
          desired,
          actions: outcomes,
          blocked: planned.blocked,
          pause: pause ?? null,
          bounds: bounds ?? null,
          boundsActive: overrideActive(bounds, now),
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
      // What went otherwise than planned although done (a warm start that fell back, its duration).
      notes: outcomes.flatMap((o) => (o.note === undefined ? [] : [{ action: o.action, note: o.note }])),
    });
    return { role, plan: planned, fixes: fixOutcomes, outcomes, servers: after };
  }

  /** Workers one server of the role runs: its first instance type's vCPUs x workersPerVcpu. */
  private async workersPerServer(config: RoleConfig): Promise<number> {
    const vcpus = await this.deps.compute.vcpus(config.launch.instanceTypes[0] ?? 'c5.large');
    return workerCount(vcpus, config.workersPerVcpu);
  }

  /**
   * Health-checks booting servers and warming ones (the pool's readiness check is the role's own),
   * with bounded concurrency; the result rides on the observed server.
   */
  private async healthCheck(
    role: string,
    records: ServerRecord[],
    instances: readonly CloudInstance[],
  ): Promise<ObservedServer[]> {
    const probe = ownEntry(this.deps.healthProbes, role);
    const observed: ObservedServer[] = records.map((r) => ({ ...r }));
    if (probe === undefined) return observed;
    const running = new Set(instances.filter((i) => i.state === 'running').map((i) => i.instanceId));
    const due = observed.filter(
      (s) =>
        s.privateIp !== undefined &&
        (s.state === 'booting' || (s.state === 'warming' && running.has(s.instanceId ?? ''))),
    );
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
}
