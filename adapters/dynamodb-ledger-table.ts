/**
 * The ledger's DynamoDB table: its definition and creation, the item key layout, and the table
 * access every part of the ledger shares (put, paged Query, TTL, condition-failure reading).
 *
 * One table (keys `pk`/`sk`, both strings; TTL attribute `expiresAt`, epoch SECONDS). Every item
 * of a role lives in the role's partition, so one Query reads any kind of item of one role and no
 * index is needed.
 *
 * Item layout (all times are epoch milliseconds unless named otherwise):
 *
 *   pk            sk                             attributes
 *   ROLE#<role>   SERVER#<intentId>              every ServerRecord field, `version`;
 *                                                `expiresAt` once `state` is `terminated`
 *                                                (stateSince/1000 + terminatedTtlSeconds)
 *   ROLE#<role>   LEASE                          owner, leaseExpiresAt (ms; no TTL: one item per role)
 *   ROLE#<role>   SAMPLE#<at, 15 digits>         at, length (number or null), error?, expiresAt
 *   ROLE#<role>   JOURNAL#<at, 15 digits>#<seq>  role, at, kind, summary, detail (map), expiresAt
 *   ROLE#<role>   OVERRIDE#PAUSE                 pause (map: the RolePause)
 *   ROLE#<role>   OVERRIDE#BOUNDS                bounds (map: the RoleBounds)
 *   ROLE#<role>   HOLD                           level, at: what the last holding plan kept
 *   ROLE#<role>   HISTORY#<YYYY-MM-DD>           date, slotMinutes, queue, servers (lists, one entry
 *                                                per slot of the local day), expiresAt
 *   ROLE#<role>   OVERRIDE                       override (map: pause and min/max in one), written
 *                                                by older versions; read, and split on the next write
 *
 * - Times in sort keys are zero-padded to 15 digits so lexical order is numeric order.
 * - Reads are strongly consistent: a tick writes a sample or a record and reads it back at once.
 */
import {
  type AttributeDefinition,
  CreateTableCommand,
  type DynamoDBClient,
  type KeySchemaElement,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mapAwsError } from './aws-errors.js';

/** The table the ledger expects; serverless.yml and the local sandbox create it from this. */
export const LEDGER_TABLE: {
  readonly keySchema: readonly KeySchemaElement[];
  readonly attributeDefinitions: readonly AttributeDefinition[];
  readonly ttlAttribute: 'expiresAt';
} = {
  keySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  attributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ],
  ttlAttribute: 'expiresAt',
};

/**
 * Creates the ledger table (on-demand billing), waits until it is active and, unless `ttl` is
 * false, enables TTL on `expiresAt`. For tests and the local sandbox; deployed stacks get the table
 * from serverless.yml. Note that DynamoDB Local really deletes expired items, within about a second:
 * tests that date items in the past (pinned clocks) should pass `{ ttl: false }`.
 * @throws the SDK's error when the table exists or the call fails (not mapped: this is tooling).
 */
export async function createLedgerTable(
  client: DynamoDBClient,
  tableName: string,
  options: { ttl?: boolean } = {},
): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [...LEDGER_TABLE.keySchema],
      AttributeDefinitions: [...LEDGER_TABLE.attributeDefinitions],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1 }, { TableName: tableName });
  if (options.ttl === false) return;
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: LEDGER_TABLE.ttlAttribute, Enabled: true },
    }),
  );
}

/**
 * The document client the ledger is meant to get: `removeUndefinedValues` lets journal details
 * carry optional keys. Build it once at module scope of a handler, from its DynamoDBClient.
 * @example new DynamoDbLedger(ledgerDocumentClient(new DynamoDBClient({})), { tableName })
 */
export function ledgerDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export type LedgerClient = Pick<DynamoDBDocumentClient, 'send'>;
export type Item = Record<string, unknown>;

const TIME_DIGITS = 15;
export const MAX_TIME_KEY = '9'.repeat(TIME_DIGITS);

/** The ledger's table as the ledger's parts use it: one client, one table name. */
export class LedgerTable {
  constructor(
    readonly client: LedgerClient,
    readonly tableName: string,
    private readonly queryPageSize: number | undefined,
  ) {}

  async put(item: Item, context: string): Promise<void> {
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: item }));
    } catch (error) {
      throw mapAwsError(error, context);
    }
  }

  /** Every page of a Query (or the first `maxItems` items), in the Query's order. */
  async queryAll(
    context: string,
    input: Omit<QueryCommandInput, 'TableName'>,
    maxItems = Number.POSITIVE_INFINITY,
  ): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    try {
      do {
        const wanted = maxItems - items.length;
        const limit = Math.min(this.queryPageSize ?? wanted, wanted);
        const page = await this.client.send(
          new QueryCommand({
            ...input,
            TableName: this.tableName,
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
            ...(Number.isFinite(limit) ? { Limit: limit } : {}),
          }),
        );
        items.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined && items.length < maxItems);
    } catch (error) {
      throw mapAwsError(error, context);
    }
    return items;
  }
}

/** The TTL attribute (epoch seconds) of an item dated `atMs` and kept `keepSeconds`. */
export function ttl(atMs: number, keepSeconds: number): number {
  return Math.floor(atMs / 1000) + keepSeconds;
}

export function rolePk(role: string): string {
  return `ROLE#${role}`;
}

export function serverSk(intentId: string): string {
  return `SERVER#${intentId}`;
}

/** Whole milliseconds, zero-padded so that string order is time order. */
export function timeKey(ms: number): string {
  return String(Math.max(0, Math.floor(ms))).padStart(TIME_DIGITS, '0');
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

export function isConditionFailure(error: unknown): boolean {
  return errorName(error) === 'ConditionalCheckFailedException';
}

/**
 * The item that failed a condition (ReturnValuesOnConditionCheckFailure ALL_OLD). The document
 * client does not unmarshall it (aws/aws-sdk-js-v3#6723), so values come as raw AttributeValues.
 */
export function failedItem(error: unknown): Item | undefined {
  const item = (error as { Item?: unknown }).Item;
  return typeof item === 'object' && item !== null ? (item as Item) : undefined;
}

/** A string attribute, raw (`{ S }`) or unmarshalled. */
export function stringOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const raw = (value as { S?: unknown } | undefined)?.S;
  return typeof raw === 'string' ? raw : undefined;
}

/** A number attribute, raw (`{ N }`) or unmarshalled. */
export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  const raw = (value as { N?: unknown } | undefined)?.N;
  return typeof raw === 'string' ? Number(raw) : undefined;
}
