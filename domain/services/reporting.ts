/**
 * What a converge tells the outside: its metrics, the one-line summary of a plan for the journal,
 * and the readable forms of an action and of an error.
 */
import type { Observer } from '../ports.js';
import type { Fix } from '../reconcile.js';
import { type Action, type LoadBalancerMember, type Plan, POOL_STATES, type ServerRecord } from '../types.js';
import type { ActionOutcome, ConvergeOptions } from './fleet-deps.js';

/** The converge's metrics for one role (none for a dry run). */
export function report(
  observer: Observer,
  role: string,
  planned: Plan,
  outcomes: ActionOutcome[],
  servers: ServerRecord[],
  members: readonly LoadBalancerMember[] | undefined,
  options: ConvergeOptions,
  pooled = false,
): void {
  if (options.dryRun) return;
  observer.metric(role, 'Desired', planned.desired.count);
  observer.metric(role, 'InService', servers.filter((s) => s.state === 'in-service').length);
  const launches = outcomes
    .filter((o) => o.ok && (o.action.kind === 'launch' || o.action.kind === 'replace'))
    .reduce((n, o) => n + (o.action.kind === 'launch' ? o.action.count : 1), 0);
  const retirements = outcomes.filter((o) => o.ok && o.action.kind === 'drain').length;
  observer.metric(role, 'Launches', launches);
  observer.metric(role, 'Retirements', retirements);
  observer.metric(role, 'ActionFailures', outcomes.filter((o) => !o.ok).length);
  const unhealthy = planned.actions.filter(
    (a) => a.kind === 'replace' || (a.kind === 'terminate' && a.reason.startsWith('not healthy')),
  ).length;
  observer.metric(role, 'UnhealthyReplacements', unhealthy);
  if (members !== undefined) observer.metric(role, 'LoadBalancerMembers', members.length);
  // A role with a warm pool: its ready servers, and those on their way into it.
  if (pooled || servers.some((s) => POOL_STATES.has(s.state))) {
    observer.metric(role, 'WarmPoolReady', servers.filter((s) => s.state === 'warm').length);
    observer.metric(
      role,
      'WarmPoolWarming',
      servers.filter((s) => s.state === 'warming' || s.state === 'stopping').length,
    );
  }
}

/** The journal's one-line summary of a plan and how its actions went, servers named as in `servers`. */
export function summarize(
  planned: Plan,
  outcomes: ActionOutcome[],
  servers: readonly ServerRecord[] = [],
): string {
  const names = instanceNames(servers);
  const parts = [`desired ${planned.desired.count}`];
  for (const o of outcomes) {
    const note = o.note === undefined ? '' : ` (${o.note})`;
    parts.push(`${describeAction(o.action, names)}${o.ok ? note : ` FAILED (${o.error})`}`);
  }
  for (const b of planned.blocked) parts.push(b.reason);
  if (planned.desired.hold) parts.push(`hold: ${planned.desired.hold}`);
  return parts.join('; ');
}

export function describeAction(action: Action | Fix, names: ReadonlyMap<string, string> = new Map()): string {
  const name = (intentId: string) => names.get(intentId) ?? intentId;
  switch (action.kind) {
    case 'launch':
      return `launch ${action.count}: ${action.reason}`;
    case 'warm':
      return `warm ${action.count}: ${action.reason}`;
    case 'start':
      return `start ${action.count}${action.bridge ? ' (bridge)' : ''} of ${action.candidates.map(name).join(', ')}: ${action.reason}`;
    case 'mark-orphan':
      return `mark orphan ${action.instance.instanceId}: ${action.reason}`;
    default: {
      // A reason that starts with the server's name (`i-… is running`) names it already.
      const shown = name(action.serverId);
      return action.reason.startsWith(`${shown} `)
        ? `${action.kind}: ${action.reason}`
        : `${action.kind} ${shown}: ${action.reason}`;
    }
  }
}

/**
 * Each server's name for an operator: its instance id, once EC2 gave it one (a launch intent not
 * yet answered keeps its intent id).
 */
export function instanceNames(servers: readonly ServerRecord[]): Map<string, string> {
  return new Map(servers.flatMap((s) => (s.instanceId === undefined ? [] : [[s.intentId, s.instanceId]])));
}

export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
