/** Vitest global setup: one DynamoDB Local for the whole run; tests create their own tables. */
import type { TestProject } from 'vitest/node';
import { javaAvailable, startDynamoDbLocal } from '../../fakes/dynamodb-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!javaAvailable()) {
    throw new Error(
      "java is not installed: the tests' DynamoDB Local needs Java 17+ (sudo apt-get install default-jre-headless on Debian; see the README quick start)",
    );
  }
  // Java takes over 30 s to answer on a machine busy with other work; a slow start is not a failure.
  const local = await startDynamoDbLocal(120_000);
  project.provide('dynamoEndpoint', local.endpoint);
  return () => local.stop();
}
