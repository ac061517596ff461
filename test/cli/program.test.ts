/** The conventions every command shares: help, one-line usage errors with suggestions, exit codes. */
import { describe, expect, it } from 'vitest';
import { createProgram, parseProgram, readCommandLine, UsageError } from '../../cli/program.js';
import { duration, numberIn } from '../../cli/values.js';

const demo = () =>
  createProgram('demo', 'A demo.')
    .option('--count <n>', 'how many', numberIn({ min: 1, max: 5, integer: true }), 1)
    .option('--verbose', 'say more');

const parse = (argv: readonly string[], write: (text: string) => void) => {
  const program = demo();
  if (parseProgram(program, argv, write) === 'help') return 'help';
  const { count } = program.opts<{ count: number }>();
  if (count === 4) throw new UsageError('--count: 4 is unlucky');
  return { count };
};

function read(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const result = readCommandLine('demo', 'npm run demo --', parse, argv, {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
  });
  return { result, out: out.join(''), err: err.join('') };
}

describe('readCommandLine', () => {
  it('returns the options', () => {
    expect(read(['--count', '3']).result).toEqual({ ok: true, options: { count: 3 } });
  });

  it('prints the help on stdout for --help and -h and exits 0', () => {
    for (const flag of ['--help', '-h']) {
      const { result, out, err } = read([flag]);
      expect(result).toEqual({ ok: false, exitCode: 0 });
      expect(out).toContain('Usage: demo [options]');
      expect(out).toContain('--count <n>');
      expect(err).toBe('');
    }
  });

  it.each([
    [
      ['--cuont', '2'],
      "demo: unknown option '--cuont' (did you mean --count?) (see 'npm run demo -- --help')",
    ],
    [
      ['--count', '9'],
      "demo: option '--count <n>' argument '9' is invalid. expected an integer from 1 to 5 (see 'npm run demo -- --help')",
    ],
    [['--count', '4'], "demo: --count: 4 is unlucky (see 'npm run demo -- --help')"],
    [['--count'], "demo: option '--count <n>' argument missing (see 'npm run demo -- --help')"],
  ])('refuses %j in one line on stderr, exit 2', (argv, line) => {
    const { result, out, err } = read(argv);
    expect(result).toEqual({ ok: false, exitCode: 2 });
    expect(err).toBe(`${line}\n`);
    expect(out).toBe('');
  });
});

describe('values', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['15', 900_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
  ])('reads the duration %s', (raw, ms) => {
    expect(duration(raw)).toBe(ms);
  });

  it.each(['', 'two hours', '0m', '-1h'])('refuses the duration %j', (raw) => {
    expect(() => duration(raw)).toThrow(/expected a duration/);
  });
});
