/** The sandbox's command line: flags, defaults and the errors a bad flag gets. */
import { type Command, Option } from 'commander';
import { LEDGER_CHOICES, type LedgerChoice } from '../../sandbox/run-sandbox.js';
import { POLICY_NAMES, type PolicyName } from '../../sandbox/sandbox-config.js';
import { createProgram, parseProgram, UsageError } from '../program.js';
import { nonEmpty, numberIn } from '../values.js';

export interface CliOptions {
  days: number;
  speed: number;
  out: string;
  policy: PolicyName;
  seed: number;
  ledger: LedgerChoice;
  /** The job role's warm pool all day (0: none); absent: the policy's own (the shipped weekday pool). */
  warmPool?: number;
  /** Serve the control function on this loopback port (0: any free one) until stopped. */
  serve?: { port: number };
}

/** With --serve the fleet moves at a pace a person can follow, for a week, unless told otherwise. */
export const SERVE_DEFAULTS = { days: 7, speed: 60 };

export const DEFAULT_OPTIONS: CliOptions = {
  days: 1,
  speed: 3600,
  out: 'out',
  policy: 'default',
  seed: 1,
  ledger: 'auto',
};

export const INVOCATION = 'npm start --';

export function sandboxProgram(): Command {
  return createProgram(
    INVOCATION,
    'The whole control plane locally: the real services on a fake EC2 and load balancer, a loopback server per instance, a synthetic payroll workload.',
  )
    .option(
      '--days <n>',
      'simulated days to run, from Monday 00:00 America/Toronto (0.25 = 6 hours)',
      numberIn({ min: 1 / 24, max: 31 }),
      DEFAULT_OPTIONS.days,
    )
    .addOption(
      new Option('--speed <x>', 'simulated seconds per real second')
        .argParser(numberIn({ min: 1, max: 100_000 }))
        .default(DEFAULT_OPTIONS.speed, `${DEFAULT_OPTIONS.speed}: an hour a second, at most`),
    )
    .option(
      '--out <dir>',
      'where summary.json, report.md and timeline.svg go',
      nonEmpty('a directory path'),
      DEFAULT_OPTIONS.out,
    )
    .addOption(
      new Option('--policy <name>', 'the job role demand policy')
        .choices(POLICY_NAMES)
        .default(DEFAULT_OPTIONS.policy),
    )
    .option(
      '--seed <n>',
      'seed of the synthetic workload, a non-negative integer',
      numberIn({ min: 0, max: 2 ** 32 - 1, integer: true }),
      DEFAULT_OPTIONS.seed,
    )
    .addOption(
      new Option('--ledger <kind>', 'where the ledger lives (auto: DynamoDB Local when Java is available)')
        .choices(LEDGER_CHOICES)
        .default(DEFAULT_OPTIONS.ledger),
    )
    .option(
      '--warm-pool <n>',
      "keep N stopped, ready job servers all day, started before any cold launch (0: none; default: the policy's own, for default and backlog-per-server the shipped 2 on weekdays 08:00-18:00)",
      numberIn({ min: 0, max: 10, integer: true }),
    )
    .option(
      '--serve',
      `keep running and serve the control function on a loopback port for \`fleet-pilot --local\` (written to OUT/sandbox.json) until stopped; --days defaults to ${SERVE_DEFAULTS.days} and --speed to ${SERVE_DEFAULTS.speed}, and after the last day the fleet stands still`,
    )
    .option(
      '--port <n>',
      'with --serve: the loopback port (default: any free one)',
      numberIn({ min: 1, max: 65_535, integer: true }),
    );
}

export { UsageError };

/**
 * Parses and validates the flags; help text goes to `write`.
 * @returns the options, or `'help'` for `--help`.
 * @throws UsageError naming the flag and what was expected.
 */
export function parseCliOptions(
  argv: readonly string[],
  write?: (text: string) => void,
): CliOptions | 'help' {
  const program = sandboxProgram();
  if (parseProgram(program, argv, write) === 'help') return 'help';
  const { serve, port, ...options } = program.opts<CliOptions & { serve?: boolean; port?: number }>();
  if (serve !== true) {
    if (port !== undefined) throw new UsageError('--port: only with --serve');
    return options;
  }
  const given = (flag: 'days' | 'speed') => program.getOptionValueSource(flag) === 'cli';
  return {
    ...options,
    days: given('days') ? options.days : SERVE_DEFAULTS.days,
    speed: given('speed') ? options.speed : SERVE_DEFAULTS.speed,
    serve: { port: port ?? 0 },
  };
}
