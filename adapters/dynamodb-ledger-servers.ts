/**
 * The ledger's server records: one item per launch intent, created only if absent, and updated
 * only at the version the caller read (optimistic concurrency).
 *
 * - `updateServer` patch semantics: a key present with the value `undefined` REMOVEs the attribute
 *   (e.g. `{ drainUntil: undefined }` clears it); an absent key leaves the attribute unchanged.
 *   Changing `state` to anything but `terminated` removes `expiresAt`, so a record never expires
 *   while it is live. A patch naming anything but a patchable ServerRecord field, or clearing a
 *   required one (state, createdAt, stateSince, registered), is refused with InvalidRequestError.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError, InvalidRequestError, NotFoundError, TransientError } from '../domain/errors.js';
import type { Clock } from '../domain/ports.js';
import type { ServerRecord } from '../domain/types.js';
import { mapAwsError } from './aws-errors.js';
import {
  failedItem,
  type Item,
  isConditionFailure,
  type LedgerTable,
  numberOf,
  rolePk,
  serverSk,
  ttl,
} from './dynamodb-ledger-table.js';

export type ServerPatch = Partial<Omit<ServerRecord, 'role' | 'intentId' | 'version'>>;

/** Every patchable ServerRecord field: the mapped type makes this fail to compile if one is missed. */
const PATCHABLE: { readonly [K in keyof Required<ServerPatch>]: { required: boolean } } = {
  instanceId: { required: false },
  state: { required: true },
  createdAt: { required: true },
  launchedAt: { required: false },
  stateSince: { required: true },
  inServiceAt: { required: false },
  privateIp: { required: false },
  instanceType: { required: false },
  registered: { required: true },
  drainUntil: { required: false },
  reason: { required: false },
  launchAttempt: { required: false },
  batchId: { required: false },
  batchSize: { required: false },
  batchIndex: { required: false },
  market: { required: false },
  subnetId: { required: false },
  interruptedAt: { required: false },
  rebalanceAt: { required: false },
  avoidInstanceType: { required: false },
  avoidSubnetId: { required: false },
  orphan: { required: false },
  missingSince: { required: false },
  image: { required: false },
  userDataDigest: { required: false },
  release: { required: false },
  stoppedAt: { required: false },
  startedAt: { required: false },
  startSeconds: { required: false },
  bridge: { required: false },
};
const PATCH_FIELDS = Object.keys(PATCHABLE) as (keyof ServerPatch)[];

const RECORD_FIELDS: readonly (keyof ServerRecord)[] = ['role', 'intentId', 'version', ...PATCH_FIELDS];

export class ServerRecords {
  constructor(
    private readonly table: LedgerTable,
    private readonly terminatedTtlSeconds: number,
    private readonly clock: Clock,
  ) {}

  async listServers(role: string): Promise<ServerRecord[]> {
    const items = await this.table.queryAll(`listServers(${role})`, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': rolePk(role), ':prefix': 'SERVER#' },
    });
    return items.map(toServerRecord);
  }

  async getServer(role: string, intentId: string): Promise<ServerRecord | undefined> {
    try {
      const result = await this.table.client.send(
        new GetCommand({
          TableName: this.table.tableName,
          Key: { pk: rolePk(role), sk: serverSk(intentId) },
          ConsistentRead: true,
        }),
      );
      return result.Item === undefined ? undefined : toServerRecord(result.Item);
    } catch (error) {
      throw mapAwsError(error, `getServer(${role}, ${intentId})`);
    }
  }

  async createIntent(record: ServerRecord): Promise<void> {
    const item: Item = { pk: rolePk(record.role), sk: serverSk(record.intentId) };
    for (const field of RECORD_FIELDS) if (record[field] !== undefined) item[field] = record[field];
    if (record.state === 'terminated') item.expiresAt = ttl(record.stateSince, this.terminatedTtlSeconds);
    try {
      await this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
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
        values[':expiresAt'] = ttl(patch.stateSince ?? this.clock.now(), this.terminatedTtlSeconds);
        sets.push('#expiresAt = :expiresAt');
      } else {
        removes.push('#expiresAt');
      }
    }
    const update = `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`;
    try {
      const result = await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
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
}

function toServerRecord(item: Item): ServerRecord {
  const record: Item = {};
  for (const field of RECORD_FIELDS) if (item[field] !== undefined) record[field] = item[field];
  return record as unknown as ServerRecord;
}

function isRequired(field: string): boolean {
  return PATCHABLE[field as keyof ServerPatch].required;
}
