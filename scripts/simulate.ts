/**
 * What would this policy have done with my queue?
 *
 *   npm run simulate -- --trace FILE.csv --policy NAME [--config FILE] [--seed N]
 *                       [--launch-delay MIN-MAX|S] --out DIR
 *
 * Replays the trace through the real converge service on the fake cloud (or the 2010 script,
 * `seed-2010`), prints a short summary and writes DIR/summary.json and DIR/timeline.svg. `--help`
 * prints the usage. Bad input exits 2 with a message that names the flag, the config key or the
 * trace line. Offline and in-process.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ConfigError } from '../domain/errors.js';
import { parseFlags, readCommandLine, UsageError } from './lib/cli-flags.js';
import { describeError as describe, loadConfigDocument } from './lib/config-file.js';
import { readTrace, TraceError } from './lib/trace.js';
import {
  DEFAULT_LAUNCH_DELAY,
  DEFAULT_SEED,
  formatSummary,
  isPolicyName,
  type LaunchDelay,
  POLICY_NAMES,
  type PolicyName,
  simulate,
  simulationRole,
  timelineSvg,
} from './sim/index.js';

const USAGE =
  'usage: npm run simulate -- --trace FILE.csv --policy NAME [--config FILE] [--seed N] [--launch-delay MIN-MAX|S] --out DIR';

const HELP = `${USAGE}

Replays a job trace (CSV: arrival_s,service_s) with one policy and reports job waits and cost.

  --trace FILE.csv       the job trace (required)
  --policy NAME          ${POLICY_NAMES.join(' | ')} (required); seed-2010 is the 2010 cron script,
                         the others run the real converge service on the fake cloud
  --config FILE          a config document (JSON) merged over the defaults; its job role is simulated
  --seed N               seeds the launch delays (default ${DEFAULT_SEED}): the k-th launch gets the same delay under every policy
  --launch-delay MIN-MAX launch-to-healthy delay in seconds, uniform (default ${DEFAULT_LAUNCH_DELAY.kind === 'uniform' ? `${DEFAULT_LAUNCH_DELAY.minS}-${DEFAULT_LAUNCH_DELAY.maxS}` : ''}), or S for a fixed delay
  --out DIR              where summary.json and timeline.svg go (required)
  --help                 this text

See docs/benchmark.md.`;

interface Args {
  trace: string;
  policy: PolicyName;
  config?: string;
  seed: number;
  launchDelay: LaunchDelay;
  out: string;
}

const FLAGS = ['trace', 'policy', 'config', 'seed', 'launch-delay', 'out'] as const;

function parseCliArgs(argv: readonly string[]): Args | 'help' {
  const values = parseFlags(argv, FLAGS);
  if (values === 'help') return 'help';
  const text = (flag: (typeof FLAGS)[number]): string | undefined => values[flag];
  const required = (flag: (typeof FLAGS)[number]): string => {
    const value = text(flag);
    if (value === undefined || value === '') throw new UsageError(`--${flag} is required`);
    return value;
  };
  const trace = required('trace');
  const policy = required('policy');
  if (!isPolicyName(policy)) {
    throw new UsageError(`--policy "${policy}" is not a known policy (known: ${POLICY_NAMES.join(', ')})`);
  }
  const out = required('out');
  const args: Args = {
    trace,
    policy,
    seed: parseSeed(text('seed')),
    launchDelay: parseLaunchDelay(text('launch-delay')),
    out,
  };
  const config = text('config');
  if (config !== undefined) args.config = config;
  return args;
}

function parseSeed(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_SEED;
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)) || Number(raw) > 0xffff_ffff) {
    throw new UsageError(`--seed "${raw}" is not a whole number between 0 and 4294967295`);
  }
  return Number(raw);
}

/** `MIN-MAX` seconds (uniform) or `S` seconds (fixed). */
function parseLaunchDelay(raw: string | undefined): LaunchDelay {
  if (raw === undefined) return DEFAULT_LAUNCH_DELAY;
  const fixed = /^(\d+(?:\.\d+)?)$/.exec(raw);
  if (fixed !== null) return { kind: 'fixed', seconds: Number(fixed[1]) };
  const range = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(raw);
  if (range === null) {
    throw new UsageError(`--launch-delay "${raw}" is not MIN-MAX or S in seconds (e.g. 60-180 or 90)`);
  }
  const minS = Number(range[1]);
  const maxS = Number(range[2]);
  if (minS > maxS) throw new UsageError(`--launch-delay "${raw}": MIN is greater than MAX`);
  return { kind: 'uniform', minS, maxS };
}

async function main(): Promise<void> {
  const cli = readCommandLine('simulate', HELP, parseCliArgs);
  if (!cli.ok) process.exit(cli.exitCode);
  const args = cli.options;
  const document = args.config === undefined ? {} : await loadConfigDocument(args.config);
  let role: ReturnType<typeof simulationRole>;
  try {
    role = simulationRole(document);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`--config ${args.config}: ${error.message}`);
    throw new UsageError(`--config ${args.config ?? '(defaults)'}: ${describe(error)}`);
  }
  const jobs = await readTrace(args.trace);
  const result = await simulate({
    jobs,
    policy: args.policy,
    role,
    seed: args.seed,
    launchDelay: args.launchDelay,
  });
  const name = basename(args.trace);
  await mkdir(args.out, { recursive: true });
  const summary = { trace: name, ...result.summary };
  await writeFile(join(args.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  await writeFile(join(args.out, 'timeline.svg'), timelineSvg(result, `${name} — policy ${args.policy}`));
  console.log(formatSummary(name, result.summary));
  console.log(`  wrote ${join(args.out, 'summary.json')} and ${join(args.out, 'timeline.svg')}`);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError || error instanceof TraceError) {
    console.error(`simulate: ${error.message}`);
    if (error instanceof UsageError) console.error(`\n${USAGE}`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
