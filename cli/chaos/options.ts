/** The chaos run's command line: flags, defaults and the errors a bad flag gets. */
import { numberFlag, parseFlags, UsageError } from '../flags.js';

export const DEFAULT_RUNS = 200;

export const USAGE = `usage: npm run test:chaos -- [--runs N] [--seed S]
       npm run test:chaos -- --replay SEED

  --runs N       randomized fault-injection runs, each from its own seed (default ${DEFAULT_RUNS})
  --seed S       seed of the whole chaos run, an integer (default: a random one, printed first)
  --replay SEED  replay the one run a failure printed, shrinking it to a smaller failing scenario

Ends with one line: chaos: runs=N faults=F leaked=L doubleLaunch=D unownedTerminations=U converged=C
Exit codes: 0 every run kept every invariant, 1 a run broke one, 2 bad flags or a crash.`;

export type ChaosCliOptions =
  | { mode: 'run'; runs: number; seed: number | undefined }
  | { mode: 'replay'; seed: number }
  | 'help';

const SEED_RANGE = { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, integer: true };

/**
 * Parses and validates the flags.
 * @throws UsageError naming the flag and what was expected.
 */
export function parseChaosOptions(argv: readonly string[]): ChaosCliOptions {
  const flags = parseFlags(argv, ['runs', 'seed', 'replay']);
  if (flags === 'help') return 'help';
  if (flags.replay !== undefined) {
    if (flags.runs !== undefined || flags.seed !== undefined) {
      throw new UsageError('--replay: replays one run; it takes no --runs or --seed');
    }
    return { mode: 'replay', seed: numberFlag('--replay', flags.replay, 0, SEED_RANGE) };
  }
  return {
    mode: 'run',
    runs: numberFlag('--runs', flags.runs, DEFAULT_RUNS, { min: 1, max: 1_000_000, integer: true }),
    seed: flags.seed === undefined ? undefined : numberFlag('--seed', flags.seed, 0, SEED_RANGE),
  };
}

export { UsageError };
