/**
 * The control `status` command's answer for one role: its servers, what it should have and why,
 * its pause and bounds, what the next converge would do, and its recent journal. Reads only.
 */

import { overrideActive } from '../planner.js';
import type { Ledger } from '../ports.js';
import { serverAge } from '../retire.js';
import { nextScheduleEdge } from '../schedule.js';
import {
  CAPACITY_STATES,
  type CloudInstance,
  type JournalEntry,
  type RoleBounds,
  type RolePause,
  type ServerRecord,
} from '../types.js';
import type { Fleet } from './fleet.js';
import { describeAction } from './reporting.js';

export interface ServerStatus {
  intentId: string;
  instanceId: string | null;
  state: ServerRecord['state'];
  ageMinutes: number;
  address: string | null;
  inService: boolean;
  registered: boolean;
  /** How it is bought; records from before markets were kept are On-Demand. */
  market: NonNullable<ServerRecord['market']>;
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
  /** The operator's pause (reason, since, request), if set. */
  pause: RolePause | null;
  /** The operator's min/max while they apply (reason, since, expiry, request). */
  bounds: RoleBounds | null;
  servers: ServerStatus[];
  /** What the next converge would do now. */
  nextActions: string[];
  blocked: string[];
  journal: (Pick<JournalEntry, 'kind' | 'summary'> & { at: string })[];
}

/** One role's status at `now`, from a dry-run converge over EC2's listing `instances`. */
export async function roleStatus(
  fleet: Fleet,
  ledger: Ledger,
  role: string,
  now: number,
  instances: readonly CloudInstance[],
  journalLimit: number,
): Promise<RoleStatus> {
  const controls = await ledger.getControls(role);
  const result = await fleet.converge(role, { trigger: 'control:status', dryRun: true, instances, controls });
  const journal = journalLimit === 0 ? [] : await ledger.recentJournal(role, journalLimit);
  const desired = result.plan?.desired;
  return {
    role,
    desired: desired?.count ?? 0,
    floor: desired?.floor ?? 0,
    demand: desired?.demand ?? null,
    hold: desired?.hold ?? null,
    reasons: desired?.reasons ?? [],
    nextScheduleChange: iso(nextScheduleEdge(fleet.roleConfig(role).schedule, now)),
    paused: controls.pause !== undefined,
    pause: controls.pause ?? null,
    bounds: overrideActive(controls.bounds, now) ? (controls.bounds ?? null) : null,
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
        market: s.market ?? 'on-demand',
        reason: s.reason ?? null,
      })),
    nextActions: (result.plan?.actions ?? []).map(describeAction),
    blocked: (result.plan?.blocked ?? []).map((b) => b.reason),
    journal: journal.map(({ at, kind, summary }) => ({ at: new Date(at).toISOString(), kind, summary })),
  };
}

/** The one-line summary of a role's status. */
export function statusLine(r: RoleStatus): string {
  const inService = r.servers.filter((s) => s.inService).length;
  const counted = r.servers.filter((s) => CAPACITY_STATES.has(s.state)).length;
  return `${r.role}: ${inService} in service, ${counted} counted, desired ${r.desired}${r.paused ? ' (PAUSED)' : ''}${r.hold ? ` (hold: ${r.hold})` : ''}`;
}

function iso(at: number | undefined): string | null {
  return at === undefined ? null : new Date(at).toISOString();
}
