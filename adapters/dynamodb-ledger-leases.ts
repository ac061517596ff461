/**
 * The ledger's per-role singletons: the converge lease (a conditional put that only an expired
 * lease or its own owner passes) and the operator's override.
 *
 * - The override is stored as a nested map because RoleOverride has its own `expiresAt` (ms, when
 *   min/max stop applying), which must not be read as the item's TTL.
 */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { LeaseHeldError } from '../domain/errors.js';
import type { Lease } from '../domain/ports.js';
import type { RoleOverride } from '../domain/types.js';
import { mapAwsError } from './aws-errors.js';
import {
  failedItem,
  isConditionFailure,
  type LedgerTable,
  numberOf,
  rolePk,
  stringOf,
} from './dynamodb-ledger-table.js';

export class LeasesAndOverrides {
  constructor(private readonly table: LedgerTable) {}

  async acquireLease(role: string, owner: string, now: number, ttlMs: number): Promise<Lease> {
    const expiresAt = now + ttlMs;
    try {
      await this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
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
      await this.table.client.send(
        new DeleteCommand({
          TableName: this.table.tableName,
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

  async getOverride(role: string): Promise<RoleOverride | undefined> {
    try {
      const result = await this.table.client.send(
        new GetCommand({
          TableName: this.table.tableName,
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
      await this.table.put({ ...key, override: withoutUndefined(override) }, `setOverride(${role})`);
      return;
    }
    try {
      await this.table.client.send(new DeleteCommand({ TableName: this.table.tableName, Key: key }));
    } catch (error) {
      throw mapAwsError(error, `setOverride(${role}, undefined)`);
    }
  }
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
