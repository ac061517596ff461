/**
 * What the fleet services share: their dependencies (ports, config, clock, ids), the shapes of a
 * converge's options and result, and the role lookup every step starts from.
 */
import type { Config, RoleConfig } from '../config.js';
import { FleetError } from '../errors.js';
import type { Clock, Compute, HealthProbe, Ledger, LoadBalancer, Observer, QueueProbe } from '../ports.js';
import type { Fix, ReconcileSettings } from '../reconcile.js';
import { ownEntry } from '../roles.js';
import type { Action, CloudInstance, Plan, RoleControls, ServerRecord } from '../types.js';
import type { BackoffSettings } from './throttle-retry.js';

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
  /**
   * How throttled calls back off (throttle-retry.ts): waiting and jitter are inputs. Without it a
   * throttled call fails at once.
   */
  backoff?: { wait: (ms: number) => Promise<void>; random: () => number; settings?: BackoffSettings };
}

export interface ActionOutcome {
  action: Action | Fix;
  ok: boolean;
  error?: string;
  /** What went otherwise than planned although the action did its job (a start that fell back). */
  note?: string;
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
  /** When `instances` were listed (taken before the call): records changed since are not judged by them. */
  listedAt?: number;
  /** Plan with this pause and these bounds instead of the stored ones (dry runs of control commands). */
  controls?: RoleControls;
}

/** Longer than the slowest function's timeout (control: 120 s), so a killed invocation blocks briefly. */
export const DEFAULT_LEASE_TTL_MS = 150_000;

/** The config of a configured role; an unknown role is a {@link FleetError}. */
export function roleConfigOf(config: Config, role: string): RoleConfig {
  const found = ownEntry(config.roles, role);
  if (found === undefined) throw new FleetError(`unknown role ${role}`);
  return found;
}
