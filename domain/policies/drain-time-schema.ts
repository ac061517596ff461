/**
 * The `drain-time` demand policy's settings and their defaults (its decisions live in
 * drain-time.ts). Kept apart from config.ts so the policy's numbers and their meaning sit in one
 * short file.
 */
import { z } from 'zod';
import { POLICY_COMMON_FIELDS } from './common-schema.js';

/** Chosen on traces with the common keys' defaults (docs/benchmark.md "Choosing the defaults"). */
export const DRAIN_TIME_DEFAULTS = {
  targetWaitSeconds: 105,
  jobSeconds: 90,
  rateWindowSeconds: 300,
  defaultLaunchDelaySeconds: 300,
  smallBacklogPerServer: 3,
  poolStabilizationSeconds: 90,
  poolRestSeconds: 600,
} as const;

/** The longest duration any setting takes: a day. */
const DAY_SECONDS = 86_400;

export const DrainTimePolicySchema = z
  .object({
    type: z.literal('drain-time'),
    ...POLICY_COMMON_FIELDS,
    /** The wait a job arriving now should see at most: the backlog must drain within it. */
    targetWaitSeconds: z
      .number()
      .int()
      .min(1)
      .max(DAY_SECONDS)
      .default(DRAIN_TIME_DEFAULTS.targetWaitSeconds),
    /** Typical run time of one job on one worker: what one more server's workers take off the backlog. */
    jobSeconds: z.number().int().min(1).max(DAY_SECONDS).default(DRAIN_TIME_DEFAULTS.jobSeconds),
    /** The queue's drain rate is measured over the samples of this many seconds. */
    rateWindowSeconds: z.number().int().min(60).max(3600).default(DRAIN_TIME_DEFAULTS.rateWindowSeconds),
    /** Launch-to-in-service time assumed until the ledger holds enough launches to learn it. */
    defaultLaunchDelaySeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(DRAIN_TIME_DEFAULTS.defaultLaunchDelaySeconds),
    /**
     * A backlog of at most this many jobs per server in service launches nothing (unless its oldest
     * job already waits past the target): the running servers' next free workers take it, and a
     * server launched for it pays its boot and minimum billing to serve an empty queue. 0 = off.
     */
    smallBacklogPerServer: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(DRAIN_TIME_DEFAULTS.smallBacklogPerServer),
    /**
     * The stabilization window of a scale-in while a server started from the warm pool serves,
     * one that had waited there at least `poolRestSeconds` before its start: retiring it stops it
     * back into the pool, a start (seconds) away rather than a launch. At most
     * `stabilizationSeconds`, which a longer value is cut to.
     */
    poolStabilizationSeconds: z
      .number()
      .int()
      .min(0)
      .max(DAY_SECONDS)
      .default(DRAIN_TIME_DEFAULTS.poolStabilizationSeconds),
    /**
     * How long a started server must have waited in the pool, from its last stop to its start, for
     * the shorter window: one started again sooner was needed back soon after it last went back,
     * and the next scale-in waits the whole `stabilizationSeconds`.
     */
    poolRestSeconds: z.number().int().min(0).max(DAY_SECONDS).default(DRAIN_TIME_DEFAULTS.poolRestSeconds),
  })
  .strict();

export type DrainTimePolicy = z.infer<typeof DrainTimePolicySchema>;
