/**
 * The control `status` command's answer for one role: its servers, what it should have and why,
 * its pause and bounds, its warm pool (size, ages, staleness), what the next converge would do,
 * and its recent journal. Reads only.
 */
import type { RoleConfig } from '../config.js';
import { activeBounds } from '../planner.js';
import { scheduleLeadMs } from '../policies/launch-delay.js';
import { type Ledger, SILENT_OBSERVER } from '../ports.js';
import { serverAge } from '../retire.js';
import { nextScheduleEdge, scheduleFloor } from '../schedule.js';
import {
  CAPACITY_STATES,
  type CloudInstance,
  type JournalEntry,
  POOL_STATES,
  type PoolControl,
  type RoleBounds,
  type RolePause,
  type ServerRecord,
} from '../types.js';
import { launchSpec, poolSize, staleness } from '../warm-pool.js';
import type { Fleet } from './fleet.js';
import { Forecaster, type ForecastStatus, forecastStatus } from './forecaster.js';
import { describeAction, instanceNames } from './reporting.js';

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

/** A role's warm pool: how large it should be now and why, and each of its servers. */
export interface PoolStatus {
  size: number;
  reason: string;
  /** How its servers wait: stopped or hibernated. */
  waitsAs: 'stopped' | 'hibernated';
  /** The operator's drain or refill, if set. */
  control: PoolControl | null;
  warm: number;
  warming: number;
  stopping: number;
  servers: {
    intentId: string;
    instanceId: string | null;
    state: ServerRecord['state'];
    /** From its launch intent: what maxAgeHours measures. */
    ageHours: number;
    /** Why it is due for replacement; empty when current. */
    stale: string[];
  }[];
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
  /** The schedule's floor from its next change on, and why (absent from older control functions). */
  scheduleChange?: {
    at: string;
    servers: number;
    reason: string;
    /** The warm pool's size from then on, for a role with a pool (absent from older control functions). */
    warmPool?: number;
    warmPoolReason?: string;
  } | null;
  /** The learned forecast for the next hours, or null without one (absent from older control functions). */
  forecast?: ForecastStatus | null;
  paused: boolean;
  /** The operator's pause (reason, since, request), if set. */
  pause: RolePause | null;
  /** The operator's min/max, each while it applies (reason, since, expiry, request). */
  bounds: RoleBounds | null;
  servers: ServerStatus[];
  /** The role's warm pool, or null without one (and no server left in it). */
  pool: PoolStatus | null;
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
  const config = fleet.roleConfig(role);
  const change = nextScheduleEdge(config.schedule, now);
  const after = change === undefined ? undefined : scheduleFloor(config.schedule, change);
  const loaded = await new Forecaster({ ledger, observer: SILENT_OBSERVER }).load(role, config, now);
  const names = instanceNames(result.servers);
  return {
    role,
    desired: desired?.count ?? 0,
    floor: desired?.floor ?? 0,
    demand: desired?.demand ?? null,
    hold: desired?.hold ?? null,
    reasons: desired?.reasons ?? [],
    nextScheduleChange: iso(change),
    scheduleChange:
      change === undefined || after === undefined
        ? null
        : {
            at: new Date(change).toISOString(),
            servers: after.servers,
            reason: after.reason,
            ...(config.warmPool === undefined ? {} : poolAfter(config, change, controls.pool)),
          },
    forecast:
      config.forecast === undefined || loaded === undefined
        ? null
        : forecastStatus(config.forecast, loaded.forecast, now),
    paused: controls.pause !== undefined,
    pause: controls.pause ?? null,
    bounds: activeBounds(controls.bounds, now) ?? null,
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
    pool: poolStatus(role, fleet.roleConfig(role), result.servers, now, controls.pool),
    nextActions: (result.plan?.actions ?? []).map((a) => describeAction(a, names)),
    blocked: (result.plan?.blocked ?? []).map((b) => b.reason),
    journal: journal.map(({ at, kind, summary }) => ({ at: new Date(at).toISOString(), kind, summary })),
  };
}

function poolStatus(
  role: string,
  config: RoleConfig,
  servers: readonly ServerRecord[],
  now: number,
  control: PoolControl | undefined,
): PoolStatus | null {
  const pooled = servers.filter((s) => POOL_STATES.has(s.state));
  if (config.warmPool === undefined && pooled.length === 0) return null;
  const lead = scheduleLeadMs(config.schedule.leadMinutes, servers, config.health.bootDeadlineSeconds);
  const { size, reason } = poolSize(config, now, lead, control);
  const input = {
    size,
    reason,
    ...(config.warmPool === undefined ? {} : { settings: config.warmPool }),
    spec: launchSpec(role, config),
    instanceTypes: config.launch.instanceTypes,
    ...(control?.refreshBefore === undefined ? {} : { refreshBefore: control.refreshBefore }),
  };
  const count = (state: ServerRecord['state']) => pooled.filter((s) => s.state === state).length;
  return {
    size,
    reason,
    waitsAs: config.warmPool?.state ?? 'stopped',
    control: control ?? null,
    warm: count('warm'),
    warming: count('warming'),
    stopping: count('stopping'),
    servers: pooled
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((s) => ({
        intentId: s.intentId,
        instanceId: s.instanceId ?? null,
        state: s.state,
        ageHours: Math.floor(((now - s.createdAt) / 3_600_000) * 10) / 10,
        stale: staleness(s, input, now).reasons,
      })),
  };
}

/** The pool's size and why once the schedule has changed at `at` (an operator's drain holds it at 0). */
function poolAfter(
  config: RoleConfig,
  at: number,
  control: PoolControl | undefined,
): { warmPool: number; warmPoolReason: string } {
  const { size, reason } = poolSize(config, at, 0, control);
  return { warmPool: size, warmPoolReason: reason };
}

/** The one-line summary of a role's status. */
export function statusLine(r: RoleStatus): string {
  const inService = r.servers.filter((s) => s.inService).length;
  const counted = r.servers.filter((s) => CAPACITY_STATES.has(s.state)).length;
  const stale = r.pool?.servers.filter((s) => s.stale.length > 0).length ?? 0;
  const pool =
    r.pool === null
      ? ''
      : `; warm pool ${r.pool.warm} of ${r.pool.size} ready${r.pool.warming + r.pool.stopping > 0 ? `, ${r.pool.warming + r.pool.stopping} on the way` : ''}${stale > 0 ? `, ${stale} stale` : ''}${r.pool.control?.drained ? ' (DRAINED)' : ''}`;
  return `${r.role}: ${inService} in service, ${counted} counted, desired ${r.desired}${r.paused ? ' (PAUSED)' : ''}${r.hold ? ` (hold: ${r.hold})` : ''}${pool}`;
}

function iso(at: number | undefined): string | null {
  return at === undefined ? null : new Date(at).toISOString();
}
