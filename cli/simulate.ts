/**
 * What would this policy have done with my queue?
 *
 *   npm run simulate -- --trace FILE.csv --policy NAME [--config FILE] [--seed N]
 *                       [--launch-delay MIN-MAX|S] [--spot-discount F] [--interruptions-per-day N]
 *                       [--on-demand-price P] [--volume-gb N] [--start YYYY-MM-DD] --out DIR
 *
 * Replays the trace through the real converge service on the fake cloud (or the 2010 script,
 * `seed-2010`; `bound` is the role at its maximum all day), prints a short summary and writes
 * DIR/summary.json and DIR/timeline.svg. With a Spot flag it runs again with the role on Spot (EC2
 * interrupting it) and prints cost and wait of both side by side (DIR/summary-spot.json). `--help`
 * prints the usage. Bad input exits 2 with one line that names the flag, the config key or the
 * trace line. Offline and in-process.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../domain/errors.js';
import {
  compareMarkets,
  DEFAULT_INTERRUPTIONS_PER_DAY,
  DEFAULT_LAUNCH_DELAY,
  DEFAULT_ON_DEMAND_PER_HOUR,
  DEFAULT_SEED,
  DEFAULT_SPOT_DISCOUNT,
  DEFAULT_VOLUME_GB,
  DEFAULT_VOLUME_PER_GB_MONTH,
  formatSummary,
  type LaunchDelay,
  POLICY_NAMES,
  type Pricing,
  simulate,
  simulationRole,
  timelineSvg,
} from '../sim/index.js';
import { BOUND_POLICY, boundRole } from '../sim/policies.js';
import { replayStart, START_HELP } from '../sim/start.js';
import { readTrace, TraceError } from '../sim/trace.js';
import { wrapLines } from '../sim/wrap.js';
import { describeError as describe, loadConfigDocument } from './config-file.js';
import { createProgram, parseProgram, readCommandLine, required, runScript, UsageError } from './program.js';
import { localDate, nonEmpty, numberIn } from './values.js';

const INVOCATION = 'npm run simulate --';
const POLICIES = [...POLICY_NAMES, BOUND_POLICY] as const;
type SimPolicy = (typeof POLICIES)[number];

interface Args {
  trace: string;
  policy: SimPolicy;
  config?: string;
  seed: number;
  launchDelay: LaunchDelay;
  pricing: Partial<Pricing>;
  /** Also run on Spot. */
  spot: boolean;
  /** Trace time 0 as a local date; default: the trace's own day (sim/start.ts). */
  start?: string;
  out: string;
}

function simulateProgram(): Command {
  const delay =
    DEFAULT_LAUNCH_DELAY.kind === 'uniform'
      ? `${DEFAULT_LAUNCH_DELAY.minS}-${DEFAULT_LAUNCH_DELAY.maxS}`
      : '';
  return createProgram(
    INVOCATION,
    'Replays a job trace (CSV: arrival_s,service_s) with one policy and reports job waits and cost.',
  )
    .usage('--trace FILE.csv --policy NAME --out DIR [options]')
    .option('--trace <file.csv>', 'the job trace', nonEmpty('a file'))
    .addOption(
      new Option(
        '--policy <name>',
        'seed-2010 is the 2010 cron script, bound the role at its maximum all day; the others run the real converge service on the fake cloud',
      ).choices(POLICIES),
    )
    .option('--out <dir>', 'where summary.json and timeline.svg go', nonEmpty('a directory'))
    .option('--config <file>', 'a config document (JSON) merged over the defaults; its job role is simulated')
    .option(
      '--seed <n>',
      'seeds the launch delays: the k-th launch gets the same delay under every policy',
      numberIn({ min: 0, max: 0xffff_ffff, integer: true }),
      DEFAULT_SEED,
    )
    .option(
      '--launch-delay <min-max|s>',
      `launch-to-healthy delay in seconds, uniform (default ${delay}), or S for a fixed delay`,
      parseLaunchDelay,
    )
    .option(
      '--spot-discount <f>',
      `also run the role on Spot above its permanent servers (falling back to On-Demand), Spot costing (1 - F) of On-Demand (default ${DEFAULT_SPOT_DISCOUNT}), and print both runs' cost and wait`,
      numberIn({ min: 0, max: 0.99 }),
    )
    .option(
      '--interruptions-per-day <n>',
      `EC2 Spot interruptions a day in that run (default ${DEFAULT_INTERRUPTIONS_PER_DAY}); also turns the Spot run on`,
      numberIn({ min: 0, max: 1000 }),
    )
    .option(
      '--on-demand-price <p>',
      `dollars per On-Demand instance-hour (default: the role's instance type in us-east-1, ${DEFAULT_ON_DEMAND_PER_HOUR} for c5.large)`,
      numberIn({ min: 0.0001, max: 1000 }),
    )
    .option(
      '--volume-gb <n>',
      `root volume per server, gp3 at $${DEFAULT_VOLUME_PER_GB_MONTH}/GB-month`,
      numberIn({ min: 0, max: 65_536 }),
      DEFAULT_VOLUME_GB,
    )
    .option('--start <date>', START_HELP, localDate)
    .addHelpText('after', '\nSee docs/benchmark.md.');
}

function parseCliArgs(argv: readonly string[], write: (text: string) => void): Args | 'help' {
  const program = simulateProgram();
  if (parseProgram(program, argv, write) === 'help') return 'help';
  const values = program.opts<{
    trace?: string;
    policy?: SimPolicy;
    out?: string;
    config?: string;
    seed: number;
    launchDelay?: LaunchDelay;
    spotDiscount?: number;
    interruptionsPerDay?: number;
    onDemandPrice?: number;
    volumeGb: number;
    start?: string;
  }>();
  const trace = required('--trace', values.trace);
  const policy = required('--policy', values.policy);
  const out = required('--out', values.out);
  const spot = values.spotDiscount !== undefined || values.interruptionsPerDay !== undefined;
  if (spot && (policy === 'seed-2010' || policy === BOUND_POLICY)) {
    throw new UsageError(
      `--spot-discount/--interruptions-per-day: the ${policy} policy launches On-Demand only`,
    );
  }
  return {
    trace,
    policy,
    seed: values.seed,
    launchDelay: values.launchDelay ?? DEFAULT_LAUNCH_DELAY,
    pricing: {
      spotDiscount: values.spotDiscount ?? DEFAULT_SPOT_DISCOUNT,
      interruptionsPerDay: values.interruptionsPerDay ?? DEFAULT_INTERRUPTIONS_PER_DAY,
      volumeGb: values.volumeGb,
      // Without the flag, the role's instance type sets the price.
      ...(values.onDemandPrice === undefined ? {} : { onDemandPerHour: values.onDemandPrice }),
    },
    spot,
    out,
    ...(values.config === undefined ? {} : { config: values.config }),
    ...(values.start === undefined ? {} : { start: values.start }),
  };
}

/** `MIN-MAX` seconds (uniform) or `S` seconds (fixed). */
function parseLaunchDelay(raw: string): LaunchDelay {
  const fixed = /^(\d+(?:\.\d+)?)$/.exec(raw);
  if (fixed !== null) return { kind: 'fixed', seconds: Number(fixed[1]) };
  const range = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(raw);
  if (range === null) {
    throw new InvalidArgumentError('expected MIN-MAX or S in seconds (e.g. 60-180 or 90)');
  }
  const minS = Number(range[1]);
  const maxS = Number(range[2]);
  if (minS > maxS) throw new InvalidArgumentError('MIN is greater than MAX');
  return { kind: 'uniform', minS, maxS };
}

async function main(): Promise<void> {
  const cli = readCommandLine('simulate', INVOCATION, parseCliArgs);
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
  const start = replayStart(args.trace, role.schedule.timeZone, args.start);
  const run = {
    jobs,
    startAt: start.at,
    policy: args.policy === BOUND_POLICY ? { name: BOUND_POLICY, role: boundRole(role) } : args.policy,
    role,
    seed: args.seed,
    launchDelay: args.launchDelay,
    pricing: args.pricing,
  };
  const result = await simulate(run);
  const name = basename(args.trace);
  await mkdir(args.out, { recursive: true });
  const summary = { trace: name, start: start.text, ...result.summary };
  await writeFile(join(args.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  await writeFile(join(args.out, 'timeline.svg'), timelineSvg(result, `${name} — policy ${args.policy}`));
  console.log(formatSummary(name, result.summary));
  console.log(`  replayed from ${start.text}`);
  console.log(wrapLines(`  wrote ${join(args.out, 'summary.json')} and ${join(args.out, 'timeline.svg')}`));
  if (!args.spot) return;
  const spot = await simulate({ ...run, spot: true });
  await writeFile(
    join(args.out, 'summary-spot.json'),
    `${JSON.stringify({ trace: name, start: start.text, ...spot.summary }, null, 2)}\n`,
  );
  console.log(`\n${formatSummary(name, spot.summary)}`);
  console.log(`\n${compareMarkets(result.summary, spot.summary)}`);
  console.log(wrapLines(`  wrote ${join(args.out, 'summary-spot.json')}`));
}

runScript('simulate', INVOCATION, main, [TraceError]);
