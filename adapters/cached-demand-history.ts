/**
 * A `Ledger` that keeps the final days of the demand history in memory, in front of another
 * ledger. Every converge of a role with a forecast reads some weeks of days, yet only today's day
 * is ever written: a day the caller says is settled (`settledBefore`) is read once per container
 * and then served from here, stored day or known absence alike. Today and any day not yet settled
 * are read every time. A failed read caches nothing.
 *
 * Built once per container (handlers/app.ts), so it lives as long as the warm Lambda does. It is
 * bounded: a role's days older than the oldest date it asks for have left the history window and
 * are dropped, and past `maxDays` in all, the least recently read role gives up its oldest days.
 * Days are shared, not copied: readers treat them as read-only.
 */
import type { HistoryRead, Lease, Ledger } from '../domain/ports.js';
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

/** Days kept in all roles: ~2 KB each at 15-minute slots, so about 8 MB at most. */
export const CACHED_DAYS = 4096;

/** The settled days read so far, by role and date; `null` when the ledger holds no such day. */
export class DemandHistoryCache {
  private readonly roles = new Map<string, Map<string, DemandDay | null>>();
  private count = 0;

  constructor(readonly maxDays: number = CACHED_DAYS) {
    if (!Number.isInteger(maxDays) || maxDays < 1)
      throw new RangeError(`maxDays: expected a positive integer, got ${maxDays}`);
  }

  /** Days held now, in all roles. */
  get size(): number {
    return this.count;
  }

  /**
   * The role's cached days, after dropping those before `oldest` (out of the window it reads);
   * the role becomes the most recently read.
   */
  window(role: string, oldest: string): Map<string, DemandDay | null> {
    const days = this.roles.get(role) ?? new Map<string, DemandDay | null>();
    for (const date of days.keys()) if (date < oldest) this.drop(days, date);
    this.roles.delete(role);
    this.roles.set(role, days);
    return days;
  }

  /** Keeps a settled day (or its absence), evicting past `maxDays`. */
  keep(role: string, date: string, day: DemandDay | null): void {
    const days = this.roles.get(role) ?? new Map<string, DemandDay | null>();
    this.roles.set(role, days);
    if (!days.has(date)) this.count += 1;
    days.set(date, day);
    while (this.count > this.maxDays) this.evictOne();
  }

  /** Forgets one day (a write reached it after all). */
  forget(role: string, date: string): void {
    const days = this.roles.get(role);
    if (days !== undefined) this.drop(days, date);
  }

  private drop(days: Map<string, DemandDay | null>, date: string): void {
    if (days.delete(date)) this.count -= 1;
  }

  /** The least recently read role's oldest day. */
  private evictOne(): void {
    for (const [role, days] of this.roles) {
      const oldest = [...days.keys()].sort()[0];
      if (oldest === undefined) {
        this.roles.delete(role);
        continue;
      }
      this.drop(days, oldest);
      if (days.size === 0) this.roles.delete(role);
      return;
    }
  }
}

export class CachedDemandHistoryLedger implements Ledger {
  constructor(
    private readonly inner: Ledger,
    readonly cache: DemandHistoryCache = new DemandHistoryCache(),
  ) {}

  async demandHistory(role: string, dates: readonly string[], read: HistoryRead = {}): Promise<DemandDay[]> {
    const unique = [...new Set(dates)].sort();
    const oldest = unique[0];
    if (oldest === undefined) return [];
    const cached = this.cache.window(role, oldest);
    const missing = unique.filter((date) => !cached.has(date));
    const fromCache = unique.flatMap((date) => {
      const day = cached.get(date);
      return day === undefined || day === null ? [] : [day];
    });
    const found = missing.length === 0 ? [] : await this.inner.demandHistory(role, missing, read);
    const { settledBefore } = read;
    if (settledBefore !== undefined) {
      const byDate = new Map(found.map((day) => [day.date, day]));
      for (const date of missing) {
        if (date < settledBefore) this.cache.keep(role, date, byDate.get(date) ?? null);
      }
    }
    return [...fromCache, ...found].sort((a, b) => a.date.localeCompare(b.date));
  }

  async putDemandDay(role: string, day: DemandDay, keepUntil: number): Promise<void> {
    this.cache.forget(role, day.date);
    await this.inner.putDemandDay(role, day, keepUntil);
  }

  listServers(role: string): Promise<ServerRecord[]> {
    return this.inner.listServers(role);
  }

  getServer(role: string, intentId: string): Promise<ServerRecord | undefined> {
    return this.inner.getServer(role, intentId);
  }

  createIntent(record: ServerRecord): Promise<void> {
    return this.inner.createIntent(record);
  }

  updateServer(
    role: string,
    intentId: string,
    expectedVersion: number,
    patch: Partial<Omit<ServerRecord, 'role' | 'intentId' | 'version'>>,
  ): Promise<ServerRecord> {
    return this.inner.updateServer(role, intentId, expectedVersion, patch);
  }

  acquireLease(role: string, owner: string, now: number, ttlMs: number): Promise<Lease> {
    return this.inner.acquireLease(role, owner, now, ttlMs);
  }

  releaseLease(role: string, owner: string): Promise<void> {
    return this.inner.releaseLease(role, owner);
  }

  recordSample(role: string, sample: QueueSample): Promise<void> {
    return this.inner.recordSample(role, sample);
  }

  samplesSince(role: string, since: number): Promise<QueueSample[]> {
    return this.inner.samplesSince(role, since);
  }

  journal(entry: JournalEntry): Promise<void> {
    return this.inner.journal(entry);
  }

  recentJournal(role: string, limit: number): Promise<JournalEntry[]> {
    return this.inner.recentJournal(role, limit);
  }

  getControls(role: string): Promise<RoleControls> {
    return this.inner.getControls(role);
  }

  setPause(role: string, pause: RolePause | undefined): Promise<void> {
    return this.inner.setPause(role, pause);
  }

  setBounds(role: string, bounds: RoleBounds | undefined): Promise<void> {
    return this.inner.setBounds(role, bounds);
  }

  setPoolControl(role: string, control: PoolControl | undefined): Promise<void> {
    return this.inner.setPoolControl(role, control);
  }

  getHold(role: string): Promise<HoldRecord | undefined> {
    return this.inner.getHold(role);
  }

  putHold(role: string, hold: HoldRecord): Promise<void> {
    return this.inner.putHold(role, hold);
  }

  getJobTime(role: string): Promise<JobTimeRecord | undefined> {
    return this.inner.getJobTime(role);
  }

  putJobTime(role: string, record: JobTimeRecord): Promise<void> {
    return this.inner.putJobTime(role, record);
  }
}
