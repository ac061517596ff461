/**
 * The deployed control function, invoked with the Lambda API (RequestResponse): the same path as
 * `sls invoke -f control`, so every change is journaled by the function as before. A function
 * error (it threw) comes back as a TransientError naming the function and its error message.
 */
import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import type { ControlEndpoint } from '../domain/control-port.js';
import { TransientError } from '../domain/errors.js';
import { mapAwsError } from './aws-errors.js';

/** serverless.yml names a function `<service>-<stage>-<function>`. */
export function controlFunctionName(stage: string): string {
  return `fleet-pilot-${stage}-control`;
}

export class LambdaControlEndpoint implements ControlEndpoint {
  readonly target: string;

  constructor(
    private readonly client: Pick<LambdaClient, 'send'>,
    private readonly settings: { functionName: string; region: string },
  ) {
    this.target = `function ${settings.functionName} in ${settings.region}`;
  }

  async send(command: Record<string, unknown>): Promise<unknown> {
    let output: InvokeCommandOutput;
    try {
      output = await this.client.send(
        new InvokeCommand({
          FunctionName: this.settings.functionName,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify(command)),
        }),
      );
    } catch (error) {
      throw mapAwsError(error, `invoke ${this.settings.functionName}`);
    }
    const text = output.Payload === undefined ? '' : new TextDecoder().decode(output.Payload);
    const payload = parse(text);
    if (output.FunctionError !== undefined) {
      const message =
        typeof payload === 'object' && payload !== null && 'errorMessage' in payload
          ? String((payload as { errorMessage: unknown }).errorMessage)
          : text;
      throw new TransientError(`${this.target} failed (${output.FunctionError}): ${message}`);
    }
    if (payload === undefined)
      throw new TransientError(`${this.target} answered no JSON: ${text.slice(0, 200)}`);
    return payload;
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
