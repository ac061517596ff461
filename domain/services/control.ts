/**
 * Manual control for emergencies: status, launch, retire, pause, resume, override, each with a
 * dry run. Commands arrive validated (domain/commands.ts); every mutating command is idempotent:
 * repeating the same request while its effect lasts changes nothing.
 */

import { type CdnConfig, cdnAliases } from '../cdn.js';
import type { ControlCommand } from '../commands.js';
import { ValidationError } from '../errors.js';
import { overrideActive, serverAge } from '../planner.js';
import { nextScheduleEdge } from '../schedule.js';
import { CAPACITY_STATES, type JournalEntry, type RoleOverride, type ServerRecord } from '../types.js';
import type { ConvergeResult, Fleet, FleetDeps } from './fleet.js';
import { describeAction } from './reporting.js';

export interface ServerStatus {
  intentId: string;
  instanceId: string | null;
  state: ServerRecord['state'];
  ageMinutes: number;
  address: string | null;
  inService: boolean;
  registered: boolean;
  reason: string | null;
}

export interface RoleStatus {
  role: string;
  desired: number;
  floor: number;
  demand: number | null;
  hold: string | null;
  reasons: string[];
  /** When the schedule floor next changes (a window starts or ends), if ever. */
  nextScheduleChange: string | null;
  paused: boolean;
  override: RoleOverride | null;
  servers: ServerStatus[];
  /** What the next converge would do now. */
  nextActions: string[];
  blocked: string[];
  journal: (Pick<JournalEntry, 'kind' | 'summary'> & { at: string })[];
}

export interface ControlResult {
  ok: true;
  action: ControlCommand['action'];
  dryRun: boolean;
  /** Human-readable lines: what was done (or would be) and why. */
  messages: string[];
  roles?: RoleStatus[];
  /** The static-asset CDN, when configured (status only). */
  cdn?: { domain: string; aliases: string[] };
  converge?: { actions: string[]; blocked: string[]; failed: string[] };
}

export class Control {
  constructor(
    private readonly fleet: Fleet,
    private readonly deps: Pick<FleetDeps, 'ledger' | 'clock' | 'compute'> & { cdn?: CdnConfig },
  ) {}

  /**
   * Runs one validated command. `requestId` identifies the request for idempotency (the handler
   * derives it from the command when the operator gives none).
   * @throws ValidationError naming the field (unknown role, count out of range, unknown server).
   */
  async run(command: ControlCommand, requestId: string): Promise<ControlResult> {
    if (command.action !== 'status' || command.role !== undefined) this.knownRole(command.role ?? '');
    switch (command.action) {
      case 'status':
        return this.status(command.role, command.journal ?? 5);
      case 'pause':
        return this.setPaused(command.role, true, command.reason ?? 'paused by an operator', command.dryRun);
      case 'resume':
        return this.setPaused(command.role, false, 'resumed by an operator', command.dryRun);
      case 'override':
        return this.override(command, requestId);
      case 'launch':
        return this.launch(command, requestId);
      case 'retire':
        return this.retire(command, requestId);
    }
  }

  private knownRole(role: string): void {
    if (!this.fleet.roles.includes(role)) {
      throw new ValidationError('command', [
        `role: unknown role "${role}" (known: ${this.fleet.roles.join(', ')})`,
      ]);
    }
  }

  private async status(only: string | undefined, journalLimit: number): Promise<ControlResult> {
    const now = this.deps.clock.now();
    const instances = await this.deps.compute.list();
    const roles: RoleStatus[] = [];
    for (const role of only === undefined ? this.fleet.roles : [only]) {
      const result = await this.fleet.converge(role, { trigger: 'control:status', dryRun: true, instances });
      const override = (await this.deps.ledger.getOverride(role)) ?? null;
      const journal = journalLimit === 0 ? [] : await this.deps.ledger.recentJournal(role, journalLimit);
      const desired = result.plan?.desired;
      roles.push({
        role,
        desired: desired?.count ?? 0,
        floor: desired?.floor ?? 0,
        demand: desired?.demand ?? null,
        hold: desired?.hold ?? null,
        reasons: desired?.reasons ?? [],
        nextScheduleChange: iso(nextScheduleEdge(this.fleet.roleConfig(role).schedule, now)),
        paused: override?.paused === true,
        override: override !== null && (override.paused || overrideActive(override, now)) ? override : null,
        servers: result.servers
          .filter((s) => s.state !== 'terminated')
          .sort((a, b) => (a.launchedAt ?? a.createdAt) - (b.launchedAt ?? b.createdAt))
          .map((s) => ({
            intentId: s.intentId,
            instanceId: s.instanceId ?? null,
            state: s.state,
            ageMinutes: Math.floor(serverAge(s, now) / 60_000),
            address: s.privateIp ?? null,
            inService: s.state === 'in-service',
            registered: s.registered,
            reason: s.reason ?? null,
          })),
        nextActions: (result.plan?.actions ?? []).map(describeAction),
        blocked: (result.plan?.blocked ?? []).map((b) => b.reason),
        journal: journal.map(({ at, kind, summary }) => ({ at: new Date(at).toISOString(), kind, summary })),
      });
    }
    const messages = roles.map(
      (r) =>
        `${r.role}: ${r.servers.filter((s) => s.inService).length} in service, ${
          r.servers.filter((s) => CAPACITY_STATES.has(s.state)).length
        } counted, desired ${r.desired}${r.paused ? ' (PAUSED)' : ''}${r.hold ? ` (hold: ${r.hold})` : ''}`,
    );
    const cdn = this.deps.cdn && { domain: this.deps.cdn.domain, aliases: cdnAliases(this.deps.cdn) };
    if (cdn) messages.push(`cdn: ${cdn.domain} assets on ${cdn.aliases.join(', ')}`);
    return { ok: true, action: 'status', dryRun: true, messages, roles, ...(cdn && { cdn }) };
  }

  private async setPaused(
    role: string,
    paused: boolean,
    reason: string,
    dryRun = false,
  ): Promise<ControlResult> {
    const current = await this.deps.ledger.getOverride(role);
    const action = paused ? 'pause' : 'resume';
    if ((current?.paused ?? false) === paused) {
      return {
        ok: true,
        action,
        dryRun,
        messages: [`${role} is already ${paused ? 'paused' : 'running'}: nothing changed`],
      };
    }
    const next: RoleOverride = { ...(current ?? {}), paused, reason };
    const messages = [`${role}: ${paused ? 'paused: no launches or retirements until resumed' : 'resumed'}`];
    if (!dryRun) {
      await this.deps.ledger.setOverride(
        role,
        next.paused || next.min !== undefined || next.max !== undefined ? next : undefined,
      );
      await this.journal(role, messages[0] ?? action, { command: action, override: next });
    }
    return { ok: true, action, dryRun, messages };
  }

  private async override(
    command: Extract<ControlCommand, { action: 'override' }>,
    requestId: string,
  ): Promise<ControlResult> {
    const { role } = command;
    const { now, current, done } = await this.unlessApplied(command, requestId);
    if (done !== undefined) return done;
    const config = this.fleet.roleConfig(role);
    for (const [field, value] of [
      ['min', command.min],
      ['max', command.max],
    ] as const) {
      if (value !== undefined && value > config.max) {
        throw new ValidationError('command', [
          `${field}: ${value} is above the role's configured max ${config.max}`,
        ]);
      }
    }
    const next: RoleOverride = { paused: current?.paused ?? false, requestId, setBy: 'control' };
    if (command.clear !== true && command.minutes !== undefined) {
      if (command.min !== undefined) next.min = command.min;
      if (command.max !== undefined) next.max = command.max;
      next.expiresAt = now + command.minutes * 60_000;
      next.reason = command.reason ?? `override by an operator for ${command.minutes} minutes`;
    }
    return this.applyOverride(role, 'override', next, command.dryRun === true, [
      command.clear === true
        ? `${role}: override cleared`
        : `${role}: ${[
            command.min !== undefined ? `min ${command.min}` : '',
            command.max !== undefined ? `max ${command.max}` : '',
          ]
            .filter(Boolean)
            .join(', ')} until ${new Date(next.expiresAt ?? now).toISOString()}`,
    ]);
  }

  private async launch(
    command: Extract<ControlCommand, { action: 'launch' }>,
    requestId: string,
  ): Promise<ControlResult> {
    const { role } = command;
    const { now, current, done } = await this.unlessApplied(command, requestId);
    if (done !== undefined) return done;
    const config = this.fleet.roleConfig(role);
    const capacity = await this.capacity(role);
    const min = capacity + command.count;
    if (min > config.max) {
      throw new ValidationError('command', [
        `count: ${command.count} more than the ${capacity} counted would exceed the role's max ${config.max}`,
      ]);
    }
    const next: RoleOverride = {
      paused: current?.paused ?? false,
      min,
      expiresAt: now + command.holdMinutes * 60_000,
      reason: command.reason ?? `manual launch of ${command.count}`,
      requestId,
      setBy: 'control',
    };
    if (current?.max !== undefined && overrideActive(current, now) && current.max >= min)
      next.max = current.max;
    return this.applyOverride(role, 'launch', next, command.dryRun === true, [
      `${role}: launching ${command.count} (minimum ${min} held until ${new Date(next.expiresAt ?? now).toISOString()})`,
    ]);
  }

  private async retire(
    command: Extract<ControlCommand, { action: 'retire' }>,
    requestId: string,
  ): Promise<ControlResult> {
    const { role } = command;
    const dryRun = command.dryRun === true;
    if (command.instanceId !== undefined) {
      const records = await this.deps.ledger.listServers(role);
      const server = records.find((s) => s.instanceId === command.instanceId);
      if (server === undefined) {
        throw new ValidationError('command', [
          `instanceId: ${command.instanceId} is not a ${role} server owned by this stack`,
        ]);
      }
      if (!CAPACITY_STATES.has(server.state)) {
        return {
          ok: true,
          action: 'retire',
          dryRun,
          messages: [`${command.instanceId} is already ${server.state}: nothing changed`],
        };
      }
      const paused = (await this.deps.ledger.getOverride(role))?.paused === true;
      const messages = [
        paused
          ? `${role}: retiring ${command.instanceId} (deregister, then terminate at once: the role is paused, so nothing replaces it until resumed)`
          : `${role}: retiring ${command.instanceId} (deregister, drain, terminate); the planner replaces it if needed`,
      ];
      if (!dryRun) {
        const instances = await this.deps.compute.list();
        await this.fleet.retireServer(role, server, command.reason ?? 'retired by an operator', instances, {
          paused,
        });
        await this.journal(role, messages[0] ?? 'retire', {
          command: 'retire',
          instanceId: command.instanceId,
        });
      }
      return { ok: true, action: 'retire', dryRun, messages };
    }
    const { now, current, done } = await this.unlessApplied(command, requestId);
    if (done !== undefined) return done;
    const count = command.count ?? 0;
    const capacity = await this.capacity(role);
    if (count > capacity) {
      throw new ValidationError('command', [
        `count: ${count} is more than the ${capacity} ${role} servers counted`,
      ]);
    }
    const max = capacity - count;
    const next: RoleOverride = {
      paused: current?.paused ?? false,
      max,
      expiresAt: now + command.holdMinutes * 60_000,
      reason: command.reason ?? `manual retire of ${count}`,
      requestId,
      setBy: 'control',
    };
    return this.applyOverride(role, 'retire', next, dryRun, [
      `${role}: retiring ${count} (maximum ${max} held until ${new Date(next.expiresAt ?? now).toISOString()}; lifetime and billing rules still apply)`,
    ]);
  }

  /** The role's override now, or the answer to a request already applied (repeats change nothing). */
  private async unlessApplied(
    command: Extract<ControlCommand, { role: string; dryRun?: boolean }>,
    requestId: string,
  ): Promise<{ now: number; current?: RoleOverride; done?: ControlResult }> {
    const { role, action } = command;
    const dryRun = command.dryRun === true;
    const now = this.deps.clock.now();
    const current = await this.deps.ledger.getOverride(role);
    if (current?.requestId === requestId && overrideActive(current, now)) {
      return {
        now,
        current,
        done: {
          ok: true,
          action,
          dryRun,
          messages: [`request ${requestId} already applied: nothing changed`],
        },
      };
    }
    return current === undefined ? { now } : { now, current };
  }

  /** Servers counting toward the role's capacity, as the ledger has them. */
  private async capacity(role: string): Promise<number> {
    return (await this.deps.ledger.listServers(role)).filter((s) => CAPACITY_STATES.has(s.state)).length;
  }

  private async applyOverride(
    role: string,
    action: ControlCommand['action'],
    next: RoleOverride,
    dryRun: boolean,
    messages: string[],
  ): Promise<ControlResult> {
    if (dryRun) {
      const result = await this.fleet.converge(role, {
        trigger: `control:${action}`,
        dryRun: true,
        override: next,
      });
      return { ok: true, action, dryRun, messages, converge: summarize(result) };
    }
    const stored = next.paused || next.min !== undefined || next.max !== undefined ? next : undefined;
    await this.deps.ledger.setOverride(role, stored);
    await this.journal(role, messages.join('; '), { command: action, override: next });
    const result = await this.fleet.converge(role, { trigger: `control:${action}` });
    return { ok: true, action, dryRun, messages, converge: summarize(result) };
  }

  private async journal(role: string, summary: string, detail: Record<string, unknown>): Promise<void> {
    await this.deps.ledger.journal({ role, at: this.deps.clock.now(), kind: 'control', summary, detail });
  }
}

function iso(at: number | undefined): string | null {
  return at === undefined ? null : new Date(at).toISOString();
}

function summarize(result: ConvergeResult): ControlResult['converge'] {
  if (result.skipped !== undefined) return { actions: [], blocked: [result.skipped], failed: [] };
  return {
    actions: (result.plan?.actions ?? []).map(describeAction),
    blocked: (result.plan?.blocked ?? []).map((b) => b.reason),
    failed: result.outcomes.filter((o) => !o.ok).map((o) => `${describeAction(o.action)}: ${o.error}`),
  };
}
