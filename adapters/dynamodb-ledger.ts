/**
 * The `Ledger` port over one DynamoDB table. The table, its key layout and the shared access live
 * in dynamodb-ledger-table.ts; server records in dynamodb-ledger-servers.ts; queue samples and the
 * journal in dynamodb-ledger-series.ts; the lease in dynamodb-ledger-leases.ts; the pause, the
 * bounds and the demand hold in dynamodb-ledger-controls.ts; the demand history in
 * dynamodb-ledger-history.ts.
 * This class holds the settings and answers the port by delegating.
 */
import type { Clock, Lease, Ledger } from '../domain/ports.js';
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
import { RoleControlItems } from './dynamodb-ledger-controls.js';
import { DemandHistory } from './dynamodb-ledger-history.js';
import { Leases } from './dynamodb-ledger-leases.js';
import { SamplesAndJournal } from './dynamodb-ledger-series.js';
import { type ServerPatch, ServerRecords } from './dynamodb-ledger-servers.js';
import { type LedgerClient, LedgerTable } from './dynamodb-ledger-table.js';

export { createLedgerTable, LEDGER_TABLE, ledgerDocumentClient } from './dynamodb-ledger-table.js';

export interface DynamoDbLedgerSettings {
  tableName: string;
  /** How long queue samples are kept. Default 2 days. */
  sampleTtlSeconds?: number;
  /** How long journal entries are kept. Default 30 days. */
  journalTtlSeconds?: number;
  /** How long terminated server records are kept. Default 7 days. */
  terminatedTtlSeconds?: number;
  /** Items per Query page; default DynamoDB's own (1 MB). Small values exist for tests. */
  queryPageSize?: number;
  /** Only used to date a `terminated` patch that omits `stateSince`. Default: the system clock. */
  clock?: Clock;
}

const DAY_SECONDS = 24 * 60 * 60;

export class DynamoDbLedger implements Ledger {
  private readonly servers: ServerRecords;
  private readonly series: SamplesAndJournal;
  private readonly leases: Leases;
  private readonly controls: RoleControlItems;
  private readonly history: DemandHistory;

  /**
   * @param client a document client, ideally from `ledgerDocumentClient` (removeUndefinedValues).
   */
  constructor(client: LedgerClient, settings: DynamoDbLedgerSettings) {
    const table = new LedgerTable(client, settings.tableName, settings.queryPageSize);
    this.servers = new ServerRecords(
      table,
      settings.terminatedTtlSeconds ?? 7 * DAY_SECONDS,
      settings.clock ?? { now: () => Date.now() },
    );
    this.series = new SamplesAndJournal(
      table,
      settings.sampleTtlSeconds ?? 2 * DAY_SECONDS,
      settings.journalTtlSeconds ?? 30 * DAY_SECONDS,
    );
    this.leases = new Leases(table);
    this.controls = new RoleControlItems(table);
    this.history = new DemandHistory(table);
  }

  listServers(role: string): Promise<ServerRecord[]> {
    return this.servers.listServers(role);
  }

  getServer(role: string, intentId: string): Promise<ServerRecord | undefined> {
    return this.servers.getServer(role, intentId);
  }

  createIntent(record: ServerRecord): Promise<void> {
    return this.servers.createIntent(record);
  }

  updateServer(
    role: string,
    intentId: string,
    expectedVersion: number,
    patch: ServerPatch,
  ): Promise<ServerRecord> {
    return this.servers.updateServer(role, intentId, expectedVersion, patch);
  }

  acquireLease(role: string, owner: string, now: number, ttlMs: number): Promise<Lease> {
    return this.leases.acquireLease(role, owner, now, ttlMs);
  }

  releaseLease(role: string, owner: string): Promise<void> {
    return this.leases.releaseLease(role, owner);
  }

  recordSample(role: string, sample: QueueSample): Promise<void> {
    return this.series.recordSample(role, sample);
  }

  samplesSince(role: string, since: number): Promise<QueueSample[]> {
    return this.series.samplesSince(role, since);
  }

  journal(entry: JournalEntry): Promise<void> {
    return this.series.journal(entry);
  }

  recentJournal(role: string, limit: number): Promise<JournalEntry[]> {
    return this.series.recentJournal(role, limit);
  }

  getControls(role: string): Promise<RoleControls> {
    return this.controls.getControls(role);
  }

  setPause(role: string, pause: RolePause | undefined): Promise<void> {
    return this.controls.setPause(role, pause);
  }

  setBounds(role: string, bounds: RoleBounds | undefined): Promise<void> {
    return this.controls.setBounds(role, bounds);
  }

  setPoolControl(role: string, control: PoolControl | undefined): Promise<void> {
    return this.controls.setPoolControl(role, control);
  }

  getHold(role: string): Promise<HoldRecord | undefined> {
    return this.controls.getHold(role);
  }

  putHold(role: string, hold: HoldRecord): Promise<void> {
    return this.controls.putHold(role, hold);
  }

  getJobTime(role: string): Promise<JobTimeRecord | undefined> {
    return this.controls.getJobTime(role);
  }

  putJobTime(role: string, record: JobTimeRecord): Promise<void> {
    return this.controls.putJobTime(role, record);
  }

  demandHistory(role: string, dates: readonly string[]): Promise<DemandDay[]> {
    return this.history.demandHistory(role, dates);
  }

  putDemandDay(role: string, day: DemandDay, keepUntil: number): Promise<void> {
    return this.history.putDemandDay(role, day, keepUntil);
  }
}
