/**
 * The keys every demand policy has, with the defaults the configuration reference lists. A role
 * switched to another policy type takes them (the old type's keys do not carry over), so a switch
 * gives only the keys its type cannot do without.
 */
import { z } from 'zod';

export const POLICY_DEFAULTS = { stabilizationSeconds: 180, maxExtra: 2 } as const;

export const POLICY_COMMON_FIELDS = {
  /** Scale in only when every sample of this many seconds agrees. */
  stabilizationSeconds: z.number().int().min(0).max(86_400).default(POLICY_DEFAULTS.stabilizationSeconds),
  /** How many extra servers (above the schedule floor) the queue may add (at most the role's max). */
  maxExtra: z.number().int().min(0).max(1000).default(POLICY_DEFAULTS.maxExtra),
};
