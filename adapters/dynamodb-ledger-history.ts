/**
 * The ledger's demand history: one item per role and local date (`HISTORY#<date>`) holding that
 * day's slots, replaced whole when a slot grows (the role's lease keeps two writers apart) and
 * expired by TTL. Read by date with one BatchGetItem per 100 dates, strongly consistent.
 */
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { ThrottlingError } from '../domain/errors.js';
import type { DemandDay } from '../domain/types.js';
import { mapAwsError } from './aws-errors.js';
import { type Item, type LedgerTable, rolePk } from './dynamodb-ledger-table.js';

/** BatchGetItem takes at most 100 keys. */
const BATCH = 100;
/** Rounds of unprocessed keys retried before the read is given up as throttled. */
const ROUNDS = 5;

export function historySk(date: string): string {
  return `HISTORY#${date}`;
}

export class DemandHistory {
  constructor(private readonly table: LedgerTable) {}

  async demandHistory(role: string, dates: readonly string[]): Promise<DemandDay[]> {
    const context = `demandHistory(${role})`;
    const unique = [...new Set(dates)];
    const found: DemandDay[] = [];
    for (let i = 0; i < unique.length; i += BATCH) {
      let keys: Item[] = unique
        .slice(i, i + BATCH)
        .map((date) => ({ pk: rolePk(role), sk: historySk(date) }));
      for (let round = 0; keys.length > 0; round++) {
        if (round === ROUNDS)
          throw new ThrottlingError(`${context}: ${keys.length} days left unread after ${ROUNDS} rounds`);
        try {
          const page = await this.table.client.send(
            new BatchGetCommand({
              RequestItems: { [this.table.tableName]: { Keys: keys, ConsistentRead: true } },
            }),
          );
          for (const item of page.Responses?.[this.table.tableName] ?? []) {
            const day = toDay(item);
            if (day !== undefined) found.push(day);
          }
          keys = (page.UnprocessedKeys?.[this.table.tableName]?.Keys ?? []) as Item[];
        } catch (error) {
          throw mapAwsError(error, context);
        }
      }
    }
    return found.sort((a, b) => a.date.localeCompare(b.date));
  }

  async putDemandDay(role: string, day: DemandDay, keepUntil: number): Promise<void> {
    await this.table.put(
      {
        pk: rolePk(role),
        sk: historySk(day.date),
        date: day.date,
        slotMinutes: day.slotMinutes,
        queue: day.queue,
        servers: day.servers,
        expiresAt: Math.floor(keepUntil / 1000),
      },
      `putDemandDay(${role}, ${day.date})`,
    );
  }
}

/** An item as a day; one that is not a day's shape (hand-edited, another version's) is skipped. */
function toDay(item: Item): DemandDay | undefined {
  const { date, slotMinutes, queue, servers } = item;
  const slots = (list: unknown) =>
    Array.isArray(list) && list.every((v) => v === null || typeof v === 'number');
  if (typeof date !== 'string' || typeof slotMinutes !== 'number' || !slots(queue) || !slots(servers)) {
    return undefined;
  }
  return { date, slotMinutes, queue: queue as (number | null)[], servers: servers as (number | null)[] };
}
