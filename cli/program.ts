/**
 * The command-line conventions every command shares, on commander: `--help` on every command and
 * subcommand, a usage error as one line naming the bad flag (with a suggestion for a typo) and
 * pointing to `--help`, exit code 2 for it, 0 after help. Value checks of one flag live in
 * cli/values.ts; checks across flags throw UsageError after parsing.
 */
import { Command, CommanderError } from 'commander';

/** A bad command line: the message names the flag or argument. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * A command with the shared conventions. It never exits the process itself: `parseProgram` turns
 * what commander would print and exit with into 'help' or a UsageError.
 */
export function createProgram(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .helpOption('-h, --help', 'show this help')
    .helpCommand(false)
    .showSuggestionAfterError(true)
    .allowExcessArguments(false)
    .configureHelp({
      sortSubcommands: false,
      showGlobalOptions: true,
      helpWidth: 80,
      // Names only in the list of subcommands, so descriptions keep room to wrap within 80 columns.
      subcommandTerm: (command) => command.name(),
    })
    .exitOverride()
    .configureOutput({ outputError: () => {} });
}

/** Commander's error text as one line: "unknown option '--x' (did you mean --y?)". */
export function oneLine(message: string): string {
  return message
    .replace(/^error: /, '')
    .replace(/\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

/**
 * Parses `argv` (the user's arguments, no node or script path) with `program` and its subcommands;
 * help text goes to `write`. Actions, if any, are not run here (see `runProgram`).
 * @returns 'help' when help was asked for (or shown for a missing subcommand: that throws), else 'parsed'.
 * @throws UsageError with commander's message as one line.
 */
export function parseProgram(
  program: Command,
  argv: readonly string[],
  write: (text: string) => void = () => {},
): 'help' | 'parsed' {
  configureTree(program, write);
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    return fromCommanderError(program, error);
  }
  return 'parsed';
}

/** As `parseProgram`, for a program whose subcommands have (async) actions, which it awaits. */
export async function runProgram(
  program: Command,
  argv: readonly string[],
  write: (text: string) => void,
): Promise<'help' | 'parsed'> {
  configureTree(program, write);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    return fromCommanderError(program, error);
  }
  return 'parsed';
}

function configureTree(command: Command, write: (text: string) => void): void {
  command.configureOutput({ writeOut: write, writeErr: () => {}, outputError: () => {} });
  for (const sub of command.commands) configureTree(sub, write);
}

function fromCommanderError(program: Command, error: unknown): 'help' {
  if (!(error instanceof CommanderError)) throw error;
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 'help';
  if (error.code === 'commander.help') {
    const names = program.commands.map((c) => c.name()).join(', ');
    throw new UsageError(`expected a command: ${names}`);
  }
  throw new UsageError(oneLine(error.message));
}

/** A flag the command cannot run without. @throws UsageError naming it when absent. */
export function required<T>(flag: string, value: T | undefined): T {
  if (value === undefined) throw new UsageError(`${flag} is required`);
  return value;
}

export interface CommandLineIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: CommandLineIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** The one line a usage error prints: `script: message; see 'invocation --help'`. */
export function usageLine(script: string, invocation: string, message: string): string {
  return `${script}: ${message} (see '${invocation} --help')`;
}

/**
 * A script's command line, read once: its options, or the exit code once help (0) or the one-line
 * usage error (2) is printed.
 */
export function readCommandLine<T>(
  script: string,
  invocation: string,
  parse: (argv: readonly string[], write: (text: string) => void) => T | 'help',
  argv: readonly string[] = process.argv.slice(2),
  io: CommandLineIo = processIo,
): { ok: true; options: T } | { ok: false; exitCode: 0 | 2 } {
  let options: T | 'help';
  try {
    options = parse(argv, io.out);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${usageLine(script, invocation, error.message)}\n`);
      return { ok: false, exitCode: 2 };
    }
    throw error;
  }
  if (options === 'help') return { ok: false, exitCode: 0 };
  return { ok: true, options };
}

/**
 * Runs a script's `main` and exits with the number it returns (0 otherwise). A UsageError is the
 * one usage line and exits 2; an error of one of `inputErrors` (a bad input file, say) is printed
 * as `script: message` and exits 2; anything else is printed whole and exits 1.
 */
export function runScript(
  script: string,
  invocation: string,
  main: () => Promise<unknown>,
  inputErrors: readonly (abstract new (...args: never[]) => Error)[] = [],
): void {
  main().then(
    (code) => process.exit(typeof code === 'number' ? code : 0),
    (error: unknown) => {
      if (error instanceof UsageError) {
        console.error(usageLine(script, invocation, error.message));
        process.exit(2);
      }
      if (inputErrors.some((type) => error instanceof type)) {
        console.error(`${script}: ${(error as Error).message}`);
        process.exit(2);
      }
      console.error(error);
      process.exit(1);
    },
  );
}
