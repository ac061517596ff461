/** `npm run simulate` as a user runs it: exit codes and messages for bad input. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
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

  it('prints both runs and the comparison within 80 columns, every figure kept', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simulate-'));
    const trace = join(dir, 'burst.csv');
    const burst = Array.from({ length: 80 }, (_, i) => `${36_000 + i},120`);
    await writeFile(trace, ['arrival_s,service_s', '0,30', ...burst].join('\n'));
    const { code, stdout } = await simulate([
      '--trace',
      trace,
      '--policy',
      'default',
      '--spot-discount',
      '0.65',
      '--interruptions-per-day',
      '4',
      '--out',
      dir,
    ]);
    expect(code).toBe(0);
    expect(stdout.split('\n').filter((line) => line.length > 80)).toEqual([]);
    const text = stdout.replace(/\s+/g, ' ');
    expect(text).toMatch(/1 permanent server\(s\), at most 3, 4 workers each/);
    expect(text).toMatch(/all On-Demand; \d+ interruption\(s\)\) \(\$[\d.]+ of it booting\), volumes \$/);
    expect(text).toMatch(/of it while stopped/);
    expect(text).toMatch(/of them Spot, at \$0\.085\/h On-Demand/);
    expect(stdout).toMatch(/^ {13}cost {5}wait p95 {8}wait max {8}interruptions {2}jobs re-run$/m);
  });

  it('fails with 2 on a --start that is not a date, naming the flag', async () => {
    const { code, stderr } = await simulate(['--start', '2026-02-30']);
    expect(code).toBe(2);
    expect(stderr).toContain('--start');
    expect(stderr).toContain('expected a date YYYY-MM-DD');
  });

  it('--start sets the day the schedule reads: the weekday warm pool serves a Monday, not a Saturday', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'simulate-'));
    const trace = join(dir, 'burst.csv');
    // Ten quiet hours, then 80 two-minute jobs at 10:00: more than the permanent server clears.
    const burst = Array.from({ length: 80 }, (_, i) => `${36_000 + i},120`);
    await writeFile(trace, ['arrival_s,service_s', '0,30', ...burst].join('\n'));
    const day = async (date: string) => {
      const out = join(dir, date);
      const { code, stdout } = await simulate([
        '--trace',
        trace,
        '--policy',
        'default',
        '--start',
        date,
        '--out',
        out,
      ]);
      expect(code).toBe(0);
      return { stdout, summary: JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) };
    };
    const saturday = await day('2026-03-07');
    expect(saturday.stdout).toContain('replayed from Sat 2026-03-07 00:00 America/Toronto');
    expect(saturday.summary).toMatchObject({ start: 'Sat 2026-03-07 00:00 America/Toronto', warmStarts: 0 });
    const monday = await day('2026-03-09');
    expect(monday.summary.start).toBe('Mon 2026-03-09 00:00 America/Toronto');
    expect(monday.summary.warmStarts).toBeGreaterThan(0);
  });
});
