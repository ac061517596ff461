import {
  DescribeInstanceTypesCommand,
  EC2Client,
  EC2ServiceException,
  type Instance,
  RunInstancesCommand,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { mapAwsError } from '../../adapters/aws-errors.js';
import { Ec2Compute } from '../../adapters/ec2-compute.js';
import { MemoryLedger } from '../../adapters/memory-ledger.js';
import type { Config } from '../../domain/config.js';
import { CapacityError, SpotUnavailableError } from '../../domain/errors.js';
import { SILENT_OBSERVER } from '../../domain/ports.js';
import { Fleet } from '../../domain/services/fleet.js';
import { testConfig } from '../../fakes/config.js';

const ec2 = mockClient(EC2Client);

function ec2Error(name: string) {
  return new EC2ServiceException({ name, $fault: 'client', $metadata: {}, message: `${name} happened` });
}

function instance(lifecycle?: 'spot'): Instance {
  return {
    InstanceId: 'i-0aaaaaaaaaaaaaaa1',
    State: { Name: 'pending', Code: 0 },
    LaunchTime: new Date('2026-03-02T15:00:00Z'),
    InstanceType: 'c5.large',
    ...(lifecycle === undefined ? {} : { InstanceLifecycle: lifecycle }),
  };
}

/** A fleet whose launcher drives the real EC2 adapter over the mocked client. */
function fleetWith(launch: Record<string, unknown>) {
  const config: Config = testConfig({ roles: { job: { launch } } });
  const ledger = new MemoryLedger();
  const compute = new Ec2Compute(new EC2Client({ region: 'us-east-1' }), {
    stack: 'payroll-prod',
    roles: config.roles,
  });
  const fleet = new Fleet({
    config,
    stack: 'payroll-prod',
    ledger,
    compute,
    loadBalancers: {},
    healthProbes: {},
    queueProbes: {},
    clock: { now: () => Date.parse('2026-03-02T15:00:00Z') },
    newId: () => 'intent-1',
    observer: SILENT_OBSERVER,
  });
  const job = config.roles.job;
  if (job === undefined) throw new Error('no job role');
  return { fleet, ledger, job };
}

function runInputs(): RunInstancesCommandInput[] {
  return ec2.commandCalls(RunInstancesCommand).map((call) => call.args[0].input);
}

/** RunInstances answers each call from `answers` in turn (an error name fails that call). */
function answer(...answers: (string | Instance)[]): void {
  const stub = ec2.on(RunInstancesCommand);
  for (const a of answers) {
    if (typeof a === 'string') stub.rejectsOnce(ec2Error(a));
    else stub.resolvesOnce({ Instances: [a] });
  }
}

beforeEach(() => {
  ec2.reset();
  ec2.on(DescribeInstanceTypesCommand).resolves({
    InstanceTypes: [
      { InstanceType: 'c5.large', VCpuInfo: { DefaultVCpus: 2 } },
      { InstanceType: 'm5.large', VCpuInfo: { DefaultVCpus: 2 } },
    ],
  });
});

describe('Spot launches through RunInstances', () => {
  it('asks for a one-time Spot instance that EC2 terminates on interruption, at the configured max price', async () => {
    answer(instance('spot'));
    const { fleet, job, ledger } = fleetWith({ market: 'spot', spot: { maxPrice: '0.035' } });
    await fleet.launchNew('job', job, 'test');
    expect(runInputs()[0]?.InstanceMarketOptions).toEqual({
      MarketType: 'spot',
      SpotOptions: {
        SpotInstanceType: 'one-time',
        InstanceInterruptionBehavior: 'terminate',
        MaxPrice: '0.035',
      },
    });
    expect((await ledger.listServers('job'))[0]).toMatchObject({ market: 'spot', state: 'pending' });
  });

  it('sends no MaxPrice without one configured, and no market options for On-Demand', async () => {
    answer(instance('spot'), instance());
    const { fleet, job } = fleetWith({ market: 'spot', onDemandBase: 1 });
    await fleet.launchNew('job', job, 'test', 'spot-intent');
    await fleet.launchNew('job', job, 'test', 'od-intent', 'on-demand');
    const [spot, onDemand] = runInputs();
    expect(spot?.InstanceMarketOptions?.SpotOptions).not.toHaveProperty('MaxPrice');
    expect(onDemand).not.toHaveProperty('InstanceMarketOptions');
  });

  it.each([['InsufficientInstanceCapacity'], ['SpotMaxPriceTooLow']])(
    'on %s tries the next Spot type and subnet, each attempt with its own ClientToken written first',
    async (code) => {
      answer(code, instance('spot'));
      const { fleet, job, ledger } = fleetWith({ market: 'spot-then-on-demand' });
      const seen: unknown[] = [];
      const update = ledger.updateServer.bind(ledger);
      ledger.updateServer = async (...args) => {
        seen.push({ calls: runInputs().length, patch: args[3] });
        return update(...args);
      };
      await fleet.launchNew('job', job, 'test');
      expect(
        runInputs().map((i) => [
          i.ClientToken,
          i.InstanceType,
          i.SubnetId,
          i.InstanceMarketOptions?.MarketType,
        ]),
      ).toEqual([
        ['intent-1-0', 'c5.large', 'subnet-0123abcd', 'spot'],
        ['intent-1-1', 'c5.large', 'subnet-4567cdef', 'spot'],
      ]);
      // The second attempt was in the ledger before its RunInstances call.
      expect(seen[0]).toEqual({ calls: 1, patch: { launchAttempt: 1, market: 'spot' } });
    },
  );

  it('on MaxSpotInstanceCountExceeded goes straight to On-Demand', async () => {
    answer('MaxSpotInstanceCountExceeded', instance());
    const { fleet, job, ledger } = fleetWith({ market: 'spot-then-on-demand' });
    await fleet.launchNew('job', job, 'test');
    expect(
      runInputs().map((i) => [i.ClientToken, i.InstanceMarketOptions?.MarketType ?? 'on-demand']),
    ).toEqual([
      ['intent-1-0', 'spot'],
      // 2 types x 2 subnets of Spot: the On-Demand block starts at attempt 4.
      ['intent-1-4', 'on-demand'],
    ]);
    expect((await ledger.listServers('job'))[0]).toMatchObject({ market: 'on-demand', launchAttempt: 4 });
  });

  it('falls back from every Spot option to On-Demand with spot-then-on-demand', async () => {
    answer(
      'InsufficientInstanceCapacity',
      'SpotMaxPriceTooLow',
      'InsufficientInstanceCapacity',
      'SpotMaxPriceTooLow',
      instance(),
    );
    const { fleet, job, ledger } = fleetWith({ market: 'spot-then-on-demand' });
    await fleet.launchNew('job', job, 'test');
    const tokens = runInputs().map((i) => i.ClientToken);
    expect(tokens).toEqual(['intent-1-0', 'intent-1-1', 'intent-1-2', 'intent-1-3', 'intent-1-4']);
    expect(new Set(tokens).size).toBe(tokens.length);
    expect((await ledger.listServers('job'))[0]).toMatchObject({ market: 'on-demand', state: 'pending' });
  });

  it.each([['InsufficientInstanceCapacity'], ['SpotMaxPriceTooLow'], ['MaxSpotInstanceCountExceeded']])(
    'with market spot never falls back to On-Demand on %s: the intent ends',
    async (code) => {
      answer(code, code, code, code, instance());
      const { fleet, job, ledger } = fleetWith({ market: 'spot' });
      await expect(fleet.launchNew('job', job, 'test')).rejects.toBeInstanceOf(CapacityError);
      expect(runInputs().every((i) => i.InstanceMarketOptions?.MarketType === 'spot')).toBe(true);
      expect((await ledger.listServers('job'))[0]).toMatchObject({ state: 'terminated' });
    },
  );

  it('resumes an interrupted launch at its recorded attempt with the same ClientToken', async () => {
    answer(instance());
    const { fleet, job, ledger } = fleetWith({ market: 'spot-then-on-demand' });
    const now = Date.parse('2026-03-02T15:00:00Z');
    const intent = {
      role: 'job',
      intentId: 'intent-9',
      state: 'launching' as const,
      createdAt: now,
      stateSince: now,
      registered: false,
      launchAttempt: 5,
      market: 'on-demand' as const,
      version: 0,
    };
    await ledger.createIntent(intent);
    await fleet.launchIntent(job, intent);
    expect(runInputs().map((i) => i.ClientToken)).toEqual(['intent-9-5']);
  });
});

describe('Spot errors at the boundary', () => {
  it('maps SpotMaxPriceTooLow to a Spot error of this type and place', () => {
    const mapped = mapAwsError(ec2Error('SpotMaxPriceTooLow'), 'RunInstances', {
      instanceType: 'c5.large',
      subnetId: 'subnet-0123abcd',
    });
    expect(mapped).toBeInstanceOf(SpotUnavailableError);
    expect(mapped).toMatchObject({ anywhere: false, instanceType: 'c5.large', subnetId: 'subnet-0123abcd' });
  });

  it('maps MaxSpotInstanceCountExceeded to a Spot error everywhere', () => {
    expect(mapAwsError(ec2Error('MaxSpotInstanceCountExceeded'), 'RunInstances')).toMatchObject({
      name: 'SpotUnavailableError',
      anywhere: true,
    });
  });

  it('keeps InsufficientInstanceCapacity a plain capacity error', () => {
    const mapped = mapAwsError(ec2Error('InsufficientInstanceCapacity'), 'RunInstances');
    expect(mapped).toBeInstanceOf(CapacityError);
    expect(mapped).not.toBeInstanceOf(SpotUnavailableError);
  });

  it('refuses a market the role does not launch in before writing an intent', async () => {
    const { fleet, job, ledger } = fleetWith({ market: 'spot' });
    await expect(fleet.launchNew('job', job, 'test', 'x', 'on-demand')).rejects.toThrow(
      /does not launch on-demand/,
    );
    expect(await ledger.listServers('job')).toEqual([]);
    expect(runInputs()).toEqual([]);
  });

  it('reads the market of a listed instance from its lifecycle', async () => {
    ec2.on(RunInstancesCommand).resolves({ Instances: [instance('spot')] });
    const { fleet, job, ledger } = fleetWith({ market: 'on-demand' });
    // EC2's word wins over the request: the record says what was bought.
    await fleet.launchNew('job', job, 'test');
    expect((await ledger.listServers('job'))[0]?.market).toBe('spot');
  });
});
