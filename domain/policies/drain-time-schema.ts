/**
 * The `drain-time` demand policy's settings (its decisions live in drain-time.ts). Kept apart from
 * config.ts so the policy's numbers and their meaning sit in one short file.
 */
import { z } from 'zod';

export const DrainTimePolicySchema = z
  .object({
    type: z.literal('drain-time'),
    /** Scale in only when every sample of this many seconds agrees. */
    stabilizationSeconds: z.number().int().min(0),
    /** How many extra servers (above the schedule floor) the queue may add. */
    maxExtra: z.number().int().min(0),
    /** The wait a job arriving now should see at most: the backlog must drain within it. */
    targetWaitSeconds: z.number().int().min(1),
    /** Typical run time of one job on one worker: what one more server's workers take off the backlog. */
    jobSeconds: z.number().int().min(1),
    /** The queue's drain rate is measured over the samples of this many seconds. */
    rateWindowSeconds: z.number().int().min(60).max(3600),
    /** Launch-to-in-service time assumed until the ledger holds enough launches to learn it. */
    defaultLaunchDelaySeconds: z.number().int().min(0).max(3600),
    /**
     * A backlog of at most this many jobs per server in service launches nothing (unless its oldest
     * job already waits past the target): the running servers' next free workers take it, and a
     * server launched for it pays its boot and minimum billing to serve an empty queue. 0 = off.
     */
    smallBacklogPerServer: z.number().int().min(0).max(1000).optional(),
  })
  .strict();

export type DrainTimePolicy = z.infer<typeof DrainTimePolicySchema>;
