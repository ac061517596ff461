/** `npm run calendar` as a user runs it: the December 2026 month-end in Ontario, JSON, bad input. */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TimelineStep } from '../../domain/schedule-timeline.js';

const run = promisify(execFile);
const calendar = (args: string[]) =>
  run(join('node_modules', '.bin', 'tsx'), ['cli/calendar.ts', ...args]).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

const SCHEDULE = {
  holidays: { country: 'CA', state: 'ON' },
  extraHolidays: ['2026-12-28'],
  windows: [
    { name: 'month-end', businessDaysOfMonth: [-2, -1], start: '06:00', end: '22:00', servers: 3 },
    { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00', servers: 2 },
  ],
};
let dir: string;
let config: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'calendar-'));
  config = join(dir, 'prod.json');
  await writeFile(config, JSON.stringify({ roles: { job: { schedule: SCHEDULE } } }));
});

describe('npm run calendar', () => {
  it('shows December 2026: month-end on the 30th and 31st, no weekday window on the 25th or the 28th', async () => {
    const { code, stdout } = await calendar([
      '--config',
      config,
      '--role',
      'job',
      '--from',
      '2026-12-01',
      '--days',
      '31',
      '--json',
    ]);
    expect(code).toBe(0);
    const steps = JSON.parse(stdout) as TimelineStep[];
    const monthEnd = steps.filter((s) => s.window?.startsWith('month-end'));
    expect(monthEnd.map((s) => [s.date, s.start, s.end, s.servers, s.why])).toEqual([
      ['2026-12-30', '06:00', '22:00', 3, 'on business day -2 of the month'],
      ['2026-12-31', '06:00', '22:00', 3, 'on business day -1 of the month'],
    ]);
    const on = (date: string) => steps.filter((s) => s.date === date);
    expect(on('2026-12-25')).toEqual([
      {
        date: '2026-12-25',
        start: '00:00',
        end: '24:00',
        servers: 1,
        window: null,
        holiday: 'Christmas Day',
        why: 'outside every window; Christmas Day skipped mon-fri 08:00-18:00',
      },
    ]);
    expect(on('2026-12-28').map((s) => [s.servers, s.window, s.holiday])).toEqual([
      [1, null, 'extra holiday (extraHolidays)'],
    ]);
    expect(on('2026-12-29').map((s) => [s.start, s.end, s.servers])).toEqual([
      ['00:00', '08:00', 1],
      ['08:00', '18:00', 2],
      ['18:00', '24:00', 1],
    ]);
    expect(new Set(steps.map((s) => s.date)).size).toBe(31);
  });

  it('prints each date with its holiday and the window that set each step, within 80 columns', async () => {
    const { code, stdout } = await calendar(['--config', config, '--from', '2026-12-25', '--days', '6']);
    expect(code).toBe(0);
    expect(stdout).toContain(
      [
        'Fri 2026-12-25  00:00-24:00 1  baseline  holiday: Christmas Day',
        '                (skips mon-fri 08:00-18:00)',
        'Sat 2026-12-26  00:00-24:00 1  baseline  holiday: Boxing Day',
      ].join('\n'),
    );
    expect(stdout).toContain('  08:00-18:00  2  mon-fri 08:00-18:00: on tue\n');
    expect(stdout).toContain(
      [
        '  06:00-22:00  3  month-end (business days -2,-1) 06:00-22:00:',
        '                  on business day -2 of the month',
      ].join('\n'),
    );
    expect(stdout.split('\n').filter((line) => line.length > 80)).toEqual([]);
  });

  it('refuses a bad selector naming its key, with exit 2', async () => {
    const bad = join(dir, 'bad.json');
    const windows = [{ daysOfMonth: [32], start: '06:00', end: '22:00', servers: 3 }];
    await writeFile(bad, JSON.stringify({ roles: { job: { schedule: { windows } } } }));
    const { code, stderr } = await calendar(['--config', bad]);
    expect(code).toBe(2);
    expect(stderr).toContain(
      'roles.job.schedule.windows[0].daysOfMonth[0]: expected a day of the month 1..31',
    );
  });

  it.each([
    [
      'a bad value',
      { roles: { job: { min: 'two', schedule: SCHEDULE } } },
      'roles.job.min: Invalid input: expected number',
    ],
    [
      'an unknown key',
      { rolez: {}, roles: { job: { schedule: SCHEDULE } } },
      '(root): Unrecognized key: "rolez"',
    ],
  ])(
    'refuses %s anywhere in the config as npm run simulate does, naming it, with exit 2',
    async (_what, document, issue) => {
      const bad = join(dir, 'malformed.json');
      await writeFile(bad, JSON.stringify(document));
      const { code, stdout, stderr } = await calendar(['--config', bad, '--days', '1']);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toContain(`calendar: --config ${bad}: invalid config:`);
      expect(stderr).toContain(issue);
      expect(stderr).toContain("(see 'npm run calendar -- --help')");
    },
  );

  it('reads the shipped example config, and needs no launch settings in one of its own', async () => {
    const dev = await calendar(['--config', 'config/dev.json', '--from', '2026-12-30', '--days', '1']);
    expect(dev.code).toBe(0);
    expect(dev.stdout).toContain('Wed 2026-12-30');
    // The config written in beforeAll holds the job role's schedule and nothing else.
    const own = await calendar(['--config', config, '--from', '2026-12-30', '--days', '1']);
    expect(own.code).toBe(0);
  });

  it('answers --help with the usage, and fails with 2 naming a bad flag', async () => {
    const help = await calendar(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: npm run calendar --');
    const bad = await calendar(['--from', '2026-12-32']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      "calendar: option '--from <date>' argument '2026-12-32' is invalid. expected a date YYYY-MM-DD (see 'npm run calendar -- --help')\n",
    );
    const role = await calendar(['--role', 'web']);
    expect(role.code).toBe(2);
    expect(role.stderr).toContain('--role: unknown role "web" (known: app, job)');
  });
});
