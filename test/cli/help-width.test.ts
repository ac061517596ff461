/** Every `npm run` command's --help as a user sees it: exit 0, within 80 columns. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const help = (script: string, args: string[]) =>
  run(join('node_modules', '.bin', 'tsx'), [script, ...args, '--help']).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

describe('--help', () => {
  it.concurrent.each([
    ['cli/sandbox.ts', []],
    ['cli/simulate.ts', []],
    ['cli/tune.ts', []],
    ['cli/calendar.ts', []],
    ['cli/bench.ts', []],
    ['cli/traces.ts', []],
    ['cli/chaos.ts', []],
    ['cli/assets.ts', []],
    ['cli/assets.ts', ['sync']],
  ])('%s %j fits 80 columns', async (script, args) => {
    const { code, stdout } = await help(script, args);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: ');
    const wide = stdout.split('\n').filter((line) => line.length > 80);
    expect(wide).toEqual([]);
  });
});
