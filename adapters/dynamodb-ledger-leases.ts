/**
 * The ledger's converge lease: one item per role, taken by a conditional put that only an expired
 * lease or its own owner passes, released by a conditional delete.
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { LeaseHeldError } from '../domain/errors.js';
import type { Lease } from '../domain/ports.js';
import { mapAwsError } from './aws-errors.js';
import {
  failedItem,
  isConditionFailure,
  type LedgerTable,
  numberOf,
  rolePk,
  stringOf,
} from './dynamodb-ledger-table.js';

export class Leases {
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
}
