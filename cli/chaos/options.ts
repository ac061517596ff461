/** The chaos run's command line: flags, defaults and the errors a bad flag gets. */
import type { Command } from 'commander';
import { createProgram, parseProgram, UsageError } from '../program.js';
import { numberIn } from '../values.js';

export const DEFAULT_RUNS = 200;
export const INVOCATION = 'npm run test:chaos --';

export type ChaosCliOptions =
  | { mode: 'run'; runs: number; seed: number | undefined }
  | { mode: 'replay'; seed: number };

const seed = numberIn({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, integer: true });

export function chaosProgram(): Command {
  return createProgram(
    INVOCATION,
    'Randomized fault-injection runs of the control plane on a faulty fake cloud.',
  )
    .usage('[--runs N] [--seed S] | --replay SEED')
    .option(
      '--runs <n>',
      'randomized runs, each from its own seed',
      numberIn({ min: 1, max: 1_000_000, integer: true }),
      DEFAULT_RUNS,
    )
    .option('--seed <s>', 'seed of the whole chaos run (default: a random one, printed first)', seed)
    .option(
      '--replay <seed>',
      'replay the one run a failure printed, shrinking it to a smaller failing scenario',
      seed,
    )
    .addHelpText(
      'after',
      '\nEnds with one line (folded here):\n  chaos: runs=N faults=F leaked=L doubleLaunch=D doubleStart=S\n    unownedTerminations=U converged=C\nExit codes: 0 every run kept every invariant, 1 a run broke one, 2 bad flags\nor a crash.',
    );
}

/**
 * Parses and validates the flags; help text goes to `write`.
 * @throws UsageError naming the flag and what was expected.
 */
export function parseChaosOptions(
  argv: readonly string[],
  write?: (text: string) => void,
): ChaosCliOptions | 'help' {
  const program = chaosProgram();
  if (parseProgram(program, argv, write) === 'help') return 'help';
  const flags = program.opts<{ runs: number; seed?: number; replay?: number }>();
  if (flags.replay !== undefined) {
    if (program.getOptionValueSource('runs') === 'cli' || flags.seed !== undefined) {
      throw new UsageError('--replay: replays one run; it takes no --runs or --seed');
    }
    return { mode: 'replay', seed: flags.replay };
  }
  return { mode: 'run', runs: flags.runs, seed: flags.seed };
}

export { UsageError };
