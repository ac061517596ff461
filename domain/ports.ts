/**
 * Ports: what the services need from the outside world, in domain terms only. Adapters in
 * `adapters/` implement them over AWS and HTTP; `fakes/` implements them in memory.
 * Every method documents its error contract; errors are those of `domain/errors.ts`.
 */
import type {
  BatchLaunchRequest,
  CloudInstance,
  DemandDay,
  HealthResult,
  HoldRecord,
  JobTimeRecord,
  JournalEntry,
  LaunchRequest,
  LoadBalancerMember,
  PoolControl,
  QueueSample,
  RoleBounds,
  RoleControls,
  RolePause,
  ServerRecord,
} from './types.js';

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export interface Compute {
  /**
   * Launches one instance for an intent, tagged with stack, role and intent id, IMDSv2 required.
   * Idempotent per `clientToken`: a retry returns the instance the first call created.
   * @throws CapacityError (try the next instance type or subnet), ThrottlingError, TransientError,
   *   InvalidRequestError (bad settings: do not retry unchanged).
   */
  launch(request: LaunchRequest): Promise<CloudInstance>;

  /**
   * Launches up to `request.count` instances in one call (RunInstances MinCount 1, MaxCount
   * count), each tagged with stack, role and batch id, IMDSv2 required; the instance with launch
   * index i is intent `<batchId>-<i>`'s. EC2 may launch fewer than asked (partial fulfilment): the
   * answer lists those it launched, at least one. Idempotent per `clientToken` with the same
   * count: a retry returns the instances the first call created.
   * @throws as {@link launch} (CapacityError when not even one could be launched).
   */
  launchBatch(request: BatchLaunchRequest): Promise<CloudInstance[]>;

  /**
   * Every instance tagged for this stack in any state but `terminated`, all pages.
   * @throws ThrottlingError, TransientError.
   */
  list(): Promise<CloudInstance[]>;

  /**
   * One instance by id, in any state (terminated included while EC2 still reports it), when it is
   * tagged for this stack: one DescribeInstances call whatever the fleet's size. Unknown ids (not
   * yet visible, long gone) and other stacks' instances are `undefined`.
   * @throws ThrottlingError, TransientError.
   */
  find(instanceId: string): Promise<CloudInstance | undefined>;

  /**
   * Terminates instances. Already-terminated or unknown ids are not an error (idempotent).
   * Callers must only pass instances the ledger owns.
   * @throws ThrottlingError, TransientError.
   */
  terminate(instanceIds: readonly string[]): Promise<void>;

  /**
   * Starts one stopped (or hibernated) instance of the warm pool. Starting an instance that is
   * already pending or running is not an error (idempotent). Callers must only pass instances the
   * ledger owns.
   * @throws CapacityError (no capacity for its type in its zone now: another warm server or a cold
   *   launch may do), IncorrectStateError (still stopping, or shutting down), NotFoundError (the
   *   instance, or a volume or image it needs, is gone), InvalidRequestError, ThrottlingError,
   *   TransientError.
   */
  start(instanceId: string): Promise<void>;

  /**
   * Stops one instance into the warm pool, hibernating it when `hibernate` is set (it must have
   * been launched with `hibernate`). Stopping an instance that is already stopping or stopped is not
   * an error (idempotent). Callers must only pass instances the ledger owns.
   * @throws IncorrectStateError (not running yet, or shutting down), NotFoundError (no such
   *   instance), InvalidRequestError (e.g. hibernation refused: stop it without), ThrottlingError,
   *   TransientError.
   */
  stop(instanceId: string, options: { hibernate: boolean }): Promise<void>;

  /**
   * vCPUs of an instance type (cached).
   * @throws NotFoundError for an unknown type, ThrottlingError, TransientError.
   */
  vcpus(instanceType: string): Promise<number>;
}

export interface LoadBalancer {
  /**
   * Registers instances. Registering a member again is not an error.
   * @throws NotFoundError (the load balancer is gone), ThrottlingError, TransientError, InvalidRequestError.
   */
  register(instanceIds: readonly string[]): Promise<void>;

  /**
   * Deregisters instances. Deregistering a non-member is not an error.
   * @throws NotFoundError (the load balancer is gone), ThrottlingError, TransientError.
   */
  deregister(instanceIds: readonly string[]): Promise<void>;

  /**
   * Current members and their load-balancer state.
   * @throws NotFoundError, ThrottlingError, TransientError.
   */
  members(): Promise<LoadBalancerMember[]>;
}

/** Lease on a role: the holder alone may act on the role until `expiresAt`. */
export interface Lease {
  role: string;
  owner: string;
  expiresAt: number;
}

/** How a demand-history read may be answered. */
export interface HistoryRead {
  /** A local date ("YYYY-MM-DD"): the role's days before it are final and may be served from a cache. */
  settledBefore?: string;
}

export interface Ledger {
  /**
   * Every record of a role, including terminated ones still kept (TTL).
   * @throws ThrottlingError, TransientError.
   */
  listServers(role: string): Promise<ServerRecord[]>;

  /**
   * One record by its key (role and intent id), read consistently; `undefined` when there is none.
   * @throws ThrottlingError, TransientError.
   */
  getServer(role: string, intentId: string): Promise<ServerRecord | undefined>;

  /**
   * Writes a new launch intent (a record in state `launching`).
   * @throws ConflictError when a record with this intent id exists (the intent is never recorded
   *   twice), ThrottlingError, TransientError.
   */
  createIntent(record: ServerRecord): Promise<void>;

  /**
   * Applies `patch` if the stored version is `expectedVersion`; returns the new record (version + 1).
   * @throws ConflictError when the version differs, NotFoundError when there is no such record,
   *   ThrottlingError, TransientError.
   */
  updateServer(
    role: string,
    intentId: string,
    expectedVersion: number,
    patch: Partial<Omit<ServerRecord, 'role' | 'intentId' | 'version'>>,
  ): Promise<ServerRecord>;

  /**
   * Takes the role's lease for `ttlMs` if it is free, expired or already ours.
   * @throws LeaseHeldError when another owner holds an unexpired lease, ThrottlingError, TransientError.
   */
  acquireLease(role: string, owner: string, now: number, ttlMs: number): Promise<Lease>;

  /** Releases the lease if we still hold it; otherwise does nothing. */
  releaseLease(role: string, owner: string): Promise<void>;

  /** Stores one queue sample (kept with a TTL). @throws ThrottlingError, TransientError. */
  recordSample(role: string, sample: QueueSample): Promise<void>;

  /** Samples at or after `since`, oldest first. @throws ThrottlingError, TransientError. */
  samplesSince(role: string, since: number): Promise<QueueSample[]>;

  /** Appends a decision-journal entry (kept with a TTL). @throws ThrottlingError, TransientError. */
  journal(entry: JournalEntry): Promise<void>;

  /** Newest journal entries of a role, newest first. @throws ThrottlingError, TransientError. */
  recentJournal(role: string, limit: number): Promise<JournalEntry[]>;

  /**
   * The role's pause, bounds and pool control, in one read. Also reads the older single override item (pause
   * and min/max together) of a stack deployed before they were split; a newer record wins.
   * @throws ThrottlingError, TransientError.
   */
  getControls(role: string): Promise<RoleControls>;

  /**
   * Sets (or with `undefined`, lifts) the role's pause; its bounds stay as they are.
   * @throws ThrottlingError, TransientError.
   */
  setPause(role: string, pause: RolePause | undefined): Promise<void>;

  /**
   * Sets (or with `undefined`, clears) the role's bounds; its pause stays as it is.
   * @throws ThrottlingError, TransientError.
   */
  setBounds(role: string, bounds: RoleBounds | undefined): Promise<void>;

  /**
   * Sets (or with `undefined`, clears) the operator's word on the role's warm pool (drained, or
   * refilled); its pause and bounds stay as they are.
   * @throws ThrottlingError, TransientError.
   */
  setPoolControl(role: string, control: PoolControl | undefined): Promise<void>;

  /** The level the role's last holding plan kept, if any. @throws ThrottlingError, TransientError. */
  getHold(role: string): Promise<HoldRecord | undefined>;

  /** Records the level a holding plan kept (replacing the last). @throws ThrottlingError, TransientError. */
  putHold(role: string, hold: HoldRecord): Promise<void>;

  /**
   * The drain-time policy's learned job time for the role, if it has learned one.
   * @throws ThrottlingError, TransientError.
   */
  getJobTime(role: string): Promise<JobTimeRecord | undefined>;

  /** Records the learned job time (replacing the last). @throws ThrottlingError, TransientError. */
  putJobTime(role: string, record: JobTimeRecord): Promise<void>;

  /**
   * The role's demand-history days among `dates` (local "YYYY-MM-DD"), oldest first; a date with
   * no stored day is left out. `settledBefore`: every date before it is final (no write can reach
   * it any more), so a reader may answer those dates from what it read before.
   * @throws ThrottlingError, TransientError.
   */
  demandHistory(role: string, dates: readonly string[], read?: HistoryRead): Promise<DemandDay[]>;

  /**
   * Stores one day of the role's demand history, replacing the stored one, kept until `keepUntil`
   * (epoch ms; then it expires). @throws ThrottlingError, TransientError.
   */
  putDemandDay(role: string, day: DemandDay, keepUntil: number): Promise<void>;
}

export interface QueueProbe {
  /**
   * Reads the queue length once. Never throws: any failure (timeout, non-2xx, oversize body,
   * anything but a plain non-negative integer) is a sample with `length: null` and the reason.
   */
  read(now: number): Promise<QueueSample>;
}

/** One later round of a tick, as it travels on the round queue. */
export interface TickRound {
  /** When the tick began (epoch ms): the minute the round belongs to. */
  tick: number;
  /** 0-based; round 0 is run by the scheduled invocation and never travels. */
  round: number;
  rounds: number;
  /** When the round is due (epoch ms): the tick's start plus `round` intervals. */
  dueAt: number;
  everyMs: number;
}

/** Where the tick's later rounds wait until they are due (SQS with delivery delays in Lambda). */
export interface RoundQueue {
  /**
   * Sends each round to be delivered when it is due (`now` is the sender's clock). A failure may
   * leave some rounds sent; running a round twice is harmless (converges are leased per role).
   * @throws ThrottlingError, TransientError, FleetError.
   */
  send(rounds: readonly TickRound[], now: number): Promise<void>;
}

export interface HealthProbe {
  /** Checks one server's content health. Never throws: failures are `{ healthy: false, reason }`. */
  check(privateIp: string): Promise<HealthResult>;
}

/**
 * Where services report decisions and figures; the edge backs it with Powertools Logger and
 * Metrics. Never throws.
 */
export interface Observer {
  /** A decision or event worth a log line; `fields` are structured keys, not prose. */
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
  /** A figure for a role, e.g. `metric('job', 'QueueLength', 42)`. */
  metric(role: string, name: string, value: number, unit?: 'Count' | 'Milliseconds'): void;
}

/** An observer that drops everything (tests, dry runs). */
export const SILENT_OBSERVER: Observer = {
  info: () => undefined,
  warn: () => undefined,
  metric: () => undefined,
};
