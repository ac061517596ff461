/**
 * The config's AWS pieces: launch settings, load balancer and the functions' VPC, with the id, name
 * and ARN formats AWS accepts. These values become IAM resources, conditions and CloudFormation
 * `Fn::Sub` strings (infra/iam.ts), so each is checked in full: no wildcard, no `${`,
 * nothing AWS itself would refuse. Part of the config schema in ./config.ts.
 */
import { z } from 'zod';
import { LAUNCH_MARKET_FIELDS } from './market.js';

const PARTITION = 'aws(?:-[a-z]+)*';
const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d+';
const ACCOUNT = '\\d{12}';
/** Classic load balancer and target group names: 1–32 alphanumerics and hyphens, no hyphen at either end. */
const LB_NAME = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?';
/** IAM role and instance profile names with their optional path. */
const IAM_PATH_NAME = '[\\w+=,.@/-]{1,512}';

const exactly = (pattern: string) => new RegExp(`^${pattern}$`);

const awsId = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}-[0-9a-f]{8,17}$`), `expected an id like "${prefix}-0123abcd"`);

const classicLoadBalancerName = z
  .string()
  .regex(
    exactly(LB_NAME),
    'expected a classic load balancer name: 1-32 letters, digits and hyphens, no hyphen first or last',
  );

const targetGroupArn = z
  .string()
  .regex(
    exactly(`arn:${PARTITION}:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/${LB_NAME}/[0-9a-f]{16}`),
    'expected a target group ARN like arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<16 hex digits>',
  );

/** EC2 key pair names are ASCII; IAM names them in the key pair's ARN, where `*`, `?` and `${` would be patterns. */
const keyPairName = z
  .string()
  .regex(
    /^[A-Za-z0-9 ._+=,@:()-]{1,255}$/,
    'expected a key pair name: 1-255 letters, digits, spaces and ._+=,@:()-',
  );

const instanceProfileArn = z
  .string()
  .regex(
    exactly(`arn:${PARTITION}:iam::${ACCOUNT}:instance-profile/${IAM_PATH_NAME}`),
    'expected an instance profile ARN',
  );

/** `none`: the instances get no role (no instance profile here or in the launch template). */
const roleArnOrNone = z
  .string()
  .regex(
    exactly(`none|arn:${PARTITION}:iam::${ACCOUNT}:role/${IAM_PATH_NAME}`),
    'expected an IAM role ARN or "none"',
  );

/** A key itself (IAM cannot scope to an alias): a key id, or a multi-Region key's `mrk-` id. */
const kmsKeyArn = z
  .string()
  .regex(
    exactly(
      `arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})`,
    ),
    'expected a KMS key ARN like arn:aws:kms:<region>:<account>:key/<key id> (not an alias)',
  );

export const LoadBalancerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z.object({ type: z.literal('classic'), name: classicLoadBalancerName }).strict(),
  z
    .object({
      type: z.literal('target-group'),
      targetGroupArn,
      port: z.number().int().min(1).max(65_535).optional(),
    })
    .strict(),
]);

export const LaunchSchema = z
  .object({
    /** Given by id: IAM authorizes launch templates by id, so only the configured ones are allowed. */
    launchTemplate: z
      .object({
        id: awsId('lt'),
        name: z
          .never({
            error:
              "expected the launch template's id instead (IAM allows launch templates by id): " +
              'aws ec2 describe-launch-templates --launch-template-names <name> shows it',
          })
          .optional(),
        version: z.string().regex(/^(\$Latest|\$Default|\d+)$/, 'expected $Latest, $Default or a number'),
      })
      .strict()
      .optional(),
    imageId: awsId('ami').optional(),
    /** Tried in order when EC2 reports no capacity. */
    instanceTypes: z
      .array(z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'expected an instance type'))
      .max(20, 'expected at most 20 instance types'),
    keyName: keyPairName.optional(),
    /** EC2 takes at most 16 per network interface. */
    securityGroupIds: z.array(awsId('sg')).max(16, 'expected at most 16 security groups'),
    /** Tried in order when EC2 reports no capacity. */
    subnetIds: z.array(awsId('subnet')).max(32, 'expected at most 32 subnets'),
    iamInstanceProfileArn: instanceProfileArn.optional(),
    /** The IAM role behind the instance profile (here or in the launch template), or `none`: IAM
     * lets the functions pass only this role to EC2. */
    instanceRoleArn: roleArnOrNone.optional(),
    /** Customer managed keys of the instances' EBS volumes (encrypted AMI snapshots, the account's
     * default EBS key, or a key the launch template names): EC2 may use them for these volumes. */
    kmsKeyArns: z.array(kmsKeyArn).max(10, 'expected at most 10 keys').optional(),
    ...LAUNCH_MARKET_FIELDS,
  })
  .strict()
  .refine(
    // A launch template may bring its own instance profile; without its role every launch is refused.
    (l) =>
      l.launchTemplate === undefined && l.iamInstanceProfileArn === undefined
        ? true
        : l.instanceRoleArn !== undefined &&
          !(l.iamInstanceProfileArn !== undefined && l.instanceRoleArn === 'none'),
    {
      message:
        'expected the IAM role behind the instance profile (of the launch template or iamInstanceProfileArn), or "none" when the instances get no role',
      path: ['instanceRoleArn'],
    },
  )
  .refine(
    (l) =>
      l.instanceRoleArn === undefined ||
      l.instanceRoleArn === 'none' ||
      l.iamInstanceProfileArn !== undefined,
    {
      // IAM holds each role's servers to its own profile (ec2:InstanceProfile): it must know which.
      message:
        "expected iamInstanceProfileArn with an instance role (the launch template's profile, when it brings one): IAM gives each role's servers only that profile",
      path: ['iamInstanceProfileArn'],
    },
  )
  .refine((l) => l.launchTemplate !== undefined || l.subnetIds.length > 0, {
    message: 'expected at least one subnet (without a launch template, IAM allows only the listed subnets)',
    path: ['subnetIds'],
  })
  .refine((l) => l.launchTemplate !== undefined || l.securityGroupIds.length > 0, {
    message:
      'expected at least one security group (without a launch template, IAM allows only the listed groups)',
    path: ['securityGroupIds'],
  })
  .refine((l) => l.launchTemplate !== undefined || l.imageId !== undefined, {
    message: 'expected launchTemplate or imageId',
    path: ['imageId'],
  })
  .refine((l) => l.instanceTypes.length > 0, {
    // Also with a launch template: the type sets the workers' count (vCPUs) and overrides the template's.
    message: 'expected at least one instance type',
    path: ['instanceTypes'],
  });

/** Where the functions run: health and queue probes reach servers' private addresses. */
export const LambdaVpcSchema = z
  .object({
    // Lambda's own limits: 16 subnets, 5 security groups.
    subnetIds: z
      .array(awsId('subnet'))
      .min(1, 'expected at least one subnet')
      .max(16, 'expected at most 16 subnets'),
    securityGroupIds: z
      .array(awsId('sg'))
      .min(1, 'expected at least one security group')
      .max(5, 'expected at most 5 security groups'),
  })
  .strict();
