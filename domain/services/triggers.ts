/**
 * What starts a converge: the periodic tick (queue probes, one EC2 listing, every role), an EC2
 * instance event (instance-events.ts: that instance alone), an EC2 Spot warning (an interruption: drain now, replace now; a rebalance
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
import { InstanceEvents, recordKeyOf } from './instance-events.js';
import { describe } from './reporting.js';

export class Triggers {
  private readonly events: InstanceEvents;

  constructor(
    private readonly deps: FleetDeps,
    private readonly converger: Converger,
    private readonly actuator: Actuator,
  ) {
    this.events = new InstanceEvents(deps, actuator);
  }

  get roles(): string[] {
    return Object.keys(this.deps.config.roles);
  }

  /**
   * The periodic tick: probe every queue-driven role, then converge every role (one EC2 listing
   * for all, each role handed only its own instances). A role that fails does not stop the others;
   * its error is in the result.
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
    // Taken before the call: a role converged later in this loop may find records changed since.
    const listedAt = this.deps.clock.now();
    const instances = await this.deps.compute.list();
    const byRole = this.sliceByRole(instances);
    const results: ConvergeResult[] = [];
    for (const role of this.roles) {
      try {
        results.push(
          await this.converger.converge(role, { trigger, instances: byRole.get(role) ?? [], listedAt }),
        );
      } catch (error) {
        errors.push({ role, error: describe(error) });
        this.deps.observer.warn('converge failed', { role, trigger, error: describe(error) });
      }
    }
    return { results, errors };
  }

  /** An EC2 state change: see {@link InstanceEvents.changed} (the one instance, not the fleet). */
  instanceChanged(instanceId: string, state: string): Promise<ConvergeResult | { ignored: string }> {
    return this.events.changed(instanceId, state);
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
    // The one instance and its one record, whatever the fleet's size.
    const instance = await this.deps.compute.find(instanceId);
    const role = instance?.role;
    const record =
      instance === undefined || role === undefined || !this.roles.includes(role)
        ? undefined
        : await ledger.getServer(role, recordKeyOf(instance));
    if (
      instance === undefined ||
      role === undefined ||
      record === undefined ||
      (record.instanceId !== undefined && record.instanceId !== instanceId)
    ) {
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
      await this.actuator.retireServer(role, record, reason, [instance], {
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
   * The listing cut by role tag, in one pass. Instances tagged for this stack whose role is not in
   * the config (a role removed from it) are never converged or reconciled: say so every tick, per
   * role, so they are not left running unseen.
   */
  private sliceByRole(instances: readonly CloudInstance[]): Map<string, CloudInstance[]> {
    const configured = new Set(this.roles);
    const byRole = new Map<string, CloudInstance[]>();
    const unmanaged = new Map<string, string[]>();
    for (const instance of instances) {
      const role = instance.role ?? '(no role tag)';
      if (configured.has(role)) {
        const slice = byRole.get(role);
        if (slice === undefined) byRole.set(role, [instance]);
        else slice.push(instance);
        continue;
      }
      if (instance.state === 'terminated') continue;
      const ids = unmanaged.get(role);
      if (ids === undefined) unmanaged.set(role, [instance.instanceId]);
      else ids.push(instance.instanceId);
    }
    for (const [role, ids] of unmanaged) {
      this.deps.observer.warn('instances of an unconfigured role', { role, instanceIds: ids });
      this.deps.observer.metric(role, 'UnmanagedInstances', ids.length);
    }
    return byRole;
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
