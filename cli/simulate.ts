/**
 * What would this policy have done with my queue?
 *
 *   npm run simulate -- --trace FILE.csv --policy NAME [--config FILE] [--seed N]
 *                       [--launch-delay MIN-MAX|S] [--spot-discount F] [--interruptions-per-day N]
 *                       [--on-demand-price P] [--volume-gb N] --out DIR
 *
 * Replays the trace through the real converge service on the fake cloud (or the 2010 script,
 * `seed-2010`), prints a short summary and writes DIR/summary.json and DIR/timeline.svg. With a
 * Spot flag it runs again with the role on Spot (EC2 interrupting it) and prints cost and wait of
 * both side by side (DIR/summary-spot.json). `--help`
 * prints the usage. Bad input exits 2 with a message that names the flag, the config key or the
 * trace line. Offline and in-process.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
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
  isPolicyName,
  type LaunchDelay,
  POLICY_NAMES,
  type PolicyName,
  type Pricing,
  simulate,
  simulationRole,
  timelineSvg,
} from '../sim/index.js';
import { readTrace, TraceError } from '../sim/trace.js';
import { describeError as describe, loadConfigDocument } from './config-file.js';
import { numberFlag, parseFlags, readCommandLine, runScript, UsageError } from './flags.js';

const USAGE =
  'usage: npm run simulate -- --trace FILE.csv --policy NAME [--config FILE] [--seed N] [--launch-delay MIN-MAX|S] [--spot-discount F] [--interruptions-per-day N] [--on-demand-price P] [--volume-gb N] --out DIR';

const HELP = `${USAGE}

Replays a job trace (CSV: arrival_s,service_s) with one policy and reports job waits and cost.

  --trace FILE.csv       the job trace (required)
  --policy NAME          ${POLICY_NAMES.join(' | ')} (required); seed-2010 is the 2010 cron script,
                         the others run the real converge service on the fake cloud
  --config FILE          a config document (JSON) merged over the defaults; its job role is simulated
  --seed N               seeds the launch delays (default ${DEFAULT_SEED}): the k-th launch gets the same delay under every policy
  --launch-delay MIN-MAX launch-to-healthy delay in seconds, uniform (default ${DEFAULT_LAUNCH_DELAY.kind === 'uniform' ? `${DEFAULT_LAUNCH_DELAY.minS}-${DEFAULT_LAUNCH_DELAY.maxS}` : ''}), or S for a fixed delay
  --spot-discount F      also run the role on Spot above its permanent servers (falling back to On-Demand),
                         Spot costing (1 - F) of On-Demand (default ${DEFAULT_SPOT_DISCOUNT}), and print both runs' cost and wait
  --interruptions-per-day N
                         EC2 Spot interruptions a day in that run (default ${DEFAULT_INTERRUPTIONS_PER_DAY}); also turns the Spot run on
  --on-demand-price P    dollars per On-Demand instance-hour (default: the role's instance type in us-east-1,
                         ${DEFAULT_ON_DEMAND_PER_HOUR} for c5.large)
  --volume-gb N          root volume per server, gp3 at $${DEFAULT_VOLUME_PER_GB_MONTH}/GB-month (default ${DEFAULT_VOLUME_GB})
  --out DIR              where summary.json and timeline.svg go (required)
  --help                 this text

See docs/benchmark.md.`;

interface Args {
  trace: string;
  policy: PolicyName;
  config?: string;
  seed: number;
  launchDelay: LaunchDelay;
  pricing: Partial<Pricing>;
  /** Also run on Spot. */
  spot: boolean;
  out: string;
}

const FLAGS = [
  'trace',
  'policy',
  'config',
  'seed',
  'launch-delay',
  'spot-discount',
  'interruptions-per-day',
  'on-demand-price',
  'volume-gb',
  'out',
] as const;

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
    pricing: {
      spotDiscount: numberFlag('--spot-discount', text('spot-discount'), DEFAULT_SPOT_DISCOUNT, {
        min: 0,
        max: 0.99,
      }),
      interruptionsPerDay: numberFlag(
        '--interruptions-per-day',
        text('interruptions-per-day'),
        DEFAULT_INTERRUPTIONS_PER_DAY,
        { min: 0, max: 1000 },
      ),
      volumeGb: numberFlag('--volume-gb', text('volume-gb'), DEFAULT_VOLUME_GB, { min: 0, max: 65_536 }),
      // Without the flag, the role's instance type sets the price.
      ...(text('on-demand-price') === undefined
        ? {}
        : {
            onDemandPerHour: numberFlag(
              '--on-demand-price',
              text('on-demand-price'),
              DEFAULT_ON_DEMAND_PER_HOUR,
              {
                min: 0.0001,
                max: 1000,
              },
            ),
          }),
    },
    spot: text('spot-discount') !== undefined || text('interruptions-per-day') !== undefined,
    out,
  };
  if (args.spot && policy === 'seed-2010') {
    throw new UsageError(
      '--spot-discount/--interruptions-per-day: the seed-2010 script launches On-Demand only',
    );
  }
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
  const run = {
    jobs,
    policy: args.policy,
    role,
    seed: args.seed,
    launchDelay: args.launchDelay,
    pricing: args.pricing,
  };
  const result = await simulate(run);
  const name = basename(args.trace);
  await mkdir(args.out, { recursive: true });
  const summary = { trace: name, ...result.summary };
  await writeFile(join(args.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  await writeFile(join(args.out, 'timeline.svg'), timelineSvg(result, `${name} — policy ${args.policy}`));
  console.log(formatSummary(name, result.summary));
  console.log(`  wrote ${join(args.out, 'summary.json')} and ${join(args.out, 'timeline.svg')}`);
  if (!args.spot) return;
  const spot = await simulate({ ...run, spot: true });
  await writeFile(
    join(args.out, 'summary-spot.json'),
    `${JSON.stringify({ trace: name, ...spot.summary }, null, 2)}\n`,
  );
  console.log(`\n${formatSummary(name, spot.summary)}`);
  console.log(`\n${compareMarkets(result.summary, spot.summary)}`);
  console.log(`  wrote ${join(args.out, 'summary-spot.json')}`);
}

runScript('simulate', USAGE, main, [TraceError]);
