/**
 * EC2 Instance State-change Notification: converge the owning role now (fast path to health
 * checks). EC2 Spot interruption warnings and rebalance recommendations: drain the server and
 * launch its replacement now.
 */
import { parseInstanceEvent } from '../domain/commands.js';
import { ValidationError } from '../domain/errors.js';
import { type App, awsApp, logger } from './app.js';
import { wrap } from './middleware.js';

export async function runInstanceState(event: unknown, app: App = awsApp()) {
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
  const result =
    parsed.kind === 'state'
      ? await app.fleet.instanceChanged(parsed.instanceId, parsed.state)
      : await app.fleet.instanceWarned(parsed.instanceId, parsed.kind);
  if ('ignored' in result) return result;
  return { role: result.role, skipped: result.skipped ?? null, actions: result.plan?.actions ?? [] };
}

export const handler = wrap(runInstanceState);
