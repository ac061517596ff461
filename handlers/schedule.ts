/** EventBridge Scheduler, at each schedule window edge: converge the role now. */
import { z } from 'zod';
import { describeIssues } from '../domain/config.js';
import { ValidationError } from '../domain/errors.js';
import type { ConvergeResult } from '../domain/services/fleet.js';
import { type App, awsApp } from './app.js';
import { wrap } from './middleware.js';

const ScheduleEventSchema = z
  .object({ role: z.string().min(1), edge: z.enum(['start', 'end']).optional() })
  .strict();

export async function runSchedule(event: unknown, app: App = awsApp()): Promise<ConvergeResult> {
  const parsed = ScheduleEventSchema.safeParse(event);
  if (!parsed.success) throw new ValidationError('schedule event', describeIssues(parsed.error));
  const { role, edge } = parsed.data;
  if (app.config.roles[role] === undefined) {
    throw new ValidationError('schedule event', [`role: unknown role "${role}"`]);
  }
  return app.fleet.converge(role, { trigger: `schedule:${edge ?? 'edge'}` });
}

export const handler = wrap(runSchedule);
