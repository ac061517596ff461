/**
 * A fresh, uniquely named ledger table on the run's DynamoDB Local (see test/setup/dynamodb-local.ts),
 * so tests never share state. Call `cleanup()` in afterEach/afterAll.
 *
 * TTL is OFF by default: DynamoDB Local deletes expired items within about a second, so with TTL on,
 * a test that pins its clock in the past (say Monday 2026-03-02 09:00) would watch its samples and
 * journal entries vanish mid-test. Pass `{ ttl: true }` only to test expiry itself, dating items
 * relative to the real clock.
 */
import { randomBytes } from 'node:crypto';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { createLedgerTable, ledgerDocumentClient } from '../../adapters/dynamodb-ledger.js';
import { localDynamoClient } from '../../fakes/dynamodb-local.js';

export interface LocalTable {
  tableName: string;
  /** The low-level client, for raw reads (GetItem) that bypass the code under test. */
  client: DynamoDBClient;
  /** A document client built as handlers build theirs (`ledgerDocumentClient`). */
  doc: DynamoDBDocumentClient;
  /** Deletes the table and closes the clients. */
  cleanup(): Promise<void>;
}

export async function createTestTable(options: { ttl?: boolean; prefix?: string } = {}): Promise<LocalTable> {
  const client = localDynamoClient(inject('dynamoEndpoint'));
  const tableName = `${options.prefix ?? 'ledger'}-${process.pid}-${randomBytes(6).toString('hex')}`;
  await createLedgerTable(client, tableName, { ttl: options.ttl ?? false });
  const doc = ledgerDocumentClient(client);
  return {
    tableName,
    client,
    doc,
    cleanup: async () => {
      try {
        await client.send(new DeleteTableCommand({ TableName: tableName }));
      } finally {
        client.destroy();
      }
    },
  };
}
