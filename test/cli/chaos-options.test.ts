/** The chaos run's flags: defaults, --help, and a bad flag refused by name. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RUNS, parseChaosOptions, UsageError } from '../../cli/chaos/options.js';

describe('chaos flags', () => {
  it('defaults to the default number of runs from a seed chosen at run time', () => {
    expect(parseChaosOptions([])).toEqual({ mode: 'run', runs: DEFAULT_RUNS, seed: undefined });
  });

  it('takes runs and a seed, or one run to replay', () => {
    expect(parseChaosOptions(['--runs', '2000', '--seed', '7'])).toEqual({
      mode: 'run',
      runs: 2000,
      seed: 7,
    });
    expect(parseChaosOptions(['--replay', '1772821337'])).toEqual({ mode: 'replay', seed: 1772821337 });
  });

  it.each([[['--help']], [['-h']], [['--runs', '5', '--help']]])('answers %j with its usage', (argv) => {
    expect(parseChaosOptions(argv)).toBe('help');
  });

  it.each([
    [['--runs', 'many'], "option '--runs <n>' argument 'many' is invalid. expected an integer"],
    [['--runs', '0'], "option '--runs <n>' argument '0' is invalid. expected an integer from 1 to 1000000"],
    [['--seed', '1.5'], "option '--seed <s>' argument '1.5' is invalid. expected an integer"],
    [['--replay', ''], "option '--replay <seed>' argument '' is invalid. expected an integer"],
    [['--replay', '3', '--runs', '2'], '--replay: replays one run; it takes no --runs or --seed'],
  ])('refuses %j naming the flag', (argv, message) => {
    expect(() => parseChaosOptions(argv)).toThrow(new UsageError(message));
  });

  it('refuses an unknown flag, suggesting the one meant, or a stray argument', () => {
    expect(() => parseChaosOptions(['--rnus', '5'])).toThrow(
      new UsageError("unknown option '--rnus' (did you mean --runs?)"),
    );
    expect(() => parseChaosOptions(['2000'])).toThrow(/too many arguments/);
  });
});
