import {
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  EC2Client,
  EC2ServiceException,
  type Instance,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  Ec2Compute,
  type Ec2ComputeSettings,
  type LaunchSettings,
  TAG_BATCH,
  TAG_INTENT,
  TAG_ROLE,
  TAG_STACK,
} from '../../adapters/ec2-compute.js';
import {
  CapacityError,
  ConflictError,
  IncorrectStateError,
  InvalidRequestError,
  NotFoundError,
  ThrottlingError,
  TransientError,
} from '../../domain/errors.js';
import type { LaunchRequest } from '../../domain/types.js';

const ec2 = mockClient(EC2Client);

const AMI_LAUNCH: LaunchSettings = {
  imageId: 'ami-0123456789abcdef0',
  instanceTypes: ['c5.large', 'm5.large'],
  keyName: 'payroll',
  securityGroupIds: ['sg-0123abcd'],
  subnetIds: ['subnet-0123abcd', 'subnet-4567cdef'],
  iamInstanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/app',
};

const TEMPLATE_LAUNCH: LaunchSettings = {
  launchTemplate: { id: 'lt-0123456789abcdef0', version: '$Latest' },
  instanceTypes: [],
  securityGroupIds: [],
  subnetIds: [],
};

const SETTINGS: Ec2ComputeSettings = {
  stack: 'payroll-prod',
  roles: { app: { launch: AMI_LAUNCH }, job: { launch: TEMPLATE_LAUNCH } },
};

function request(overrides: Partial<LaunchRequest> = {}): LaunchRequest {
  return {
    role: 'app',
    intentId: 'i-abc',
    clientToken: 'fleet-pilot-app-i-abc-0',
    userData: '#!/bin/bash\nROLE=app DB_HOST=db.internal WORKERS=4\n',
    ...overrides,
  };
}

const LAUNCHED: Instance = {
  InstanceId: 'i-0aaaaaaaaaaaaaaa1',
  State: { Name: 'pending', Code: 0 },
  LaunchTime: new Date('2024-03-04T13:00:00Z'),
  PrivateIpAddress: '10.0.1.15',
  InstanceType: 'c5.large',
};

function ec2Error(name: string, fault: 'client' | 'server' = 'client', message = `${name} happened`) {
  return new EC2ServiceException({ name, $fault: fault, $metadata: {}, message });
}

function compute(settings: Ec2ComputeSettings = SETTINGS): Ec2Compute {
  return new Ec2Compute(new EC2Client({ region: 'us-east-1' }), settings);
}

function runInput(n = 0) {
  const call = ec2.commandCalls(RunInstancesCommand)[n];
  if (call === undefined) throw new Error(`no RunInstances call #${n}`);
  return call.args[0].input;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

beforeEach(() => {
  ec2.reset();
});

describe('Ec2Compute.launch', () => {
  beforeEach(() => {
    ec2.on(RunInstancesCommand).resolves({ Instances: [LAUNCHED] });
  });

  it('launches exactly one instance with the intent’s ClientToken', async () => {
    await compute().launch(request());
    expect(runInput()).toMatchObject({ MinCount: 1, MaxCount: 1, ClientToken: 'fleet-pilot-app-i-abc-0' });
  });

  it('tags the instance and its volumes with stack, role, intent and Name', async () => {
    await compute().launch(request());
    const tags = [
      { Key: 'Name', Value: 'payroll-prod-app' },
      { Key: TAG_STACK, Value: 'payroll-prod' },
      { Key: TAG_ROLE, Value: 'app' },
      { Key: TAG_INTENT, Value: 'i-abc' },
    ];
    expect(runInput().TagSpecifications).toEqual([
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
    ]);
    expect([TAG_STACK, TAG_ROLE, TAG_INTENT]).toEqual([
      'fleet-pilot:stack',
      'fleet-pilot:role',
      'fleet-pilot:intent',
    ]);
  });

  it('requires IMDSv2 with a hop limit of 1', async () => {
    await compute().launch(request());
    expect(runInput().MetadataOptions).toEqual({
      HttpTokens: 'required',
      HttpEndpoint: 'enabled',
      HttpPutResponseHopLimit: 1,
    });
  });

  it('asks for no tenancy, no network interface and no public address: IAM allows default tenancy and new private interfaces only', async () => {
    await compute().launch(request());
    const input = runInput();
    expect(input.Placement).toBeUndefined();
    expect(input.NetworkInterfaces).toBeUndefined();
    expect(JSON.stringify(input)).not.toMatch(/AssociatePublicIpAddress|Tenancy|NetworkInterfaceId/);
  });

  it('sends user data base64-encoded', async () => {
    await compute().launch(request());
    const sent = runInput().UserData ?? '';
    expect(Buffer.from(sent, 'base64').toString('utf8')).toBe(request().userData);
    expect(sent).toBe(Buffer.from(request().userData).toString('base64'));
  });

  it('uses the AMI, first type, first subnet, security groups, key and profile when no template is set', async () => {
    await compute().launch(request());
    const input = runInput();
    expect(input).toMatchObject({
      ImageId: 'ami-0123456789abcdef0',
      InstanceType: 'c5.large',
      SubnetId: 'subnet-0123abcd',
      SecurityGroupIds: ['sg-0123abcd'],
      KeyName: 'payroll',
      IamInstanceProfile: { Arn: 'arn:aws:iam::123456789012:instance-profile/app' },
    });
    expect(input).not.toHaveProperty('LaunchTemplate');
  });

  it('uses the launch template and omits AMI, type, subnet and groups it does not configure', async () => {
    await compute().launch(request({ role: 'job' }));
    const input = runInput();
    expect(input.LaunchTemplate).toEqual({ LaunchTemplateId: 'lt-0123456789abcdef0', Version: '$Latest' });
    for (const key of [
      'ImageId',
      'InstanceType',
      'SubnetId',
      'SecurityGroupIds',
      'KeyName',
      'IamInstanceProfile',
    ]) {
      expect(input).not.toHaveProperty(key);
    }
  });

  it('lets the request override instance type and subnet (capacity fallback)', async () => {
    await compute().launch(request({ instanceType: 'm5.large', subnetId: 'subnet-4567cdef' }));
    expect(runInput()).toMatchObject({ InstanceType: 'm5.large', SubnetId: 'subnet-4567cdef' });
  });

  it('returns the pending instance with its launch time, address, type, role and intent', async () => {
    await expect(compute().launch(request())).resolves.toEqual({
      instanceId: 'i-0aaaaaaaaaaaaaaa1',
      state: 'pending',
      market: 'on-demand',
      launchedAt: Date.parse('2024-03-04T13:00:00Z'),
      privateIp: '10.0.1.15',
      instanceType: 'c5.large',
      role: 'app',
      intentId: 'i-abc',
    });
  });

  it.each([
    ['too long', 'x'.repeat(65)],
    ['empty', ''],
    ['non-ASCII', 'intent-é'],
    ['with a space', 'intent 1'],
  ])('refuses a client token that is %s without calling EC2', async (_, clientToken) => {
    await expect(compute().launch(request({ clientToken }))).rejects.toBeInstanceOf(InvalidRequestError);
    expect(ec2.commandCalls(RunInstancesCommand)).toHaveLength(0);
  });

  it('accepts a client token of exactly 64 characters', async () => {
    await compute().launch(request({ clientToken: 'x'.repeat(64) }));
    expect(runInput().ClientToken).toHaveLength(64);
  });

  it('refuses a role without launch settings without calling EC2', async () => {
    await expect(compute().launch(request({ role: 'nope' }))).rejects.toBeInstanceOf(InvalidRequestError);
    expect(ec2.commandCalls(RunInstancesCommand)).toHaveLength(0);
  });

  it('maps InsufficientInstanceCapacity to a CapacityError naming the type and subnet tried', async () => {
    const cause = ec2Error(
      'InsufficientInstanceCapacity',
      'server',
      'We currently do not have sufficient capacity',
    );
    ec2.on(RunInstancesCommand).rejects(cause);
    const error = await rejection(compute().launch(request({ instanceType: 'm5.large' })));
    expect(error).toBeInstanceOf(CapacityError);
    expect(error).toMatchObject({ instanceType: 'm5.large', subnetId: 'subnet-0123abcd', cause });
    expect((error as Error).message).toContain('RunInstances for intent i-abc');
    expect((error as Error).message).toContain('We currently do not have sufficient capacity');
  });

  it('maps Unsupported (type not offered in the zone) to a CapacityError', async () => {
    ec2.on(RunInstancesCommand).rejects(ec2Error('Unsupported'));
    await expect(compute().launch(request())).rejects.toBeInstanceOf(CapacityError);
  });

  it('maps RequestLimitExceeded to a ThrottlingError', async () => {
    ec2.on(RunInstancesCommand).rejects(ec2Error('RequestLimitExceeded'));
    await expect(compute().launch(request())).rejects.toBeInstanceOf(ThrottlingError);
  });

  it('maps IdempotentParameterMismatch (same token, different request) to a ConflictError', async () => {
    ec2.on(RunInstancesCommand).rejects(ec2Error('IdempotentParameterMismatch'));
    await expect(compute().launch(request())).rejects.toBeInstanceOf(ConflictError);
  });

  it.each([
    'InvalidAMIID.NotFound',
    'InvalidSubnetID.NotFound',
    'InvalidGroup.NotFound',
    'InvalidParameterValue',
  ])('maps %s to an InvalidRequestError (bad launch settings)', async (name) => {
    ec2.on(RunInstancesCommand).rejects(ec2Error(name));
    await expect(compute().launch(request())).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it('reports a response without an instance as transient', async () => {
    ec2.on(RunInstancesCommand).resolves({ Instances: [] });
    await expect(compute().launch(request())).rejects.toBeInstanceOf(TransientError);
  });
});

describe('Ec2Compute.launchBatch', () => {
  const batch = {
    role: 'app',
    batchId: 'b-123',
    count: 3,
    clientToken: 'b-123-0',
    userData: '#!/bin/bash\nROLE=app\n',
  };
  const launched = (index: number): Instance => ({
    ...LAUNCHED,
    InstanceId: `i-0aaaaaaaaaaaaaa0${index}`,
    PrivateIpAddress: `127.0.0.${index + 2}`,
    AmiLaunchIndex: index,
  });

  it('asks for the whole batch in one call: MinCount 1, MaxCount its size, its ClientToken', async () => {
    ec2.on(RunInstancesCommand).resolves({ Instances: [launched(0), launched(1), launched(2)] });
    await compute().launchBatch(batch);
    expect(ec2.commandCalls(RunInstancesCommand)).toHaveLength(1);
    expect(runInput()).toMatchObject({ MinCount: 1, MaxCount: 3, ClientToken: 'b-123-0' });
  });

  it('tags every server and volume with the batch instead of an intent', async () => {
    ec2.on(RunInstancesCommand).resolves({ Instances: [launched(0)] });
    await compute().launchBatch(batch);
    const tags = [
      { Key: 'Name', Value: 'payroll-prod-app' },
      { Key: TAG_STACK, Value: 'payroll-prod' },
      { Key: TAG_ROLE, Value: 'app' },
      { Key: TAG_BATCH, Value: 'b-123' },
    ];
    expect(runInput().TagSpecifications).toEqual([
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
    ]);
    expect(runInput().MetadataOptions?.HttpTokens).toBe('required');
  });

  it('names each server’s intent by its launch index, and answers fewer when EC2 launched fewer', async () => {
    ec2.on(RunInstancesCommand).resolves({ Instances: [launched(1), launched(0)] });
    const instances = await compute().launchBatch(batch);
    expect(instances.map((i) => [i.instanceId, i.intentId])).toEqual([
      ['i-0aaaaaaaaaaaaaa01', 'b-123-1'],
      ['i-0aaaaaaaaaaaaaa00', 'b-123-0'],
    ]);
  });

  it('lists a batch’s servers with their intents from the batch tag and launch index', async () => {
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              ...launched(2),
              Tags: [
                { Key: TAG_STACK, Value: 'payroll-prod' },
                { Key: TAG_ROLE, Value: 'app' },
                { Key: TAG_BATCH, Value: 'b-123' },
              ],
            },
          ],
        },
      ],
    });
    const [instance] = await compute().list();
    expect(instance?.intentId).toBe('b-123-2');
  });

  it('maps no capacity for even one server to a CapacityError, and throttling to a ThrottlingError', async () => {
    ec2
      .on(RunInstancesCommand)
      .rejectsOnce(ec2Error('InsufficientInstanceCapacity'))
      .rejectsOnce(ec2Error('RequestLimitExceeded'));
    expect(await rejection(compute().launchBatch(batch))).toBeInstanceOf(CapacityError);
    expect(await rejection(compute().launchBatch(batch))).toBeInstanceOf(ThrottlingError);
  });
});

describe('Ec2Compute.list', () => {
  function reservation(...ids: string[]) {
    return {
      Instances: ids.map((id) => ({
        InstanceId: id,
        State: { Name: 'running' as const, Code: 16 },
        LaunchTime: new Date('2024-03-04T13:00:00Z'),
        InstanceType: 'c5.large' as const,
        PrivateIpAddress: '10.0.1.20',
        Tags: [
          { Key: TAG_STACK, Value: 'payroll-prod' },
          { Key: TAG_ROLE, Value: 'job' },
          { Key: TAG_INTENT, Value: `intent-${id}` },
        ],
      })),
    };
  }

  it('filters by the stack tag and every state but terminated', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    await compute().list();
    const input = ec2.commandCalls(DescribeInstancesCommand)[0]?.args[0].input;
    expect(input).toEqual({
      Filters: [
        { Name: 'tag:fleet-pilot:stack', Values: ['payroll-prod'] },
        {
          Name: 'instance-state-name',
          Values: ['pending', 'running', 'shutting-down', 'stopping', 'stopped'],
        },
      ],
      MaxResults: 1000,
    });
  });

  it('reads every page and maps tags to role and intent', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce({ Reservations: [reservation('i-01', 'i-02')], NextToken: 'page-2' })
      .resolvesOnce({ Reservations: [reservation('i-03')], NextToken: 'page-3' })
      .resolvesOnce({ Reservations: [reservation('i-04'), reservation('i-05')] });
    const instances = await compute().list();
    expect(instances.map((i) => i.instanceId)).toEqual(['i-01', 'i-02', 'i-03', 'i-04', 'i-05']);
    expect(instances[2]).toEqual({
      instanceId: 'i-03',
      role: 'job',
      intentId: 'intent-i-03',
      state: 'running',
      privateIp: '10.0.1.20',
      launchedAt: Date.parse('2024-03-04T13:00:00Z'),
      instanceType: 'c5.large',
    });
    const tokens = ec2.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input.NextToken);
    expect(tokens).toEqual([undefined, 'page-2', 'page-3']);
  });

  it('maps throttling while listing', async () => {
    ec2.on(DescribeInstancesCommand).rejects(ec2Error('RequestLimitExceeded'));
    await expect(compute().list()).rejects.toBeInstanceOf(ThrottlingError);
  });
});

describe('Ec2Compute.terminate', () => {
  const ids = (n: number, offset = 0) =>
    Array.from({ length: n }, (_, k) => `i-${(k + offset).toString(16).padStart(17, '0')}`);

  function terminatedIds(): string[][] {
    return ec2.commandCalls(TerminateInstancesCommand).map((c) => c.args[0].input.InstanceIds ?? []);
  }

  it('makes no call for an empty list', async () => {
    await compute().terminate([]);
    expect(ec2.calls()).toHaveLength(0);
  });

  it('terminates in batches of at most 1000', async () => {
    ec2.on(TerminateInstancesCommand).resolves({});
    await compute().terminate(ids(2500));
    expect(terminatedIds().map((batch) => batch.length)).toEqual([1000, 1000, 500]);
    expect(terminatedIds().flat()).toEqual(ids(2500));
  });

  it('treats ids EC2 no longer knows as terminated and still terminates the rest', async () => {
    const [gone, live1, live2] = ['i-00000000000000001', 'i-00000000000000002', 'i-00000000000000003'];
    ec2
      .on(TerminateInstancesCommand)
      .rejectsOnce(
        ec2Error('InvalidInstanceID.NotFound', 'client', `The instance ID '${gone}' does not exist`),
      )
      .resolves({});
    await compute().terminate([gone, live1, live2]);
    expect(terminatedIds()).toEqual([
      [gone, live1, live2],
      [live1, live2],
    ]);
  });

  it('falls back to one id at a time when the error does not say which ids are unknown', async () => {
    ec2
      .on(TerminateInstancesCommand)
      .rejectsOnce(ec2Error('InvalidInstanceID.NotFound', 'client', 'some instances do not exist'))
      .rejectsOnce(ec2Error('InvalidInstanceID.NotFound'))
      .resolves({});
    await compute().terminate(['i-01', 'i-02']);
    expect(terminatedIds()).toEqual([['i-01', 'i-02'], ['i-01'], ['i-02']]);
  });

  it('passes other failures on, mapped', async () => {
    ec2.on(TerminateInstancesCommand).rejects(ec2Error('InternalError', 'server'));
    await expect(compute().terminate(['i-01'])).rejects.toBeInstanceOf(TransientError);
  });
});

describe('Ec2Compute.vcpus', () => {
  it('returns DefaultVCpus and asks EC2 once per type', async () => {
    ec2.on(DescribeInstanceTypesCommand).resolves({
      InstanceTypes: [{ InstanceType: 'c5.large', VCpuInfo: { DefaultVCpus: 2 } }],
    });
    const adapter = compute();
    await expect(adapter.vcpus('c5.large')).resolves.toBe(2);
    await expect(adapter.vcpus('c5.large')).resolves.toBe(2);
    const calls = ec2.commandCalls(DescribeInstanceTypesCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({ InstanceTypes: ['c5.large'] });
  });

  it('asks again after a failed lookup', async () => {
    ec2
      .on(DescribeInstanceTypesCommand)
      .rejectsOnce(ec2Error('RequestLimitExceeded'))
      .resolves({ InstanceTypes: [{ InstanceType: 'c5.large', VCpuInfo: { DefaultVCpus: 2 } }] });
    const adapter = compute();
    await expect(adapter.vcpus('c5.large')).rejects.toBeInstanceOf(ThrottlingError);
    await expect(adapter.vcpus('c5.large')).resolves.toBe(2);
  });

  it('reports an unknown type as NotFoundError', async () => {
    ec2.on(DescribeInstanceTypesCommand).rejects(ec2Error('InvalidInstanceType'));
    await expect(compute().vcpus('z9.huge')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('reports an empty answer as NotFoundError', async () => {
    ec2.on(DescribeInstanceTypesCommand).resolves({ InstanceTypes: [] });
    await expect(compute().vcpus('z9.huge')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('Ec2Compute.find', () => {
  const tagged = (stack: string): Instance => ({
    InstanceId: 'i-0123456789abcdef0',
    State: { Name: 'running' },
    InstanceType: 'c5.large',
    LaunchTime: new Date('2024-03-04T13:00:00Z'),
    PrivateIpAddress: '127.0.0.9',
    Tags: [
      { Key: TAG_STACK, Value: stack },
      { Key: TAG_ROLE, Value: 'app' },
      { Key: TAG_INTENT, Value: 'intent-1' },
    ],
  });

  it('asks DescribeInstances for that one instance, in any state, tagged for the stack', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [tagged('payroll-prod')] }] });
    const found = await compute().find('i-0123456789abcdef0');
    expect(found).toMatchObject({ instanceId: 'i-0123456789abcdef0', role: 'app', intentId: 'intent-1' });
    expect(ec2.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input)).toEqual([
      {
        InstanceIds: ['i-0123456789abcdef0'],
        Filters: [{ Name: 'tag:fleet-pilot:stack', Values: ['payroll-prod'] }],
      },
    ]);
  });

  it('answers nothing for an unknown instance or one of another stack', async () => {
    ec2.on(DescribeInstancesCommand).rejectsOnce(ec2Error('InvalidInstanceID.NotFound'));
    expect(await compute().find('i-0123456789abcdef0')).toBeUndefined();
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [tagged('someone-else')] }] });
    expect(await compute().find('i-0123456789abcdef0')).toBeUndefined();
  });

  it('maps throttling', async () => {
    ec2.on(DescribeInstancesCommand).rejects(ec2Error('RequestLimitExceeded'));
    await expect(compute().find('i-0123456789abcdef0')).rejects.toBeInstanceOf(ThrottlingError);
  });
});

describe('Ec2Compute.start and stop (the warm pool)', () => {
  it('starts one instance', async () => {
    ec2.on(StartInstancesCommand).resolves({});
    await compute().start('i-0aaaaaaaaaaaaaaa1');
    expect(ec2.commandCalls(StartInstancesCommand).map((c) => c.args[0].input)).toEqual([
      { InstanceIds: ['i-0aaaaaaaaaaaaaaa1'] },
    ]);
  });

  it.each([
    ['InsufficientInstanceCapacity', CapacityError],
    ['IncorrectInstanceState', IncorrectStateError],
    ['InvalidInstanceID.NotFound', NotFoundError],
    ['InvalidVolume.NotFound', NotFoundError],
    ['InvalidAMIID.NotFound', InvalidRequestError],
    ['RequestLimitExceeded', ThrottlingError],
  ])('maps a start failing with %s to %s', async (name, type) => {
    ec2.on(StartInstancesCommand).rejects(ec2Error(name));
    const error = await rejection(compute().start('i-0aaaaaaaaaaaaaaa1'));
    expect(error).toBeInstanceOf(type);
    expect(String(error)).toContain('StartInstances of i-0aaaaaaaaaaaaaaa1');
  });

  it('stops, and hibernates only when asked', async () => {
    ec2.on(StopInstancesCommand).resolves({});
    await compute().stop('i-0aaaaaaaaaaaaaaa1', { hibernate: false });
    await compute().stop('i-0aaaaaaaaaaaaaaa2', { hibernate: true });
    expect(ec2.commandCalls(StopInstancesCommand).map((c) => c.args[0].input)).toEqual([
      { InstanceIds: ['i-0aaaaaaaaaaaaaaa1'] },
      { InstanceIds: ['i-0aaaaaaaaaaaaaaa2'], Hibernate: true },
    ]);
  });

  it.each([
    ['IncorrectInstanceState', IncorrectStateError],
    ['UnsupportedHibernationConfiguration', InvalidRequestError],
    ['InvalidInstanceID.NotFound', NotFoundError],
    ['InternalError', TransientError],
  ])('maps a stop failing with %s to %s', async (name, type) => {
    ec2.on(StopInstancesCommand).rejects(ec2Error(name, name === 'InternalError' ? 'server' : 'client'));
    await expect(compute().stop('i-0aaaaaaaaaaaaaaa1', { hibernate: true })).rejects.toBeInstanceOf(type);
  });

  it('launches a hibernating pool server with hibernation configured, and no other', async () => {
    ec2.on(RunInstancesCommand).resolves({ Instances: [LAUNCHED] });
    await compute().launch(request({ hibernate: true }));
    await compute().launch(request({ intentId: 'i-def', clientToken: 'fleet-pilot-app-i-def-0' }));
    expect(runInput(0).HibernationOptions).toEqual({ Configured: true });
    expect(runInput(1).HibernationOptions).toBeUndefined();
  });
});
