import {
  AccessPointNotFoundException,
  DeregisterInstancesFromLoadBalancerCommand,
  DescribeInstanceHealthCommand,
  ElasticLoadBalancingClient,
  ElasticLoadBalancingServiceException,
  InvalidEndPointException,
  RegisterInstancesWithLoadBalancerCommand,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  InvalidTargetException,
  RegisterTargetsCommand,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ClassicLoadBalancer } from '../../adapters/classic-load-balancer.js';
import { loadBalancerFor } from '../../adapters/load-balancer-factory.js';
import { TargetGroupLoadBalancer } from '../../adapters/target-group-load-balancer.js';
import { InvalidRequestError, NotFoundError, ThrottlingError } from '../../domain/errors.js';

const elb = mockClient(ElasticLoadBalancingClient);
const elbv2 = mockClient(ElasticLoadBalancingV2Client);

const TG_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/0123456789abcdef';

/** What the classic ELB client throws for the wire code `InvalidInstance`. */
const invalidInstance = () =>
  Object.assign(new InvalidEndPointException({ $metadata: {}, message: 'Could not find EC2 instance' }), {
    Code: 'InvalidInstance',
  });

const lbNotFound = () =>
  Object.assign(
    new AccessPointNotFoundException({ $metadata: {}, message: 'There is no ACTIVE Load Balancer' }),
    {
      Code: 'LoadBalancerNotFound',
    },
  );

beforeEach(() => {
  elb.reset();
  elbv2.reset();
});

describe('ClassicLoadBalancer', () => {
  const classic = () =>
    new ClassicLoadBalancer(new ElasticLoadBalancingClient({ region: 'us-east-1' }), {
      name: 'smallpayroll-http',
    });

  it('registers instances with the named load balancer', async () => {
    elb.on(RegisterInstancesWithLoadBalancerCommand).resolves({});
    await classic().register(['i-01', 'i-02']);
    expect(elb.commandCalls(RegisterInstancesWithLoadBalancerCommand)[0]?.args[0].input).toEqual({
      LoadBalancerName: 'smallpayroll-http',
      Instances: [{ InstanceId: 'i-01' }, { InstanceId: 'i-02' }],
    });
  });

  it('deregisters instances from the named load balancer', async () => {
    elb.on(DeregisterInstancesFromLoadBalancerCommand).resolves({});
    await classic().deregister(['i-01']);
    expect(elb.commandCalls(DeregisterInstancesFromLoadBalancerCommand)[0]?.args[0].input).toEqual({
      LoadBalancerName: 'smallpayroll-http',
      Instances: [{ InstanceId: 'i-01' }],
    });
  });

  it('treats deregistering a non-member as done', async () => {
    elb.on(DeregisterInstancesFromLoadBalancerCommand).rejects(invalidInstance());
    await expect(classic().deregister(['i-gone'])).resolves.toBeUndefined();
  });

  it('still deregisters the members when one id of a batch is not a member', async () => {
    elb
      .on(DeregisterInstancesFromLoadBalancerCommand)
      .rejectsOnce(invalidInstance())
      .resolvesOnce({})
      .rejectsOnce(invalidInstance())
      .resolvesOnce({});
    await classic().deregister(['i-01', 'i-gone', 'i-03']);
    const batches = elb
      .commandCalls(DeregisterInstancesFromLoadBalancerCommand)
      .map((c) => c.args[0].input.Instances?.map((i) => i.InstanceId));
    expect(batches).toEqual([['i-01', 'i-gone', 'i-03'], ['i-01'], ['i-gone'], ['i-03']]);
  });

  it('reports registering an invalid instance as an InvalidRequestError', async () => {
    elb.on(RegisterInstancesWithLoadBalancerCommand).rejects(invalidInstance());
    await expect(classic().register(['i-bad'])).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it.each([
    ['register', (lb: ClassicLoadBalancer) => lb.register(['i-01'])],
    ['deregister', (lb: ClassicLoadBalancer) => lb.deregister(['i-01'])],
    ['members', (lb: ClassicLoadBalancer) => lb.members()],
  ])('maps LoadBalancerNotFound on %s to NotFoundError', async (_, act) => {
    elb.onAnyCommand().rejects(lbNotFound());
    await expect(act(classic())).rejects.toBeInstanceOf(NotFoundError);
  });

  it('maps throttling', async () => {
    elb.onAnyCommand().rejects(
      new ElasticLoadBalancingServiceException({
        name: 'Throttling',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Rate exceeded',
      }),
    );
    await expect(classic().members()).rejects.toBeInstanceOf(ThrottlingError);
  });

  it('maps instance health to member states', async () => {
    elb.on(DescribeInstanceHealthCommand).resolves({
      InstanceStates: [
        { InstanceId: 'i-01', State: 'InService' },
        { InstanceId: 'i-02', State: 'OutOfService' },
        { InstanceId: 'i-03', State: 'Unknown' },
        { InstanceId: 'i-04' },
      ],
    });
    await expect(classic().members()).resolves.toEqual([
      { instanceId: 'i-01', state: 'in-service' },
      { instanceId: 'i-02', state: 'out-of-service' },
      { instanceId: 'i-03', state: 'unknown' },
      { instanceId: 'i-04', state: 'unknown' },
    ]);
    expect(elb.commandCalls(DescribeInstanceHealthCommand)[0]?.args[0].input).toEqual({
      LoadBalancerName: 'smallpayroll-http',
    });
  });

  it('makes no call for empty lists', async () => {
    await classic().register([]);
    await classic().deregister([]);
    expect(elb.calls()).toHaveLength(0);
  });
});

describe('TargetGroupLoadBalancer', () => {
  const group = (port?: number) =>
    new TargetGroupLoadBalancer(new ElasticLoadBalancingV2Client({ region: 'us-east-1' }), {
      targetGroupArn: TG_ARN,
      ...(port !== undefined ? { port } : {}),
    });

  it('registers targets on the configured port', async () => {
    elbv2.on(RegisterTargetsCommand).resolves({});
    await group(8080).register(['i-01', 'i-02']);
    expect(elbv2.commandCalls(RegisterTargetsCommand)[0]?.args[0].input).toEqual({
      TargetGroupArn: TG_ARN,
      Targets: [
        { Id: 'i-01', Port: 8080 },
        { Id: 'i-02', Port: 8080 },
      ],
    });
  });

  it('registers targets without a port when none is configured', async () => {
    elbv2.on(RegisterTargetsCommand).resolves({});
    await group().register(['i-01']);
    expect(elbv2.commandCalls(RegisterTargetsCommand)[0]?.args[0].input).toEqual({
      TargetGroupArn: TG_ARN,
      Targets: [{ Id: 'i-01' }],
    });
  });

  it('deregisters targets on the same port they were registered on', async () => {
    elbv2.on(DeregisterTargetsCommand).resolves({});
    await group(8080).deregister(['i-01']);
    expect(elbv2.commandCalls(DeregisterTargetsCommand)[0]?.args[0].input).toEqual({
      TargetGroupArn: TG_ARN,
      Targets: [{ Id: 'i-01', Port: 8080 }],
    });
  });

  it('treats deregistering an instance that no longer exists as done, and deregisters the rest', async () => {
    const invalid = new InvalidTargetException({ $metadata: {}, message: 'The target does not exist' });
    elbv2.on(DeregisterTargetsCommand).rejectsOnce(invalid).rejectsOnce(invalid).resolves({});
    await group().deregister(['i-gone', 'i-02']);
    const batches = elbv2
      .commandCalls(DeregisterTargetsCommand)
      .map((c) => c.args[0].input.Targets?.map((t) => t.Id));
    expect(batches).toEqual([['i-gone', 'i-02'], ['i-gone'], ['i-02']]);
  });

  it('maps target health to member states', async () => {
    const states = [
      'healthy',
      'draining',
      'unhealthy.draining',
      'unhealthy',
      'unused',
      'unavailable',
      'initial',
    ];
    elbv2.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: states.map((State, k) => ({
        Target: { Id: `i-0${k}`, Port: 80 },
        TargetHealth: { State: State as 'healthy' },
      })),
    });
    const members = await group().members();
    expect(members.map((m) => m.state)).toEqual([
      'in-service',
      'draining',
      'draining',
      'out-of-service',
      'out-of-service',
      'out-of-service',
      'unknown',
    ]);
    expect(members[0]).toEqual({ instanceId: 'i-00', state: 'in-service' });
    expect(elbv2.commandCalls(DescribeTargetHealthCommand)[0]?.args[0].input).toEqual({
      TargetGroupArn: TG_ARN,
    });
  });

  it('counts only targets on the configured port', async () => {
    elbv2.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        { Target: { Id: 'i-01', Port: 8080 }, TargetHealth: { State: 'healthy' } },
        { Target: { Id: 'i-01', Port: 9090 }, TargetHealth: { State: 'unhealthy' } },
      ],
    });
    await expect(group(8080).members()).resolves.toEqual([{ instanceId: 'i-01', state: 'in-service' }]);
  });

  it('maps TargetGroupNotFound to NotFoundError', async () => {
    elbv2.onAnyCommand().rejects(new TargetGroupNotFoundException({ $metadata: {}, message: 'gone' }));
    await expect(group().members()).rejects.toBeInstanceOf(NotFoundError);
    await expect(group().register(['i-01'])).rejects.toBeInstanceOf(NotFoundError);
    await expect(group().deregister(['i-01'])).rejects.toBeInstanceOf(NotFoundError);
  });

  it('makes no call for empty lists', async () => {
    await group().register([]);
    await group().deregister([]);
    expect(elbv2.calls()).toHaveLength(0);
  });
});

describe('loadBalancerFor', () => {
  const clients = {
    elb: new ElasticLoadBalancingClient({ region: 'us-east-1' }),
    elbv2: new ElasticLoadBalancingV2Client({ region: 'us-east-1' }),
  };

  it('gives no load balancer for type none', () => {
    expect(loadBalancerFor({ type: 'none' }, clients)).toBeUndefined();
  });

  it('gives a classic ELB adapter for the named load balancer', async () => {
    elb.on(DescribeInstanceHealthCommand).resolves({ InstanceStates: [] });
    const lb = loadBalancerFor({ type: 'classic', name: 'smallpayroll-http' }, clients);
    expect(lb).toBeInstanceOf(ClassicLoadBalancer);
    await lb?.members();
    expect(elb.commandCalls(DescribeInstanceHealthCommand)[0]?.args[0].input.LoadBalancerName).toBe(
      'smallpayroll-http',
    );
  });

  it('gives a target group adapter with the configured port', async () => {
    elbv2.on(RegisterTargetsCommand).resolves({});
    const lb = loadBalancerFor({ type: 'target-group', targetGroupArn: TG_ARN, port: 8080 }, clients);
    expect(lb).toBeInstanceOf(TargetGroupLoadBalancer);
    await lb?.register(['i-01']);
    expect(elbv2.commandCalls(RegisterTargetsCommand)[0]?.args[0].input).toEqual({
      TargetGroupArn: TG_ARN,
      Targets: [{ Id: 'i-01', Port: 8080 }],
    });
  });
});
