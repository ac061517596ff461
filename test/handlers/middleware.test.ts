/** The middy stack every function shares hands the Lambda context on (the tick's time budget needs it). */
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { wrap } from '../../handlers/middleware.js';

describe('wrap', () => {
  it("hands the function the invocation's Lambda context, whose remaining time the tick budgets with", async () => {
    const handler = wrap(async (event: { n: number }, context) => ({
      n: event.n,
      remaining: context.getRemainingTimeInMillis(),
    }));
    const context = {
      functionName: 'fleet-pilot-test-queueProbe',
      awsRequestId: 'req-1',
      getRemainingTimeInMillis: () => 87_000,
    } as unknown as Context;
    await expect(handler({ n: 1 }, context)).resolves.toEqual({ n: 1, remaining: 87_000 });
  });
});
