/**
 * The functions' role decided by IAM simulation (@cloud-copilot/iam-simulate with the published
 * authorization data, offline): each request the functions make is allowed, and each request a
 * stolen role, a bug or a hostile config might make is denied. The packaged template's role for
 * config/dev.json, and the builder's for configs dev does not cover (Spot-only roles, instance
 * profiles, launch templates).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../fakes/config.js';
import { functionPolicies, functionRoleExtension } from '../../infra/function-role.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const STACK = 'fleet-pilot-dev';
const PRINCIPAL = `arn:aws:iam::${ACCOUNT}:role/${STACK}-${REGION}-lambdaRole`;
const TEMPLATE = join(__dirname, '../../.serverless/cloudformation-template-update-stack.json');

type Policy = { Version: string; Statement: unknown[] };

/** The stack's queues, whose ARNs CloudFormation derives from their generated names. */
const QUEUES = ['DeadLetterQueue', 'TickRoundQueue'];
const queue = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${STACK}-${name}-1A2B3C4D5E6F`;

/** The template's intrinsic functions with this account's values, as CloudFormation would. */
function resolve(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolve);
  if (typeof value !== 'object' || value === null) return value;
  const object = value as Record<string, unknown>;
  if (typeof object['Fn::Sub'] === 'string') {
    const pseudo: Record<string, string> = { Partition: 'aws', Region: REGION, AccountId: ACCOUNT };
    return object['Fn::Sub'].replace(/\$\{AWS::(\w+)\}/g, (_, name: string) => pseudo[name] ?? name);
  }
  const getAtt = object['Fn::GetAtt'];
  if (Array.isArray(getAtt) && QUEUES.includes(getAtt[0])) return queue(getAtt[0]);
  if (Array.isArray(getAtt)) return `arn:aws:cloudformation:${REGION}:${ACCOUNT}:${getAtt.join('/')}`;
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, resolve(v)]));
}

const ec2 = (type: string, id: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:${type}/${id}`;
const image = (id: string) => `arn:aws:ec2:${REGION}::image/${id}`;

type Context = Record<string, string | string[]>;
interface Check {
  action: string;
  resource: string;
  context?: Context;
}

async function decide(policy: Policy | Policy[], check: Check): Promise<string> {
  const policies = Array.isArray(policy) ? policy : [policy];
  const response = await runSimulation(
    {
      identityPolicies: policies.map((p, i) => ({ name: `functions-${i}`, policy: p })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        principal: PRINCIPAL,
        action: check.action,
        resource: { resource: check.resource, accountId: ACCOUNT },
        contextVariables: check.context ?? {},
      },
    },
    {},
  );
  if (response.resultType === 'error') throw new Error(JSON.stringify(response.errors));
  return response.overallResult;
}

/** Allowed only when every part of the request is. */
async function allowed(policy: Policy | Policy[], checks: Check[]): Promise<boolean> {
  const results = await Promise.all(checks.map((c) => decide(policy, c)));
  return results.every((r) => r === 'Allowed');
}

interface Launch {
  role: string;
  stack?: string;
  instanceType?: string;
  imageId?: string;
  subnetId?: string;
  securityGroupId?: string;
  keyName?: string;
  market?: string;
  httpTokens?: string;
  tenancy?: string;
  profile?: string;
  passRole?: string;
  publicIp?: string;
  existingInterface?: string;
  extraTag?: string;
  /** A batched launch: the batch tag instead of an intent tag. */
  batch?: boolean;
}

/** Every authorization one RunInstances call needs, as the adapter sends it (adapters/ec2-compute.ts). */
function runInstances(l: Launch): Check[] {
  const own = l.batch === true ? 'fleet-pilot:batch' : 'fleet-pilot:intent';
  const tags: Context = {
    'aws:RequestTag/fleet-pilot:stack': l.stack ?? STACK,
    'aws:RequestTag/fleet-pilot:role': l.role,
    [`aws:RequestTag/${own}`]: l.batch === true ? 'batch-1' : 'intent-1',
    'aws:RequestTag/Name': `${STACK}-${l.role}`,
    'aws:TagKeys': [
      'Name',
      'fleet-pilot:stack',
      'fleet-pilot:role',
      own,
      ...(l.extraTag ? [l.extraTag] : []),
    ],
  };
  const run = (resource: string, context: Context = {}): Check => ({
    action: 'ec2:RunInstances',
    resource,
    context,
  });
  const checks: Check[] = [
    run(ec2('instance', '*'), {
      ...tags,
      'ec2:InstanceType': l.instanceType ?? 'c5.large',
      'ec2:MetadataHttpTokens': l.httpTokens ?? 'required',
      'ec2:Tenancy': l.tenancy ?? 'default',
      ...(l.market !== undefined ? { 'ec2:InstanceMarketType': l.market } : {}),
      ...(l.profile !== undefined ? { 'ec2:InstanceProfile': l.profile } : {}),
    }),
    run(ec2('volume', '*'), tags),
    run(image(l.imageId ?? 'ami-0123456789abcdef0')),
    run(ec2('subnet', l.subnetId ?? 'subnet-0a1b2c3d4e5f60718')),
    run(ec2('security-group', l.securityGroupId ?? 'sg-0a1b2c3d4e5f60718')),
    run(ec2('key-pair', l.keyName ?? 'smallpayroll')),
    l.existingInterface !== undefined
      ? run(ec2('network-interface', l.existingInterface), { 'ec2:NetworkInterfaceID': l.existingInterface })
      : run(
          ec2('network-interface', '*'),
          l.publicIp !== undefined ? { 'ec2:AssociatePublicIpAddress': l.publicIp } : {},
        ),
  ];
  if (l.market === 'spot') checks.push(run(ec2('spot-instances-request', '*'), tags));
  if (l.passRole !== undefined) {
    checks.push({
      action: 'iam:PassRole',
      resource: l.passRole,
      context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
    });
  }
  return checks;
}

let packaged: Policy;

beforeAll(() => {
  if (!existsSync(TEMPLATE))
    throw new Error('no packaged template: run `npm run package` first (npm test does)');
  const role = JSON.parse(readFileSync(TEMPLATE, 'utf8')).Resources.IamRoleLambdaExecution.Properties as {
    Policies: { PolicyDocument: Policy }[];
  };
  packaged = resolve({
    Version: '2012-10-17',
    Statement: role.Policies.flatMap((p) => p.PolicyDocument.Statement),
  }) as Policy;
});

describe('RunInstances in the packaged template (config/dev.json)', () => {
  it('allows what the adapter sends: app On-Demand, job on Spot and On-Demand', async () => {
    expect(await allowed(packaged, runInstances({ role: 'app' }))).toBe(true);
    expect(await allowed(packaged, runInstances({ role: 'job', market: 'spot' }))).toBe(true);
    expect(await allowed(packaged, runInstances({ role: 'job', instanceType: 'm5.large' }))).toBe(true);
  });

  it('allows a batched launch (many servers in one call, tagged with their batch)', async () => {
    expect(await allowed(packaged, runInstances({ role: 'app', batch: true }))).toBe(true);
    expect(await allowed(packaged, runInstances({ role: 'job', market: 'spot', batch: true }))).toBe(true);
    expect(await allowed(packaged, runInstances({ role: 'app', batch: true, extraTag: 'owner' }))).toBe(
      false,
    );
  });

  it.each<[string, Launch]>([
    ['IMDSv1 allowed on the server (HttpTokens optional)', { role: 'app', httpTokens: 'optional' }],
    ['dedicated tenancy', { role: 'app', tenancy: 'dedicated' }],
    ['a dedicated host', { role: 'job', tenancy: 'host' }],
    ['a public IP address asked for', { role: 'app', publicIp: 'true' }],
    ['an existing network interface attached', { role: 'app', existingInterface: 'eni-0123456789abcdef0' }],
    ['Spot for a role that does not launch Spot', { role: 'app', market: 'spot' }],
    ['a Capacity Block', { role: 'job', market: 'capacity-block' }],
    ['an instance type the role does not name', { role: 'app', instanceType: 'p5.48xlarge' }],
    ["another stack's tag", { role: 'app', stack: 'fleet-pilot-devops' }],
    ['a role the config does not have', { role: 'miner' }],
    ['a tag key of its own', { role: 'app', extraTag: 'owner' }],
    ['an AMI the config does not name', { role: 'app', imageId: 'ami-0fffffffffffffff0' }],
    ['a subnet the config does not name', { role: 'app', subnetId: 'subnet-0fffffffffffffff0' }],
    ['a security group the config does not name', { role: 'app', securityGroupId: 'sg-0fffffffffffffff0' }],
    [
      'an instance profile where the role has none',
      { role: 'app', profile: `arn:aws:iam::${ACCOUNT}:instance-profile/admin` },
    ],
  ])('denies %s', async (_name, launch) => {
    expect(await allowed(packaged, runInstances(launch))).toBe(false);
  });

  it('passes no role at all: dev configures none', async () => {
    const pass = {
      action: 'iam:PassRole',
      resource: `arn:aws:iam::${ACCOUNT}:role/admin`,
      context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
    };
    expect(await decide(packaged, pass)).not.toBe('Allowed');
  });
});

describe('the rest of the packaged role', () => {
  const logGroup = (name: string) =>
    `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/${name}:log-stream:2026/12/06/abc`;

  it("writes its own functions' log streams, not a sibling stack's", async () => {
    for (const fn of ['schedule', 'queueProbe', 'instanceState', 'spotWarning', 'reconcile', 'control']) {
      expect(
        await decide(packaged, { action: 'logs:PutLogEvents', resource: logGroup(`${STACK}-${fn}`) }),
        fn,
      ).toBe('Allowed');
    }
    expect(
      await decide(packaged, {
        action: 'logs:PutLogEvents',
        resource: logGroup('fleet-pilot-devops-schedule'),
      }),
    ).not.toBe('Allowed');
    expect(
      await decide(packaged, { action: 'logs:PutLogEvents', resource: logGroup(`${STACK}-schedulex`) }),
    ).not.toBe('Allowed');
  });

  it("creates and removes Lambda's network interfaces only in lambdaVpc's subnets", async () => {
    const lambdaSubnet = ec2('subnet', 'subnet-0a1b2c3d4e5f60718');
    const other = ec2('subnet', 'subnet-0fffffffffffffff0');
    const create = (subnet: string, group = 'sg-0b1c2d3e4f5a60718') =>
      Promise.all([
        decide(packaged, { action: 'ec2:CreateNetworkInterface', resource: ec2('network-interface', '*') }),
        decide(packaged, { action: 'ec2:CreateNetworkInterface', resource: subnet }),
        decide(packaged, { action: 'ec2:CreateNetworkInterface', resource: ec2('security-group', group) }),
      ]).then((r) => r.every((x) => x === 'Allowed'));
    expect(await create(lambdaSubnet)).toBe(true);
    expect(await create(other)).toBe(false);
    expect(await create(lambdaSubnet, 'sg-0fffffffffffffff0')).toBe(false);
    const eni = ec2('network-interface', 'eni-0123456789abcdef0');
    expect(
      await decide(packaged, {
        action: 'ec2:DeleteNetworkInterface',
        resource: eni,
        context: { 'ec2:Subnet': lambdaSubnet },
      }),
    ).toBe('Allowed');
    expect(
      await decide(packaged, {
        action: 'ec2:DeleteNetworkInterface',
        resource: eni,
        context: { 'ec2:Subnet': other },
      }),
    ).not.toBe('Allowed');
  });

  it("sends the tick's later rounds to its round queue, and failed invocations to the DLQ, only", async () => {
    const send = (arn: string) => decide(packaged, { action: 'sqs:SendMessage', resource: arn });
    expect(await send(queue('TickRoundQueue'))).toBe('Allowed');
    expect(await send(queue('DeadLetterQueue'))).toBe('Allowed');
    expect(
      await send(`arn:aws:sqs:${REGION}:${ACCOUNT}:fleet-pilot-devops-TickRoundQueue-1A2B3C4D5E6F`),
    ).not.toBe('Allowed');
  });

  it('lets the round queue trigger the tick, and reads or deletes no other queue', async () => {
    const trigger = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];
    for (const action of trigger) {
      expect(await decide(packaged, { action, resource: queue('TickRoundQueue') }), action).toBe('Allowed');
      expect(await decide(packaged, { action, resource: queue('DeadLetterQueue') }), action).not.toBe(
        'Allowed',
      );
    }
    for (const action of ['sqs:PurgeQueue', 'sqs:SetQueueAttributes', 'sqs:DeleteQueue']) {
      expect(await decide(packaged, { action, resource: queue('TickRoundQueue') }), action).not.toBe(
        'Allowed',
      );
    }
  });

  it('terminates only instances tagged for the stack', async () => {
    const terminate = (stack: string) =>
      decide(packaged, {
        action: 'ec2:TerminateInstances',
        resource: ec2('instance', 'i-0123456789abcdef0'),
        context: { 'ec2:ResourceTag/fleet-pilot:stack': stack },
      });
    expect(await terminate(STACK)).toBe('Allowed');
    expect(await terminate('fleet-pilot-devops')).not.toBe('Allowed');
  });
});

describe('roles with instance profiles and Spot only (built from the config)', () => {
  const profile = (name: string) => `arn:aws:iam::${ACCOUNT}:instance-profile/${name}`;
  const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
  let policy: Policy;

  beforeAll(() => {
    const cfg = testConfig({
      roles: {
        app: {
          launch: { iamInstanceProfileArn: profile('app-servers'), instanceRoleArn: role('app-servers') },
        },
        job: {
          launch: {
            iamInstanceProfileArn: profile('job-servers'),
            instanceRoleArn: role('job-servers'),
            market: 'spot',
          },
        },
      },
    });
    const extension = functionRoleExtension(cfg, STACK) as {
      IamRoleLambdaExecution: { Properties: { Policies: { PolicyDocument: Policy }[] } };
    };
    policy = resolve(extension.IamRoleLambdaExecution.Properties.Policies[0]?.PolicyDocument) as Policy;
  });

  const launch = (l: Partial<Launch> & { role: string }): Launch => ({
    subnetId: 'subnet-0123abcd',
    securityGroupId: 'sg-0123abcd',
    keyName: 'payroll',
    ...l,
  });

  it("gives each role's servers that role's own profile and role", async () => {
    const app = launch({ role: 'app', profile: profile('app-servers'), passRole: role('app-servers') });
    expect(await allowed(policy, runInstances(app))).toBe(true);
    const job = launch({
      role: 'job',
      market: 'spot',
      profile: profile('job-servers'),
      passRole: role('job-servers'),
    });
    expect(await allowed(policy, runInstances(job))).toBe(true);
  });

  it.each<[string, Launch]>([
    [
      "the job role's profile on an app server",
      launch({ role: 'app', profile: profile('job-servers'), passRole: role('job-servers') }),
    ],
    ['no profile where the role has one', launch({ role: 'app' })],
    [
      'a role the config does not name',
      launch({ role: 'app', profile: profile('app-servers'), passRole: role('admin') }),
    ],
    [
      'On-Demand for a Spot-only role',
      launch({ role: 'job', profile: profile('job-servers'), passRole: role('job-servers') }),
    ],
    [
      'Spot for the On-Demand role',
      launch({ role: 'app', market: 'spot', profile: profile('app-servers'), passRole: role('app-servers') }),
    ],
  ])('denies %s', async (_name, l) => {
    expect(await allowed(policy, runInstances(l))).toBe(false);
  });

  it('passes a configured role to EC2 only', async () => {
    const pass = (service: string) =>
      decide(policy, {
        action: 'iam:PassRole',
        resource: role('app-servers'),
        context: { 'iam:PassedToService': service },
      });
    expect(await pass('ec2.amazonaws.com')).toBe('Allowed');
    expect(await pass('lambda.amazonaws.com')).not.toBe('Allowed');
  });
});

describe('a stage of 20 roles, whose statements overflow the inline policy into managed ones', () => {
  const names = Array.from({ length: 20 }, (_, i) => `batch-${String(i).padStart(2, '0')}`);
  let policies: Policy[];

  beforeAll(() => {
    // The parsed job role copied under 20 names, each with its own instance type.
    const cfg = testConfig();
    const job = cfg.roles.job as NonNullable<typeof cfg.roles.job>;
    const roles = Object.fromEntries(
      names.map((name, i) => [
        name,
        { ...job, launch: { ...job.launch, instanceTypes: [`c5.${i + 1}xlarge`] } },
      ]),
    );
    const { inline, managed } = functionPolicies({ ...cfg, roles }, STACK);
    expect(managed.length).toBeGreaterThan(0);
    policies = [inline, ...managed].map(
      (statements) => resolve({ Version: '2012-10-17', Statement: statements }) as Policy,
    );
  });

  const launch = (role: string, instanceType: string): Launch => ({
    role,
    instanceType,
    subnetId: 'subnet-0123abcd',
    securityGroupId: 'sg-0123abcd',
    keyName: 'payroll',
  });

  it('still lets each role launch its own types, the first and the last', async () => {
    expect(await allowed(policies, runInstances(launch('batch-00', 'c5.1xlarge')))).toBe(true);
    expect(await allowed(policies, runInstances(launch('batch-19', 'c5.20xlarge')))).toBe(true);
  });

  it("still denies a role another role's instance type", async () => {
    expect(await allowed(policies, runInstances(launch('batch-19', 'c5.1xlarge')))).toBe(false);
  });
});
