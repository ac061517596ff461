/**
 * What the warm pool is, pure: how large it should be now (its config, the schedule's windows,
 * the operator's drain), what the role's servers are launched with (their {@link LaunchSpec}), and
 * which pool servers are stale. The actions that keep it (start, stop, fill, refresh) are
 * pool-plan.ts's.
 */
import type { RoleConfig } from './config.js';
import { activeWindows, describeWindow, nextScheduleEdge } from './schedule.js';
import type { LaunchSpec, PoolControl, ServerRecord } from './types.js';
import { CAPACITY_STATES } from './types.js';
import { renderUserData } from './user-data.js';
import type { WarmPoolConfig } from './warm-pool-schema.js';

const HOUR = 3_600_000;

/** What the planner needs to keep a role's pool: its size now, its settings and what is current. */
export interface PoolInput {
  /** Warm servers wanted now (0: no pool, or drained). */
  size: number;
  /** Why that size (config, a window, an operator's drain). */
  reason: string;
  /** Absent for a role without a pool: existing warm servers are still started, then trimmed. */
  settings?: WarmPoolConfig;
  /** What the role launches with now. */
  spec: LaunchSpec;
  /** The instance types the role launches now. */
  instanceTypes: readonly string[];
  /** Pool servers launched before this are replaced (an operator's refill). */
  refreshBefore?: number;
}

/** What a pool server is judged current against: what the role launches now, and the pool's settings. */
export type PoolLaunchSettings = Pick<PoolInput, 'settings' | 'spec' | 'instanceTypes' | 'refreshBefore'>;

/** A role without a warm pool: its warm servers (from before the pool was removed) are trimmed. */
export const NO_POOL: PoolInput = {
  size: 0,
  reason: 'no warm pool configured',
  spec: { image: '', userDataDigest: '' },
  instanceTypes: [],
};

/** Whether a server counts toward the role's capacity: a bridge is extra, on its way back to the pool. */
export function countsAsCapacity(server: ServerRecord): boolean {
  return CAPACITY_STATES.has(server.state) && server.bridge !== true;
}

/**
 * The pool's size at `now`: the largest `warmPool` of the windows active at `now` or starting
 * within `leadMs` (a window's pool is warm by its start), else `warmPool.size`; 0 without a pool
 * or while an operator keeps it drained.
 */
export function poolSize(
  config: Pick<RoleConfig, 'warmPool' | 'schedule'>,
  now: number,
  leadMs: number,
  control?: PoolControl,
): { size: number; reason: string } {
  const pool = config.warmPool;
  if (pool === undefined) return { size: 0, reason: 'no warm pool configured' };
  if (control?.drained === true) return { size: 0, reason: `pool drained: ${control.reason}` };
  let best: { size: number; reason: string } | undefined;
  const consider = (at: number, ahead: boolean) => {
    for (const window of activeWindows(config.schedule, at)) {
      if (window.warmPool === undefined || (best !== undefined && best.size >= window.warmPool)) continue;
      best = {
        size: window.warmPool,
        reason: `window ${describeWindow(window)}${ahead ? ' (starting soon)' : ''}`,
      };
    }
  };
  consider(now, false);
  for (let edge = nextScheduleEdge(config.schedule, now); edge !== undefined && edge <= now + leadMs; ) {
    consider(edge, true);
    edge = nextScheduleEdge(config.schedule, edge);
  }
  return best ?? { size: pool.size, reason: 'warmPool.size' };
}

/**
 * What the role launches with now. The user data digest covers the role's settings and the
 * script itself, but not what differs per server (its intent, its type's vCPUs).
 *
 * @example launchSpec('job', config) // { image: 'ami-0123…', userDataDigest: '5f0c…', release: 'v42' }
 */
export function launchSpec(
  role: string,
  config: Pick<RoleConfig, 'launch' | 'dbHost' | 'workersPerVcpu' | 'lifecycle' | 'warmPool'>,
): LaunchSpec {
  // Configs are frozen: one render per role and config, however many converges ask.
  const cached = specs.get(config)?.get(role);
  if (cached !== undefined) return cached;
  const spec = computeSpec(role, config);
  const byRole = specs.get(config) ?? new Map<string, LaunchSpec>();
  byRole.set(role, spec);
  specs.set(config, byRole);
  return spec;
}

const specs = new WeakMap<object, Map<string, LaunchSpec>>();

function computeSpec(
  role: string,
  config: Pick<RoleConfig, 'launch' | 'dbHost' | 'workersPerVcpu' | 'lifecycle' | 'warmPool'>,
): LaunchSpec {
  const template = config.launch.launchTemplate;
  const image = template === undefined ? (config.launch.imageId ?? '') : `${template.id}@${template.version}`;
  const script = renderUserData({
    role,
    dbHost: config.dbHost,
    vcpus: 1,
    workersPerVcpu: config.workersPerVcpu,
    stack: 'spec',
    intentId: 'spec',
    drainSeconds: config.lifecycle.drainSeconds,
  });
  const release = config.warmPool?.release;
  return { image, userDataDigest: digest(script), ...(release === undefined ? {} : { release }) };
}

/** The spec fields a server record keeps (see {@link LaunchSpec}). */
export function specFields(spec: LaunchSpec): Pick<ServerRecord, 'image' | 'userDataDigest' | 'release'> {
  return {
    image: spec.image,
    userDataDigest: spec.userDataDigest,
    ...(spec.release === undefined ? {} : { release: spec.release }),
  };
}

/** Two FNV-1a 32-bit hashes with different offsets: 16 hex digits, enough to tell settings apart. */
function digest(text: string): string {
  const fnv = (offset: number) => {
    let hash = offset;
    for (let i = 0; i < text.length; i += 1) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return hash.toString(16).padStart(8, '0');
  };
  return fnv(0x811c9dc5) + fnv(0x050c5d1f);
}

export interface Staleness {
  /** Why the server is no longer current; empty when it is. */
  reasons: string[];
  /**
   * Its image, user data or instance type is not what the role launches now: never started. A
   * server only past its age or release is still started when no fresh one is left (the kit
   * deploys the current release as it starts).
   */
  unstartable: boolean;
}

/**
 * Whether a drained server goes back into the pool rather than being terminated: the role returns
 * servers on scale-in, and the server is On-Demand, owned, not interrupted and still current.
 */
export function returnsToPool(server: ServerRecord, pool: PoolLaunchSettings, now: number): boolean {
  return (
    pool.settings?.returnOnScaleIn === true &&
    server.instanceId !== undefined &&
    server.market !== 'spot' &&
    server.orphan !== true &&
    server.interruptedAt === undefined &&
    staleness(server, pool, now).reasons.length === 0
  );
}

/** Why a pool server (or one about to go back into the pool) is stale at `now`. */
export function staleness(server: ServerRecord, pool: PoolLaunchSettings, now: number): Staleness {
  const reasons: string[] = [];
  let unstartable = false;
  const hard = (reason: string) => {
    reasons.push(reason);
    unstartable = true;
  };
  const { spec } = pool;
  if (server.image === undefined || server.userDataDigest === undefined) {
    hard('launched before its launch settings were recorded');
  } else {
    if (server.image !== spec.image) hard(`image ${server.image} is no longer ${spec.image}`);
    if (server.userDataDigest !== spec.userDataDigest) hard('user data settings changed');
  }
  if (server.instanceType !== undefined && !pool.instanceTypes.includes(server.instanceType)) {
    hard(`instance type ${server.instanceType} is no longer configured`);
  }
  if (spec.release !== undefined && server.release !== spec.release) {
    reasons.push(`release ${server.release ?? '(unlabelled)'} is no longer ${spec.release}`);
  }
  const maxAgeHours = pool.settings?.maxAgeHours;
  const ageHours = (now - server.createdAt) / HOUR;
  if (maxAgeHours !== undefined && ageHours >= maxAgeHours) {
    reasons.push(`${Math.floor(ageHours)} h old (maxAgeHours ${maxAgeHours})`);
  }
  if (pool.refreshBefore !== undefined && server.createdAt < pool.refreshBefore) {
    reasons.push('launched before the pool was refilled');
  }
  return { reasons, unstartable };
}
