/**
 * `fleet-pilot`: the operator's command for a deployed stack (`--stage`, `--region`, `--profile`:
 * the control function invoked with the standard AWS credential chain) or the local sandbox
 * (`--local`, served by `npm start -- --serve`). `fleet-pilot --help` for the subcommands; the
 * work is in cli/fleet-pilot/.
 */
import { readFile } from 'node:fs/promises';
import { LoopbackControlEndpoint } from '../adapters/loopback-control-endpoint.js';
import type { ControlEndpoint } from '../domain/control-port.js';
import type { GlobalOptions } from './fleet-pilot/program.js';
import { runFleetPilot } from './fleet-pilot/run.js';

// The AWS SDK's Node 20 notice says nothing about the command (Node 20 is supported here).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The sandbox's endpoint from the file it wrote, or the stage's deployed control function. */
async function endpoint(globals: GlobalOptions): Promise<ControlEndpoint> {
  if (globals.local === true) {
    let text: string;
    try {
      text = await readFile(globals.sandbox, 'utf8');
    } catch {
      throw new Error(
        `--local: no sandbox is serving (${globals.sandbox} not found); start one with: npm start -- --serve`,
      );
    }
    let url: unknown;
    try {
      url = (JSON.parse(text) as { controlUrl?: unknown } | null)?.controlUrl;
    } catch (error) {
      throw new Error(
        `--local: ${globals.sandbox} is not the file a sandbox writes (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    if (typeof url !== 'string') throw new Error(`--local: ${globals.sandbox} names no controlUrl`);
    return new LoopbackControlEndpoint(url);
  }
  // Loaded only for a deployed stack: the sandbox answers sooner without it.
  const { LambdaClient } = await import('@aws-sdk/client-lambda');
  const { LambdaControlEndpoint, controlFunctionName } = await import(
    '../adapters/lambda-control-endpoint.js'
  );
  const profile = globals.profile ?? process.env.AWS_PROFILE;
  const probe = new LambdaClient({ ...(profile === undefined ? {} : { profile }) });
  const region =
    globals.region ??
    (process.env.AWS_REGION ||
      process.env.AWS_DEFAULT_REGION ||
      (await probe.config.region().catch(() => undefined))) ??
    'us-east-1';
  probe.destroy();
  const client = new LambdaClient({ region, ...(profile === undefined ? {} : { profile }) });
  return new LambdaControlEndpoint(client, {
    functionName: controlFunctionName(globals.stage ?? 'dev'),
    region,
  });
}

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
process.once('SIGTERM', () => controller.abort());

runFleetPilot(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  endpoint,
  signal: controller.signal,
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(3);
  },
);
