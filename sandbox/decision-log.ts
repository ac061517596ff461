/**
 * The sandbox's Observer: turns the services' structured decisions into a compact, readable live
 * log (only changes: actions, new blocked reasons, new holds, failures), and keeps the figures the
 * summary and the timeline need. It reads the same `observer.info('converged', …)` fields the
 * Lambda functions log as keys, so nothing is parsed out of log text.
 */
import { DateTime } from 'luxon';
import type { Clock, Observer } from '../domain/ports.js';
import type { Action, BlockedAction } from '../domain/types.js';

/** The metrics that make up a role's figures in the summary. */
const ROLE_FIGURES = new Set([
  'Desired',
  'InService',
  'Launches',
  'Retirements',
  'UnhealthyReplacements',
  'WarmPoolReady',
  'WarmPoolWarming',
]);

export interface LoggedLine {
  at: number;
  role: string;
  kind:
    | 'scale'
    | 'register'
    | 'terminate'
    | 'replace'
    | 'blocked'
    | 'hold'
    | 'desired'
    | 'failure'
    | 'note'
    | 'pool';
  text: string;
}

export interface RoleFigures {
  desired: number | null;
  inService: number | null;
  /** Servers launched cold (not for the warm pool), and started from it. */
  launches: number;
  warmStarts: number;
  /** Servers retired: stopped back into the warm pool or terminated. */
  retirements: number;
  replacements: number;
  /** Warm pool servers ready (stopped), and on their way into the pool; null without a pool. */
  warm: number | null;
  warming: number | null;
}

interface Converged {
  role: string;
  trigger: string;
  desired: number;
  floor: number;
  demand: number | null;
  hold?: string;
  reasons: string[];
  actions: Action[];
  blocked: BlockedAction[];
  failed: { action: Action; error?: string }[];
  notes?: { action: Action; note: string }[];
}

export class DecisionLog implements Observer {
  readonly lines: LoggedLine[] = [];
  readonly roles = new Map<string, RoleFigures>();
  queueLength: number | null = null;
  probeFailures = 0;
  actionFailures = 0;
  /** Converges skipped because another trigger held the role's lease. */
  busySkips = 0;
  private readonly instanceIds = new Map<string, { instanceId: string; privateIp?: string }>();
  private readonly launchedSinceConverge = new Map<string, string[]>();
  private readonly lastBlocked = new Map<string, Set<string>>();
  private readonly lastHold = new Map<string, string>();
  private readonly lastDesired = new Map<string, number>();
  private lastProbeError: string | undefined;

  constructor(
    private readonly deps: {
      clock: Clock;
      timeZone: string;
      write: (line: string) => void;
      /** `smallpayroll-http` for a role behind a load balancer. */
      loadBalancerOf: (role: string) => string | undefined;
    },
  ) {}

  info(message: string, fields: Record<string, unknown>): void {
    switch (message) {
      case 'converged':
        // Dry runs (the sandbox's warm-up, operators' what-ifs) change nothing: not a decision.
        if (fields.dryRun !== true) this.converged(fields as unknown as Converged);
        return;
      case 'launched': {
        const role = String(fields.role);
        const instanceId = String(fields.instanceId);
        const privateIp = typeof fields.privateIp === 'string' ? fields.privateIp : undefined;
        this.instanceIds.set(String(fields.intentId), { instanceId, ...(privateIp ? { privateIp } : {}) });
        // A launch for the warm pool is the pool's line, not the role's scaling.
        if (fields.state === 'warming') return;
        const list = this.launchedSinceConverge.get(role) ?? [];
        list.push(privateIp === undefined ? instanceId : `${instanceId} (${privateIp})`);
        this.launchedSinceConverge.set(role, list);
        return;
      }
      case 'role busy, skipped':
        this.busySkips += 1;
        return;
      case 'warm server started':
        this.figures(String(fields.role)).warmStarts += 1;
        return;
      default:
        return;
    }
  }

  warn(message: string, fields: Record<string, unknown>): void {
    const role = typeof fields.role === 'string' ? fields.role : '';
    if (message === 'queue probe failed') {
      this.probeFailures += 1;
      const error = String(fields.error ?? 'unknown');
      if (normalize(error) !== this.lastProbeError)
        this.emit(role, 'failure', `queue probe failed: ${error}`);
      this.lastProbeError = normalize(error);
      return;
    }
    if (message === 'action failed') {
      this.actionFailures += 1;
      this.emit(role, 'failure', `action failed: ${this.describe(fields.action as Action)}: ${fields.error}`);
      return;
    }
    const detail = Object.entries(fields)
      .filter(([key]) => key !== 'role')
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(' ');
    this.emit(role, 'failure', `${message}${detail === '' ? '' : `: ${detail}`}`);
  }

  metric(role: string, name: string, value: number): void {
    if (name === 'QueueLength') {
      this.queueLength = value;
      this.lastProbeError = undefined;
      return;
    }
    // Stack-wide counters (events for instances not the stack's) are not a role's figures.
    if (!ROLE_FIGURES.has(name)) return;
    const figures = this.figures(role);
    switch (name) {
      case 'Desired':
        figures.desired = value;
        return;
      case 'InService':
        figures.inService = value;
        return;
      case 'Launches':
        figures.launches += value;
        return;
      case 'Retirements':
        figures.retirements += value;
        return;
      case 'UnhealthyReplacements':
        figures.replacements += value;
        return;
      case 'WarmPoolReady':
        figures.warm = value;
        return;
      case 'WarmPoolWarming':
        figures.warming = value;
        return;
      default:
        return;
    }
  }

  /** A line from the sandbox itself (cloud events, start and end). */
  note(role: string, text: string): void {
    this.emit(role, 'note', text);
  }

  figures(role: string): RoleFigures {
    let found = this.roles.get(role);
    if (found === undefined) {
      found = {
        desired: null,
        inService: null,
        launches: 0,
        warmStarts: 0,
        retirements: 0,
        replacements: 0,
        warm: null,
        warming: null,
      };
      this.roles.set(role, found);
    }
    return found;
  }

  /** `i-…` for a ledger intent, once its launch is known. */
  instanceOf(intentId: string): string {
    return this.instanceIds.get(intentId)?.instanceId ?? `intent ${intentId.slice(0, 8)}`;
  }

  private converged(c: Converged): void {
    const role = c.role;
    const failed = new Map(c.failed.map((f) => [f.action, f.error ?? 'failed']));
    const outcome = (action: Action): string => {
      const error = failed.get(action) ?? c.failed.find((f) => sameAction(f.action, action))?.error;
      if (error !== undefined) return ` FAILED (${error})`;
      const note = c.notes?.find((n) => sameAction(n.action, action))?.note;
      return note === undefined ? '' : ` (${note})`;
    };
    const launched = this.launchedSinceConverge.get(role) ?? [];
    this.launchedSinceConverge.delete(role);

    const scaling = c.actions.filter((a) => a.kind === 'launch' || a.kind === 'drain');
    if (scaling.length > 0) {
      const parts = scaling.map((a) => {
        if (a.kind === 'launch') {
          return `launch ${a.count}${launched.length > 0 ? `: ${launched.join(', ')}` : ''}${outcome(a)}`;
        }
        return `drain ${this.instanceOf(a.serverId)} (${a.reason})${outcome(a)}`;
      });
      const launching = scaling.some((a) => a.kind === 'launch');
      this.emit(
        role,
        'scale',
        `desired ${c.desired} (${mainReason(c, launching)}) → ${parts.join('; ')}${triggeredBy(c.trigger)}`,
      );
    } else if (this.lastDesired.has(role) && this.lastDesired.get(role) !== c.desired) {
      this.emit(role, 'desired', `desired ${c.desired} (${mainReason(c, false)})${triggeredBy(c.trigger)}`);
    }
    this.lastDesired.set(role, c.desired);

    for (const action of c.actions) {
      if (action.kind === 'register') {
        const known = this.instanceIds.get(action.serverId);
        const lb = this.deps.loadBalancerOf(role);
        const where = known?.privateIp === undefined ? '' : ` at ${known.privateIp}`;
        this.emit(
          role,
          'register',
          `${this.instanceOf(action.serverId)}${where} in service: ${action.reason}${lb === undefined ? '' : ` → registered with ${lb}`}${outcome(action)}`,
        );
      } else if (action.kind === 'terminate' || action.kind === 'replace') {
        this.emit(
          role,
          action.kind,
          `${action.kind} ${this.instanceOf(action.serverId)}: ${action.reason}${outcome(action)}`,
        );
      } else if (action.kind === 'start') {
        const named = action.candidates.slice(0, action.count).map((id) => this.instanceOf(id));
        this.emit(
          role,
          'pool',
          `warm start ${action.count}${action.bridge ? ' (bridge)' : ''}: ${named.join(', ')}: ${action.reason}${outcome(action)}`,
        );
      } else if (action.kind === 'stop') {
        this.emit(
          role,
          'pool',
          `stop ${this.instanceOf(action.serverId)} into the warm pool: ${action.reason}${outcome(action)}`,
        );
      } else if (action.kind === 'warm') {
        this.emit(role, 'pool', `warm ${action.count}: ${action.reason}${outcome(action)}`);
      }
    }

    const blocked = new Set(c.blocked.map((b) => normalize(b.reason)));
    const before = this.lastBlocked.get(role) ?? new Set<string>();
    for (const b of c.blocked) {
      if (!before.has(normalize(b.reason))) this.emit(role, 'blocked', this.withInstanceIds(b.reason));
    }
    this.lastBlocked.set(role, blocked);

    if (c.hold !== undefined && normalize(c.hold) !== this.lastHold.get(role)) {
      this.emit(role, 'hold', `hold ${c.desired}: ${c.hold}`);
    }
    if (c.hold === undefined) this.lastHold.delete(role);
    else this.lastHold.set(role, normalize(c.hold));
  }

  private describe(action: Action | undefined): string {
    if (action === undefined) return 'action';
    if (action.kind === 'launch' || action.kind === 'warm' || action.kind === 'start') {
      return `${action.kind} ${action.count}`;
    }
    return `${action.kind} ${this.instanceOf(action.serverId)}`;
  }

  /** Blocked reasons name servers by intent or instance id; show instance ids where known. */
  private withInstanceIds(text: string): string {
    let out = text;
    for (const [intentId, { instanceId }] of this.instanceIds) out = out.replaceAll(intentId, instanceId);
    return out;
  }

  private emit(role: string, kind: LoggedLine['kind'], text: string): void {
    const at = this.deps.clock.now();
    this.lines.push({ at, role, kind, text });
    const stamp = DateTime.fromMillis(at, { zone: this.deps.timeZone }).toFormat('ccc HH:mm');
    this.deps.write(`[${stamp}] ${role.padEnd(5)} ${text}`);
  }
}

/**
 * What decided the count: for a launch, the demand policy's reason only when demand is above the
 * schedule floor (else the floor launched it); otherwise the policy's reason when there is one.
 */
function mainReason(c: Converged, launching: boolean): string {
  const strip = (prefix: string) =>
    c.reasons.find((r) => r.startsWith(prefix))?.slice(prefix.length) ?? undefined;
  const demandDrove = c.demand !== null && (!launching || c.demand > c.floor);
  const main = (demandDrove ? strip('demand: ') : undefined) ?? strip('schedule: ') ?? '';
  const others = c.reasons.filter((r) => !r.startsWith('demand: ') && !r.startsWith('schedule: '));
  return [main, ...others].filter((r) => r !== '').join('; ');
}

/** Converges started by an EC2 state-change event (the fast path) say so; ticks say nothing. */
function triggeredBy(trigger: string): string {
  const [kind, state, instanceId] = trigger.split(':');
  return kind === 'event' ? ` [on EC2 event: ${instanceId} ${state}]` : '';
}

/** Reasons with their changing numbers removed, so "has run 12 of 45 minutes" is said once. */
function normalize(text: string): string {
  return text.replace(/\b\d+\b/g, '#');
}

function sameAction(a: Action, b: Action): boolean {
  return a.kind === b.kind && JSON.stringify(a) === JSON.stringify(b);
}
