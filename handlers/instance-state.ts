/**
 * EC2 Instance State-change Notification: converge the owning role now (fast path to health
 * checks). EC2 Spot interruption warnings: drain the server and launch its replacement now;
 * rebalance recommendations: launch the replacement in another Spot pool now and retire the server
 * once that is in service (domain/rebalance.ts). A warning that finds the role's lease held (a
 * tick converging it) tries again within the invocation: EC2 takes the server back two minutes
 * after the warning, and the asynchronous retry of a failed invocation would come a minute or
 * more later.
 */
import pRetry from 'p-retry';
import { parseInstanceEvent } from '../domain/commands.js';
import { LeaseHeldError, ValidationError } from '../domain/errors.js';
import { type App, awsApp, logger } from './app.js';
import { wrap } from './middleware.js';

/** How a warning retries while the role's lease is held: the delays double up to a ceiling. */
export interface LeaseRetry {
  retries: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

/** Up to about 20 s of retries while the lease is held: 0.5, 1, 2, 4, 4, 4, 4 s. */
export const WARNING_LEASE_RETRY: LeaseRetry = { retries: 7, firstDelayMs: 500, maxDelayMs: 4_000 };

export async function runInstanceState(
  event: unknown,
  app: App = awsApp(),
  leaseRetry: LeaseRetry = WARNING_LEASE_RETRY,
) {
  let parsed: ReturnType<typeof parseInstanceEvent>;
  try {
    parsed = parseInstanceEvent(event);
  } catch (error) {
    // A malformed or foreign event is not retried: it would fail the same way. Logged and dropped.
    if (error instanceof ValidationError) {
      logger.warn('event refused', { issues: error.issues });
      const text = JSON.stringify(event) ?? String(event);
      await app.fleet.journalRefusal('event', error.message, {
        issues: [...error.issues],
        event: text.slice(0, 2000),
      });
      return { ignored: error.message };
    }
    throw error;
  }
  const { instanceId } = parsed;
  const result =
    parsed.kind === 'state'
      ? await app.fleet.instanceChanged(instanceId, parsed.state)
      : await pRetry(() => app.fleet.instanceWarned(instanceId, parsed.kind), {
          retries: leaseRetry.retries,
          // The backoff waits on the app's clock (simulated time in the fakes), not on p-retry's timers.
          minTimeout: 0,
          maxTimeout: 0,
          shouldRetry: (error) => error instanceof LeaseHeldError,
          onFailedAttempt: async (error) => {
            if (!(error instanceof LeaseHeldError) || error.retriesLeft === 0) return;
            const delayMs = Math.min(
              leaseRetry.maxDelayMs,
              leaseRetry.firstDelayMs * 2 ** (error.attemptNumber - 1),
            );
            logger.info('role busy, Spot warning retried', {
              instanceId,
              delayMs,
              retriesLeft: error.retriesLeft,
            });
            await app.wait(delayMs);
          },
        });
  if ('ignored' in result) return result;
  return { role: result.role, skipped: result.skipped ?? null, actions: result.plan?.actions ?? [] };
}

export const handler = wrap((event: unknown) => runInstanceState(event));
