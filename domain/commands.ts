/**
 * The manual control commands (`fleet-pilot`, or `sls invoke -f control --data '{...}'`), the EC2 state-change
 * event and EC2's Spot warnings, as schemas. Anything else is refused with every bad field named, before anything changes.
 */
import { z } from 'zod';
import { describeIssues } from './config.js';
import { ValidationError } from './errors.js';
import { RoleNameSchema } from './roles.js';
import { MAX_SERVERS } from './schedule-schema.js';

const role = RoleNameSchema;
/** The most servers one `launch` or `retire --count` moves: a guard on a command typed by hand. */
export const MAX_COMMAND_COUNT = 100;
const dryRun = z.boolean().optional();
const requestId = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,40}$/, 'expected 1-40 letters, digits or dashes')
  .optional();
const minutes = (fallback?: number) => {
  const base = z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60);
  return fallback === undefined ? base : base.default(fallback);
};

/** Every control action; `status`, `journal` and `history` only read. */
export const CONTROL_ACTIONS = [
  'status',
  'launch',
  'retire',
  'pause',
  'resume',
  'override',
  'journal',
  'history',
  'drain-pool',
  'refill-pool',
] as const;

/** A warm-pool command: a role with a pool, why, and the usual request id and dry run. */
const poolCommand = <A extends 'drain-pool' | 'refill-pool'>(action: A) =>
  z
    .object({ action: z.literal(action), role, reason: z.string().max(200).optional(), requestId, dryRun })
    .strict();

export const ControlCommandSchema = z.discriminatedUnion(
  'action',
  [
    z
      .object({
        action: z.literal('status'),
        role: role.optional(),
        journal: z.number().int().min(0).max(50).optional(),
      })
      .strict(),
    z
      .object({
        action: z.literal('launch'),
        role,
        count: z.number().int().min(1).max(MAX_COMMAND_COUNT),
        /** How long the raised minimum keeps the new servers from being retired. */
        holdMinutes: minutes(60),
        reason: z.string().max(200).optional(),
        requestId,
        dryRun,
      })
      .strict(),
    z
      .object({
        action: z.literal('retire'),
        role,
        instanceId: z
          .string()
          .regex(/^i-[0-9a-f]{8,17}$/, 'expected an instance id like "i-0123abcd"')
          .optional(),
        count: z.number().int().min(1).max(MAX_COMMAND_COUNT).optional(),
        holdMinutes: minutes(60),
        reason: z.string().max(200).optional(),
        requestId,
        dryRun,
      })
      .strict()
      .refine((c) => (c.instanceId === undefined) !== (c.count === undefined), {
        message: 'expected exactly one of instanceId or count',
        path: ['count'],
      }),
    z
      .object({
        action: z.literal('journal'),
        role: role.optional(),
        /** Entries at or after this many minutes ago (default a day). */
        sinceMinutes: minutes(24 * 60),
        limit: z.number().int().min(1).max(500).default(100),
      })
      .strict(),
    z
      .object({
        action: z.literal('history'),
        role: role.optional(),
        /** The span drawn, ending now (default a day). */
        sinceMinutes: minutes(24 * 60),
      })
      .strict(),
    z.object({ action: z.literal('pause'), role, reason: z.string().max(200).optional(), dryRun }).strict(),
    z.object({ action: z.literal('resume'), role, dryRun }).strict(),
    /** Empty the role's warm pool and keep it empty until refilled. */
    poolCommand('drain-pool'),
    /** Lift a drain, and replace the pool's servers with fresh ones (e.g. after a release). */
    poolCommand('refill-pool'),
    z
      .object({
        action: z.literal('override'),
        role,
        min: z.number().int().min(0).max(MAX_SERVERS).optional(),
        max: z.number().int().min(0).max(MAX_SERVERS).optional(),
        /** How long min/max apply; a clear needs none (and ignores one given). */
        minutes: minutes().optional(),
        clear: z.boolean().optional(),
        reason: z.string().max(200).optional(),
        requestId,
        dryRun,
      })
      .strict()
      .refine((c) => c.clear === true || c.min !== undefined || c.max !== undefined, {
        message: 'expected min, max or clear',
        path: ['min'],
      })
      .refine((c) => c.min === undefined || c.max === undefined || c.min <= c.max, {
        message: 'expected min <= max',
        path: ['min'],
      })
      .refine((c) => c.clear !== true || (c.min === undefined && c.max === undefined), {
        message: 'clear takes no min or max',
        path: ['clear'],
      })
      .refine((c) => c.clear === true || c.minutes !== undefined, {
        message: 'expected minutes (how long min/max apply)',
        path: ['minutes'],
      }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union' ? `expected one of ${CONTROL_ACTIONS.join(', ')}` : undefined,
  },
);

export type ControlCommand = z.infer<typeof ControlCommandSchema>;

/** Parses a control command. @throws ValidationError naming every bad field. */
export function parseCommand(raw: unknown): ControlCommand {
  const result = ControlCommandSchema.safeParse(raw);
  if (!result.success) throw new ValidationError('command', describeIssues(result.error));
  return result.data;
}

/** EventBridge "EC2 Instance State-change Notification". */
export const InstanceStateEventSchema = z.object({
  source: z.literal('aws.ec2'),
  'detail-type': z.literal('EC2 Instance State-change Notification'),
  id: z.string().optional(),
  time: z.string().optional(),
  detail: z.object({
    'instance-id': z.string().regex(/^i-[0-9a-f]{8,17}$/, 'expected an instance id'),
    state: z.enum(['pending', 'running', 'shutting-down', 'terminated', 'stopping', 'stopped']),
  }),
});

export type InstanceStateEvent = z.infer<typeof InstanceStateEventSchema>;

/** @throws ValidationError naming every bad field. */
export function parseInstanceStateEvent(raw: unknown): InstanceStateEvent {
  const result = InstanceStateEventSchema.safeParse(raw);
  if (!result.success) throw new ValidationError('EC2 state-change event', describeIssues(result.error));
  return result.data;
}

const instanceId = z.string().regex(/^i-[0-9a-f]{8,17}$/, 'expected an instance id');

/**
 * EventBridge "EC2 Spot Instance Interruption Warning" (EC2 takes the instance back in two minutes)
 * and "EC2 Instance Rebalance Recommendation" (the instance is at elevated risk of that).
 */
export const SpotWarningEventSchema = z.discriminatedUnion('detail-type', [
  z.object({
    source: z.literal('aws.ec2'),
    'detail-type': z.literal('EC2 Spot Instance Interruption Warning'),
    time: z.string().optional(),
    detail: z.object({
      'instance-id': instanceId,
      'instance-action': z.enum(['terminate', 'stop', 'hibernate']).optional(),
    }),
  }),
  z.object({
    source: z.literal('aws.ec2'),
    'detail-type': z.literal('EC2 Instance Rebalance Recommendation'),
    time: z.string().optional(),
    detail: z.object({ 'instance-id': instanceId }),
  }),
]);

/** What an EC2 instance event asks for: a converge after a state change, or a Spot warning. */
export type InstanceEvent =
  | { kind: 'state'; instanceId: string; state: InstanceStateEvent['detail']['state'] }
  | { kind: 'interruption' | 'rebalance'; instanceId: string };

/** Parses a state change or a Spot warning. @throws ValidationError naming every bad field. */
export function parseInstanceEvent(raw: unknown): InstanceEvent {
  const spot = SpotWarningEventSchema.safeParse(raw);
  if (spot.success) {
    const kind =
      spot.data['detail-type'] === 'EC2 Instance Rebalance Recommendation' ? 'rebalance' : 'interruption';
    return { kind, instanceId: spot.data.detail['instance-id'] };
  }
  const type = (raw as { 'detail-type'?: unknown } | null)?.['detail-type'];
  if (
    typeof type === 'string' &&
    type !== 'EC2 Instance State-change Notification' &&
    type.startsWith('EC2 ')
  ) {
    throw new ValidationError('EC2 Spot warning', describeIssues(spot.error));
  }
  const parsed = parseInstanceStateEvent(raw);
  return { kind: 'state', instanceId: parsed.detail['instance-id'], state: parsed.detail.state };
}
