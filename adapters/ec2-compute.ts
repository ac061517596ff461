/**
 * The Compute port over EC2: launches one tagged instance per intent, or a batch of them in one
 * RunInstances call (both idempotent by ClientToken),
 * lists the stack's instances by tag, finds one by id, terminates idempotently, starts and stops (or hibernates)
 * the warm pool's instances, and looks up vCPUs.
 */

import {
  type _InstanceType,
  DescribeInstancesCommand,
  type DescribeInstancesCommandOutput,
  DescribeInstanceTypesCommand,
  type DescribeInstanceTypesCommandOutput,
  type Instance,
  type InstanceMarketOptionsRequest,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  type RunInstancesCommandOutput,
  StartInstancesCommand,
  type StartInstancesCommandOutput,
  StopInstancesCommand,
  type StopInstancesCommandOutput,
  type Tag,
  TerminateInstancesCommand,
  type TerminateInstancesCommandOutput,
} from '@aws-sdk/client-ec2';
import type { LaunchConfig } from '../domain/config.js';
import { InvalidRequestError, NotFoundError, TransientError } from '../domain/errors.js';
import type { Compute } from '../domain/ports.js';
import { ownEntry } from '../domain/roles.js';
import {
  type BatchLaunchRequest,
  batchIntentId,
  type CloudInstance,
  type LaunchRequest,
} from '../domain/types.js';
import { encodeUserData } from '../domain/user-data.js';
import { isUnknownInstanceError, mapAwsError } from './aws-errors.js';

export const TAG_STACK = 'fleet-pilot:stack';
export const TAG_ROLE = 'fleet-pilot:role';
export const TAG_INTENT = 'fleet-pilot:intent';
/** On the instances of a batched launch, instead of an intent tag (see `batchIntentId`). */
export const TAG_BATCH = 'fleet-pilot:batch';

/** TerminateInstances accepts at most this many ids per call. */
export const TERMINATE_BATCH_SIZE = 1000;

/** Every state but `terminated`: a stopped instance is still ours to clean up. */
export const LISTED_STATES = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'] as const;

/** The EC2 commands this adapter uses; an `EC2Client` satisfies it. */
export interface Ec2Api {
  send(command: RunInstancesCommand): Promise<RunInstancesCommandOutput>;
  send(command: DescribeInstancesCommand): Promise<DescribeInstancesCommandOutput>;
  send(command: TerminateInstancesCommand): Promise<TerminateInstancesCommandOutput>;
  send(command: DescribeInstanceTypesCommand): Promise<DescribeInstanceTypesCommandOutput>;
  send(command: StartInstancesCommand): Promise<StartInstancesCommandOutput>;
  send(command: StopInstancesCommand): Promise<StopInstancesCommandOutput>;
}

/** What the adapter reads of a role's launch settings (market choice is the launcher's). */
export type LaunchSettings = Omit<LaunchConfig, 'market' | 'onDemandBase'>;

export interface Ec2ComputeSettings {
  /** Tag value that marks this stack's instances. */
  stack: string;
  /** Launch settings per role (the config's `roles` fits as is). */
  roles: Readonly<Record<string, { launch: LaunchSettings }>>;
}

const STATES: ReadonlySet<string> = new Set<CloudInstance['state']>([...LISTED_STATES, 'terminated']);

/** RunInstances' documented limit for ClientToken. */
const CLIENT_TOKEN = /^[\x21-\x7e]{1,64}$/;

export class Ec2Compute implements Compute {
  private readonly vcpuCache = new Map<string, Promise<number>>();

  constructor(
    private readonly client: Ec2Api,
    private readonly settings: Ec2ComputeSettings,
  ) {}

  async launch(request: LaunchRequest): Promise<CloudInstance> {
    const context = `RunInstances for intent ${request.intentId}`;
    const [instance] = await this.run(request, context, 1, [{ Key: TAG_INTENT, Value: request.intentId }]);
    if (instance === undefined) throw new TransientError(`${context}: the response named no instance`);
    return {
      ...instance,
      role: request.role,
      intentId: request.intentId,
      market: instance.market ?? request.market ?? 'on-demand',
    };
  }

  /**
   * One RunInstances call for up to `count` servers (MinCount 1): EC2 launches as many as it can,
   * numbering them by launch index, which names each one's intent.
   */
  async launchBatch(request: BatchLaunchRequest): Promise<CloudInstance[]> {
    const context = `RunInstances for batch ${request.batchId} of ${request.count}`;
    const instances = await this.run(request, context, request.count, [
      { Key: TAG_BATCH, Value: request.batchId },
    ]);
    if (instances.length === 0) throw new TransientError(`${context}: the response named no instance`);
    return instances.map((instance, position) => ({
      ...instance,
      role: request.role,
      intentId: batchIntentId(request.batchId, instance.launchIndex ?? position),
      market: instance.market ?? request.market ?? 'on-demand',
    }));
  }

  private async run(
    request: Omit<LaunchRequest, 'intentId'>,
    what: string,
    count: number,
    ownTags: Tag[],
  ): Promise<(CloudInstance & { launchIndex?: number })[]> {
    const launch = ownEntry(this.settings.roles, request.role)?.launch;
    if (launch === undefined) throw new InvalidRequestError(`no launch settings for role ${request.role}`);
    if (!CLIENT_TOKEN.test(request.clientToken)) {
      throw new InvalidRequestError(
        `client token for ${what.replace('RunInstances for ', '')} must be 1-64 printable ASCII characters without spaces`,
      );
    }
    const instanceType = request.instanceType ?? launch.instanceTypes[0];
    const subnetId = request.subnetId ?? launch.subnetIds[0];
    const market = request.market ?? 'on-demand';
    const context = `${what} (role ${request.role}, ${market}, type ${instanceType ?? 'from template'}, subnet ${subnetId ?? 'default'})`;

    let output: RunInstancesCommandOutput;
    try {
      output = await this.client.send(
        new RunInstancesCommand({
          ...this.runInput(request, launch, instanceType, subnetId, ownTags),
          MinCount: 1,
          MaxCount: count,
        }),
      );
    } catch (error) {
      const mapped = mapAwsError(error, context, { instanceType, subnetId });
      // A missing subnet, security group, key or template is a bad setting, not a missing instance.
      if (mapped instanceof NotFoundError) throw new InvalidRequestError(mapped.message, { cause: error });
      throw mapped;
    }
    return (output.Instances ?? []).flatMap((instance) => {
      const cloud = toCloudInstance(instance);
      if (cloud === undefined) return [];
      return [
        instance.AmiLaunchIndex === undefined ? cloud : { ...cloud, launchIndex: instance.AmiLaunchIndex },
      ];
    });
  }

  private runInput(
    request: Omit<LaunchRequest, 'intentId'>,
    launch: LaunchSettings,
    instanceType: string | undefined,
    subnetId: string | undefined,
    ownTags: Tag[],
  ): Omit<RunInstancesCommandInput, 'MinCount' | 'MaxCount'> {
    const template = launch.launchTemplate;
    if (template === undefined && launch.imageId === undefined) {
      throw new InvalidRequestError(
        `role ${request.role}: neither a launch template nor an AMI is configured`,
      );
    }
    if (template === undefined && instanceType === undefined) {
      throw new InvalidRequestError(`role ${request.role}: no instance type is configured`);
    }
    const tags: Tag[] = [
      { Key: 'Name', Value: `${this.settings.stack}-${request.role}` },
      { Key: TAG_STACK, Value: this.settings.stack },
      { Key: TAG_ROLE, Value: request.role },
      ...ownTags,
    ];
    return {
      ClientToken: request.clientToken,
      // With a template, the template's AMI is the one IAM allows; imageId is not sent alongside it.
      ...(template !== undefined
        ? {
            LaunchTemplate: { LaunchTemplateId: template.id, Version: template.version },
          }
        : { ImageId: launch.imageId }),
      ...(instanceType !== undefined ? { InstanceType: instanceType as _InstanceType } : {}),
      ...(subnetId !== undefined ? { SubnetId: subnetId } : {}),
      ...(launch.securityGroupIds.length > 0 ? { SecurityGroupIds: [...launch.securityGroupIds] } : {}),
      ...(launch.keyName !== undefined ? { KeyName: launch.keyName } : {}),
      ...(launch.iamInstanceProfileArn !== undefined
        ? { IamInstanceProfile: { Arn: launch.iamInstanceProfileArn } }
        : {}),
      ...(request.market === 'spot' ? { InstanceMarketOptions: spotMarketOptions(launch) } : {}),
      // Only at launch: an instance hibernates later only if it was launched for it.
      ...(request.hibernate === true ? { HibernationOptions: { Configured: true } } : {}),
      UserData: encodeUserData(request.userData),
      MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
      TagSpecifications: [
        { ResourceType: 'instance', Tags: tags },
        { ResourceType: 'volume', Tags: tags },
      ],
    };
  }

  async list(): Promise<CloudInstance[]> {
    const instances: CloudInstance[] = [];
    let nextToken: string | undefined;
    do {
      const command = new DescribeInstancesCommand({
        Filters: [
          { Name: `tag:${TAG_STACK}`, Values: [this.settings.stack] },
          { Name: 'instance-state-name', Values: [...LISTED_STATES] },
        ],
        MaxResults: 1000,
        ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
      });
      let page: DescribeInstancesCommandOutput;
      try {
        page = await this.client.send(command);
      } catch (error) {
        throw mapAwsError(error, `DescribeInstances for stack ${this.settings.stack}`);
      }
      for (const reservation of page.Reservations ?? []) {
        for (const instance of reservation.Instances ?? []) {
          const cloud = toCloudInstance(instance);
          if (cloud !== undefined) instances.push(cloud);
        }
      }
      nextToken = page.NextToken === '' ? undefined : page.NextToken;
    } while (nextToken !== undefined);
    return instances;
  }

  async find(instanceId: string): Promise<CloudInstance | undefined> {
    let page: DescribeInstancesCommandOutput;
    try {
      page = await this.client.send(
        new DescribeInstancesCommand({
          InstanceIds: [instanceId],
          Filters: [{ Name: `tag:${TAG_STACK}`, Values: [this.settings.stack] }],
        }),
      );
    } catch (error) {
      // EC2 answers an id it does not know (not yet, or no longer) with an error, not an empty page.
      if (isUnknownInstanceError(error)) return undefined;
      throw mapAwsError(error, `DescribeInstances of ${instanceId}`);
    }
    for (const reservation of page.Reservations ?? []) {
      for (const instance of reservation.Instances ?? []) {
        if (instance.InstanceId !== instanceId || tagValue(instance, TAG_STACK) !== this.settings.stack)
          continue;
        return toCloudInstance(instance);
      }
    }
    return undefined;
  }

  /**
   * EC2 rejects a whole TerminateInstances call when any id is unknown (InvalidInstanceID.NotFound,
   * e.g. an instance terminated over an hour ago), terminating none. An unknown id is already gone,
   * so the call is retried without the ids the error message names, or id by id when it names none.
   * A just-launched instance can also be briefly unknown (eventual consistency); the reconciler's
   * next `list()` still sees it, so it is not leaked.
   */
  async terminate(instanceIds: readonly string[]): Promise<void> {
    const ids = [...new Set(instanceIds)];
    for (let start = 0; start < ids.length; start += TERMINATE_BATCH_SIZE) {
      await this.terminateBatch(ids.slice(start, start + TERMINATE_BATCH_SIZE));
    }
  }

  private async terminateBatch(ids: readonly string[]): Promise<void> {
    try {
      await this.client.send(new TerminateInstancesCommand({ InstanceIds: [...ids] }));
      return;
    } catch (error) {
      if (!isUnknownInstanceError(error)) {
        throw mapAwsError(error, `TerminateInstances of ${ids.length} instance(s)`);
      }
      if (ids.length === 1) return;
      const message = error instanceof Error ? error.message : String(error);
      const named = new Set(message.match(/\bi-[0-9a-f]+\b/g) ?? []);
      const rest = ids.filter((id) => !named.has(id));
      if (rest.length < ids.length) {
        if (rest.length > 0) await this.terminateBatch(rest);
        return;
      }
      for (const id of ids) await this.terminateBatch([id]);
    }
  }

  /**
   * StartInstances answers IncorrectInstanceState for an instance still stopping, and succeeds
   * for one already pending or running (so a retried start is harmless).
   */
  async start(instanceId: string): Promise<void> {
    try {
      await this.client.send(new StartInstancesCommand({ InstanceIds: [instanceId] }));
    } catch (error) {
      throw mapAwsError(error, `StartInstances of ${instanceId}`);
    }
  }

  /** StopInstances of a stopping or stopped instance succeeds: a retried stop is harmless. */
  async stop(instanceId: string, options: { hibernate: boolean }): Promise<void> {
    try {
      await this.client.send(
        new StopInstancesCommand({
          InstanceIds: [instanceId],
          ...(options.hibernate ? { Hibernate: true } : {}),
        }),
      );
    } catch (error) {
      throw mapAwsError(error, `StopInstances${options.hibernate ? ' (hibernate)' : ''} of ${instanceId}`);
    }
  }

  async vcpus(instanceType: string): Promise<number> {
    let cached = this.vcpuCache.get(instanceType);
    if (cached === undefined) {
      cached = this.describeVcpus(instanceType);
      this.vcpuCache.set(instanceType, cached);
      // Only answers are cached: a failed lookup is asked again next time.
      cached.catch(() => this.vcpuCache.delete(instanceType));
    }
    return cached;
  }

  private async describeVcpus(instanceType: string): Promise<number> {
    const context = `DescribeInstanceTypes for ${instanceType}`;
    let output: DescribeInstanceTypesCommandOutput;
    try {
      output = await this.client.send(
        new DescribeInstanceTypesCommand({ InstanceTypes: [instanceType as _InstanceType] }),
      );
    } catch (error) {
      const mapped = mapAwsError(error, context);
      // The type is the only parameter: EC2 rejects an unknown one as InvalidInstanceType.
      if (mapped instanceof InvalidRequestError) throw new NotFoundError(mapped.message, { cause: error });
      throw mapped;
    }
    const info = output.InstanceTypes?.find((t) => t.InstanceType === instanceType);
    const vcpus = info?.VCpuInfo?.DefaultVCpus;
    if (vcpus === undefined) throw new NotFoundError(`${context}: unknown instance type`);
    return vcpus;
  }
}

/**
 * A one-time Spot request that EC2 ends by terminating the instance (the ledger's record then ends
 * too); without a configured `maxPrice`, EC2 caps the price at the On-Demand price.
 */
function spotMarketOptions(launch: LaunchSettings): InstanceMarketOptionsRequest {
  const maxPrice = launch.spot?.maxPrice;
  return {
    MarketType: 'spot',
    SpotOptions: {
      SpotInstanceType: 'one-time',
      InstanceInterruptionBehavior: 'terminate',
      ...(maxPrice === undefined ? {} : { MaxPrice: maxPrice }),
    },
  };
}

function tagValue(instance: Instance, key: string): string | undefined {
  return instance.Tags?.find((tag) => tag.Key === key)?.Value;
}

/** `undefined` for an entry without an id or with a state this system does not model. */
function toCloudInstance(instance: Instance): CloudInstance | undefined {
  const state = instance.State?.Name;
  if (instance.InstanceId === undefined || state === undefined || !STATES.has(state)) return undefined;
  const role = tagValue(instance, TAG_ROLE);
  const batch = tagValue(instance, TAG_BATCH);
  const intentId =
    tagValue(instance, TAG_INTENT) ??
    (batch === undefined || instance.AmiLaunchIndex === undefined
      ? undefined
      : batchIntentId(batch, instance.AmiLaunchIndex));
  return {
    instanceId: instance.InstanceId,
    state: state as CloudInstance['state'],
    // EC2 always reports LaunchTime; 0 only guards a malformed answer.
    launchedAt: instance.LaunchTime?.getTime() ?? 0,
    instanceType: instance.InstanceType ?? 'unknown',
    ...(role !== undefined ? { role } : {}),
    ...(intentId !== undefined ? { intentId } : {}),
    ...(instance.InstanceLifecycle === 'spot' ? { market: 'spot' as const } : {}),
    ...(instance.PrivateIpAddress !== undefined ? { privateIp: instance.PrivateIpAddress } : {}),
  };
}
