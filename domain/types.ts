/** Domain data shared by the planner, the ports and the services. Times are epoch milliseconds. */

/**
 * Ledger lifecycle of one server, from the launch intent to its end. A warm pool adds two paths:
 * `warming` (launched for the pool: boots, deploys, passes its readiness check, never registered)
 * → `stopping` → `warm` (stopped, owned, costs only its volumes) → `starting` → `booting` →
 * `in-service`; and on scale-in `draining` → `stopping` → `warm`.
 */
export const LIFECYCLE_STATES = [
  'launching',
  'pending',
  'booting',
  'in-service',
  'draining',
  'terminating',
  'terminated',
  'warming',
  'stopping',
  'warm',
  'starting',
] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

/**
 * States that count toward a role's capacity (a launch or a start in flight is capacity on the
 * way). A server in the warm pool never counts: it serves nothing until started.
 */
export const CAPACITY_STATES: ReadonlySet<LifecycleState> = new Set([
  'launching',
  'pending',
  'booting',
  'in-service',
  'starting',
]);

/** States of a server in (or on its way into) the warm pool. */
export const POOL_STATES: ReadonlySet<LifecycleState> = new Set(['warming', 'stopping', 'warm']);

/**
 * What a server is launched with, so a warm one can be told stale when the role's settings move
 * on: the image (an AMI id, or `<launch template id>@<version>`), a digest of its user data's
 * settings and script, and the release label configured for the role's pool. A server record
 * keeps these three fields as its own (the ledger holds scalars only).
 */
export interface LaunchSpec {
  image: string;
  userDataDigest: string;
  release?: string;
}

/** How a server is bought: On-Demand, or Spot (EC2 may take it back with a two-minute warning). */
export type Market = 'on-demand' | 'spot';

/**
 * Where Spot capacity comes from: an instance type in a zone (here: a subnet). A pool without a
 * subnet (a record from before subnets were recorded) is every subnet of its type.
 */
export interface SpotPool {
  instanceType: string;
  subnetId?: string;
}

/**
 * One server the system owns, keyed by its launch intent. The record exists before the instance
 * (state `launching`, no `instanceId`); RunInstances' ClientToken is derived from `intentId`, so a
 * retried launch can only ever produce this one instance.
 */
export interface ServerRecord {
  role: string;
  intentId: string;
  instanceId?: string;
  state: LifecycleState;
  /** When the intent was written. */
  createdAt: number;
  /** EC2's launch time, once known. */
  launchedAt?: number;
  /** When `state` last changed. */
  stateSince: number;
  /** When it first went into service (kept after it leaves): launch delays are learned from it. */
  inServiceAt?: number;
  privateIp?: string;
  instanceType?: string;
  /** Whether the load balancer has it registered (as far as the ledger knows). */
  registered: boolean;
  /** Draining servers are terminated at this time. */
  drainUntil?: number;
  /** Why the record is in its current state (last action's reason). */
  reason?: string;
  /** Which launch fallback (market x instance type x subnet) the intent is on; its ClientToken depends on it. */
  launchAttempt?: number;
  /**
   * The batch this intent was launched in (one RunInstances call for `batchSize` servers): its
   * intent id is `<batchId>-<batchIndex>`, the instance EC2 gave launch index `batchIndex`.
   */
  batchId?: string;
  batchSize?: number;
  batchIndex?: number;
  /** The market of the current launch attempt, then of the instance; absent on older records: on-demand. */
  market?: Market;
  /** The subnet it was launched in: with its instance type, its Spot pool. */
  subnetId?: string;
  /** When EC2 warned that it will take this (Spot) server back, and it was retired for that. */
  interruptedAt?: number;
  /**
   * When EC2 recommended rebalancing this in-service (Spot) server: it keeps serving while a
   * replacement starts in another pool, and retires once that replacement is in service.
   */
  rebalanceAt?: number;
  /**
   * A replacement's launch skips the Spot pool of the server it replaces (this instance type, in
   * this subnet when known) while the role has another pool.
   */
  avoidInstanceType?: string;
  avoidSubnetId?: string;
  /** When EC2 first stopped listing this record's instance; cleared when it is listed again. */
  missingSince?: number;
  /** Set on records the reconciler made for tagged instances that had no intent (orphans). */
  orphan?: boolean;
  /** The image it was launched from (see {@link LaunchSpec}); absent on records from before warm pools. */
  image?: string;
  /** The digest of its user data's settings and script (see {@link LaunchSpec}). */
  userDataDigest?: string;
  /** The release label of the role's pool when it was launched, if one was configured. */
  release?: string;
  /** When it last went into the warm pool (stopped): pool ages are measured from its launch intent. */
  stoppedAt?: number;
  /** When StartInstances last took it out of the warm pool; a start's duration is measured from it. */
  startedAt?: number;
  /**
   * How long its last start took, StartInstances to in service, in seconds (kept when it goes back
   * into the pool): start delays are learned from it as launch delays are from `inServiceAt`.
   */
  startSeconds?: number;
  /**
   * A warm On-Demand server started for a Spot role to absorb a burst while Spot launches boot: it
   * goes back to the pool once the Spot servers are in service.
   */
  bridge?: boolean;
  /** Optimistic-concurrency version, incremented by every ledger update. */
  version: number;
}

/** Outcome of a content health check of one server. */
export type HealthResult = { healthy: true } | { healthy: false; reason: string };

/** A server as the planner sees it: the ledger record plus this tick's health result, if probed. */
export interface ObservedServer extends ServerRecord {
  health?: HealthResult;
}

/** One queue-length probe result; `length: null` means unknown (the reason says why). */
export interface QueueSample {
  at: number;
  length: number | null;
  /** How long the oldest waiting job has waited, when the queue endpoint says. */
  oldestAgeSeconds?: number;
  error?: string;
}

/**
 * An operator's pause of one role: nothing is launched or retired until it is lifted. It has no
 * expiry, and is its own ledger record: setting or clearing min/max never touches it.
 */
export interface RolePause {
  reason: string;
  /** When it was set; absent on a pause read from the older single override item. */
  since?: number;
  /** The control request that set it. */
  requestId?: string;
  setBy?: string;
}

/** An operator's min/max on one role's desired count, its own ledger record, each bound until its own end. */
export interface RoleBounds {
  min?: number;
  max?: number;
  /** When it was set; absent on bounds read from the older single override item. */
  since?: number;
  /**
   * The record stops applying at this time (the later of its bounds' ends); absent only when a
   * bound has no end (an older item set by hand). A bound without its own end below ends here.
   */
  expiresAt?: number;
  /** When `min` stops applying, when that differs from `expiresAt` (a hold kept from an earlier command). */
  minUntil?: number;
  /** When `max` stops applying, when that differs from `expiresAt`. */
  maxUntil?: number;
  /** The newest command's reason; a bound kept from an earlier command with another reason carries its own below. */
  reason?: string;
  /** Why `min` is held, when that differs from `reason` (a hold kept from an earlier command). */
  minReason?: string;
  /** Why `max` is held, when that differs from `reason`. */
  maxReason?: string;
  setBy?: string;
  /** The control request that set it: repeating that request changes nothing. */
  requestId?: string;
}

/** A role's operator settings, each absent when not set. */
export interface RoleControls {
  pause?: RolePause;
  bounds?: RoleBounds;
  pool?: PoolControl;
}

/**
 * An operator's word on a role's warm pool, its own ledger record: `drained` empties the pool and
 * keeps it empty until refilled; a refill lifts that, and pool servers launched before
 * `refreshBefore` are replaced (e.g. after a release).
 */
export interface PoolControl {
  drained: boolean;
  refreshBefore?: number;
  reason: string;
  since: number;
  requestId?: string;
  setBy?: string;
}

/** The demand level a holding plan kept, and when: the next holding plan keeps at least as much. */
export interface HoldRecord {
  level: number;
  at: number;
}

/** The drain-time policy's learned job time (domain/policies/job-time.ts). */
export interface JobTimeRecord {
  /** Seconds one job takes on one worker, as learned so far. */
  jobSeconds: number;
  /** When it last learned. */
  at: number;
  /** How many observations it has learned from. */
  observations: number;
}

/** How many servers a role should have, and why. */
export interface DesiredDecision {
  count: number;
  floor: number;
  demand: number | null;
  /** Set when the demand policy refused to lower capacity (unknown or unstable samples). */
  hold?: string;
  reasons: string[];
}

export type Action =
  /**
   * `markets`: each new server's market, when the role launches on Spot at all. `avoid`: a Spot
   * pool the new servers keep out of (the pool of the server they replace ahead of its retirement).
   */
  | { kind: 'launch'; count: number; reason: string; markets?: Market[]; avoid?: SpotPool }
  | { kind: 'register'; serverId: string; reason: string }
  | { kind: 'drain'; serverId: string; reason: string }
  | { kind: 'terminate'; serverId: string; reason: string }
  | { kind: 'replace'; serverId: string; reason: string; market?: Market }
  /**
   * Start `count` warm servers, trying `candidates` in order; a start that fails moves on to the
   * next candidate and, with `fallback: 'launch'`, to a cold launch (in `markets`, if given) once
   * none is left. `bridge`: the started servers bridge a Spot role's burst.
   */
  | {
      kind: 'start';
      count: number;
      candidates: string[];
      reason: string;
      fallback: 'launch' | 'none';
      markets?: Market[];
      bridge?: boolean;
    }
  /** Stop a server into the warm pool (a ready warming server, or a drained one). */
  | { kind: 'stop'; serverId: string; reason: string }
  /** Launch `count` servers to fill the warm pool (On-Demand, never registered). */
  | { kind: 'warm'; count: number; reason: string };

/** Something the planner wanted to do but a rule stopped. */
export interface BlockedAction {
  kind: 'retire' | 'launch' | 'terminate' | 'pool';
  serverId?: string;
  reason: string;
}

export interface Plan {
  role: string;
  at: number;
  desired: DesiredDecision;
  actions: Action[];
  blocked: BlockedAction[];
}

/** An EC2 instance tagged for this stack, as EC2 reports it. */
export interface CloudInstance {
  instanceId: string;
  role?: string;
  intentId?: string;
  state: 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';
  privateIp?: string;
  launchedAt: number;
  instanceType: string;
  /** Absent when EC2 did not say (treated as on-demand). */
  market?: Market;
}

/** What one launch asks of the compute port. */
export interface LaunchRequest {
  role: string;
  intentId: string;
  /** Idempotency token for RunInstances, derived from the intent (and the attempt's fallback). */
  clientToken: string;
  userData: string;
  instanceType?: string;
  subnetId?: string;
  /** On-Demand unless `spot` (the role's `launch.spot` settings then apply). */
  market?: Market;
  /** A warm-pool server that will hibernate when stopped: launched with hibernation enabled. */
  hibernate?: boolean;
}

/**
 * Up to `count` instances in one call, all for intents of one batch: instance i (EC2's launch
 * index) is the one of intent `<batchId>-<i>` (see {@link batchIntentId}).
 */
export interface BatchLaunchRequest extends Omit<LaunchRequest, 'intentId'> {
  batchId: string;
  count: number;
}

/** The most servers one launch call asks for: a failed call holds back at most this many intents. */
export const MAX_LAUNCH_BATCH = 100;

/** The intent id of the server a batch launched with this launch index. */
export function batchIntentId(batchId: string, index: number): string {
  return `${batchId}-${index}`;
}

/** Load-balancer view of one instance. */
export interface LoadBalancerMember {
  instanceId: string;
  state: 'in-service' | 'out-of-service' | 'draining' | 'unknown';
}

/** One decision-journal entry: inputs, actions, reasons and what was blocked. */
export interface JournalEntry {
  role: string;
  at: number;
  kind: 'plan' | 'reconcile' | 'control' | 'event' | 'probe' | 'tick' | 'forecast';
  summary: string;
  detail: Record<string, unknown>;
}

/**
 * One local date of a role's demand history (the schedule's time zone), one entry per slot of
 * `slotMinutes` from local midnight: what the forecast learns from. Bounded: a day has at most
 * 1440 / slotMinutes slots, whatever the tick rate.
 */
export interface DemandDay {
  /** "YYYY-MM-DD", local. */
  date: string;
  slotMinutes: number;
  /** Per slot, the deepest queue seen; null when it was never known. */
  queue: (number | null)[];
  /** Per slot, the most servers the demand policy asked for on the schedule alone; null when unknown. */
  servers: (number | null)[];
}

/** Journal partition for entries that belong to no role (refused commands, foreign events). */
export const STACK_JOURNAL = '_stack';
