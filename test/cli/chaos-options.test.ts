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
    [['--runs', 'many'], '--runs: expected an integer, got "many"'],
    [['--runs', '0'], '--runs: expected an integer from 1 to 1000000, got 0'],
    [['--seed', '1.5'], '--seed: expected an integer, got "1.5"'],
    [['--replay', ''], '--replay: expected an integer, got ""'],
    [['--replay', '3', '--runs', '2'], '--replay: replays one run; it takes no --runs or --seed'],
  ])('refuses %j naming the flag', (argv, message) => {
    expect(() => parseChaosOptions(argv)).toThrow(new UsageError(message));
  });

  it('refuses an unknown flag or a stray argument, naming it', () => {
    expect(() => parseChaosOptions(['--rnus', '5'])).toThrow(/Unknown option '--rnus'/);
    expect(() => parseChaosOptions(['2000'])).toThrow(/Unexpected argument '2000'/);
  });
});
