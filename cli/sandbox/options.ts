/** The sandbox's command line: flags, defaults and the errors a bad flag gets. */

import { LEDGER_CHOICES, type LedgerChoice } from '../../sandbox/run-sandbox.js';
import { POLICY_NAMES, type PolicyName } from '../../sandbox/sandbox-config.js';
import { choiceFlag, numberFlag, parseFlags, UsageError } from '../flags.js';

export interface CliOptions {
  days: number;
  speed: number;
  out: string;
  policy: PolicyName;
  seed: number;
  ledger: LedgerChoice;
}

export const DEFAULT_OPTIONS: CliOptions = {
  days: 1,
  speed: 3600,
  out: 'out',
  policy: 'default',
  seed: 1,
  ledger: 'auto',
};

export const USAGE = `usage: npm start -- [--days N] [--speed X] [--out DIR] [--policy NAME] [--seed N] [--ledger KIND]

  --days N       simulated days to run, from Monday 00:00 America/Toronto (default ${DEFAULT_OPTIONS.days}; 0.25 = 6 hours)
  --speed X      simulated seconds per real second (default ${DEFAULT_OPTIONS.speed}: an hour a second, at most)
  --out DIR      where summary.json, report.md and timeline.svg go (default ${DEFAULT_OPTIONS.out}/)
  --policy NAME  ${POLICY_NAMES.join(' | ')} (default ${DEFAULT_OPTIONS.policy})
  --seed N       seed of the synthetic workload, a non-negative integer (default ${DEFAULT_OPTIONS.seed})
  --ledger KIND  ${LEDGER_CHOICES.join(' | ')} (default auto: DynamoDB Local when Java is available)`;

export { UsageError };

/**
 * Parses and validates the flags.
 * @returns the options, or `'help'` for `--help`.
 * @throws UsageError naming the flag and what was expected.
 */
export function parseCliOptions(argv: readonly string[]): CliOptions | 'help' {
  const flags = parseFlags(argv, ['days', 'speed', 'out', 'policy', 'seed', 'ledger']);
  if (flags === 'help') return 'help';
  return {
    days: numberFlag('--days', flags.days, DEFAULT_OPTIONS.days, { min: 1 / 24, max: 31 }),
    speed: numberFlag('--speed', flags.speed, DEFAULT_OPTIONS.speed, { min: 1, max: 100_000 }),
    out: outFlag(flags.out),
    policy: choiceFlag('--policy', flags.policy, POLICY_NAMES, DEFAULT_OPTIONS.policy),
    seed: numberFlag('--seed', flags.seed, DEFAULT_OPTIONS.seed, {
      min: 0,
      max: 2 ** 32 - 1,
      integer: true,
    }),
    ledger: choiceFlag('--ledger', flags.ledger, LEDGER_CHOICES, DEFAULT_OPTIONS.ledger),
  };
}

function outFlag(raw: string | undefined): string {
  if (raw === undefined) return DEFAULT_OPTIONS.out;
  if (raw.trim() === '') throw new UsageError('--out: expected a directory path, got an empty string');
  return raw;
}
