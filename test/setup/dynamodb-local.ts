/** Vitest global setup: one DynamoDB Local for the whole run; tests create their own tables. */
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../fakes/dynamodb-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const local = await startDynamoDbLocal();
  project.provide('dynamoEndpoint', local.endpoint);
  return () => local.stop();
}
