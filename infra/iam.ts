/**
 * The functions' IAM statements, built from the validated config: every EC2 and load-balancer
 * resource the functions may use is one the config names. serverless.yml takes them through
 * infra/serverless-vars.cjs (`iamStatements`); test/infra/iam.test.ts checks them per config.
 */
import type { Config, LaunchConfig } from '../domain/config.js';
import { marketsUsed } from '../domain/market.js';

export interface Statement {
  Sid: string;
  Effect: 'Allow';
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

type Sub = { 'Fn::Sub': string };
const sub = (text: string): Sub => ({ 'Fn::Sub': text });
const REGION = `arn:\${AWS::Partition}:ec2:\${AWS::Region}`;
/** An EC2 resource of this account and region; `id` may be `*`. */
export const ec2Arn = (type: string, id: string): Sub => sub(`${REGION}:\${AWS::AccountId}:${type}/${id}`);
const imageArn = (id: string): Sub => sub(`${REGION}::image/${id}`);

/** Each value once, in first-seen order (values compared as JSON). */
export function dedupe<T>(list: readonly T[]): T[] {
  const seen = new Set<string>();
  return list.filter((item) => {
    const key = JSON.stringify(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The statements of the functions' role for the config, in the stack `stack`. */
export function iamStatements(cfg: Config, stack: string): Statement[] {
  return [
    {
      // Reads cannot be scoped by resource in EC2 and ELB.
      Sid: 'DescribeFleet',
      Effect: 'Allow',
      Action: [
        'ec2:DescribeInstances',
        'ec2:DescribeInstanceTypes',
        'elasticloadbalancing:DescribeInstanceHealth',
        'elasticloadbalancing:DescribeTargetHealth',
      ],
      Resource: '*',
    },
    ...runInstances(cfg, stack),
    {
      // Instances get only the configured instance roles (config: launch.instanceRoleArn).
      Sid: 'PassInstanceRole',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: passRoleResources(cfg),
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    },
    ...ebsKeys(cfg),
    {
      Sid: 'TagOnlyAtLaunch',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: [ec2Arn('instance', '*'), ec2Arn('volume', '*')],
      Condition: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
    },
    {
      Sid: 'TerminateOwnInstances',
      Effect: 'Allow',
      Action: 'ec2:TerminateInstances',
      Resource: ec2Arn('instance', '*'),
      Condition: { StringEquals: { 'ec2:ResourceTag/fleet-pilot:stack': stack } },
    },
    ...warmPool(cfg, stack),
    {
      // Register/deregister only with the configured load balancers, tagged for this stack.
      Sid: 'RegisterWithConfiguredLoadBalancers',
      Effect: 'Allow',
      Action: [
        'elasticloadbalancing:RegisterInstancesWithLoadBalancer',
        'elasticloadbalancing:DeregisterInstancesFromLoadBalancer',
        'elasticloadbalancing:RegisterTargets',
        'elasticloadbalancing:DeregisterTargets',
      ],
      Resource: loadBalancerResources(cfg),
      Condition: { StringEquals: { 'aws:ResourceTag/fleet-pilot:stack': stack } },
    },
    {
      Sid: 'Ledger',
      Effect: 'Allow',
      Action: [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
        // The forecast's history: a few dozen days of one role in one read.
        'dynamodb:BatchGetItem',
      ],
      Resource: { 'Fn::GetAtt': ['LedgerTable', 'Arn'] },
    },
    {
      Sid: 'FailedInvocations',
      Effect: 'Allow',
      Action: 'sqs:SendMessage',
      Resource: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] },
    },
    // The tick's later rounds (handlers/queue-probe.ts): sent by the scheduled tick (SendMessageBatch
    // is authorized as SendMessage), received and deleted by the tick function's SQS trigger.
    {
      Sid: 'SendTickRounds',
      Effect: 'Allow',
      Action: 'sqs:SendMessage',
      Resource: { 'Fn::GetAtt': ['TickRoundQueue', 'Arn'] },
    },
    {
      Sid: 'ReceiveTickRounds',
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
      Resource: { 'Fn::GetAtt': ['TickRoundQueue', 'Arn'] },
    },
  ];
}

/**
 * Starting and stopping (or hibernating) the warm pool's servers, only when some role has a pool,
 * and only instances carrying this stack's ownership tag.
 */
function warmPool(cfg: Config, stack: string): Statement[] {
  if (!Object.values(cfg.roles).some((r) => r.warmPool !== undefined)) return [];
  return [
    {
      Sid: 'StartStopOwnInstances',
      Effect: 'Allow',
      Action: ['ec2:StartInstances', 'ec2:StopInstances'],
      Resource: ec2Arn('instance', '*'),
      Condition: { StringEquals: { 'ec2:ResourceTag/fleet-pilot:stack': stack } },
    },
  ];
}

/** `Run<Role>Instances`, letters and digits only (a Sid's alphabet), unique within the policy. */
function runSid(role: string, taken: Set<string>): string {
  const words = role.split('-').map((w) => (w === '' ? '' : `${w[0]?.toUpperCase()}${w.slice(1)}`));
  let sid = `Run${words.join('')}Instances`;
  for (let n = 2; taken.has(sid); n += 1) sid = `Run${words.join('')}Instances${n}`;
  taken.add(sid);
  return sid;
}

/** Markets IAM never lets RunInstances use, whatever the role. */
const NEVER_MARKETS = ['capacity-block', 'interruptible-capacity-reservation'];

/**
 * What one role's launches must be: the role's own request tag, its instance types, IMDSv2
 * required, default tenancy, its markets (Spot only when its launch.market buys Spot) and its own
 * instance profile or none.
 */
function roleInstanceCondition(role: string, launch: LaunchConfig, stack: string): Statement['Condition'] {
  const markets = marketsUsed(launch);
  const spotOnly = !markets.includes('on-demand');
  const profile = launch.iamInstanceProfileArn;
  return {
    StringEquals: {
      'aws:RequestTag/fleet-pilot:stack': stack,
      'aws:RequestTag/fleet-pilot:role': role,
      'ec2:InstanceType': [...launch.instanceTypes],
      'ec2:MetadataHttpTokens': 'required',
      'ec2:Tenancy': 'default',
      ...(spotOnly ? { 'ec2:InstanceMarketType': 'spot' } : {}),
    },
    // An On-Demand launch has no market options, so no market key: the rule is "none of these".
    ...(spotOnly
      ? {}
      : {
          StringNotEquals: {
            'ec2:InstanceMarketType': markets.includes('spot') ? NEVER_MARKETS : ['spot', ...NEVER_MARKETS],
          },
        }),
    'ForAllValues:StringEquals': { 'aws:TagKeys': FLEET_TAG_KEYS },
    // A role's servers get that role's instance profile, never another role's.
    ...(profile !== undefined
      ? { ArnEquals: { 'ec2:InstanceProfile': profile } }
      : { Null: { 'ec2:InstanceProfile': 'true' } }),
  };
}

/** A batched launch tags its servers with the batch instead of one intent (adapters/ec2-compute.ts). */
const FLEET_TAG_KEYS = [
  'fleet-pilot:stack',
  'fleet-pilot:role',
  'fleet-pilot:intent',
  'fleet-pilot:batch',
  'Name',
];

function runInstances(cfg: Config, stack: string): Statement[] {
  const roles = Object.entries(cfg.roles);
  const launches = roles.map(([, r]) => r.launch);
  const templates = dedupe(
    launches.flatMap((l) =>
      l.launchTemplate !== undefined ? [ec2Arn('launch-template', l.launchTemplate.id)] : [],
    ),
  );
  const stackTag = { 'aws:RequestTag/fleet-pilot:stack': stack };
  const onlyFleetTags = { 'ForAllValues:StringEquals': { 'aws:TagKeys': FLEET_TAG_KEYS } };
  const spotRoles = roles.filter(([, r]) => marketsUsed(r.launch).includes('spot')).map(([name]) => name);
  const sids = new Set<string>();
  return [
    // One statement per role on the instance itself: the request's role tag picks the statement.
    ...roles.map(([role, r]) => ({
      Sid: runSid(role, sids),
      Effect: 'Allow' as const,
      Action: 'ec2:RunInstances',
      Resource: ec2Arn('instance', '*'),
      Condition: roleInstanceCondition(role, r.launch, stack),
    })),
    {
      // Their volumes carry the same tags (ec2:InstanceType is not a volume's key).
      Sid: 'RunTaggedVolumes',
      Effect: 'Allow',
      Action: 'ec2:RunInstances',
      Resource: ec2Arn('volume', '*'),
      Condition: { StringEquals: stackTag, ...onlyFleetTags },
    },
    {
      // Only the configured AMIs and launch templates.
      Sid: 'RunFromConfiguredImages',
      Effect: 'Allow',
      Action: 'ec2:RunInstances',
      Resource: dedupe([
        ...launches.flatMap((l) => (l.imageId !== undefined ? [imageArn(l.imageId)] : [])),
        ...templates,
      ]),
    },
    ...(templates.length === 0
      ? []
      : [
          {
            // What a configured launch template itself names (AMI, subnet, security groups, key
            // pair), only through that template: never the same kinds given in the request.
            Sid: 'RunWithLaunchTemplateResources',
            Effect: 'Allow' as const,
            Action: 'ec2:RunInstances',
            Resource: [
              imageArn('*'),
              ec2Arn('subnet', '*'),
              ec2Arn('security-group', '*'),
              ec2Arn('key-pair', '*'),
            ],
            Condition: {
              ArnEquals: { 'ec2:LaunchTemplate': templates },
              Bool: { 'ec2:IsLaunchTemplateResource': 'true' },
            },
          },
        ]),
    ...(spotRoles.length === 0
      ? []
      : [
          {
            // RunInstances with Spot market options also creates a one-time Spot request: only for
            // the roles that launch Spot.
            Sid: 'RunSpotRequests',
            Effect: 'Allow' as const,
            Action: 'ec2:RunInstances',
            Resource: ec2Arn('spot-instances-request', '*'),
            Condition: { StringEquals: { ...stackTag, 'aws:RequestTag/fleet-pilot:role': spotRoles } },
          },
        ]),
    {
      // The configured network: subnets and security groups, key pairs.
      Sid: 'RunInConfiguredNetwork',
      Effect: 'Allow',
      Action: 'ec2:RunInstances',
      Resource: dedupe([
        ...launches.flatMap((l) => l.subnetIds.map((id) => ec2Arn('subnet', id))),
        ...launches.flatMap((l) => l.securityGroupIds.map((id) => ec2Arn('security-group', id))),
        ...launches.flatMap((l) => (l.keyName !== undefined ? [ec2Arn('key-pair', l.keyName)] : [])),
      ]),
    },
    {
      // The instance's own new interface: never an existing one (those have an id), never one that
      // asks for a public address (there is no config key for one).
      Sid: 'RunWithNewPrivateInterfaces',
      Effect: 'Allow',
      Action: 'ec2:RunInstances',
      Resource: ec2Arn('network-interface', '*'),
      Condition: {
        Null: { 'ec2:NetworkInterfaceID': 'true' },
        BoolIfExists: { 'ec2:AssociatePublicIpAddress': 'false' },
      },
    },
  ];
}

/**
 * The configured customer managed KMS keys of encrypted volumes, used only by EC2 on the functions'
 * behalf (kms:ViaService); grants only for EC2 itself (kms:GrantIsForAWSResource). These are the
 * permissions the EBS user guide lists for launching with encrypted volumes.
 */
function ebsKeys(cfg: Config): Statement[] {
  const keys = dedupe(Object.values(cfg.roles).flatMap((r) => r.launch.kmsKeyArns ?? []));
  if (keys.length === 0) return [];
  const viaEc2 = { 'kms:ViaService': sub(`ec2.\${AWS::Region}.amazonaws.com`) };
  return [
    {
      Sid: 'EncryptVolumesWithConfiguredKeys',
      Effect: 'Allow',
      Action: [
        'kms:Decrypt',
        'kms:DescribeKey',
        'kms:GenerateDataKeyWithoutPlaintext',
        'kms:ReEncryptFrom',
        'kms:ReEncryptTo',
      ],
      Resource: keys,
      Condition: { StringEquals: viaEc2 },
    },
    {
      Sid: 'GrantConfiguredKeysToEc2',
      Effect: 'Allow',
      Action: 'kms:CreateGrant',
      Resource: keys,
      Condition: { StringEquals: viaEc2, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    },
  ];
}

/** The instance roles RunInstances may pass to EC2 (none configured: a role that cannot exist). */
function passRoleResources(cfg: Config): string[] {
  const roles = Object.values(cfg.roles)
    .map((r) => r.launch.instanceRoleArn)
    .filter((arn): arn is string => arn !== undefined && arn !== 'none');
  return roles.length > 0 ? dedupe(roles) : ['arn:aws:iam::000000000000:role/fleet-pilot-no-instance-role'];
}

/** The configured classic load balancers and target groups (register/deregister only these). */
function loadBalancerResources(cfg: Config): (Sub | string)[] {
  const resources: (Sub | string)[] = [];
  for (const { loadBalancer: lb } of Object.values(cfg.roles)) {
    if (lb.type === 'classic') {
      resources.push(
        sub(
          `arn:\${AWS::Partition}:elasticloadbalancing:\${AWS::Region}:\${AWS::AccountId}:loadbalancer/${lb.name}`,
        ),
      );
    }
    if (lb.type === 'target-group') resources.push(lb.targetGroupArn);
  }
  return resources.length > 0
    ? dedupe(resources)
    : ['arn:aws:elasticloadbalancing:none:000000000000:loadbalancer/none'];
}
