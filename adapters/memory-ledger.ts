/**
 * The ledger in memory, with the DynamoDB ledger's semantics (conditional writes, versions,
 * leases). Used by the local sandbox when Java is missing, by the simulator and by fast tests.
 */
import { ConflictError, LeaseHeldError, NotFoundError } from '../domain/errors.js';
import type { Lease, Ledger } from '../domain/ports.js';
import type {
  DemandDay,
  HoldRecord,
  JobTimeRecord,
  JournalEntry,
  PoolControl,
  QueueSample,
  RoleBounds,
  RoleControls,
  RolePause,
  ServerRecord,
} from '../domain/types.js';

export class MemoryLedger implements Ledger {
  private readonly servers = new Map<string, ServerRecord>();
  private readonly leases = new Map<string, Lease>();
  private readonly samples = new Map<string, QueueSample[]>();
  private readonly journals = new Map<string, JournalEntry[]>();
  private readonly pauses = new Map<string, RolePause>();
  private readonly bounds = new Map<string, RoleBounds>();
  private readonly holds = new Map<string, HoldRecord>();
  private readonly pools = new Map<string, PoolControl>();
  private readonly jobTimes = new Map<string, JobTimeRecord>();
  /** Per role, by date: the day and when it expires. */
  private readonly history = new Map<string, Map<string, { day: DemandDay; keepUntil: number }>>();

  constructor(
    private readonly settings: {
      maxJournalPerRole?: number;
      maxSamplesPerRole?: number;
      maxHistoryDays?: number;
      /**
       * Terminated records this much older than the newest termination are dropped, as DynamoDB's
       * TTL drops them (default: kept): a run over weeks does not list every server it ever had.
       */
      terminatedTtlMs?: number;
    } = {},
  ) {}

  async listServers(role: string): Promise<ServerRecord[]> {
    return [...this.servers.values()].filter((s) => s.role === role);
  }

  async getServer(role: string, intentId: string): Promise<ServerRecord | undefined> {
    const found = this.servers.get(`${role}#${intentId}`);
    return found;
  }

  async createIntent(record: ServerRecord): Promise<void> {
    const key = `${record.role}#${record.intentId}`;
    if (this.servers.has(key)) throw new ConflictError(`intent ${record.intentId} already exists`);
    this.servers.set(key, frozenCopy(record));
  }

  async updateServer(
    role: string,
    intentId: string,
    expectedVersion: number,
    patch: Partial<Omit<ServerRecord, 'role' | 'intentId' | 'version'>>,
  ): Promise<ServerRecord> {
    const key = `${role}#${intentId}`;
    const current = this.servers.get(key);
    if (current === undefined) throw new NotFoundError(`no record for intent ${intentId}`);
    if (current.version !== expectedVersion) {
      throw new ConflictError(`intent ${intentId} is at version ${current.version}, not ${expectedVersion}`);
    }
    const next: ServerRecord = { ...current, version: current.version + 1 };
    for (const [field, value] of Object.entries(patch)) {
      if (value === undefined) delete (next as unknown as Record<string, unknown>)[field];
      else (next as unknown as Record<string, unknown>)[field] = value;
    }
    this.servers.set(key, Object.freeze(next));
    if (next.state === 'terminated') this.expireTerminated(next.stateSince);
    return next;
  }

  private expireTerminated(now: number): void {
    const keep = this.settings.terminatedTtlMs;
    if (keep === undefined) return;
    for (const [key, record] of this.servers) {
      if (record.state === 'terminated' && record.stateSince < now - keep) this.servers.delete(key);
    }
  }

  async acquireLease(role: string, owner: string, now: number, ttlMs: number): Promise<Lease> {
    const held = this.leases.get(role);
    if (held !== undefined && held.owner !== owner && held.expiresAt >= now) {
      throw new LeaseHeldError(role, held.owner, held.expiresAt);
    }
    const lease = { role, owner, expiresAt: now + ttlMs };
    this.leases.set(role, lease);
    return { ...lease };
  }

  async releaseLease(role: string, owner: string): Promise<void> {
    if (this.leases.get(role)?.owner === owner) this.leases.delete(role);
  }

  async recordSample(role: string, sample: QueueSample): Promise<void> {
    const list = this.samples.get(role) ?? [];
    list.push({ ...sample });
    list.sort((a, b) => a.at - b.at);
    const limit = this.settings.maxSamplesPerRole ?? 10_000;
    if (list.length > limit) list.splice(0, list.length - limit);
    this.samples.set(role, list);
  }

  async samplesSince(role: string, since: number): Promise<QueueSample[]> {
    return (this.samples.get(role) ?? []).filter((s) => s.at >= since).map((s) => ({ ...s }));
  }

  async journal(entry: JournalEntry): Promise<void> {
    const list = this.journals.get(entry.role) ?? [];
    list.push(structuredClone(entry));
    const limit = this.settings.maxJournalPerRole ?? 1000;
    if (list.length > limit) list.splice(0, list.length - limit);
    this.journals.set(entry.role, list);
  }

  async recentJournal(role: string, limit: number): Promise<JournalEntry[]> {
    return [...(this.journals.get(role) ?? [])].reverse().slice(0, limit);
  }

  async getControls(role: string): Promise<RoleControls> {
    const pause = this.pauses.get(role);
    const bounds = this.bounds.get(role);
    const pool = this.pools.get(role);
    return {
      ...(pause === undefined ? {} : { pause: { ...pause } }),
      ...(bounds === undefined ? {} : { bounds: { ...bounds } }),
      ...(pool === undefined ? {} : { pool: { ...pool } }),
    };
  }

  async setPause(role: string, pause: RolePause | undefined): Promise<void> {
    if (pause === undefined) this.pauses.delete(role);
    else this.pauses.set(role, { ...pause });
  }

  async setBounds(role: string, bounds: RoleBounds | undefined): Promise<void> {
    if (bounds === undefined) this.bounds.delete(role);
    else this.bounds.set(role, { ...bounds });
  }

  async setPoolControl(role: string, control: PoolControl | undefined): Promise<void> {
    if (control === undefined) this.pools.delete(role);
    else this.pools.set(role, { ...control });
  }

  async getHold(role: string): Promise<HoldRecord | undefined> {
    const hold = this.holds.get(role);
    return hold === undefined ? undefined : { ...hold };
  }

  async putHold(role: string, hold: HoldRecord): Promise<void> {
    this.holds.set(role, { ...hold });
  }

  async getJobTime(role: string): Promise<JobTimeRecord | undefined> {
    const record = this.jobTimes.get(role);
    return record === undefined ? undefined : { ...record };
  }

  async putJobTime(role: string, record: JobTimeRecord): Promise<void> {
    this.jobTimes.set(role, { ...record });
  }
  /** Days past their `keepUntil` stay readable, as DynamoDB's TTL deletes late; bounded per role. */
  async demandHistory(role: string, dates: readonly string[]): Promise<DemandDay[]> {
    const days = this.history.get(role);
    if (days === undefined) return [];
    return [...new Set(dates)]
      .flatMap((date) => {
        const kept = days.get(date);
        return kept === undefined ? [] : [copyDay(kept.day)];
      })
      .sort((a, b) => a.date.localeCompare(b.date));
  }

  async putDemandDay(role: string, day: DemandDay, keepUntil: number): Promise<void> {
    const days = this.history.get(role) ?? new Map<string, { day: DemandDay; keepUntil: number }>();
    days.set(day.date, { day: copyDay(day), keepUntil });
    const limit = this.settings.maxHistoryDays ?? 400;
    if (days.size > limit) {
      const oldest = [...days.keys()].sort().slice(0, days.size - limit);
      for (const date of oldest) days.delete(date);
    }
    this.history.set(role, days);
  }
}

function copyDay(day: DemandDay): DemandDay {
  return { ...day, queue: [...day.queue], servers: [...day.servers] };
}

/**
 * A server record holds only scalars, so a shallow copy frozen is a full one that nobody can change
 * in the ledger's hands: the simulator lists the ledger thousands of times a run, and hands out the
 * stored records rather than copies (a caller changing one it was given throws).
 */
function frozenCopy(record: FlatRecord<ServerRecord>): ServerRecord {
  return Object.freeze({ ...record });
}

/** Compiles only while every field of T is a scalar: a nested field would need a deep copy. */
type FlatRecord<T extends { [K in keyof T]: string | number | boolean | undefined }> = T;
