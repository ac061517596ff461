/**
 * What can be simulated and with which settings: the named policies (`seed-2010`, `default`,
 * `backlog-per-server`), the default without its warm pool, a policy given as a config document or a validated job role (any policy
 * type and parameters: the tuner's way in), the launch-delay model and its seeded stream, and the
 * shipped job role the named policies start from.
 */
import { readFileSync } from 'node:fs';
import { offlineConfig, type RoleConfig } from '../domain/config.js';
import { ownEntry } from '../domain/roles.js';
import { seededRandom } from './random.js';

export const BOUND_POLICY = 'bound';

/** The role at its ceiling all day: floor and minimum at `max`, on every day and hour. */
export function boundRole(role: RoleConfig): RoleConfig {
  return { ...role, min: role.max, schedule: { ...role.schedule, baseline: role.max, windows: [] } };
}

/** The shipped default with its warm pool turned off (config/presets/no-pool.json). */
export const NO_POOL_POLICY = 'default-no-pool';

/** config/presets/no-pool.json: the shipped job role without its warm pool. */
export const NO_POOL_PRESET: unknown = JSON.parse(
  readFileSync(new URL('../config/presets/no-pool.json', import.meta.url), 'utf8'),
);

let cachedNoPoolRole: RoleConfig | undefined;

/** The shipped job role with the preset turning its warm pool off, validated once. */
export function noPoolRole(): RoleConfig {
  cachedNoPoolRole ??= simulationRole(NO_POOL_PRESET);
  return cachedNoPoolRole;
}

/**
 * The role without a warm pool (every launch cold): windows that only sized the pool go, the
 * others keep their servers.
 */
export function withoutPool(role: RoleConfig): RoleConfig {
  const { warmPool: _pool, ...rest } = role;
  const windows = role.schedule.windows.flatMap(({ warmPool: _w, ...w }) =>
    w.servers === undefined ? [] : [w],
  );
  return { ...rest, schedule: { ...role.schedule, windows } };
}

export const POLICY_NAMES = ['seed-2010', 'default', 'backlog-per-server'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export function isPolicyName(name: string): name is PolicyName {
  return (POLICY_NAMES as readonly string[]).includes(name);
}

/**
 * A policy from config: `config` is a config document merged over the defaults (as `--config`
 * reads it: `{ roles: { job: { policy, lifecycle, queue, … } } }`), or `role` a validated role.
 */
export interface ConfigPolicy {
  /** Shown in summaries and tables. */
  name: string;
  config?: unknown;
  role?: RoleConfig;
  /** The role to simulate in `config`; default `job`. */
  roleName?: string;
}

export type PolicySpec = PolicyName | ConfigPolicy;

/** The role a simulation runs: every setting the converge service reads. */
export type SimRole = RoleConfig;

/** Launch-to-healthy delay of a new server. */
export type LaunchDelay =
  | { kind: 'fixed'; seconds: number }
  | { kind: 'uniform'; minS: number; maxS: number };

/** EC2 pending (~30 s) plus boot and app start: one to three minutes. */
export const DEFAULT_LAUNCH_DELAY: LaunchDelay = { kind: 'uniform', minS: 60, maxS: 180 };
export const DEFAULT_SEED = 1;
/**
 * StartInstances to a warm server taking work: EC2's pending and the OS resuming from its EBS root
 * volume (10–30 s, as stopped CI runners restart), then the kit's units and workers starting
 * without a deploy (the release is the one it warmed with): 15–45 s. See docs/benchmark.md.
 */
export const DEFAULT_START_DELAY: LaunchDelay = { kind: 'uniform', minS: 15, maxS: 45 };
/** Seeds the warm starts' delays apart from the launches'. */
export const START_SALT = 0x57a7;
/** Trace time 0 is Monday 2026-03-02 00:00 in America/Toronto (schedule floors are evaluated from it). */
export const DEFAULT_START_AT = Date.parse('2026-03-02T05:00:00Z');

/**
 * The `backlog-per-server` policy's target: one extra server per this many waiting jobs (a server
 * runs 4 workers, so 10 waiting jobs are 2-3 jobs' work per worker).
 */
export const BACKLOG_TARGET_PER_SERVER = 10;

/**
 * The role to simulate from a config document merged over the defaults (`offlineConfig`).
 * @throws ConfigError naming every bad key, or Error naming the missing role.
 */
export function simulationRole(document: unknown = {}, roleName = 'job'): RoleConfig {
  const config = offlineConfig(document);
  const role = ownEntry(config.roles, roleName);
  if (role === undefined) {
    throw new Error(`config has no role "${roleName}" (roles: ${Object.keys(config.roles).join(', ')})`);
  }
  if (role.policy === undefined || role.queue === undefined) {
    throw new Error(`role "${roleName}" has no queue-driven policy to simulate`);
  }
  return role;
}

let cachedDefaultRole: RoleConfig | undefined;

/** The shipped job role (DEFAULT_CONFIG), validated once. */
export function defaultRole(): RoleConfig {
  cachedDefaultRole ??= simulationRole({});
  return cachedDefaultRole;
}

/** The role a named planner policy runs with, from `base` (the shipped job role by default). */
export function policyRole(policy: Exclude<PolicyName, 'seed-2010'>, role: RoleConfig): RoleConfig {
  if (policy === 'default') return role;
  const base = role.policy;
  if (base === undefined) throw new Error('the role has no demand policy');
  // A config that already sets this policy keeps its own target.
  if (base.type === 'backlog-per-server') return role;
  return {
    ...role,
    policy: {
      type: 'backlog-per-server',
      targetPerServer: BACKLOG_TARGET_PER_SERVER,
      maxExtra: base.maxExtra,
      stabilizationSeconds: base.stabilizationSeconds,
    },
  };
}

export interface ResolvedPolicy {
  name: string;
  /** The 2010 script's hand-coded model instead of the services. */
  seed2010: boolean;
  role: RoleConfig;
}

/** The policy's name and the role it runs with. */
export function resolvePolicy(spec: PolicySpec, base: RoleConfig | undefined): ResolvedPolicy {
  if (typeof spec === 'string') {
    const role = base ?? defaultRole();
    if (spec === 'seed-2010') return { name: spec, seed2010: true, role };
    return { name: spec, seed2010: false, role: policyRole(spec, role) };
  }
  const role = spec.role ?? simulationRole(spec.config ?? {}, spec.roleName ?? 'job');
  return { name: spec.name, seed2010: false, role };
}

/** vCPUs of an EC2 instance type by its size (large = 2, xlarge = 4, Nxlarge = 4N); 2 otherwise. */
export function vcpusOf(instanceType: string | undefined): number {
  const size = instanceType?.split('.')[1] ?? 'large';
  if (size === 'xlarge') return 4;
  const multiple = /^(\d+)xlarge$/.exec(size);
  return multiple === null ? 2 : 4 * Number(multiple[1]);
}

/**
 * Launch-to-healthy delays in ms, one per launch in launch order: the k-th is the same for every
 * policy. Warm starts draw from their own stream (`salt`), so a pool does not shift the launches'.
 */
export function delayStream(delay: LaunchDelay, seed: number, salt = 0): () => number {
  validateDelay(delay);
  const random = seededRandom(seed ^ salt);
  if (delay.kind === 'fixed') return () => Math.round(delay.seconds * 1000);
  // Whole seconds keep event logs readable; the stream advances once per launch either way.
  return () => Math.round(delay.minS + (delay.maxS - delay.minS) * random()) * 1000;
}

function validateDelay(delay: LaunchDelay): void {
  const ok =
    delay.kind === 'fixed'
      ? Number.isFinite(delay.seconds) && delay.seconds >= 0
      : Number.isFinite(delay.minS) &&
        Number.isFinite(delay.maxS) &&
        delay.minS >= 0 &&
        delay.minS <= delay.maxS;
  if (!ok) throw new Error(`invalid launch delay ${JSON.stringify(delay)}`);
}
