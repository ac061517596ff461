/**
 * The one config document and its schema. Every number the 2010 scripts hard-coded is a default
 * here; see docs/configuration.md for each key.
 *
 * `parseConfig(...documents)` merges the documents over {@link DEFAULT_CONFIG} (see domain/merge.ts)
 * and validates the result, failing with every bad key's path at once.
 */
import { z } from 'zod';
import { CdnSchema } from './cdn.js';
import { LambdaVpcSchema, LaunchSchema, LoadBalancerSchema } from './config-aws.js';
import { DEFAULT_CONFIG } from './config-defaults.js';
import { documentIssues, formatPath } from './config-input.js';
import { ConfigError } from './errors.js';
import { ForecastSchema, forecastIssues } from './forecast-schema.js';
import { healthUrlTemplateProblem } from './health-url.js';
import { isHostOrAddress, type Network, probeTargetProblem } from './hosts.js';
import { isPlainObject, mergeDocuments } from './merge.js';
import { MAX_HOURLY_DRAIN_SECONDS, retireMinutes } from './paid-hour.js';
import { PolicySchema } from './policies/policy-schema.js';
import { ROLE_NAME } from './roles.js';
import {
  count,
  MAX_SERVERS,
  type ScheduleConfig,
  ScheduleSchema,
  type ScheduleWindow,
  ScheduleWindowSchema,
  type Weekday,
} from './schedule-schema.js';
import { WarmPoolSchema, warmPoolIssues } from './warm-pool-schema.js';

export { BacklogPolicySchema, PolicySchema, ThresholdPolicySchema } from './policies/policy-schema.js';
export type { ScheduleConfig, ScheduleWindow, Weekday };
export {
  DEFAULT_CONFIG,
  LambdaVpcSchema,
  LaunchSchema,
  LoadBalancerSchema,
  ScheduleSchema,
  ScheduleWindowSchema,
};

/** The longest duration any setting takes: a day. */
const DAY_SECONDS = 86_400;
/** The longest queue any setting speaks of. */
const MAX_QUEUE_LENGTH = 1_000_000_000;

const seconds = (least: number) => z.number().int().min(least).max(DAY_SECONDS);
const queueLength = (least: number) => z.number().int().min(least).max(MAX_QUEUE_LENGTH);

/** Probe intervals a sample stays useful by default: two probes in a row may fail. */
const SAMPLE_AGE_DEFAULT_PROBES = 3;
/** Below two probe intervals, a probe a few seconds late leaves a gap no stabilization window allows. */
const SAMPLE_AGE_MIN_PROBES = 2;
/** Sub-minute probe intervals: each divides the minute, so rounds line up with the tick. */
export const SUB_MINUTE_PROBES = [10, 15, 20, 30] as const;

export const QueueProbeSchema = z
  .object({
    /** Loopback only in the sandbox and tests (parseLocalConfig); never link-local, never credentials. */
    url: z
      .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
      .max(2048)
      .refine((url) => URL.canParse(url) && new URL(url).username === '' && new URL(url).password === '', {
        message:
          "expected no user:password in the URL (the config is stored in plain text in the functions' environment)",
      }),
    timeoutMs: z.number().int().min(50).max(30_000),
    maxBodyBytes: z.number().int().min(1).max(65_536),
    /** A sample older than this is stale, i.e. unknown. Default: three probe intervals. */
    maxSampleAgeSeconds: seconds(1).optional(),
    /** A reading above this is insane, i.e. unknown. */
    maxSaneLength: queueLength(1),
    /** How often the tick probes (EventBridge rate, minutes). */
    everyMinutes: z.number().int().min(1).max(60),
    /**
     * Probe (and converge) this often within each one-minute tick instead: the tick function runs
     * its rounds `everySeconds` apart. Needs `everyMinutes` 1.
     */
    everySeconds: z.union(SUB_MINUTE_PROBES.map((n) => z.literal(n))).optional(),
  })
  .strict()
  .superRefine((q, ctx) => {
    if (q.everySeconds !== undefined && q.everyMinutes !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['everySeconds'],
        message: `everySeconds ${q.everySeconds} runs its rounds within a one-minute tick and needs everyMinutes 1, got ${q.everyMinutes}: set everySeconds to null to probe every ${q.everyMinutes} minutes`,
      });
      return;
    }
    const every = probeInterval(q);
    const least = SAMPLE_AGE_MIN_PROBES * every;
    if (q.maxSampleAgeSeconds !== undefined && q.maxSampleAgeSeconds < least) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxSampleAgeSeconds'],
        message: `expected at least ${least} s (two probe intervals of ${every} s): with samples further apart than a sample's age, no stabilization window is ever covered and the role never scales in; leave it out for three probe intervals`,
      });
    }
  })
  .transform((q) => ({
    ...q,
    maxSampleAgeSeconds: q.maxSampleAgeSeconds ?? SAMPLE_AGE_DEFAULT_PROBES * probeInterval(q),
    /** Seconds between probes: `everySeconds`, else `everyMinutes` x 60. */
    intervalSeconds: probeInterval(q),
  }));

function probeInterval(q: { everyMinutes: number; everySeconds?: number | undefined }): number {
  return q.everySeconds ?? q.everyMinutes * 60;
}

export const HealthCheckSchema = z
  .object({
    /** `{privateIp}` is replaced by the server's private address. */
    urlTemplate: z
      .string()
      .max(2048)
      .includes('{privateIp}', { message: 'expected the placeholder {privateIp}' })
      .superRefine((template, ctx) => {
        const problem = healthUrlTemplateProblem(template);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      }),
    /** Case-insensitive text the body must contain. */
    expectText: z.string().min(1).max(256),
    timeoutMs: z.number().int().min(50).max(30_000),
    /** A server not healthy this long after launch is replaced. */
    bootDeadlineSeconds: seconds(30),
  })
  .strict();

export const LifecycleSchema = z
  .object({
    /** A server younger than this is never retired. */
    minLifetimeMinutes: z
      .number()
      .int()
      .min(0)
      .max(DAY_SECONDS / 60),
    /** Seconds between deregistering a server and terminating it. */
    drainSeconds: z.number().int().min(0).max(3600),
    retireOrder: z.enum(['newest-first', 'oldest-first', 'closest-to-paid-hour-end']),
    billing: z.enum(['hourly', 'per-second']),
    /** With hourly billing, retire only in this many last minutes of a paid hour. */
    retireInLastMinutesOfHour: z.number().int().min(1).max(60),
  })
  .strict();

export const RoleSchema = z
  .object({
    min: count,
    // The account's quotas set the real ceiling (docs/configuration.md, Quotas); the bound only
    // refuses a typo's runaway number.
    max: z.number().int().min(1).max(MAX_SERVERS),
    schedule: ScheduleSchema,
    policy: PolicySchema.optional(),
    queue: QueueProbeSchema.optional(),
    health: HealthCheckSchema,
    loadBalancer: LoadBalancerSchema,
    lifecycle: LifecycleSchema,
    launch: LaunchSchema,
    /** Travels in the user data into the server's /etc/hosts (server/). */
    dbHost: z.string().refine(isHostOrAddress, {
      message:
        'expected a host name or address: a name of dot-separated labels (letters, digits and "-", none starting or ending with "-"), or an IPv4 or IPv6 address, at most 253 characters',
    }),
    workersPerVcpu: z.number().int().min(1).max(64),
    /** Stopped, ready servers started before any cold launch (domain/warm-pool.ts); off when absent. */
    warmPool: WarmPoolSchema.optional(),
    /** The learned forecast of servers needed (domain/forecast.ts); off when absent. */
    forecast: ForecastSchema.optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    for (const issue of warmPoolIssues(r)) ctx.addIssue({ code: 'custom', ...issue });
    for (const issue of forecastIssues(r)) ctx.addIssue({ code: 'custom', ...issue });
  })
  .refine((r) => r.min <= r.max, { message: 'expected min <= max', path: ['min'] })
  .refine((r) => Math.max(r.schedule.baseline, ...r.schedule.windows.map((w) => w.servers ?? 0)) <= r.max, {
    message: 'expected every schedule floor (baseline and window servers) <= max',
    path: ['schedule'],
  })
  .refine((r) => r.policy === undefined || r.policy.maxExtra <= r.max, {
    message: "expected maxExtra <= the role's max",
    path: ['policy', 'maxExtra'],
  })
  .refine((r) => r.launch.onDemandBase <= r.max, {
    message: "expected onDemandBase <= the role's max",
    path: ['launch', 'onDemandBase'],
  })
  .refine((r) => (r.policy === undefined) === (r.queue === undefined), {
    message: 'expected a queue probe exactly when a demand policy is set',
    path: ['queue'],
  })
  .refine((r) => r.lifecycle.billing !== 'hourly' || retireMinutes(r).last >= 0, {
    message: `expected at most ${MAX_HOURLY_DRAIN_SECONDS} s with hourly billing and a load balancer: the drain and the tick that terminates after it must end inside a paid hour, or no server is ever retired`,
    path: ['lifecycle', 'drainSeconds'],
  });

export const ConfigSchema = z
  .object({
    lambdaVpc: LambdaVpcSchema.optional(),
    /** Static assets on CloudFront (domain/cdn.ts); absent, nothing is created. */
    cdn: CdnSchema.optional(),
    /** What `npm run tune` recorded about the fragment it wrote (figures, why); fleet-pilot ignores it. */
    tuning: z.record(z.string(), z.unknown()).optional(),
    roles: z
      .record(z.string().regex(ROLE_NAME, 'expected a lower-case role name'), RoleSchema)
      .refine((roles) => Object.keys(roles).length > 0, { message: 'expected at least one role' }),
  })
  .strict();

export type { DrainTimePolicy } from './policies/drain-time-schema.js';
export type { BacklogPolicy, PolicyConfig, ThresholdPolicy } from './policies/policy-schema.js';
export type QueueProbeConfig = z.infer<typeof QueueProbeSchema>;
export type HealthCheckConfig = z.infer<typeof HealthCheckSchema>;
export type LoadBalancerConfig = z.infer<typeof LoadBalancerSchema>;
export type LifecycleConfig = z.infer<typeof LifecycleSchema>;
export type LaunchConfig = z.infer<typeof LaunchSchema>;
export type RoleConfig = z.infer<typeof RoleSchema>;
export type { ForecastConfig } from './forecast-schema.js';
export type { WarmPoolConfig } from './warm-pool-schema.js';
export type Config = z.infer<typeof ConfigSchema>;

/** Turns zod issues into "path: what was expected" lines. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${formatPath(issue.path) || '(root)'}: ${issue.message}`);
}

/**
 * Validates config documents merged over the defaults, each over the ones before it, as the
 * deployed stack uses them (the queue probe never reaches loopback). Roles named that are not in
 * the defaults start from nothing; a role can be removed with `"roles": { "job": null }`.
 *
 * @example parseConfig(JSON.parse(readFileSync('config/prod.json', 'utf8')))
 * @throws ConfigError listing every bad key's path and what was expected.
 */
export function parseConfig(...documents: unknown[]): Config {
  return parseFor('deployed', documents);
}

/**
 * parseConfig for the sandbox and the tests, whose servers listen on loopback: the queue probe
 * may go to a loopback address. Never used for a config that is packaged or deployed.
 *
 * @example parseLocalConfig(TEST_CONFIG_INPUT, { roles: { job: null } }) // the test config, app role only
 */
export function parseLocalConfig(...documents: unknown[]): Config {
  return parseFor('local', documents);
}

/** Launch settings and DB host are not simulated: placeholders let a document without them validate. */
const SIM_PLACEHOLDERS = {
  launch: {
    imageId: 'ami-00000000',
    instanceTypes: ['c5.large'],
    securityGroupIds: ['sg-00000000'],
    subnetIds: ['subnet-00000000'],
  },
  dbHost: 'simulated.invalid',
};

/**
 * A config document merged over the defaults and validated as `parseConfig` does, with
 * placeholders for the launch settings and DB host, which the simulator and the calendar do not
 * use: a document without them passes, and every other bad key is named.
 * @throws ConfigError naming every bad key.
 */
export function offlineConfig(document: unknown = {}): Config {
  const doc = (typeof document === 'object' && document !== null ? document : {}) as { roles?: unknown };
  const named = typeof doc.roles === 'object' && doc.roles !== null ? Object.keys(doc.roles) : [];
  const roleNames = new Set([...Object.keys(DEFAULT_CONFIG.roles), ...named]);
  const placeholders = Object.fromEntries([...roleNames].map((name) => [name, SIM_PLACEHOLDERS]));
  return parseConfig({ roles: placeholders }, document);
}

function parseFor(network: Network, documents: unknown[]): Config {
  const issues: string[] = [];
  let merged: unknown = DEFAULT_CONFIG;
  for (const document of documents) {
    if (document !== undefined && !isPlainObject(document)) {
      throw new ConfigError(['(root): expected an object']);
    }
    issues.push(...documentIssues(document));
    merged = mergeDocuments(merged, document);
  }
  issues.push(...probeTargetIssues(merged, network));
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) throw new ConfigError([...issues, ...describeIssues(result.error)]);
  if (issues.length > 0) throw new ConfigError(issues);
  return deepFreeze(result.data);
}

/** Queue URLs a config used on `network` must not probe (hosts.ts), checked on the merged document. */
function probeTargetIssues(merged: unknown, network: Network): string[] {
  const roles = isPlainObject(merged) && isPlainObject(merged.roles) ? merged.roles : {};
  return Object.entries(roles).flatMap(([role, config]) => {
    const queue = isPlainObject(config) && isPlainObject(config.queue) ? config.queue : {};
    const problem = typeof queue.url === 'string' ? probeTargetProblem(queue.url, network) : undefined;
    return problem === undefined ? [] : [`roles.${role}.queue.url: ${problem}`];
  });
}

/** Freezes `value` and everything in it, as a loaded config is (its readers may keep answers by identity). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** The role's config, or a ConfigError naming the unknown role. */
export function roleConfig(config: Config, role: string): RoleConfig {
  const found = Object.hasOwn(config.roles, role) ? config.roles[role] : undefined;
  if (found === undefined) {
    throw new ConfigError([`roles.${role}: unknown role (known: ${Object.keys(config.roles).join(', ')})`]);
  }
  return found;
}
