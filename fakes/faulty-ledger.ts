/**
 * A Ledger wrapper that injects DynamoDB's failures: conditional-write conflicts and throttling,
 * one-shot (`failNext`) or with a probability (`failRate`), writes that land but answer an error
 * (`failAfterWrite`: a timeout after the commit), and the process dying right after a call
 * (`dieAfter`).
 *
 * Death is shared with the fake cloud through a {@link Lifeline}: once dead, every port call of
 * the invocation fails, and `releaseLease` does nothing, so the role's lease stays held until it
 * expires, as with a killed Lambda. The runner calls `lifeline.revive()` when the next invocation
 * starts.
 *
 * It also keeps a synchronous copy of every record written through it (`records()`), so a check
 * that runs inside another port call (the chaos test's "does the ledger own the instance this
 * TerminateInstances names?") can see the ledger at that instant.
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

export type LedgerMethod = Exclude<keyof Ledger, 'releaseLease'>;

/** The process running the invocation was killed; nothing after this point happens. */
export class ProcessDied extends Error {
  constructor(readonly where: string) {
    super(`process died ${where}`);
    this.name = 'ProcessDied';
  }
}

/** Whether the current invocation's process is alive; shared by every faulty port. */
export class Lifeline {
  dead = false;
  deaths = 0;

  /** Kills the process now: throws, and every later call of this invocation fails. */
  die(where: string): never {
    this.dead = true;
    this.deaths += 1;
    throw new ProcessDied(where);
  }

  /** Throws when the process is dead (call at the start of every port call). */
  check(): void {
    if (this.dead) throw new ProcessDied('earlier in this invocation');
  }

  /** The next invocation runs in a fresh process. */
  revive(): void {
    this.dead = false;
  }
}

interface RateFault {
  probability: number;
  make: () => Error;
}

export interface FaultyLedgerOptions {
  /** Random numbers in [0, 1) for probabilistic faults. */
  random?: () => number;
  lifeline?: Lifeline;
}

export class FaultyLedger implements Ledger {
  readonly lifeline: Lifeline;
  /** How many calls an injected fault failed (deaths are counted by the lifeline). */
  faultsFired = 0;
  private readonly oneShot = new Map<LedgerMethod, Error[]>();
  private readonly afterWrite = new Map<LedgerMethod, Error[]>();
  private readonly deaths = new Map<LedgerMethod, number>();
  private readonly rates = new Map<LedgerMethod, RateFault>();
  private readonly written = new Map<string, ServerRecord>();

  constructor(
    readonly inner: Ledger,
    private readonly options: FaultyLedgerOptions = {},
  ) {
    this.lifeline = options.lifeline ?? new Lifeline();
  }

  /** The next call of `method` fails with `error` without touching the ledger (queued). */
  failNext(method: LedgerMethod, error: Error): this {
    this.oneShot.set(method, [...(this.oneShot.get(method) ?? []), error]);
    return this;
  }

  /** Every call of `method` fails with this probability until `clearFaults()` (0 clears it). */
  failRate(method: LedgerMethod, probability: number, make: () => Error): this {
    if (probability <= 0) this.rates.delete(method);
    else this.rates.set(method, { probability, make });
    return this;
  }

  /** The next call of `method` takes effect, then answers `error` (a timeout after the commit). */
  failAfterWrite(method: LedgerMethod, error: Error): this {
    this.afterWrite.set(method, [...(this.afterWrite.get(method) ?? []), error]);
    return this;
  }

  /** The process dies right after the next successful call of `method`. */
  dieAfter(method: LedgerMethod): this {
    this.deaths.set(method, (this.deaths.get(method) ?? 0) + 1);
    return this;
  }

  /** Stops every injected fault; a dead invocation stays dead until `lifeline.revive()`. */
  clearFaults(): this {
    this.oneShot.clear();
    this.afterWrite.clear();
    this.deaths.clear();
    this.rates.clear();
    return this;
  }

  /** Every record written through this wrapper, as last written. */
  records(): ServerRecord[] {
    return [...this.written.values()];
  }

  private before(method: LedgerMethod): void {
    this.lifeline.check();
    const queued = this.oneShot.get(method)?.shift();
    if (queued !== undefined) {
      this.faultsFired += 1;
      throw queued;
    }
    const rate = this.rates.get(method);
    if (rate !== undefined && (this.options.random ?? Math.random)() < rate.probability) {
      this.faultsFired += 1;
      throw rate.make();
    }
  }

  private after(method: LedgerMethod): void {
    const dies = this.deaths.get(method) ?? 0;
    if (dies > 0) {
      this.deaths.set(method, dies - 1);
      this.lifeline.die(`after ${method}`);
    }
    const error = this.afterWrite.get(method)?.shift();
    if (error !== undefined) {
      this.faultsFired += 1;
      throw error;
    }
  }

  private async call<T>(method: LedgerMethod, run: () => Promise<T>): Promise<T> {
    this.before(method);
    const result = await run();
    this.after(method);
    return result;
  }

  listServers(role: string): Promise<ServerRecord[]> {
    return this.call('listServers', () => this.inner.listServers(role));
  }

  getServer(role: string, intentId: string): Promise<ServerRecord | undefined> {
    return this.call('getServer', () => this.inner.getServer(role, intentId));
  }

  createIntent(record: ServerRecord): Promise<void> {
    return this.call('createIntent', async () => {
      await this.inner.createIntent(record);
      this.written.set(`${record.role}#${record.intentId}`, structuredClone(record));
    });
  }

  updateServer(
    role: string,
    intentId: string,
    expectedVersion: number,
    patch: Partial<Omit<ServerRecord, 'role' | 'intentId' | 'version'>>,
  ): Promise<ServerRecord> {
    return this.call('updateServer', async () => {
      const updated = await this.inner.updateServer(role, intentId, expectedVersion, patch);
      this.written.set(`${role}#${intentId}`, structuredClone(updated));
      return updated;
    });
  }

  acquireLease(role: string, owner: string, now: number, ttlMs: number): Promise<Lease> {
    return this.call('acquireLease', () => this.inner.acquireLease(role, owner, now, ttlMs));
  }

  /** A dead process releases nothing: its lease stays until it expires. */
  async releaseLease(role: string, owner: string): Promise<void> {
    if (this.lifeline.dead) return;
    await this.inner.releaseLease(role, owner);
  }

  recordSample(role: string, sample: QueueSample): Promise<void> {
    return this.call('recordSample', () => this.inner.recordSample(role, sample));
  }

  samplesSince(role: string, since: number): Promise<QueueSample[]> {
    return this.call('samplesSince', () => this.inner.samplesSince(role, since));
  }

  journal(entry: JournalEntry): Promise<void> {
    return this.call('journal', () => this.inner.journal(entry));
  }

  recentJournal(role: string, limit: number): Promise<JournalEntry[]> {
    return this.call('recentJournal', () => this.inner.recentJournal(role, limit));
  }

  getControls(role: string): Promise<RoleControls> {
    return this.call('getControls', () => this.inner.getControls(role));
  }

  setPause(role: string, pause: RolePause | undefined): Promise<void> {
    return this.call('setPause', () => this.inner.setPause(role, pause));
  }

  setBounds(role: string, bounds: RoleBounds | undefined): Promise<void> {
    return this.call('setBounds', () => this.inner.setBounds(role, bounds));
  }

  setPoolControl(role: string, control: PoolControl | undefined): Promise<void> {
    return this.call('setPoolControl', () => this.inner.setPoolControl(role, control));
  }

  getHold(role: string): Promise<HoldRecord | undefined> {
    return this.call('getHold', () => this.inner.getHold(role));
  }

  putHold(role: string, hold: HoldRecord): Promise<void> {
    return this.call('putHold', () => this.inner.putHold(role, hold));
  }

  getJobTime(role: string): Promise<JobTimeRecord | undefined> {
    return this.call('getJobTime', () => this.inner.getJobTime(role));
  }

  putJobTime(role: string, record: JobTimeRecord): Promise<void> {
    return this.call('putJobTime', () => this.inner.putJobTime(role, record));
  }

  demandHistory(role: string, dates: readonly string[], read?: HistoryRead): Promise<DemandDay[]> {
    return this.call('demandHistory', () => this.inner.demandHistory(role, dates, read));
  }

  putDemandDay(role: string, day: DemandDay, keepUntil: number): Promise<void> {
    return this.call('putDemandDay', () => this.inner.putDemandDay(role, day, keepUntil));
  }
}
