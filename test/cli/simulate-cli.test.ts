/** `npm run simulate` as a user runs it: exit codes and messages for bad input. */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const simulate = (args: string[]) =>
  run(join('node_modules', '.bin', 'tsx'), ['cli/simulate.ts', ...args]).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

describe('npm run simulate', () => {
  it('fails with 2 on a bad trace, naming the file and line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simulate-'));
    const trace = join(dir, 'bad.csv');
    await writeFile(trace, 'arrival_s,service_s\n0,abc\n');
    const { code, stderr } = await simulate(['--trace', trace, '--policy', 'default', '--out', dir]);
    expect(code).toBe(2);
    expect(stderr).toContain(`simulate: ${trace}:2: service_s "abc" is not a number`);
    expect(stderr).not.toContain('usage:');
  });

  it('fails with 2 on an unknown flag in one line naming it and pointing to --help', async () => {
    const { code, stderr } = await simulate(['--polcy', 'default']);
    expect(code).toBe(2);
    expect(stderr).toBe(
      "simulate: unknown option '--polcy' (did you mean --policy?) (see 'npm run simulate -- --help')\n",
    );
  });

  it('accepts --policy bound: the role at its maximum all day, so nothing launches or retires', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simulate-'));
    const trace = join(dir, 'short.csv');
    await writeFile(trace, 'arrival_s,service_s\n0,30\n600,45\n');
    const { code, stdout } = await simulate(['--trace', trace, '--policy', 'bound', '--out', dir]);
    expect(code).toBe(0);
    expect(stdout).toContain('with policy bound');
    expect(stdout).toMatch(/launches 0 .*retirements 0/);
    // Waits to the second, not in tenths of a minute.
    expect(stdout).toMatch(/wait p50 (\d+ min )?\d+ s, p95 (\d+ min )?\d+ s, max (\d+ min )?\d+ s/);
  });
});
