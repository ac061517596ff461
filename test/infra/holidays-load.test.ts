/**
 * The holiday calendar (date-holidays, about half of each function's bundle) is loaded on the
 * first question about holidays, not when a function starts: through the Node loader (tsx, as the
 * commands run) and in a bundle built with serverless.yml's esbuild settings (as Lambda runs).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { FUNCTION_BUNDLE } from '../../sim/bench/handlers.js';

const ROOT = resolve(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'holidays-load-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): unknown {
  const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '');
}

describe('the holiday calendar loads on first use', () => {
  it('is not loaded by schedules without holidays, and is by the first that has them', () => {
    const script = `
      const { testConfig } = require('./fakes/config.ts');
      const { scheduleFloor } = require('./domain/schedule.ts');
      const loaded = () => Object.keys(require.cache).some((k) => k.includes('/node_modules/date-holidays/'));
      const christmas = Date.parse('2026-12-25T15:00:00Z');
      for (const role of Object.values(testConfig().roles)) scheduleFloor(role.schedule, christmas);
      const before = loaded();
      const windows = [{ days: ['fri'], start: '09:00', end: '17:00', servers: 2 }];
      const job = { schedule: { holidays: { country: 'CA', state: 'ON' }, windows } };
      const floor = scheduleFloor(testConfig({ roles: { job } }).roles.job.schedule, christmas);
      console.log(JSON.stringify({ before, after: loaded(), servers: floor.servers }));
    `;
    expect(run(['--require', 'tsx/cjs', '-e', script])).toEqual({ before: false, after: true, servers: 1 });
  });

  it('in a function bundle, initializes only when first asked', async () => {
    const outfile = join(dir, 'holidays.js');
    await build({
      ...FUNCTION_BUNDLE,
      entryPoints: [join(ROOT, 'domain/holidays.ts')],
      outfile,
      // Marks the moment the calendar's module body runs.
      plugins: [
        {
          name: 'mark-date-holidays',
          setup(on) {
            // Either build of the package: the CommonJS one a `require` picks, the ES module an import does.
            on.onLoad({ filter: /date-holidays[\\/](lib[\\/]index\.cjs|src[\\/]index\.js)$/ }, (args) => ({
              contents: `globalThis.holidaysLoaded = true;\n${readFileSync(args.path, 'utf8')}`,
              loader: 'js',
            }));
          },
        },
      ],
    });
    const script = `
      const holidays = require(${JSON.stringify(outfile)});
      const before = globalThis.holidaysLoaded === true;
      const ca = Object.hasOwn(holidays.knownCountries(), 'CA');
      console.log(JSON.stringify({ before, after: globalThis.holidaysLoaded === true, ca }));
    `;
    expect(run(['-e', script])).toEqual({ before: false, after: true, ca: true });
  });
});
