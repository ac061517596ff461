/**
 * What starts a converge: the periodic tick (queue probes, one EC2 listing, every role), an EC2
 * instance event, an EC2 Spot warning (an interruption: drain now, replace now; a rebalance
 * recommendation: replace first, then retire), and a queue probe on its own; plus the warnings
 * about instances of roles no longer configured, and the journal entry for input that was refused
 * or ignored.
 */
import { ownEntry } from '../roles.js';
import type { CloudInstance, QueueSample } from '../types.js';
import { CAPACITY_STATES, STACK_JOURNAL } from '../types.js';
import type { Actuator } from './actuator.js';
import type { Converger } from './converge.js';
import type { ConvergeResult, FleetDeps } from './fleet-deps.js';
import { describe } from './reporting.js';

export class Triggers {
  constructor(
    private readonly deps: FleetDeps,
    private readonly converger: Converger,
    private readonly actuator: Actuator,
  ) {}

  get roles(): string[] {
    return Object.keys(this.deps.config.roles);
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
        results.push(await this.converger.converge(role, { trigger, instances }));
      } catch (error) {
        errors.push({ role, error: describe(error) });
        this.deps.observer.warn('converge failed', { role, trigger, error: describe(error) });
      }
    }
    return { results, errors };
  }

  /**
   * An EC2 state change: converge the instance's role now (the fast path to health checks and
   * registration), with the one EC2 listing that tells the role. Level-triggered, so duplicated or
   * out-of-order events change nothing.
   *
   * EventBridge delivers every instance of the region; one not listed as this stack's (another
   * stack's, untagged, not yet listed, or already terminated) is only counted
   * (`UnlistedInstanceEvents`): no ledger read, no journal entry. The tick's reconcile covers the
   * rest. Ownership itself stays the ledger's: the converge acts only on what the ledger owns.
   */
  async instanceChanged(instanceId: string, state: string): Promise<ConvergeResult | { ignored: string }> {
    const instances = await this.deps.compute.list();
    const role = instances.find((i) => i.instanceId === instanceId)?.role;
    if (role !== undefined && this.roles.includes(role)) {
      return this.converger.converge(role, { trigger: `event:${state}:${instanceId}`, instances });
    }
    this.deps.observer.metric(STACK_JOURNAL, 'UnlistedInstanceEvents', 1, 'Count');
    return {
      ignored: `${instanceId} (${state}) is not listed as an instance of this stack's roles: ignored`,
    };
  }

  /**
   * EC2 warned that it will take a Spot server back: the server is marked draining at once and
   * retired as an operator's retire is (deregistered, drained, or terminated now when there is
   * nothing to drain, so its workers run their drain hook), then the role converges, which
   * launches the replacement now rather than once the server is gone.
   * EC2 recommends rebalancing an in-service server (a risk, not a notice): it is marked and keeps
   * serving; the converge starts its replacement in another Spot pool, and a later converge retires
   * it once the replacement is in service (domain/rebalance.ts). A server not yet in service is
   * retired at once, as for an interruption: it serves nothing yet.
   * A repeated warning only converges again. A warning for an instance not listed as this stack's,
   * or not in its role's ledger, is only counted (`ForeignSpotWarnings`): EC2 sends every
   * instance's warnings, so nothing is journaled.
   * @throws LeaseHeldError while another invocation converges the role (the event is retried).
   */
  async instanceWarned(
    instanceId: string,
    warning: 'interruption' | 'rebalance',
  ): Promise<ConvergeResult | { ignored: string }> {
    const { ledger, clock, observer } = this.deps;
    const instances = await this.deps.compute.list();
    const role = instances.find((i) => i.instanceId === instanceId)?.role;
    const record =
      role === undefined || !this.roles.includes(role)
        ? undefined
        : (await ledger.listServers(role)).find((r) => r.instanceId === instanceId);
    if (role === undefined || record === undefined) {
      observer.metric(STACK_JOURNAL, 'ForeignSpotWarnings', 1, 'Count');
      return { ignored: `${instanceId} is not this stack's` };
    }
    const metric = warning === 'interruption' ? 'SpotInterruptions' : 'SpotRebalanceRecommendations';
    observer.metric(role, metric, 1, 'Count');
    if (warning === 'rebalance' && record.state === 'in-service') {
      // Only a risk: the server serves on until a replacement in another pool is in service.
      if (record.rebalanceAt === undefined) await this.actuator.markRebalance(role, record, clock.now());
    } else if (CAPACITY_STATES.has(record.state)) {
      const reason =
        warning === 'interruption'
          ? 'EC2 Spot interruption warning: EC2 takes it back in two minutes'
          : 'EC2 rebalance recommendation: at elevated risk of a Spot interruption';
      const paused = (await ledger.getControls(role)).pause !== undefined;
      await this.actuator.retireServer(role, record, reason, instances, {
        paused,
        interruptedAt: clock.now(),
      });
    }
    return this.converger.converge(role, { trigger: `event:spot-${warning}:${instanceId}` });
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
    const probe = ownEntry(this.deps.queueProbes, role);
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
}
