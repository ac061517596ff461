/**
 * `npm start`: the whole control plane locally, on an embedded default config, with no AWS account.
 * See sandbox/run-sandbox.ts for what runs; `npm start -- --help` for the flags.
 *
 * Exit codes: 0 finished, 1 failed, 2 bad flags, 130 interrupted (Ctrl-C / SIGTERM; the outputs
 * are still written for the part that ran).
 */
import { join } from 'node:path';
import { ownEntry } from '../domain/roles.js';
import type { SandboxSummary } from '../sandbox/report.js';
import { readCommandLine } from './program.js';
import { INVOCATION, parseCliOptions } from './sandbox/options.js';

// The AWS SDK's Node 20 notice says nothing about the sandbox (Node 20 is supported here).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** A stop that hangs (it should not) still ends the process this long after the signal. */
const HARD_STOP_MS = 15_000;

async function main(): Promise<number> {
  const cli = readCommandLine('sandbox', INVOCATION, parseCliOptions);
  if (!cli.ok) return cli.exitCode;
  const { options } = cli;

  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    // A terminal's Ctrl-C reaches this process both directly and through npm/tsx: say it once.
    if (controller.signal.aborted) return;
    console.log(`\nsandbox: ${signal}: stopping (servers, ticks, DynamoDB Local) and writing what ran ...`);
    controller.abort();
    setTimeout(() => {
      console.error('sandbox: stopping took too long; exiting');
      process.exit(1);
    }, HARD_STOP_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // Loaded after the flags are checked: a bad flag answers at once.
  const { runSandbox } = await import('../sandbox/run-sandbox.js');
  let summary: SandboxSummary;
  try {
    summary = await runSandbox({ ...options, signal: controller.signal });
  } catch (error) {
    console.error(`sandbox: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  printSummary(summary, options.out);
  return summary.interrupted ? 130 : 0;
}

function printSummary(s: SandboxSummary, out: string): void {
  // Two lines a role, within 80 columns: what it did, then where it ended.
  const roles = Object.keys(s.launches).flatMap((role) => [
    `${role}: ${ownEntry(s.launches, role)} launched cold, ${ownEntry(s.warmStarts, role) ?? 0} started from the warm pool, ${ownEntry(s.retirements, role)} retired`,
    `${' '.repeat(role.length + 2)}${ownEntry(s.instanceHours, role)} instance-hours, ${ownEntry(s.finalServers, role)?.inService ?? 0} in service at the end`,
  ]);
  console.log(
    [
      '',
      `sandbox: ${s.interrupted ? 'interrupted' : 'done'}: ${s.startedAt} → ${s.endedAt} simulated in ${s.realSeconds} s (ledger ${s.ledger})`,
      `  jobs: ${s.jobsDone} done of ${s.jobsArrived}, wait p50 ${s.waitP50S} s, p95 ${s.waitP95S} s, max ${s.waitMaxS} s`,
      ...roles.map((line) => `  ${line}`),
      `  wrote ${['summary.json', 'report.md', 'timeline.svg'].map((f) => join(out, f)).join(', ')}`,
    ].join('\n'),
  );
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
