/**
 * Which policy suits my queue?
 *
 *   npm run tune -- --trace FILE.csv [--config FILE] [--max-cost-ratio 1.0] [--threads N]
 *                   [--spot-discount F] [--interruptions-per-day N] [--start YYYY-MM-DD] --out DIR
 *
 * Sweeps every demand-policy family and its knobs, crossed with the job role's minimum lifetime and
 * scale-in stabilization, then the probe interval and small-backlog threshold around the best, over
 * the trace in worker threads; prints the Pareto frontier of p95 wait against dollars with the 2010
 * rule, the current config and `bound` (max servers all day) marked; writes DIR/frontier.svg,
 * DIR/points.json and DIR/recommended.json, a fragment to merge over the config: the lowest p95
 * within the cost cap (x the 2010 rule's dollars), or the current config when nothing beats it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { type Command, Option } from 'commander';
import { ConfigError } from '../domain/errors.js';
import {
  DEFAULT_INTERRUPTIONS_PER_DAY,
  DEFAULT_SPOT_DISCOUNT,
  type SimRole,
  simulationRole,
  spotOnDemandBase,
} from '../sim/index.js';
import { replayStart, START_HELP } from '../sim/start.js';
import { readTrace, TraceError } from '../sim/trace.js';
import type { MarketRun } from '../sim/tune/evaluate.js';
import { renderFrontier } from '../sim/tune/frontier-svg.js';
import { FULL_GRID, type Grid, TINY_GRID } from '../sim/tune/grid.js';
import { recommendedFragment } from '../sim/tune/recommend.js';
import { type TunedPoint, type TuneResult, tune } from '../sim/tune/run.js';
import { wrapLine, wrapLines } from '../sim/wrap.js';
import { describeError, loadConfigDocument } from './config-file.js';
import { createProgram, parseProgram, readCommandLine, required, runScript, UsageError } from './program.js';
import { localDate, nonEmpty, numberIn } from './values.js';

const INVOCATION = 'npm run tune --';

interface Args {
  trace: string;
  config?: string;
  maxCostRatio: number;
  threads: number;
  grid: Grid;
  market: MarketRun;
  /** Trace time 0 as a local date; default: the trace's own day (sim/start.ts). */
  start?: string;
  out: string;
}

function tuneProgram(): Command {
  return createProgram(
    INVOCATION,
    'Sweeps every demand-policy family over a trace: which policy suits my queue?',
  )
    .usage('--trace FILE.csv --out DIR [options]')
    .option(
      '--trace <file.csv>',
      'job trace CSV (arrival_s,service_s), e.g. sim/traces/steady-weekday.csv',
      nonEmpty('a file'),
    )
    .option(
      '--out <dir>',
      'directory for frontier.svg, points.json and recommended.json',
      nonEmpty('a directory'),
    )
    .option(
      '--config <file>',
      'your config document (JSON); its job role is the "current config" point and the base of every candidate',
    )
    .option(
      '--max-cost-ratio <x>',
      "candidates within this x the 2010 rule's dollars may be recommended",
      numberIn({ min: 0.01, max: 100 }),
      1,
    )
    .option(
      '--threads <n>',
      'worker threads, at least 1 (default: every core)',
      numberIn({ min: 1, max: 64, integer: true }),
    )
    .addOption(
      new Option('--grid <name>', 'full, or tiny (a few candidates, for a quick look)')
        .choices(['full', 'tiny'])
        .default('full'),
    )
    .option(
      '--spot-discount <f>',
      `run every candidate with Spot above the permanent servers, Spot at (1 - F) of On-Demand (default ${DEFAULT_SPOT_DISCOUNT}); every cost is then figured with Spot`,
      numberIn({ min: 0, max: 0.99 }),
    )
    .option(
      '--interruptions-per-day <n>',
      `EC2 Spot interruptions a day in those runs (default ${DEFAULT_INTERRUPTIONS_PER_DAY}); also turns Spot on`,
      numberIn({ min: 0, max: 1000 }),
    )
    .option('--start <date>', START_HELP, localDate);
}

function parseCliArgs(argv: readonly string[], write: (text: string) => void): Args | 'help' {
  const program = tuneProgram();
  if (parseProgram(program, argv, write) === 'help') return 'help';
  const values = program.opts<{
    trace?: string;
    out?: string;
    config?: string;
    maxCostRatio: number;
    threads?: number;
    grid: 'full' | 'tiny';
    spotDiscount?: number;
    interruptionsPerDay?: number;
    start?: string;
  }>();
  return {
    trace: required('--trace', values.trace),
    maxCostRatio: values.maxCostRatio,
    threads: values.threads ?? availableParallelism(),
    grid: values.grid === 'full' ? FULL_GRID : TINY_GRID,
    market: {
      spot: values.spotDiscount !== undefined || values.interruptionsPerDay !== undefined,
      pricing: {
        spotDiscount: values.spotDiscount ?? DEFAULT_SPOT_DISCOUNT,
        interruptionsPerDay: values.interruptionsPerDay ?? DEFAULT_INTERRUPTIONS_PER_DAY,
      },
    },
    out: required('--out', values.out),
    ...(values.config === undefined ? {} : { config: values.config }),
    ...(values.start === undefined ? {} : { start: values.start }),
  };
}

async function userRole(file: string | undefined): Promise<{ document: unknown; role: SimRole }> {
  const document = file === undefined ? {} : await loadConfigDocument(file);
  try {
    return { document, role: simulationRole(document) };
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`--config ${file}: ${error.message}`);
    throw new UsageError(`--config ${file ?? '(defaults)'}: ${describeError(error)}`);
  }
}

/** The columns of the point tables: the mark, p95 wait, dollars, instance-hours, cold launches. */
function columns(mark: string, p95: string, cost: string, hours: string, cold: string): string {
  return `${mark.padEnd(11)} ${p95.padStart(7)} ${cost.padStart(7)} ${hours.padStart(7)} ${cold.padStart(5)}  `;
}

const HEAD = `${columns('', 'p95', 'cost', 'inst-h', 'cold')}candidate`;

/** A point in 80 columns: its figures, then its settings, going on under themselves when long. */
function row(mark: string, p: TunedPoint): string[] {
  const figures = columns(
    mark,
    `${Math.round(p.waitP95S)} s`,
    `$${p.cost.toFixed(2)}`,
    p.instanceHours.toFixed(2),
    String(p.coldLaunches),
  );
  return wrapLine(figures + p.label, ' '.repeat(figures.length));
}

function report(result: TuneResult, market: MarketRun): string {
  const marks = new Map<TunedPoint, string>([
    [result.seed, 'seed-2010'],
    [result.current, 'current'],
    [result.bound, 'bound'],
    [result.recommended, 'recommended'],
  ]);
  const lines = ['Pareto frontier (cheapest first; inst-h: instance-hours, cold: cold launches):', HEAD];
  result.frontier.forEach((p, i) => {
    lines.push(...row(marks.get(p) ?? `F${i + 1}`, p));
  });
  lines.push('', 'marked points:', HEAD);
  for (const [p, mark] of marks) lines.push(...row(mark, p));
  lines.push(
    '',
    ...wrapLine(`recommended: ${result.why}`),
    ...wrapLine(`against the current config: ${result.versusCurrent}`),
  );
  if (market.spot) {
    const { spotDiscount, interruptionsPerDay } = market.pricing;
    lines.push(
      ...wrapLine(
        `costs: Spot above the permanent servers at ${spotDiscount} off, ${interruptionsPerDay} interruption(s) a day (the 2010 rule On-Demand)`,
      ),
    );
  }
  return lines.join('\n');
}

async function main(): Promise<number> {
  const cli = readCommandLine('tune', INVOCATION, parseCliArgs);
  if (!cli.ok) return cli.exitCode;
  const args = cli.options;
  const { role } = await userRole(args.config);
  const jobs = await readTrace(args.trace);
  const start = replayStart(args.trace, role.schedule.timeZone, args.start);
  process.stderr.write(`  replaying from ${start.text}\n`);
  const started = Date.now();
  let last = 0;
  const result = await tune({
    jobs,
    startAt: start.at,
    role,
    grid: args.grid,
    maxCostRatio: args.maxCostRatio,
    threads: args.threads,
    market: args.market,
    onProgress: (done, total) => {
      if (done === total || Date.now() - last > 2000) {
        last = Date.now();
        process.stderr.write(`  ${done}/${total} candidates\n`);
      }
    },
  });
  const seconds = (Date.now() - started) / 1000;
  const name = basename(args.trace);
  await mkdir(args.out, { recursive: true });
  await writeFile(join(args.out, 'frontier.svg'), renderFrontier(result, `${name}: p95 wait vs dollars`));
  await writeFile(join(args.out, 'points.json'), `${JSON.stringify(result.points, null, 2)}\n`);
  // Spot above the permanent servers, as the simulator bought it.
  const spot = args.market.spot ? { onDemandBase: spotOnDemandBase(role) } : undefined;
  const fragment = recommendedFragment(result, name, spot, role);
  await writeFile(join(args.out, 'recommended.json'), `${JSON.stringify(fragment, null, 2)}\n`);
  console.log(report(result, args.market));
  console.log(
    `\n${wrapLines(`${result.points.length} candidates in ${seconds.toFixed(1)} s on ${args.threads} thread(s); wrote ${join(args.out, 'frontier.svg')}, points.json and recommended.json`)}`,
  );
  return 0;
}

runScript('tune', INVOCATION, main, [TraceError]);
