/**
 * Where the sandbox keeps its ledger: DynamoDB Local when Java is available (or asked for), else in
 * memory; the table is created without TTL, since simulated times are not now.
 */
import { createLedgerTable, DynamoDbLedger, ledgerDocumentClient } from '../adapters/dynamodb-ledger.js';
import { MemoryLedger } from '../adapters/memory-ledger.js';
import type { Clock, Ledger } from '../domain/ports.js';
import { javaAvailable, localDynamoClient, startDynamoDbLocal } from '../fakes/dynamodb-local.js';
import { SANDBOX_STACK } from './sandbox-app.js';

/** Where the sandbox keeps its ledger: auto picks DynamoDB Local when Java is available. */
export type LedgerChoice = 'auto' | 'memory' | 'dynamodb';
export const LEDGER_CHOICES: readonly LedgerChoice[] = ['auto', 'memory', 'dynamodb'];

export interface LedgerSetup {
  /** The ledger, dating what it dates by the sandbox's clock. */
  create(clock: Clock): Ledger;
  kind: 'dynamodb-local' | 'memory';
  description: string;
  close(): Promise<void>;
}

export async function setUpLedger(choice: LedgerChoice, write: (line: string) => void): Promise<LedgerSetup> {
  const memory = (why: string): LedgerSetup => ({
    create: () => new MemoryLedger(),
    kind: 'memory',
    description: `in memory (${why})`,
    close: async () => undefined,
  });
  if (choice === 'memory') return memory('--ledger memory');
  if (!javaAvailable()) {
    if (choice === 'dynamodb')
      throw new Error('--ledger dynamodb: DynamoDB Local needs Java, and none was found');
    return memory('Java not found, so no DynamoDB Local');
  }
  write('ledger: starting DynamoDB Local ...');
  let local: Awaited<ReturnType<typeof startDynamoDbLocal>>;
  try {
    local = await startDynamoDbLocal();
  } catch (error) {
    if (choice === 'dynamodb') throw error;
    return memory(`DynamoDB Local did not start: ${(error as Error).message}`);
  }
  const client = localDynamoClient(local.endpoint);
  const close = async () => {
    client.destroy();
    await local.stop();
  };
  try {
    const tableName = `${SANDBOX_STACK}-ledger`;
    // Simulated times are not now: TTL would delete items the run still needs.
    await createLedgerTable(client, tableName, { ttl: false });
    return {
      create: (clock) => new DynamoDbLedger(ledgerDocumentClient(client), { tableName, clock }),
      kind: 'dynamodb-local',
      description: `DynamoDB Local at ${local.endpoint}, table ${tableName}`,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
