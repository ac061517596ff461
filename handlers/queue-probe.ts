/**
 * The periodic tick (1 minute by default): probe each queue, record the sample, converge every
 * role. With a sub-minute probe interval (`queue.everySeconds`) a minute has that many rounds,
 * `everySeconds` apart, so a burst is seen within seconds, not a minute. The scheduled invocation
 * sends rounds 1..n-1 to the round queue, delayed until each is due, and runs round 0; the queue
 * invokes this function again with one round per message (domain/services/queued-tick.ts). Without
 * the queue, or when sending fails, the scheduled invocation runs every round, waiting between them.
 * The rounds stop before the function's timeout (domain/services/tick-rounds.ts): the budget is
 * the Lambda context's remaining time less a margin. An invocation fails (to the dead-letter queue,
 * not retried: the next round or tick is the retry) only when some role could not be converged in
 * any round it ran.
 */
import type { Context, SQSEvent } from 'aws-lambda';
import { decodeRound } from '../domain/services/round-messages.js';
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

const isRoundMessage = (event: unknown): event is SQSEvent =>
  Array.isArray((event as Partial<SQSEvent> | null)?.Records);

/** The scheduled tick: round 0 here, the later rounds on the round queue (or here, without one). */
export async function runQueueProbe(
  _event: unknown,
  app: App = awsApp(),
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
) {
  const { rounds, everyMs } = tickRounds(app.config);
  const result = await app.tick.scheduled({ rounds, everyMs, wait: app.wait, ...budgetOf(app, context) });
  // The round-0 roles; with several rounds, how many were planned, ran here and were queued.
  return rounds === 1
    ? { roles: result.roles }
    : { roles: result.roles, rounds, ran: result.ran, queued: result.queued };
}

/** One later round from the round queue: one record per invocation (batchSize 1). */
export async function runTickRound(
  event: SQSEvent,
  app: App = awsApp(),
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
) {
  const results = [];
  for (const record of event.Records) {
    const ran = await app.tick.queued(decodeRound(record.body), {
      wait: app.wait,
      ...budgetOf(app, context),
    });
    const where = { round: ran.round.round + 1, rounds: ran.round.rounds };
    results.push(
      'dropped' in ran
        ? { ...where, dropped: ran.dropped, lateMs: ran.lateMs }
        : { ...where, roles: ran.result.roles },
    );
  }
  return results;
}

const budgetOf = (app: App, context?: Pick<Context, 'getRemainingTimeInMillis'>) =>
  context === undefined ? {} : { budget: tickBudget(app, context) };

export const handler = wrap(
  (event: unknown, context): Promise<unknown> =>
    isRoundMessage(event) ? runTickRound(event, awsApp(), context) : runQueueProbe(event, awsApp(), context),
);
