/**
 * Command-line flags shared by the scripts: parsing with node:util, and checks of one flag's value
 * that fail with a UsageError naming the flag and what was expected. Each script prints the error
 * with its usage and exits 2; `--help` prints the usage and exits 0.
 */
import { parseArgs } from 'node:util';

/** A bad flag: the message names it. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * The flags' raw values, every flag taking a string, plus `--help`/`-h`.
 * @returns the values, or `'help'` when `--help` was given.
 * @throws UsageError on an unknown flag, a missing value or a stray argument, naming it.
 */
export function parseFlags<const Name extends string>(
  argv: readonly string[],
  names: readonly Name[],
): Partial<Record<Name, string>> | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])),
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) return 'help';
  const flags: Partial<Record<Name, string>> = {};
  for (const name of names) {
    const value = values[name];
    if (typeof value === 'string') flags[name] = value;
  }
  return flags;
}

/** A number flag within a range; `fallback` when it is not given. */
export function numberFlag(
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

/** One of the known values; `fallback` when the flag is not given. */
export function choiceFlag<T extends string>(
  flag: string,
  raw: string | undefined,
  known: readonly T[],
  fallback: T,
): T {
  if (raw === undefined) return fallback;
  if ((known as readonly string[]).includes(raw)) return raw as T;
  throw new UsageError(`${flag}: unknown ${JSON.stringify(raw)}; expected one of ${known.join(', ')}`);
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}

/**
 * A script's command line, read once: its options, or the exit code once the usage (for `--help`,
 * 0) or the bad flag with the usage (2) is printed.
 */
export function readCommandLine<T>(
  script: string,
  usage: string,
  parse: (argv: readonly string[]) => T | 'help',
  argv: readonly string[] = process.argv.slice(2),
): { ok: true; options: T } | { ok: false; exitCode: 0 | 2 } {
  let options: T | 'help';
  try {
    options = parse(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${script}: ${error.message}\n\n${usage}`);
      return { ok: false, exitCode: 2 };
    }
    throw error;
  }
  if (options === 'help') {
    console.log(usage);
    return { ok: false, exitCode: 0 };
  }
  return { ok: true, options };
}

/**
 * Runs a script's `main` and exits with the number it returns (0 otherwise). A UsageError, or an
 * error of one of `inputErrors` (a bad input file, say), is printed as `script: message` and exits 2,
 * the usage added for a UsageError; anything else is printed whole and exits 1.
 */
export function runScript(
  script: string,
  usage: string,
  main: () => Promise<unknown>,
  inputErrors: readonly (abstract new (...args: never[]) => Error)[] = [],
): void {
  main().then(
    (code) => process.exit(typeof code === 'number' ? code : 0),
    (error: unknown) => {
      if (error instanceof UsageError || inputErrors.some((type) => error instanceof type)) {
        console.error(`${script}: ${(error as Error).message}`);
        if (error instanceof UsageError) console.error(`\n${usage}`);
        process.exit(2);
      }
      console.error(error);
      process.exit(1);
    },
  );
}
