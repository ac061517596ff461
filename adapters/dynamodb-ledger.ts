/**
 * The `Ledger` port over one DynamoDB table (keys `pk`/`sk`, both strings; TTL attribute
 * `expiresAt`, epoch SECONDS). Every item of a role lives in the role's partition, so one Query
 * reads any kind of item of one role and no index is needed.
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
 *   ROLE#<role>   OVERRIDE                       override (map: the RoleOverride)
 *
 * - Times in sort keys are zero-padded to 15 digits so lexical order is numeric order.
 * - Two samples of one role at the same millisecond are one sample (the second write replaces the
 *   first), which makes a retried tick harmless. Journal keys carry a suffix, so entries never
 *   collide; within one ledger instance the suffix also keeps same-millisecond entries in order.
 * - The override is stored as a nested map because RoleOverride has its own `expiresAt` (ms, when
 *   min/max stop applying), which must not be read as the item's TTL.
 * - `updateServer` patch semantics: a key present with the value `undefined` REMOVEs the attribute
 *   (e.g. `{ drainUntil: undefined }` clears it); an absent key leaves the attribute unchanged.
 *   Changing `state` to anything but `terminated` removes `expiresAt`, so a record never expires
 *   while it is live. A patch naming anything but a patchable ServerRecord field, or clearing a
 *   required one (state, createdAt, stateSince, registered), is refused with InvalidRequestError.
 * - Reads are strongly consistent: a tick writes a sample or a record and reads it back at once.
 */

import { randomBytes } from 'node:crypto';
import {
  type AttributeDefinition,
  CreateTableCommand,
  type DynamoDBClient,
  type KeySchemaElement,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  ConflictError,
  InvalidRequestError,
  LeaseHeldError,
  NotFoundError,
  TransientError,
} from '../domain/errors.js';
import type { Clock, Lease, Ledger } from '../domain/ports.js';
import type { JournalEntry, QueueSample, RoleOverride, ServerRecord } from '../domain/types.js';
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

type LedgerClient = Pick<DynamoDBDocumentClient, 'send'>;
type ServerPatch = Partial<Omit<ServerRecord, 'role' | 'intentId' | 'version'>>;
type Item = Record<string, unknown>;

const DAY_SECONDS = 24 * 60 * 60;
const TIME_DIGITS = 15;
const MAX_TIME_KEY = '9'.repeat(TIME_DIGITS);

/** Every patchable ServerRecord field: the mapped type makes this fail to compile if one is missed. */
const PATCHABLE: { readonly [K in keyof Required<ServerPatch>]: { required: boolean } } = {
  instanceId: { required: false },
  state: { required: true },
  createdAt: { required: true },
  launchedAt: { required: false },
  stateSince: { required: true },
  privateIp: { required: false },
  instanceType: { required: false },
  registered: { required: true },
  drainUntil: { required: false },
  reason: { required: false },
  launchAttempt: { required: false },
  orphan: { required: false },
  missingSince: { required: false },
};
const PATCH_FIELDS = Object.keys(PATCHABLE) as (keyof ServerPatch)[];

const RECORD_FIELDS: readonly (keyof ServerRecord)[] = ['role', 'intentId', 'version', ...PATCH_FIELDS];

export class DynamoDbLedger implements Ledger {
  private readonly tableName: string;
  private readonly sampleTtlSeconds: number;
  private readonly journalTtlSeconds: number;
  private readonly terminatedTtlSeconds: number;
  private readonly queryPageSize: number | undefined;
  private readonly clock: Clock;
  private journalSeq = 0;

  /**
   * @param client a document client, ideally from `ledgerDocumentClient` (removeUndefinedValues).
   */
  constructor(
    private readonly client: LedgerClient,
    settings: DynamoDbLedgerSettings,
  ) {
    this.tableName = settings.tableName;
    this.sampleTtlSeconds = settings.sampleTtlSeconds ?? 2 * DAY_SECONDS;
    this.journalTtlSeconds = settings.journalTtlSeconds ?? 30 * DAY_SECONDS;
    this.terminatedTtlSeconds = settings.terminatedTtlSeconds ?? 7 * DAY_SECONDS;
    this.queryPageSize = settings.queryPageSize;
    this.clock = settings.clock ?? { now: () => Date.now() };
  }

  async listServers(role: string): Promise<ServerRecord[]> {
    const items = await this.queryAll(`listServers(${role})`, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': rolePk(role), ':prefix': 'SERVER#' },
    });
    return items.map(toServerRecord);
  }

  async createIntent(record: ServerRecord): Promise<void> {
    const item: Item = { pk: rolePk(record.role), sk: serverSk(record.intentId) };
    for (const field of RECORD_FIELDS) if (record[field] !== undefined) item[field] = record[field];
    if (record.state === 'terminated')
      item.expiresAt = this.ttl(record.stateSince, this.terminatedTtlSeconds);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new ConflictError(`intent ${record.intentId} of role ${record.role} is already recorded`, {
          cause: error,
        });
      }
      throw mapAwsError(error, `createIntent(${record.role}, ${record.intentId})`);
    }
  }

  async updateServer(
    role: string,
    intentId: string,
    expectedVersion: number,
    patch: ServerPatch,
  ): Promise<ServerRecord> {
    const context = `updateServer(${role}, ${intentId})`;
    // Guard the record's identity and shape: only its own fields, and required ones never cleared.
    const refused = Object.entries(patch)
      .filter(([key, value]) => !Object.hasOwn(PATCHABLE, key) || (value === undefined && isRequired(key)))
      .map(([key]) => key);
    if (refused.length > 0) throw new InvalidRequestError(`${context}: cannot patch ${refused.join(', ')}`);
    const names: Record<string, string> = { '#version': 'version' };
    const values: Item = { ':expected': expectedVersion, ':one': 1 };
    const sets = ['#version = #version + :one'];
    const removes: string[] = [];
    PATCH_FIELDS.forEach((field, index) => {
      if (!Object.hasOwn(patch, field)) return;
      names[`#f${index}`] = field;
      const value = patch[field];
      if (value === undefined) {
        removes.push(`#f${index}`);
      } else {
        values[`:f${index}`] = value;
        sets.push(`#f${index} = :f${index}`);
      }
    });
    if (patch.state !== undefined) {
      names['#expiresAt'] = 'expiresAt';
      if (patch.state === 'terminated') {
        values[':expiresAt'] = this.ttl(patch.stateSince ?? this.clock.now(), this.terminatedTtlSeconds);
        sets.push('#expiresAt = :expiresAt');
      } else {
        removes.push('#expiresAt');
      }
    }
    const update = `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`;
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: rolePk(role), sk: serverSk(intentId) },
          UpdateExpression: update,
          ConditionExpression: 'attribute_exists(pk) AND #version = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      if (result.Attributes === undefined) throw new TransientError(`${context}: no attributes returned`);
      return toServerRecord(result.Attributes);
    } catch (error) {
      if (isConditionFailure(error)) {
        const current = failedItem(error);
        if (current === undefined) {
          throw new NotFoundError(`no server record ${intentId} in role ${role}`, { cause: error });
        }
        throw new ConflictError(
          `server record ${intentId} of role ${role} is at version ${numberOf(current.version)}, ` +
            `not ${expectedVersion}`,
          { cause: error },
        );
      }
      throw mapAwsError(error, context);
    }
  }

  async acquireLease(role: string, owner: string, now: number, ttlMs: number): Promise<Lease> {
    const expiresAt = now + ttlMs;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: rolePk(role), sk: 'LEASE', owner, leaseExpiresAt: expiresAt },
          ConditionExpression: 'attribute_not_exists(pk) OR leaseExpiresAt < :now OR #owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':now': now, ':owner': owner },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { role, owner, expiresAt };
    } catch (error) {
      const holder = isConditionFailure(error) ? failedItem(error) : undefined;
      const holderName = stringOf(holder?.owner);
      const holderExpiry = numberOf(holder?.leaseExpiresAt);
      if (holderName !== undefined && holderExpiry !== undefined) {
        throw new LeaseHeldError(role, holderName, holderExpiry);
      }
      throw mapAwsError(error, `acquireLease(${role}, ${owner})`);
    }
  }

  async releaseLease(role: string, owner: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: rolePk(role), sk: 'LEASE' },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      // Not ours (any more): someone took over an expired lease, or it is already gone. Fine.
      if (isConditionFailure(error)) return;
      throw mapAwsError(error, `releaseLease(${role}, ${owner})`);
    }
  }

  async recordSample(role: string, sample: QueueSample): Promise<void> {
    const item: Item = {
      pk: rolePk(role),
      sk: `SAMPLE#${timeKey(sample.at)}`,
      at: sample.at,
      length: sample.length,
      expiresAt: this.ttl(sample.at, this.sampleTtlSeconds),
    };
    if (sample.error !== undefined) item.error = sample.error;
    await this.put(item, `recordSample(${role})`);
  }

  async samplesSince(role: string, since: number): Promise<QueueSample[]> {
    const items = await this.queryAll(`samplesSince(${role})`, {
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
    await this.put(
      {
        pk: rolePk(entry.role),
        sk: `JOURNAL#${timeKey(entry.at)}#${suffix}`,
        role: entry.role,
        at: entry.at,
        kind: entry.kind,
        summary: entry.summary,
        detail: entry.detail,
        expiresAt: this.ttl(entry.at, this.journalTtlSeconds),
      },
      `journal(${entry.role})`,
    );
  }

  async recentJournal(role: string, limit: number): Promise<JournalEntry[]> {
    const max = Math.floor(limit);
    if (!(max > 0)) return [];
    const items = await this.queryAll(
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

  async getOverride(role: string): Promise<RoleOverride | undefined> {
    try {
      const result = await this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: rolePk(role), sk: 'OVERRIDE' },
          ConsistentRead: true,
        }),
      );
      return result.Item?.override as RoleOverride | undefined;
    } catch (error) {
      throw mapAwsError(error, `getOverride(${role})`);
    }
  }

  async setOverride(role: string, override: RoleOverride | undefined): Promise<void> {
    const key = { pk: rolePk(role), sk: 'OVERRIDE' };
    if (override !== undefined) {
      await this.put({ ...key, override: withoutUndefined(override) }, `setOverride(${role})`);
      return;
    }
    try {
      await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: key }));
    } catch (error) {
      throw mapAwsError(error, `setOverride(${role}, undefined)`);
    }
  }

  private ttl(atMs: number, keepSeconds: number): number {
    return Math.floor(atMs / 1000) + keepSeconds;
  }

  private async put(item: Item, context: string): Promise<void> {
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: item }));
    } catch (error) {
      throw mapAwsError(error, context);
    }
  }

  /** Every page of a Query (or the first `maxItems` items), in the Query's order. */
  private async queryAll(
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

function rolePk(role: string): string {
  return `ROLE#${role}`;
}

function serverSk(intentId: string): string {
  return `SERVER#${intentId}`;
}

/** Whole milliseconds, zero-padded so that string order is time order. */
function timeKey(ms: number): string {
  return String(Math.max(0, Math.floor(ms))).padStart(TIME_DIGITS, '0');
}

function toServerRecord(item: Item): ServerRecord {
  const record: Item = {};
  for (const field of RECORD_FIELDS) if (item[field] !== undefined) record[field] = item[field];
  return record as unknown as ServerRecord;
}

function toSample(item: Item): QueueSample {
  const sample: QueueSample = {
    at: Number(item.at),
    length: typeof item.length === 'number' ? item.length : null,
  };
  if (typeof item.error === 'string') sample.error = item.error;
  return sample;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function isRequired(field: string): boolean {
  return PATCHABLE[field as keyof ServerPatch].required;
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function isConditionFailure(error: unknown): boolean {
  return errorName(error) === 'ConditionalCheckFailedException';
}

/**
 * The item that failed a condition (ReturnValuesOnConditionCheckFailure ALL_OLD). The document
 * client does not unmarshall it (aws/aws-sdk-js-v3#6723), so values come as raw AttributeValues.
 */
function failedItem(error: unknown): Item | undefined {
  const item = (error as { Item?: unknown }).Item;
  return typeof item === 'object' && item !== null ? (item as Item) : undefined;
}

/** A string attribute, raw (`{ S }`) or unmarshalled. */
function stringOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const raw = (value as { S?: unknown } | undefined)?.S;
  return typeof raw === 'string' ? raw : undefined;
}

/** A number attribute, raw (`{ N }`) or unmarshalled. */
function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  const raw = (value as { N?: unknown } | undefined)?.N;
  return typeof raw === 'string' ? Number(raw) : undefined;
}
