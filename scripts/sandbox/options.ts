/** The sandbox's command line: flags, defaults and the errors a bad flag gets. */
import { parseArgs } from 'node:util';
import { POLICY_NAMES, type PolicyName } from './sandbox-config.js';

export type LedgerChoice = 'auto' | 'memory' | 'dynamodb';
const LEDGER_CHOICES: readonly LedgerChoice[] = ['auto', 'memory', 'dynamodb'];

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

/** A bad flag: the message names it; the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Parses and validates the flags.
 * @returns the options, or `'help'` for `--help`.
 * @throws UsageError naming the flag and what was expected.
 */
export function parseCliOptions(argv: readonly string[]): CliOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        days: { type: 'string' },
        speed: { type: 'string' },
        out: { type: 'string' },
        policy: { type: 'string' },
        seed: { type: 'string' },
        ledger: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) return 'help';
  const text = (name: string): string | undefined => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  return {
    days: numberFlag('--days', text('days'), DEFAULT_OPTIONS.days, { min: 1 / 24, max: 31 }),
    speed: numberFlag('--speed', text('speed'), DEFAULT_OPTIONS.speed, { min: 1, max: 100_000 }),
    out: outFlag(text('out')),
    policy: choiceFlag('--policy', text('policy'), POLICY_NAMES, DEFAULT_OPTIONS.policy),
    seed: numberFlag('--seed', text('seed'), DEFAULT_OPTIONS.seed, {
      min: 0,
      max: 2 ** 32 - 1,
      integer: true,
    }),
    ledger: choiceFlag('--ledger', text('ledger'), LEDGER_CHOICES, DEFAULT_OPTIONS.ledger),
  };
}

function numberFlag(
  flag: string,
  raw: string | undefined,
  fallback: number,
  range: { min: number; max: number; integer?: boolean },
): number {
  if (raw === undefined) return fallback;
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  const kind = range.integer ? 'an integer' : 'a number';
  if (!Number.isFinite(value) || (range.integer && !Number.isInteger(value))) {
    throw new UsageError(`${flag}: expected ${kind}, got ${JSON.stringify(raw)}`);
  }
  if (value < range.min || value > range.max) {
    throw new UsageError(`${flag}: expected ${kind} from ${round(range.min)} to ${range.max}, got ${raw}`);
  }
  return value;
}

function choiceFlag<T extends string>(
  flag: string,
  raw: string | undefined,
  known: readonly T[],
  fallback: T,
): T {
  if (raw === undefined) return fallback;
  if ((known as readonly string[]).includes(raw)) return raw as T;
  throw new UsageError(`${flag}: unknown ${JSON.stringify(raw)}; expected one of ${known.join(', ')}`);
}

function outFlag(raw: string | undefined): string {
  if (raw === undefined) return DEFAULT_OPTIONS.out;
  if (raw.trim() === '') throw new UsageError('--out: expected a directory path, got an empty string');
  return raw;
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}
