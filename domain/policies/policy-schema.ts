/**
 * The demand policies a queue-driven role may use, as one tagged union on `type`: the 2010
 * `threshold` rule, `backlog-per-server` target tracking, and `drain-time` (its own file). Keys
 * with a documented default may be left out.
 */
import { z } from 'zod';
import { POLICY_COMMON_FIELDS } from './common-schema.js';
import { DrainTimePolicySchema } from './drain-time-schema.js';

/** The longest queue any setting speaks of. */
const queueLength = (least: number) => z.number().int().min(least).max(1_000_000_000);

export const ThresholdPolicySchema = z
  .object({
    type: z.literal('threshold'),
    ...POLICY_COMMON_FIELDS,
    scaleOutAbove: queueLength(0),
    scaleInBelow: queueLength(0),
    /** Servers added per decision while over the threshold (the scripts added 1 per probe). */
    step: z.number().int().min(1).max(1000),
  })
  .strict()
  .refine((p) => p.scaleInBelow <= p.scaleOutAbove, {
    message: 'expected scaleInBelow <= scaleOutAbove',
    path: ['scaleInBelow'],
  });

export const BacklogPolicySchema = z
  .object({
    type: z.literal('backlog-per-server'),
    ...POLICY_COMMON_FIELDS,
    /** Queue length one extra server is expected to absorb. */
    targetPerServer: queueLength(1),
  })
  .strict();

export const PolicySchema = z.discriminatedUnion('type', [
  ThresholdPolicySchema,
  BacklogPolicySchema,
  DrainTimePolicySchema,
]);

export type ThresholdPolicy = z.infer<typeof ThresholdPolicySchema>;
export type BacklogPolicy = z.infer<typeof BacklogPolicySchema>;
export type PolicyConfig = z.infer<typeof PolicySchema>;
