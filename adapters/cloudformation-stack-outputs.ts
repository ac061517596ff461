/** The StackOutputs port over CloudFormation DescribeStacks. */
import { DescribeStacksCommand, type DescribeStacksCommandOutput } from '@aws-sdk/client-cloudformation';
import type { StackOutputs } from '../domain/asset-ports.js';
import { NotFoundError } from '../domain/errors.js';
import { mapAwsError } from './aws-errors.js';

/** The CloudFormation command this adapter uses; a `CloudFormationClient` satisfies it. */
export interface CloudFormationApi {
  send(command: DescribeStacksCommand): Promise<DescribeStacksCommandOutput>;
}

export class CloudFormationStackOutputs implements StackOutputs {
  constructor(private readonly client: CloudFormationApi) {}

  async outputs(stackName: string): Promise<Record<string, string>> {
    try {
      const result = await this.client.send(new DescribeStacksCommand({ StackName: stackName }));
      const stack = result.Stacks?.[0];
      if (stack === undefined) throw new NotFoundError(`no stack named ${stackName}`);
      const outputs: Record<string, string> = {};
      for (const output of stack.Outputs ?? []) {
        if (output.OutputKey !== undefined && output.OutputValue !== undefined) {
          outputs[output.OutputKey] = output.OutputValue;
        }
      }
      return outputs;
    } catch (error) {
      // CloudFormation answers a missing stack with a ValidationError "Stack with id X does not exist".
      const message = (error as { message?: unknown }).message;
      if (typeof message === 'string' && /does not exist/.test(message)) {
        throw new NotFoundError(`no stack named ${stackName}`, { cause: error });
      }
      throw mapAwsError(error, `describing stack ${stackName}`);
    }
  }
}
