/**
 * EventBridge Scheduler, at each schedule window edge: converge the role now. An event naming no
 * configured role is refused (journaled, not retried: it would fail the same way) before any lease.
 */
import { z } from 'zod';
import { describeIssues } from '../domain/config.js';
import { ownEntry, RoleNameSchema } from '../domain/roles.js';
import type { ConvergeResult } from '../domain/services/fleet.js';
import { type App, awsApp, logger } from './app.js';
import { wrap } from './middleware.js';

const ScheduleEventSchema = z
  .object({ role: RoleNameSchema, edge: z.enum(['start', 'end']).optional() })
  .strict();

export async function runSchedule(
  event: unknown,
  app: App = awsApp(),
): Promise<ConvergeResult | { ignored: string }> {
  const parsed = ScheduleEventSchema.safeParse(event);
  const issues = !parsed.success
    ? describeIssues(parsed.error)
    : ownEntry(app.config.roles, parsed.data.role) === undefined
      ? [`role: unknown role "${parsed.data.role}"`]
      : [];
  if (!parsed.success || issues.length > 0) {
    const ignored = `invalid schedule event: ${issues.join('; ')}`;
    logger.warn('schedule event refused', { issues });
    await app.fleet.journalRefusal('event', ignored, { issues });
    return { ignored };
  }
  return app.fleet.converge(parsed.data.role, { trigger: `schedule:${parsed.data.edge ?? 'edge'}` });
}

export const handler = wrap((event: unknown) => runSchedule(event));
