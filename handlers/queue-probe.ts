/**
 * The periodic tick (1 minute by default): probe each queue, record the sample, converge every
 * role. Fails (so the invocation is retried, then sent to the DLQ) when any role failed.
 */
import { FleetError } from '../domain/errors.js';
import { type App, awsApp } from './app.js';
import { wrap } from './middleware.js';

export async function runQueueProbe(_event: unknown, app: App = awsApp()) {
  const { results, errors } = await app.fleet.tick('tick');
  const summary = results.map((r) => ({
    role: r.role,
    skipped: r.skipped ?? null,
    desired: r.plan?.desired.count ?? null,
    actions: r.plan?.actions.length ?? 0,
    failed: r.outcomes.filter((o) => !o.ok).length,
  }));
  if (errors.length > 0) {
    throw new FleetError(`tick failed for ${errors.map((e) => `${e.role} (${e.error})`).join(', ')}`);
  }
  return { roles: summary };
}

export const handler = wrap(runQueueProbe);
