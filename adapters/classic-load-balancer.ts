/** The LoadBalancer port over a classic ELB, as the 2010 scripts used. */
import {
  DeregisterInstancesFromLoadBalancerCommand,
  type DeregisterInstancesFromLoadBalancerCommandOutput,
  DescribeInstanceHealthCommand,
  type DescribeInstanceHealthCommandOutput,
  RegisterInstancesWithLoadBalancerCommand,
  type RegisterInstancesWithLoadBalancerCommandOutput,
} from '@aws-sdk/client-elastic-load-balancing';
import type { LoadBalancer } from '../domain/ports.js';
import type { LoadBalancerMember } from '../domain/types.js';
import { deregisterEach, mapAwsError } from './aws-errors.js';

/** The classic ELB commands this adapter uses; an `ElasticLoadBalancingClient` satisfies it. */
export interface ClassicElbApi {
  send(
    command: RegisterInstancesWithLoadBalancerCommand,
  ): Promise<RegisterInstancesWithLoadBalancerCommandOutput>;
  send(
    command: DeregisterInstancesFromLoadBalancerCommand,
  ): Promise<DeregisterInstancesFromLoadBalancerCommandOutput>;
  send(command: DescribeInstanceHealthCommand): Promise<DescribeInstanceHealthCommandOutput>;
}

export interface ClassicLoadBalancerSettings {
  /** The load balancer's name. */
  name: string;
}

const STATES: Readonly<Record<string, LoadBalancerMember['state']>> = {
  InService: 'in-service',
  OutOfService: 'out-of-service',
  Unknown: 'unknown',
};

export class ClassicLoadBalancer implements LoadBalancer {
  constructor(
    private readonly client: ClassicElbApi,
    private readonly settings: ClassicLoadBalancerSettings,
  ) {}

  async register(instanceIds: readonly string[]): Promise<void> {
    const ids = [...new Set(instanceIds)];
    if (ids.length === 0) return;
    try {
      await this.client.send(
        new RegisterInstancesWithLoadBalancerCommand({
          LoadBalancerName: this.settings.name,
          Instances: ids.map((id) => ({ InstanceId: id })),
        }),
      );
    } catch (error) {
      throw mapAwsError(error, `RegisterInstancesWithLoadBalancer ${this.settings.name} (${ids.join(', ')})`);
    }
  }

  /**
   * Classic ELB answers InvalidInstance for an instance that is not registered (or no longer exists)
   * and then deregisters none of the others, so such a batch is retried one id at a time and an
   * unknown id counts as deregistered.
   */
  async deregister(instanceIds: readonly string[]): Promise<void> {
    await deregisterEach(
      instanceIds,
      (ids) => this.deregisterBatch(ids),
      (batch) => `DeregisterInstancesFromLoadBalancer ${this.settings.name} (${batch.join(', ')})`,
    );
  }

  private async deregisterBatch(ids: readonly string[]): Promise<void> {
    await this.client.send(
      new DeregisterInstancesFromLoadBalancerCommand({
        LoadBalancerName: this.settings.name,
        Instances: ids.map((id) => ({ InstanceId: id })),
      }),
    );
  }

  async members(): Promise<LoadBalancerMember[]> {
    let output: DescribeInstanceHealthCommandOutput;
    try {
      output = await this.client.send(
        new DescribeInstanceHealthCommand({ LoadBalancerName: this.settings.name }),
      );
    } catch (error) {
      throw mapAwsError(error, `DescribeInstanceHealth ${this.settings.name}`);
    }
    return (output.InstanceStates ?? []).flatMap((entry) =>
      entry.InstanceId === undefined
        ? []
        : [{ instanceId: entry.InstanceId, state: STATES[entry.State ?? ''] ?? 'unknown' }],
    );
  }
}
