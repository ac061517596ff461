/**
 * The one config document and its schema. Every number the 2010 scripts hard-coded is a default
 * here; see README "Configuration" for each key.
 *
 * `parseConfig(...documents)` merges the documents over {@link DEFAULT_CONFIG} (see domain/merge.ts)
 * and validates the result, failing with every bad key's path at once.
 */
import { z } from 'zod';
import { CdnSchema } from './cdn.js';
import { LambdaVpcSchema, LaunchSchema, LoadBalancerSchema } from './config-aws.js';
import { ConfigError } from './errors.js';
import { healthUrlTemplateProblem } from './health-url.js';
import { isPlainObject, mergeDocuments } from './merge.js';
import { MAX_HOURLY_DRAIN_SECONDS, retireMinutes } from './paid-hour.js';
import { POLICY_DEFAULTS } from './policies/common-schema.js';
import { DRAIN_TIME_DEFAULTS } from './policies/drain-time-schema.js';
import { PolicySchema } from './policies/policy-schema.js';
import { ROLE_NAME } from './roles.js';
import {
  count,
  type ScheduleConfig,
  ScheduleSchema,
  type ScheduleWindow,
  ScheduleWindowSchema,
  type Weekday,
} from './schedule-schema.js';
import { WarmPoolSchema, warmPoolIssues } from './warm-pool-schema.js';

export { BacklogPolicySchema, PolicySchema, ThresholdPolicySchema } from './policies/policy-schema.js';
export type { ScheduleConfig, ScheduleWindow, Weekday };
export { LambdaVpcSchema, LaunchSchema, LoadBalancerSchema, ScheduleSchema, ScheduleWindowSchema };

/** Probe intervals a sample stays useful by default: two probes in a row may fail. */
const SAMPLE_AGE_DEFAULT_PROBES = 3;
/** Below two probe intervals, a probe a few seconds late leaves a gap no stabilization window allows. */
const SAMPLE_AGE_MIN_PROBES = 2;
/** Sub-minute probe intervals: each divides the minute, so rounds line up with the tick. */
export const SUB_MINUTE_PROBES = [10, 15, 20, 30] as const;

export const QueueProbeSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
    timeoutMs: z.number().int().min(50).max(30_000),
    maxBodyBytes: z.number().int().min(1).max(65_536),
    /** A sample older than this is stale, i.e. unknown. Default: three probe intervals. */
    maxSampleAgeSeconds: z.number().int().min(1).optional(),
    /** A reading above this is insane, i.e. unknown. */
    maxSaneLength: z.number().int().min(1),
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
      .includes('{privateIp}', { message: 'expected the placeholder {privateIp}' })
      .superRefine((template, ctx) => {
        const problem = healthUrlTemplateProblem(template);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      }),
    /** Case-insensitive text the body must contain. */
    expectText: z.string().min(1),
    timeoutMs: z.number().int().min(50).max(30_000),
    /** A server not healthy this long after launch is replaced. */
    bootDeadlineSeconds: z.number().int().min(30),
  })
  .strict();

export const LifecycleSchema = z
  .object({
    /** A server younger than this is never retired. */
    minLifetimeMinutes: z.number().int().min(0),
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
    // No ceiling of its own: the account's quotas set it (docs/configuration.md, Quotas).
    max: z.number().int().min(1),
    schedule: ScheduleSchema,
    policy: PolicySchema.optional(),
    queue: QueueProbeSchema.optional(),
    health: HealthCheckSchema,
    loadBalancer: LoadBalancerSchema,
    lifecycle: LifecycleSchema,
    launch: LaunchSchema,
    dbHost: z
      .string()
      .min(1)
      .regex(/^[A-Za-z0-9.:-]+$/, 'expected a host name or address'),
    workersPerVcpu: z.number().int().min(1).max(64),
    /** Stopped, ready servers started before any cold launch (domain/warm-pool.ts); off when absent. */
    warmPool: WarmPoolSchema.optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    for (const issue of warmPoolIssues(r)) ctx.addIssue({ code: 'custom', ...issue });
  })
  .refine((r) => r.min <= r.max, { message: 'expected min <= max', path: ['min'] })
  .refine((r) => Math.max(r.schedule.baseline, ...r.schedule.windows.map((w) => w.servers)) <= r.max, {
    message: 'expected every schedule floor (baseline and window servers) <= max',
    path: ['schedule'],
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
export type { WarmPoolConfig } from './warm-pool-schema.js';
export type Config = z.infer<typeof ConfigSchema>;

const weekdays: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri'];

/** The 2010 setup's numbers. Launch settings and DB host have no sensible default. */
export const DEFAULT_CONFIG = {
  roles: {
    app: {
      min: 1,
      max: 10,
      schedule: {
        timeZone: 'America/Toronto',
        baseline: 2,
        windows: [{ days: weekdays, start: '08:00', end: '21:00', servers: 3 }],
      },
      health: {
        urlTemplate: 'http://{privateIp}:80/',
        expectText: 'welcome',
        timeoutMs: 5000,
        bootDeadlineSeconds: 900,
      },
      loadBalancer: { type: 'classic', name: 'smallpayroll-http' },
      lifecycle: {
        minLifetimeMinutes: 0,
        drainSeconds: 300,
        retireOrder: 'newest-first',
        billing: 'per-second',
        retireInLastMinutesOfHour: 10,
      },
      launch: { instanceTypes: [], securityGroupIds: [], subnetIds: [] },
      workersPerVcpu: 2,
    },
    job: {
      min: 1,
      max: 3,
      schedule: { timeZone: 'America/Toronto', baseline: 1, windows: [] },
      // Chosen on fresh traces of every generator, then the reference traces (docs/benchmark.md
      // "Choosing the defaults"); the 2010 rule is config/presets/seed-2010.json. A policy of
      // another type takes the same defaults for the keys it shares.
      policy: { type: 'drain-time', ...POLICY_DEFAULTS, ...DRAIN_TIME_DEFAULTS },
      queue: {
        url: 'http://smallpayroll-http.internal/queue/length',
        timeoutMs: 3000,
        maxBodyBytes: 64,
        maxSaneLength: 1_000_000,
        everyMinutes: 1,
        // Twice a minute: a burst is seen 15 s sooner on average (docs/benchmark.md).
        everySeconds: 30,
      },
      // A job server runs no web server: the server kit's own endpoint (server/, docs/server-kit.md)
      // says whether its workers run.
      health: {
        urlTemplate: 'http://{privateIp}:9180/health',
        expectText: 'fleet-pilot health: ok',
        timeoutMs: 5000,
        bootDeadlineSeconds: 900,
      },
      loadBalancer: { type: 'none' },
      lifecycle: {
        // Per-second billing: a server costs only while it runs, so it may go as soon as it is idle.
        minLifetimeMinutes: 0,
        drainSeconds: 600,
        retireOrder: 'newest-first',
        // EC2 bills Linux on-demand instances per second (60 s minimum); set 'hourly' for hourly-billed AMIs.
        billing: 'per-second',
        retireInLastMinutesOfHour: 10,
      },
      launch: { instanceTypes: [], securityGroupIds: [], subnetIds: [] },
      workersPerVcpu: 2,
    },
  },
} as const;

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    return acc === '' ? String(key) : `${acc}.${String(key)}`;
  }, '');
}

/** Turns zod issues into "path: what was expected" lines. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${formatPath(issue.path) || '(root)'}: ${issue.message}`);
}

/**
 * Validates config documents merged over the defaults, each over the ones before it.
 * Roles named that are not in the defaults start from nothing; a role can be removed with
 * `"roles": { "job": null }`.
 *
 * @example parseConfig(TEST_CONFIG_INPUT, { roles: { job: null } }) // the test config, app role only
 * @throws ConfigError listing every bad key's path and what was expected.
 */
export function parseConfig(...documents: unknown[]): Config {
  let merged: unknown = DEFAULT_CONFIG;
  for (const document of documents) {
    if (document !== undefined && !isPlainObject(document)) {
      throw new ConfigError(['(root): expected an object']);
    }
    merged = mergeDocuments(merged, document);
  }
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) throw new ConfigError(describeIssues(result.error));
  return deepFreeze(result.data);
}

function deepFreeze<T>(value: T): T {
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
