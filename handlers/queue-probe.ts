/**
 * The periodic tick (1 minute by default): probe each queue, record the sample, converge every
 * role. With a sub-minute probe interval (`queue.everySeconds`) one invocation runs that many
 * rounds, `everySeconds` apart from its start, so a burst is seen within seconds, not a minute.
 * The rounds stop before the function's timeout (domain/services/tick-rounds.ts): the budget is
 * the Lambda context's remaining time less a margin. The invocation fails (and goes to the
 * dead-letter queue, not retried: the next tick is the retry) only when some role could not be
 * converged in any round that ran.
 */
import type { Context } from 'aws-lambda';
import { type TickBudget, tickRounds } from '../domain/services/tick-rounds.js';
import { type App, awsApp } from './app.js';
import { wrap } from './middleware.js';

/** Left free at the end of the invocation: releasing the leases, the last logs, the metrics flush. */
export const TICK_MARGIN_MS = 5_000;
/**
 * A round's least assumed length: one AWS call stalled up to its connection and request timeouts
 * (3 s + 10 s, set in app.ts).
 */
export const MIN_ROUND_MS = 13_000;

/** The rounds' budget from the function's remaining time, on the app's clock. */
export function tickBudget(app: App, context: Pick<Context, 'getRemainingTimeInMillis'>): TickBudget {
  return {
    deadline: app.clock.now() + context.getRemainingTimeInMillis() - TICK_MARGIN_MS,
    minRoundMs: MIN_ROUND_MS,
  };
}

export async function runQueueProbe(
  _event: unknown,
  app: App = awsApp(),
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
) {
  const { rounds, everyMs } = tickRounds(app.config);
  const result = await app.fleet.tickRounds({
    rounds,
    everyMs,
    wait: app.wait,
    ...(context === undefined ? {} : { budget: tickBudget(app, context) }),
  });
  // The last round's roles; with several rounds, how many were planned and how many ran.
  return rounds === 1 ? { roles: result.roles } : { roles: result.roles, rounds, ran: result.ran };
}

export const handler = wrap((event: unknown, context) => runQueueProbe(event, awsApp(), context));
