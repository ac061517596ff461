/**
 * Manual control: `sls invoke -f control --data '{"action":"status"}'`. A bad command answers
 * `{ ok: false, error, issues }` naming each bad field, and changes nothing.
 */
import { createHash } from 'node:crypto';
import { parseCommand } from '../domain/commands.js';
import { ValidationError } from '../domain/errors.js';
import { echo, ROLE_NAME } from '../domain/roles.js';
import type { ControlResult } from '../domain/services/control.js';
import { type App, awsApp } from './app.js';
import { wrap } from './middleware.js';

export type ControlResponse = ControlResult | { ok: false; error: string; issues: string[] };

/**
 * The request's id: a digest of the command, behind the operator's `requestId` when given. The
 * same request repeated changes nothing; a `requestId` reused for another command is another request.
 */
export function requestIdOf(command: Record<string, unknown>): string {
  const { dryRun: _dryRun, requestId, ...rest } = command;
  const canonical = JSON.stringify(rest, Object.keys(rest).sort());
  const digest = createHash('sha256').update(canonical).digest('hex');
  return typeof requestId === 'string' ? `${requestId}-${digest.slice(0, 12)}` : `cmd-${digest.slice(0, 16)}`;
}

/** What of a refused command is worth keeping: its role and a bounded copy. */
function summarizeInput(event: unknown): Record<string, unknown> {
  const text = JSON.stringify(event) ?? String(event);
  const role =
    typeof event === 'object' && event !== null ? (event as Record<string, unknown>).role : undefined;
  return {
    role: typeof role === 'string' && ROLE_NAME.test(role) ? role : role === undefined ? null : echo(role),
    command: text.length > 2000 ? `${text.slice(0, 2000)}…` : text,
  };
}

export async function runControl(event: unknown, app: App = awsApp()): Promise<ControlResponse> {
  try {
    const command = parseCommand(event);
    return await app.control.run(command, requestIdOf(command as Record<string, unknown>));
  } catch (error) {
    if (error instanceof ValidationError) {
      await app.fleet.journalRefusal('control', `refused: ${error.issues.join('; ')}`, {
        ...summarizeInput(event),
        issues: [...error.issues],
      });
      return { ok: false, error: error.message, issues: [...error.issues] };
    }
    throw error;
  }
}

export const handler = wrap((event: unknown) => runControl(event));
