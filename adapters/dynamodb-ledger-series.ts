/**
 * The ledger's time series: queue samples and journal entries, both kept for a while (TTL) and
 * read newest-window or newest-first.
 *
 * - Two samples of one role at the same millisecond are one sample (the second write replaces the
 *   first), which makes a retried tick harmless. Journal keys carry a suffix, so entries never
 *   collide; within one ledger instance the suffix also keeps same-millisecond entries in order.
 */
import { randomBytes } from 'node:crypto';
import type { JournalEntry, QueueSample } from '../domain/types.js';
import { type Item, type LedgerTable, MAX_TIME_KEY, rolePk, timeKey, ttl } from './dynamodb-ledger-table.js';

export class SamplesAndJournal {
  private journalSeq = 0;

  constructor(
    private readonly table: LedgerTable,
    private readonly sampleTtlSeconds: number,
    private readonly journalTtlSeconds: number,
  ) {}

  async recordSample(role: string, sample: QueueSample): Promise<void> {
    const item: Item = {
      pk: rolePk(role),
      sk: `SAMPLE#${timeKey(sample.at)}`,
      at: sample.at,
      length: sample.length,
      expiresAt: ttl(sample.at, this.sampleTtlSeconds),
    };
    if (sample.error !== undefined) item.error = sample.error;
    if (sample.oldestAgeSeconds !== undefined) item.oldestAgeSeconds = sample.oldestAgeSeconds;
    await this.table.put(item, `recordSample(${role})`);
  }

  async samplesSince(role: string, since: number): Promise<QueueSample[]> {
    const items = await this.table.queryAll(`samplesSince(${role})`, {
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': rolePk(role),
        ':from': `SAMPLE#${timeKey(since)}`,
        ':to': `SAMPLE#${MAX_TIME_KEY}`,
      },
    });
    // Keys hold whole milliseconds; the exact `at` decides for a fractional `since`.
    return items.map(toSample).filter((sample) => sample.at >= since);
  }

  async journal(entry: JournalEntry): Promise<void> {
    this.journalSeq = (this.journalSeq + 1) % 1_000_000;
    const suffix = `${String(this.journalSeq).padStart(6, '0')}${randomBytes(4).toString('hex')}`;
    await this.table.put(
      {
        pk: rolePk(entry.role),
        sk: `JOURNAL#${timeKey(entry.at)}#${suffix}`,
        role: entry.role,
        at: entry.at,
        kind: entry.kind,
        summary: entry.summary,
        detail: entry.detail,
        expiresAt: ttl(entry.at, this.journalTtlSeconds),
      },
      `journal(${entry.role})`,
    );
  }

  async recentJournal(role: string, limit: number): Promise<JournalEntry[]> {
    const max = Math.floor(limit);
    if (!(max > 0)) return [];
    const items = await this.table.queryAll(
      `recentJournal(${role})`,
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': rolePk(role), ':prefix': 'JOURNAL#' },
        ScanIndexForward: false,
      },
      max,
    );
    return items.map((item) => ({
      role: String(item.role),
      at: Number(item.at),
      kind: item.kind as JournalEntry['kind'],
      summary: String(item.summary),
      detail: (item.detail ?? {}) as Record<string, unknown>,
    }));
  }
}

function toSample(item: Item): QueueSample {
  const sample: QueueSample = {
    at: Number(item.at),
    length: typeof item.length === 'number' ? item.length : null,
  };
  if (typeof item.error === 'string') sample.error = item.error;
  if (typeof item.oldestAgeSeconds === 'number') sample.oldestAgeSeconds = item.oldestAgeSeconds;
  return sample;
}
