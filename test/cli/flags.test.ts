/** Reading a script's command line: options, or the usage and the exit code. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readCommandLine, UsageError } from '../../cli/flags.js';

const parse = (argv: readonly string[]): { n: number } | 'help' => {
  if (argv.includes('--help')) return 'help';
  if (argv.length > 0) throw new UsageError(`${argv[0]}: not a flag here`);
  return { n: 1 };
};

describe('readCommandLine', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('returns the options', () => {
    expect(readCommandLine('demo', 'usage: demo', parse, [])).toEqual({ ok: true, options: { n: 1 } });
  });

  it('prints the usage for --help and exits 0', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(readCommandLine('demo', 'usage: demo', parse, ['--help'])).toEqual({ ok: false, exitCode: 0 });
    expect(log).toHaveBeenCalledWith('usage: demo');
  });

  it('prints the bad flag with the usage and exits 2', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(readCommandLine('demo', 'usage: demo', parse, ['--bad'])).toEqual({ ok: false, exitCode: 2 });
    expect(error).toHaveBeenCalledWith('demo: --bad: not a flag here\n\nusage: demo');
  });

  it('lets any other error through', () => {
    expect(() =>
      readCommandLine('demo', 'usage', () => {
        throw new TypeError('bug');
      }),
    ).toThrow(TypeError);
  });
});
