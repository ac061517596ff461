/** The LoadBalancer port over an ELBv2 target group (ALB or NLB), instance targets. */
import {
  DeregisterTargetsCommand,
  type DeregisterTargetsCommandOutput,
  DescribeTargetHealthCommand,
  type DescribeTargetHealthCommandOutput,
  RegisterTargetsCommand,
  type RegisterTargetsCommandOutput,
  type TargetDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { LoadBalancer } from '../domain/ports.js';
import type { LoadBalancerMember } from '../domain/types.js';
import { deregisterEach, mapAwsError } from './aws-errors.js';

/** The ELBv2 commands this adapter uses; an `ElasticLoadBalancingV2Client` satisfies it. */
export interface TargetGroupApi {
  send(command: RegisterTargetsCommand): Promise<RegisterTargetsCommandOutput>;
  send(command: DeregisterTargetsCommand): Promise<DeregisterTargetsCommandOutput>;
  send(command: DescribeTargetHealthCommand): Promise<DescribeTargetHealthCommandOutput>;
}

export interface TargetGroupLoadBalancerSettings {
  targetGroupArn: string;
  /** Port to register on; without it, the target group's own port. */
  port?: number;
}

const STATES: Readonly<Record<string, LoadBalancerMember['state']>> = {
  healthy: 'in-service',
  draining: 'draining',
  'unhealthy.draining': 'draining',
  unhealthy: 'out-of-service',
  unused: 'out-of-service',
  unavailable: 'out-of-service',
};

export class TargetGroupLoadBalancer implements LoadBalancer {
  constructor(
    private readonly client: TargetGroupApi,
    private readonly settings: TargetGroupLoadBalancerSettings,
  ) {}

  async register(instanceIds: readonly string[]): Promise<void> {
    const ids = [...new Set(instanceIds)];
    if (ids.length === 0) return;
    try {
      await this.client.send(
        new RegisterTargetsCommand({
          TargetGroupArn: this.settings.targetGroupArn,
          Targets: this.targets(ids),
        }),
      );
    } catch (error) {
      throw mapAwsError(error, `RegisterTargets ${this.settings.targetGroupArn} (${ids.join(', ')})`);
    }
  }

  /**
   * Deregistering a target that is not registered succeeds; an instance that no longer exists is
   * answered with InvalidTarget for the whole call, so such a batch is retried one id at a time and
   * an unknown id counts as deregistered.
   */
  async deregister(instanceIds: readonly string[]): Promise<void> {
    await deregisterEach(
      instanceIds,
      (ids) => this.deregisterBatch(ids),
      (batch) => `DeregisterTargets ${this.settings.targetGroupArn} (${batch.join(', ')})`,
    );
  }

  private async deregisterBatch(ids: readonly string[]): Promise<void> {
    await this.client.send(
      new DeregisterTargetsCommand({
        TargetGroupArn: this.settings.targetGroupArn,
        Targets: this.targets(ids),
      }),
    );
  }

  /** With a configured port, only targets on that port count: the same instance may sit on others. */
  async members(): Promise<LoadBalancerMember[]> {
    let output: DescribeTargetHealthCommandOutput;
    try {
      output = await this.client.send(
        new DescribeTargetHealthCommand({ TargetGroupArn: this.settings.targetGroupArn }),
      );
    } catch (error) {
      throw mapAwsError(error, `DescribeTargetHealth ${this.settings.targetGroupArn}`);
    }
    const port = this.settings.port;
    return (output.TargetHealthDescriptions ?? []).flatMap((entry) => {
      const id = entry.Target?.Id;
      if (id === undefined || (port !== undefined && entry.Target?.Port !== port)) return [];
      return [{ instanceId: id, state: STATES[entry.TargetHealth?.State ?? ''] ?? 'unknown' }];
    });
  }

  private targets(ids: readonly string[]): TargetDescription[] {
    const port = this.settings.port;
    return ids.map((id) => (port === undefined ? { Id: id } : { Id: id, Port: port }));
  }
}
