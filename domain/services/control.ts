/**
 * Manual control for emergencies: status, launch, retire, pause, resume, override, and the warm
 * pool's drain-pool and refill-pool (control-pool.ts), each with a dry run. Commands arrive
 * validated (domain/commands.ts); every mutating command is idempotent: repeating the same request
 * while its effect lasts changes nothing. The bounds records of launch and retire are
 * control-bounds.ts.
 */

import { type CdnConfig, cdnAliases } from '../cdn.js';
import type { ControlCommand } from '../commands.js';
import { ValidationError } from '../errors.js';
import { activeBounds } from '../planner.js';
import { CAPACITY_STATES, type RoleBounds, type RoleControls, type RolePause } from '../types.js';
import { boundsRecord, heldUntil, keptBound, shown, stillApplies } from './control-bounds.js';
import {
  fleetHistory,
  type JournalLine,
  journalRoles,
  journalSince,
  type RoleHistory,
} from './control-history.js';
import { runPoolCommand } from './control-pool.js';
import { type RoleStatus, roleStatus, statusLine } from './control-status.js';
import type { ConvergeResult, Fleet, FleetDeps } from './fleet.js';
import { describeAction, instanceNames } from './reporting.js';

export type { JournalLine, RoleHistory } from './control-history.js';
export type { PoolStatus, RoleStatus, ServerStatus } from './control-status.js';

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
  /** The control plane's time when it answered (ISO 8601): ages and "ago" are counted from it. */
  at?: string;
  /** The journal, newest first (journal only). */
  journal?: JournalLine[];
  /** What each role looked like since `since` (history only). */
  history?: { since: string; roles: RoleHistory[] };
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
    const result = await this.answer(command, requestId);
    return { ...result, at: iso(this.deps.clock.now()) };
  }

  private async answer(command: ControlCommand, requestId: string): Promise<ControlResult> {
    if (command.role !== undefined) this.knownRole(command.role);
    switch (command.action) {
      case 'status':
        return this.status(command.role, command.journal ?? 5);
      case 'journal':
        return this.journalSince(command.role, command.sinceMinutes, command.limit);
      case 'history':
        return this.history(command.role, command.sinceMinutes);
      case 'pause':
        return this.setPause(command.role, command.dryRun === true, {
          reason: command.reason ?? 'paused by an operator',
          since: this.deps.clock.now(),
          requestId,
          setBy: 'control',
        });
      case 'resume':
        return this.setPause(command.role, command.dryRun === true, undefined);
      case 'override':
        return this.override(command, requestId);
      case 'launch':
        return this.launch(command, requestId);
      case 'retire':
        return this.retire(command, requestId);
      case 'drain-pool':
      case 'refill-pool': {
        const { messages, converged } = await runPoolCommand(this.fleet, this.deps, command, requestId);
        return {
          ok: true,
          action: command.action,
          dryRun: command.dryRun === true,
          messages,
          ...(converged === undefined ? {} : { converge: summarize(converged) }),
        };
      }
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
      roles.push(await roleStatus(this.fleet, this.deps.ledger, role, now, instances, journalLimit));
    }
    const messages = roles.map(statusLine);
    const cdn = this.deps.cdn && { domain: this.deps.cdn.domain, aliases: cdnAliases(this.deps.cdn) };
    if (cdn) messages.push(`cdn: ${cdn.domain} assets on ${cdn.aliases.join(', ')}`);
    return { ok: true, action: 'status', dryRun: true, messages, roles, ...(cdn && { cdn }) };
  }

  private async journalSince(only: string | undefined, sinceMinutes: number, limit: number) {
    const since = this.deps.clock.now() - sinceMinutes * 60_000;
    const journal = await journalSince(this.deps.ledger, journalRoles(this.fleet.roles, only), since, limit);
    const messages = [`${journal.length} journal entries since ${shown(since)}`];
    return { ok: true, action: 'journal', dryRun: true, messages, journal } as const;
  }

  private async history(only: string | undefined, sinceMinutes: number): Promise<ControlResult> {
    const now = this.deps.clock.now();
    const roles = only === undefined ? this.fleet.roles : [only];
    const history = await fleetHistory(this.fleet, this.deps, roles, now - sinceMinutes * 60_000, now);
    return {
      ok: true,
      action: 'history',
      dryRun: true,
      messages: history.messages,
      history: history.history,
    };
  }

  /** Pauses (`next`) or resumes (`undefined`) a role; its bounds stay as they are. */
  private async setPause(role: string, dryRun: boolean, next: RolePause | undefined): Promise<ControlResult> {
    const { pause } = await this.deps.ledger.getControls(role);
    const action = next === undefined ? 'resume' : 'pause';
    if ((pause === undefined) === (next === undefined)) {
      return {
        ok: true,
        action,
        dryRun,
        messages: [`${role} is already ${next === undefined ? 'running' : 'paused'}: nothing changed`],
      };
    }
    const message = `${role}: ${next === undefined ? 'resumed' : 'paused: no launches or retirements until resumed'}`;
    if (!dryRun) {
      await this.deps.ledger.setPause(role, next);
      await this.journal(role, message, { command: action, pause: next ?? null, lifted: pause ?? null });
    }
    return { ok: true, action, dryRun, messages: [message] };
  }

  private async override(
    command: Extract<ControlCommand, { action: 'override' }>,
    requestId: string,
  ): Promise<ControlResult> {
    const { role } = command;
    const { now, controls, done } = await this.unlessApplied(command, requestId);
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
    if (command.clear === true || command.minutes === undefined) {
      return this.applyBounds(role, 'override', controls, undefined, command.dryRun === true, [
        `${role}: override cleared`,
      ]);
    }
    const next: RoleBounds = {
      ...(command.min === undefined ? {} : { min: command.min }),
      ...(command.max === undefined ? {} : { max: command.max }),
      ...this.stamp(now, command.minutes, requestId),
      reason: command.reason ?? `override by an operator for ${command.minutes} minutes`,
    };
    const set = [
      command.min === undefined ? '' : `min ${command.min}`,
      command.max === undefined ? '' : `max ${command.max}`,
    ];
    return this.applyBounds(role, 'override', controls, next, command.dryRun === true, [
      `${role}: ${set.filter(Boolean).join(', ')} until ${shown(next.expiresAt ?? now)}`,
    ]);
  }

  private async launch(
    command: Extract<ControlCommand, { action: 'launch' }>,
    requestId: string,
  ): Promise<ControlResult> {
    const { role } = command;
    const { now, controls, done } = await this.unlessApplied(command, requestId);
    if (done !== undefined) return done;
    const config = this.fleet.roleConfig(role);
    const capacity = await this.capacity(role);
    const min = capacity + command.count;
    if (min > config.max) {
      throw new ValidationError('command', [
        `count: ${command.count} more than the ${capacity} counted would exceed the role's max ${config.max}`,
      ]);
    }
    // A maximum held by an earlier retire or override stays, until its own end, if it allows `min`.
    const current = activeBounds(controls.bounds, now);
    const until = now + command.holdMinutes * 60_000;
    const keptMax =
      current?.max !== undefined && current.max >= min ? keptBound(current, 'max', current.max) : undefined;
    const next = boundsRecord({ value: min, until }, keptMax, {
      since: now,
      requestId,
      reason: command.reason ?? `manual launch of ${command.count}`,
    });
    const kept = keptMax === undefined ? '' : `; maximum ${keptMax.value} kept ${heldUntil(keptMax.until)}`;
    // Paused, the hold is set but nothing launches: say so rather than "launching".
    const what =
      controls.pause === undefined
        ? `launching ${command.count}`
        : `paused: ${command.count} more launched once resumed`;
    return this.applyBounds(role, 'launch', controls, next, command.dryRun === true, [
      `${role}: ${what} (minimum ${min} held until ${shown(until)}${kept})`,
    ]);
  }

  private async retire(
    command: Extract<ControlCommand, { action: 'retire' }>,
    requestId: string,
  ): Promise<ControlResult> {
    const { role } = command;
    const dryRun = command.dryRun === true;
    if (command.instanceId !== undefined) return this.retireInstance(role, command.instanceId, command);
    const { now, controls, done } = await this.unlessApplied(command, requestId);
    if (done !== undefined) return done;
    const count = command.count ?? 0;
    const capacity = await this.capacity(role);
    if (count > capacity) {
      throw new ValidationError('command', [
        `count: ${count} is more than the ${capacity} ${role} servers counted`,
      ]);
    }
    const max = capacity - count;
    const until = now + command.holdMinutes * 60_000;
    // A minimum held by an earlier launch or override stays, lowered to the new maximum, until its
    // own end: retiring `count` servers must neither drop nor shorten the hold that kept the others.
    const current = activeBounds(controls.bounds, now);
    const keptMin =
      current?.min === undefined ? undefined : keptBound(current, 'min', Math.min(current.min, max));
    const next = boundsRecord(
      keptMin,
      { value: max, until },
      {
        since: now,
        requestId,
        reason: command.reason ?? `manual retire of ${count}`,
      },
    );
    const held =
      keptMin === undefined
        ? `maximum ${max} held until ${shown(until)}`
        : `maximum ${max} held until ${shown(until)}, minimum ${keptMin.value} kept ${keptMin.until === until ? 'as long' : heldUntil(keptMin.until)}`;
    const what = controls.pause === undefined ? `retiring ${count}` : `paused: ${count} retired once resumed`;
    return this.applyBounds(role, 'retire', controls, next, dryRun, [
      `${role}: ${what} (${held}; lifetime and billing rules still apply)`,
    ]);
  }

  /** Retires one named server now: deregister, drain (unless paused), terminate. */
  private async retireInstance(
    role: string,
    instanceId: string,
    command: { reason?: string | undefined; dryRun?: boolean | undefined },
  ): Promise<ControlResult> {
    const dryRun = command.dryRun === true;
    const records = await this.deps.ledger.listServers(role);
    const server = records.find((s) => s.instanceId === instanceId);
    if (server === undefined) {
      throw new ValidationError('command', [
        `instanceId: ${instanceId} is not a ${role} server owned by this stack`,
      ]);
    }
    if (!CAPACITY_STATES.has(server.state)) {
      return {
        ok: true,
        action: 'retire',
        dryRun,
        messages: [`${instanceId} is already ${server.state}: nothing changed`],
      };
    }
    const paused = (await this.deps.ledger.getControls(role)).pause !== undefined;
    const messages = [
      paused
        ? `${role}: retiring ${instanceId} (deregister, then terminate at once: the role is paused, so nothing replaces it until resumed)`
        : `${role}: retiring ${instanceId} (deregister, drain, terminate); the planner replaces it if needed`,
    ];
    if (!dryRun) {
      const instances = await this.deps.compute.list();
      await this.fleet.retireServer(role, server, command.reason ?? 'retired by an operator', instances, {
        paused,
      });
      await this.journal(role, messages[0] ?? 'retire', { command: 'retire', instanceId });
    }
    return { ok: true, action: 'retire', dryRun, messages };
  }

  /** The role's pause and bounds now, or the answer to a request already applied (repeats change nothing). */
  private async unlessApplied(
    command: Extract<ControlCommand, { role: string; dryRun?: boolean }>,
    requestId: string,
  ): Promise<{ now: number; controls: RoleControls; done?: ControlResult }> {
    const { role, action } = command;
    const now = this.deps.clock.now();
    const controls = await this.deps.ledger.getControls(role);
    if (controls.bounds?.requestId === requestId && stillApplies(controls.bounds, action, now)) {
      const messages = [`request ${requestId} already applied: nothing changed`];
      return { now, controls, done: { ok: true, action, dryRun: command.dryRun === true, messages } };
    }
    return { now, controls };
  }

  /** An override's record fields: when, until when (both bounds alike), and which request. */
  private stamp(now: number, minutes: number, requestId: string) {
    return { since: now, expiresAt: now + minutes * 60_000, requestId, setBy: 'control' };
  }

  /** Servers counting toward the role's capacity, as the ledger has them. */
  private async capacity(role: string): Promise<number> {
    return (await this.deps.ledger.listServers(role)).filter((s) => CAPACITY_STATES.has(s.state)).length;
  }

  /** Sets (or clears) the role's bounds, journals and converges; a dry run only plans with them. */
  private async applyBounds(
    role: string,
    action: ControlCommand['action'],
    controls: RoleControls,
    next: RoleBounds | undefined,
    dryRun: boolean,
    messages: string[],
  ): Promise<ControlResult> {
    if (dryRun) {
      const planned: RoleControls = {
        ...(controls.pause === undefined ? {} : { pause: controls.pause }),
        ...(next === undefined ? {} : { bounds: next }),
      };
      const result = await this.fleet.converge(role, {
        trigger: `control:${action}`,
        dryRun: true,
        controls: planned,
      });
      return { ok: true, action, dryRun, messages, converge: summarize(result) };
    }
    await this.deps.ledger.setBounds(role, next);
    await this.journal(role, messages.join('; '), { command: action, bounds: next ?? null });
    const result = await this.fleet.converge(role, { trigger: `control:${action}` });
    return { ok: true, action, dryRun, messages, converge: summarize(result) };
  }

  private async journal(role: string, summary: string, detail: Record<string, unknown>): Promise<void> {
    await this.deps.ledger.journal({ role, at: this.deps.clock.now(), kind: 'control', summary, detail });
  }
}

function iso(at: number): string {
  return new Date(at).toISOString();
}

function summarize(result: ConvergeResult): ControlResult['converge'] {
  if (result.skipped !== undefined) return { actions: [], blocked: [result.skipped], failed: [] };
  const names = instanceNames(result.servers);
  return {
    actions: (result.plan?.actions ?? []).map((a) => describeAction(a, names)),
    blocked: (result.plan?.blocked ?? []).map((b) => b.reason),
    failed: result.outcomes.filter((o) => !o.ok).map((o) => `${describeAction(o.action, names)}: ${o.error}`),
  };
}
