/** The periodic backstop: ledger vs EC2 vs load balancer for every role, then converge. */
import { FleetError } from '../domain/errors.js';
import { type App, awsApp } from './app.js';
import { wrap } from './middleware.js';

export async function runReconcile(_event: unknown, app: App = awsApp()) {
  const { results, errors } = await app.fleet.tick('reconcile', { probe: false });
  if (errors.length > 0) {
    throw new FleetError(`reconcile failed for ${errors.map((e) => `${e.role} (${e.error})`).join(', ')}`);
  }
  return {
    roles: results.map((r) => ({
      role: r.role,
      skipped: r.skipped ?? null,
      fixes: r.fixes.map((f) => ({ kind: f.action.kind, reason: f.action.reason, ok: f.ok })),
    })),
  };
}

export const handler = wrap((event: unknown) => runReconcile(event));
