/**
 * The fleet service's one entry point for handlers, the control service, scripts and tests: it
 * wires the converge pipeline (converge.ts), the actuator (actuator.ts), the launcher
 * (launcher.ts) and the triggers (triggers.ts) over one set of dependencies, and delegates.
 */
import type { RoleConfig } from '../config.js';
import type { QueueSample, ServerRecord } from '../types.js';
import { Actuator } from './actuator.js';
import { Converger } from './converge.js';
import { type ConvergeOptions, type ConvergeResult, type FleetDeps, roleConfigOf } from './fleet-deps.js';
import { Launcher } from './launcher.js';
import { RetryBudget, withThrottleRetry } from './throttle-retry.js';
import { TickRounds, type TickRoundsOptions, type TickRoundsResult } from './tick-rounds.js';
import { Triggers } from './triggers.js';

export type { ActionOutcome, ConvergeOptions, ConvergeResult, FleetDeps } from './fleet-deps.js';

export class Fleet {
  private readonly launcher: Launcher;
  private readonly actuator: Actuator;
  private readonly converger: Converger;
  private readonly triggers: Triggers;
  private readonly rounds: TickRounds;

  private readonly deps: FleetDeps;

  constructor(given: FleetDeps) {
    const budget = new RetryBudget();
    const deps = backingOff(given, budget);
    this.deps = deps;
    this.launcher = new Launcher(deps);
    this.actuator = new Actuator(deps, this.launcher);
    this.converger = new Converger(deps, this.actuator);
    this.triggers = new Triggers(deps, this.converger, this.actuator);
    this.rounds = new TickRounds(deps, this.triggers, budget);
  }

  get roles(): string[] {
    return this.triggers.roles;
  }

  roleConfig(role: string): RoleConfig {
    return roleConfigOf(this.deps.config, role);
  }

  /** See {@link Triggers.tick}. */
  tick(
    trigger = 'tick',
    options: { probe?: boolean } = {},
  ): Promise<{ results: ConvergeResult[]; errors: { role: string; error: string }[] }> {
    return this.triggers.tick(trigger, options);
  }

  /** See {@link TickRounds.run}: the tick function's rounds within one invocation. */
  tickRounds(options: TickRoundsOptions): Promise<TickRoundsResult> {
    return this.rounds.run(options);
  }

  /** See {@link Triggers.instanceChanged}. */
  instanceChanged(instanceId: string, state: string): Promise<ConvergeResult | { ignored: string }> {
    return this.triggers.instanceChanged(instanceId, state);
  }

  /** See {@link Triggers.instanceWarned}. */
  instanceWarned(
    instanceId: string,
    warning: 'interruption' | 'rebalance',
  ): Promise<ConvergeResult | { ignored: string }> {
    return this.triggers.instanceWarned(instanceId, warning);
  }

  /** See {@link Triggers.journalRefusal}. */
  journalRefusal(kind: 'control' | 'event', summary: string, detail: Record<string, unknown>): Promise<void> {
    return this.triggers.journalRefusal(kind, summary, detail);
  }

  /** See {@link Triggers.probe}. */
  probe(role: string): Promise<QueueSample | undefined> {
    return this.triggers.probe(role);
  }

  /** See {@link Converger.converge}. */
  converge(role: string, options: ConvergeOptions): Promise<ConvergeResult> {
    return this.converger.converge(role, options);
  }

  /** See {@link Actuator.retireServer}. */
  retireServer(...args: Parameters<Actuator['retireServer']>): Promise<void> {
    return this.actuator.retireServer(...args);
  }

  /** See {@link Launcher.launchNew}. */
  launchNew(...args: Parameters<Launcher['launchNew']>): Promise<ServerRecord> {
    return this.launcher.launchNew(...args);
  }

  /** See {@link Launcher.launchIntent}. */
  launchIntent(config: RoleConfig, intent: ServerRecord): Promise<ServerRecord> {
    return this.launcher.launchIntent(config, intent);
  }
}

/** The ports EC2, the load balancers and DynamoDB throttle, backing off within `budget`. */
function backingOff(deps: FleetDeps, budget: RetryBudget): FleetDeps {
  const { backoff } = deps;
  if (backoff === undefined) return deps;
  const retry = { clock: deps.clock, observer: deps.observer, ...backoff };
  return {
    ...deps,
    compute: withThrottleRetry(deps.compute, 'compute', retry, budget),
    ledger: withThrottleRetry(deps.ledger, 'ledger', retry, budget),
    loadBalancers: Object.fromEntries(
      Object.entries(deps.loadBalancers).map(([role, lb]) => [
        role,
        lb === undefined ? undefined : withThrottleRetry(lb, `loadBalancer(${role})`, retry, budget),
      ]),
    ),
  };
}
