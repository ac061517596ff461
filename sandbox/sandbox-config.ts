/**
 * The sandbox's embedded config: the shipped defaults (the 2010 numbers), launch settings that look
 * like a real account's (nothing is ever launched on AWS), and probes pointed at the sandbox's own
 * loopback servers. `--policy` picks what the job role's demand policy is.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Config, DEFAULT_CONFIG, parseLocalConfig } from '../domain/config.js';
import { POLICY_DEFAULTS } from '../domain/policies/common-schema.js';
import { DRAIN_TIME_DEFAULTS } from '../domain/policies/drain-time-schema.js';
import { BACKLOG_TARGET_PER_SERVER, NO_POOL_PRESET } from '../sim/policies.js';
import { KIT_HEALTH_PATH } from './loopback-servers.js';

/** The job role of config/presets/seed-2010.json: the 2010 rule as users get it. */
const SEED_2010_JOB = (
  JSON.parse(
    readFileSync(fileURLToPath(new URL('../config/presets/seed-2010.json', import.meta.url)), 'utf8'),
  ) as { roles: { job: { lifecycle: Record<string, unknown> } & Record<string, unknown> } }
).roles.job;

export const POLICY_NAMES = ['default', 'backlog-per-server', 'seed-2010'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** What each policy changes over the defaults (a policy of another type replaces the default's). */
const POLICY_OVERRIDES: Record<PolicyName, { summary: string; roles: Record<string, unknown> }> = {
  default: {
    summary: `shipped default: drain-time (launch when the backlog will not drain within ${DRAIN_TIME_DEFAULTS.targetWaitSeconds} s before a new server could serve; retire after ${POLICY_DEFAULTS.stabilizationSeconds / 60} min once fewer servers keep up), probe every ${DEFAULT_CONFIG.roles.job.queue.everySeconds} s`,
    roles: {},
  },
  'backlog-per-server': {
    summary: `target tracking: ceil(queue / ${BACKLOG_TARGET_PER_SERVER}) extra job servers (at most 2), scale-in after 5 min`,
    roles: {
      job: {
        policy: {
          type: 'backlog-per-server',
          targetPerServer: BACKLOG_TARGET_PER_SERVER,
          maxExtra: 2,
          stabilizationSeconds: 300,
        },
      },
    },
  },
  'seed-2010': {
    summary:
      "the 2010 scripts' numbers on fleet-pilot's planner (an approximation): probe every 5 minutes, +1 while queue > 20, -1 when < 5 after 45 minutes, no drain",
    roles: {
      app: { lifecycle: { drainSeconds: 0 } },
      job: {
        ...SEED_2010_JOB,
        lifecycle: { ...SEED_2010_JOB.lifecycle, billing: 'per-second', drainSeconds: 0 },
      },
    },
  },
};

export function policySummary(policy: PolicyName): string {
  return POLICY_OVERRIDES[policy].summary;
}

/** Where the sandbox's loopback servers listen. */
export interface SandboxEndpoints {
  /** Every fake instance's server (app page and kit health endpoint) listens on its own loopback address at this port. */
  appPort: number;
  /** The `/queue/length` endpoint on 127.0.0.1. */
  queueUrl: string;
}

/** Probe deadlines stay real milliseconds: loopback answers in well under this. */
export const PROBE_TIMEOUT_MS = 300;

const LAUNCH = {
  imageId: 'ami-0123456789abcdef0',
  instanceTypes: ['c5.large'],
  keyName: 'sandbox',
  securityGroupIds: ['sg-0123abcd'],
  subnetIds: ['subnet-0123abcd'],
};

/**
 * The job role's pool for `--warm-pool`: the policy's own when not given (the shipped 2 on weekdays
 * 08:00-18:00; none for seed-2010), none at 0 (config/presets/no-pool.json), else `size` all day.
 */
function poolOverride(size: number | undefined): unknown {
  if (size === undefined) return {};
  if (size === 0) return NO_POOL_PRESET;
  return { roles: { job: { warmPool: { size }, schedule: { windows: [] } } } };
}

/**
 * The validated config for one sandbox run.
 * @throws ConfigError if an override no longer fits the schema (a defect, not a user error).
 */
export function sandboxConfig(policy: PolicyName, endpoints: SandboxEndpoints, warmPool?: number): Config {
  // The default checks (expected text, path), at the one port of the sandbox's servers.
  const at = (path: string) => ({
    urlTemplate: `http://{privateIp}:${endpoints.appPort}${path}`,
    timeoutMs: PROBE_TIMEOUT_MS,
  });
  const base = {
    roles: {
      app: { launch: LAUNCH, dbHost: '127.0.0.1', health: at('/') },
      job: {
        launch: LAUNCH,
        dbHost: '127.0.0.1',
        health: at(KIT_HEALTH_PATH),
        queue: { url: endpoints.queueUrl, timeoutMs: PROBE_TIMEOUT_MS },
      },
    },
  };
  return parseLocalConfig(base, { roles: POLICY_OVERRIDES[policy].roles }, poolOverride(warmPool));
}
