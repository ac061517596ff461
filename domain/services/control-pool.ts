/**
 * The control commands of a role's warm pool: `drain-pool` empties it and keeps it empty,
 * `refill-pool` lifts a drain and has every pool server launched before it replaced (the pool
 * refreshes a few at a time, never emptied). Each writes the role's pool control, journals, and
 * converges; a dry run plans with it. Repeating a request changes nothing.
 */
import type { ControlCommand } from '../commands.js';
import { ValidationError } from '../errors.js';
import type { PoolControl, RoleControls } from '../types.js';
import type { ConvergeResult, Fleet, FleetDeps } from './fleet.js';

type PoolCommand = Extract<ControlCommand, { action: 'drain-pool' | 'refill-pool' }>;

export interface PoolCommandResult {
  messages: string[];
  /** The converge that followed (a dry-run one for a dry run); absent when nothing changed. */
  converged?: ConvergeResult;
}

export async function runPoolCommand(
  fleet: Fleet,
  deps: Pick<FleetDeps, 'ledger' | 'clock'>,
  command: PoolCommand,
  requestId: string,
): Promise<PoolCommandResult> {
  const { role, action } = command;
  const config = fleet.roleConfig(role);
  if (config.warmPool === undefined) {
    throw new ValidationError('command', [
      `role: ${role} has no warm pool (set roles.${role}.warmPool to have one)`,
    ]);
  }
  const now = deps.clock.now();
  const controls = await deps.ledger.getControls(role);
  if (controls.pool?.requestId === requestId) {
    return { messages: [`request ${requestId} already applied: nothing changed`] };
  }
  const drain = action === 'drain-pool';
  const next: PoolControl = {
    drained: drain,
    ...(drain ? {} : { refreshBefore: now }),
    reason: command.reason ?? (drain ? 'drained by an operator' : 'refilled by an operator'),
    since: now,
    requestId,
    setBy: 'control',
  };
  const message = drain
    ? `${role}: warm pool drained: its servers are terminated and none is warmed until refill-pool`
    : `${role}: warm pool refilled: ${config.warmPool.size} fresh server(s) wanted; servers launched before now are replaced as fresh ones are ready`;
  if (command.dryRun === true) {
    const would = drain
      ? `${role}: would drain the warm pool: its servers would be terminated and none warmed until refill-pool`
      : `${role}: would refill the warm pool: ${config.warmPool.size} fresh server(s) wanted; servers launched before now would be replaced as fresh ones are ready`;
    const planned: RoleControls = { ...controls, pool: next };
    const converged = await fleet.converge(role, {
      trigger: `control:${action}`,
      dryRun: true,
      controls: planned,
    });
    return { messages: [would], converged };
  }
  await deps.ledger.setPoolControl(role, next);
  await deps.ledger.journal({
    role,
    at: now,
    kind: 'control',
    summary: message,
    detail: { command: action, pool: next, previous: controls.pool ?? null },
  });
  return { messages: [message], converged: await fleet.converge(role, { trigger: `control:${action}` }) };
}
