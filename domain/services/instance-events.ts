/**
 * An EC2 state change for one instance, handled by looking up that instance alone: one
 * DescribeInstances by id and one ledger read by key, whatever the fleet's size (a wave of
 * launches must not list the fleet once per event). Under the role's lease the record is brought
 * in line with EC2 (reconcile on this one record and instance), and a booted server is
 * health-checked and registered at once. Everything else (replacements, retirements, the other
 * servers) is the tick's: it converges the whole role within a minute.
 */
import { LeaseHeldError } from '../errors.js';
import { DEFAULT_RECONCILE_SETTINGS, reconcile } from '../reconcile.js';
import { ownEntry } from '../roles.js';
import type { CloudInstance, ServerRecord } from '../types.js';
import { STACK_JOURNAL } from '../types.js';
import type { Actuator } from './actuator.js';
import {
  type ActionOutcome,
  type ConvergeResult,
  DEFAULT_LEASE_TTL_MS,
  type FleetDeps,
} from './fleet-deps.js';
import { describeAction, instanceNames } from './reporting.js';

/** The ledger key of the record an instance belongs to: its intent tag, else the orphan mark's. */
export function recordKeyOf(instance: CloudInstance): string {
  return instance.intentId ?? `orphan-${instance.instanceId}`;
}

export class InstanceEvents {
  constructor(
    private readonly deps: FleetDeps,
    private readonly actuator: Actuator,
  ) {}

  /**
   * EventBridge delivers every instance of the region; one not this stack's (another stack's,
   * untagged, of an unconfigured role) is only counted (`UnlistedInstanceEvents`), one without a
   * ledger record (not yet adopted) is counted as `UnrecordedInstanceEvents`: no journal entry,
   * the tick's reconcile covers it. Level-triggered: a duplicated or late event changes nothing.
   */
  async changed(instanceId: string, state: string): Promise<ConvergeResult | { ignored: string }> {
    const { compute, ledger, observer, clock } = this.deps;
    // Taken before the call: a record changed since (a start under another lease) is not judged by it.
    const listedAt = clock.now();
    const instance = await compute.find(instanceId);
    const role = instance?.role;
    if (
      instance === undefined ||
      role === undefined ||
      ownEntry(this.deps.config.roles, role) === undefined
    ) {
      observer.metric(STACK_JOURNAL, 'UnlistedInstanceEvents', 1, 'Count');
      return {
        ignored: `${instanceId} (${state}) is not listed as an instance of this stack's roles: ignored`,
      };
    }
    const record = await ledger.getServer(role, recordKeyOf(instance));
    if (record === undefined || (record.instanceId !== undefined && record.instanceId !== instanceId)) {
      observer.metric(role, 'UnrecordedInstanceEvents', 1, 'Count');
      return { ignored: `${instanceId} (${state}) has no ledger record yet: the tick reconciles it` };
    }
    return this.underLease(role, `event:${state}:${instanceId}`, (trigger) =>
      this.apply(role, record, instance, trigger, listedAt),
    );
  }

  private async underLease(
    role: string,
    trigger: string,
    run: (trigger: string) => Promise<ConvergeResult>,
  ): Promise<ConvergeResult> {
    const { ledger, clock } = this.deps;
    const owner = `${trigger}:${this.deps.newId()}`;
    try {
      await ledger.acquireLease(role, owner, clock.now(), this.deps.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS);
    } catch (error) {
      if (!(error instanceof LeaseHeldError)) throw error;
      // The holder converges the whole role, this instance included.
      this.deps.observer.info('role busy, skipped', { role, holder: error.holder });
      return { role, skipped: error.message, fixes: [], outcomes: [], servers: [] };
    }
    try {
      return await run(trigger);
    } finally {
      await ledger.releaseLease(role, owner).catch(() => undefined);
    }
  }

  private async apply(
    role: string,
    record: ServerRecord,
    instance: CloudInstance,
    trigger: string,
    listedAt: number,
  ): Promise<ConvergeResult> {
    const { ledger, clock } = this.deps;
    // A terminated instance is not in a listing: seen as the tick would see it.
    const listed = instance.state === 'terminated' ? [] : [instance];
    const fixes = reconcile({
      role,
      records: [record],
      instances: listed,
      now: clock.now(),
      settings: this.deps.reconcile ?? DEFAULT_RECONCILE_SETTINGS,
      listedAt,
      // A server stopping into the pool may run its drain hook this long: not stuck before it.
      drainSeconds: ownEntry(this.deps.config.roles, role)?.lifecycle.drainSeconds ?? 0,
    });
    const byIntent = new Map([[record.intentId, record]]);
    const owned = new Map(listed.map((i) => [i.instanceId, i]));
    const fixOutcomes: ActionOutcome[] = [];
    for (const fix of fixes)
      fixOutcomes.push(
        await this.actuator.attempt(fix, () => this.actuator.applyFix(role, fix, byIntent, owned)),
      );
    const outcomes = await this.registerIfHealthy(role, byIntent, owned);
    const done = [...fixOutcomes, ...outcomes];
    const servers = [...byIntent.values()];
    if (done.length > 0) {
      const names = instanceNames(servers);
      await ledger.journal({
        role,
        at: clock.now(),
        kind: 'event',
        summary: done
          .map((o) => `${describeAction(o.action, names)}${o.ok ? '' : ` FAILED (${o.error})`}`)
          .join('; '),
        detail: { trigger, fixes: fixOutcomes, actions: outcomes },
      });
    }
    return { role, fixes: fixOutcomes, outcomes, servers };
  }

  /** A booted server that passes its content health check goes into service now, as a plan would put it. */
  private async registerIfHealthy(
    role: string,
    byIntent: Map<string, ServerRecord>,
    owned: ReadonlyMap<string, CloudInstance>,
  ): Promise<ActionOutcome[]> {
    const [current] = byIntent.values();
    const probe = ownEntry(this.deps.healthProbes, role);
    if (current?.state !== 'booting' || current.privateIp === undefined || probe === undefined) return [];
    const health = await probe.check(current.privateIp);
    if (!health.healthy) return [];
    const config = ownEntry(this.deps.config.roles, role);
    if (config === undefined) return [];
    const action = {
      kind: 'register' as const,
      serverId: current.intentId,
      reason: 'content health check passed',
    };
    return [
      await this.actuator.attempt(action, () =>
        this.actuator.applyAction(role, config, action, byIntent, owned),
      ),
    ];
  }
}
