import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCliOptions, UsageError } from '../../cli/sandbox/options.js';
import type { SandboxSummary } from '../../sandbox/report.js';
import { runSandbox } from '../../sandbox/run-sandbox.js';
import { sandboxConfig } from '../../sandbox/sandbox-config.js';

/** Monday 2026-03-02 07:30 in Toronto: the app floor rises to 3 at 08:00, a report burst at 09:00. */
const MONDAY_0730 = Date.parse('2026-03-02T12:30:00Z');

/** Resolves with the connection error code, or 'connected' if something still listens there. */
function connectOutcome(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('npm start (the local sandbox)', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('runs the real services over loopback HTTP through a business morning and leaves nothing listening', async () => {
    const out = await mkdtemp(join(tmpdir(), 'fleet-sandbox-'));
    dirs.push(out);
    const lines: string[] = [];
    const summary = await runSandbox({
      days: 2.5 / 24,
      speed: 6000,
      out,
      policy: 'default',
      seed: 1,
      ledger: 'memory',
      start: MONDAY_0730,
      log: (line) => lines.push(line),
    });

    expect(summary.interrupted).toBe(false);
    expect(summary.error).toBeUndefined();
    // 2.5 hours of a tick every 15 s (the job role's sub-minute probes).
    expect(summary.controlPlane.ticks).toBe(600);
    // The shipped job role's warm pool: 2 warm servers for the weekday from 08:00 (and its lead).
    expect(lines.some((l) => /job +warm 2: warm pool: 0 fresh of 2/.test(l))).toBe(true);

    // The business-hours floor of 3, each server registered after a real "Welcome" page.
    expect(summary.finalServers.app?.inService).toBe(3);
    const registered = lines.filter((l) =>
      /app +i-\S+ at 127\.0\.0\.\d+ in service: .*smallpayroll-http/.test(l),
    );
    expect(registered).toHaveLength(3);
    expect(summary.controlPlane.healthChecksWelcome).toBeGreaterThanOrEqual(summary.launches.app ?? 0);
    // One real queue probe per tick (a rare timeout on a loaded machine is a held sample, not a failure here).
    expect(summary.controlPlane.queueProbeRequests).toBeGreaterThan(560);

    // The 09:00 burst: job servers launched for a backlog that would not drain in time, and the jobs got done.
    expect(
      lines.some((l) =>
        /job +desired [23] \(queue \d+, draining .* jobs left when a new server could serve/.test(l),
      ),
    ).toBe(true);
    expect(summary.jobsDone).toBeGreaterThan(40);
    // Job servers pass the job role's default check (the server kit's health endpoint): none is
    // replaced for it, the permanent one included.
    expect(lines.filter((l) => /job +replace .*not healthy/.test(l))).toEqual([]);
    expect(summary.finalServers.job?.inService).toBeGreaterThanOrEqual(1);
    // Each job server that went into service got there on the kit's "ok" (one launched and then
    // retired while still booting, as newest-first may do when the queue empties, never needed it).
    const jobInService = lines.filter((l) =>
      /job +i-\S+ at 127\.0\.0\.\d+ in service: content health check passed/.test(l),
    );
    expect(jobInService.length).toBeGreaterThanOrEqual(1);
    expect(summary.controlPlane.healthChecksKitOk).toBeGreaterThanOrEqual(jobInService.length);
    expect(summary.jobsDone + summary.jobsRunningAtEnd + summary.jobsWaitingAtEnd).toBe(summary.jobsArrived);

    // The three files, the summary as returned.
    const written = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as SandboxSummary;
    expect(written).toEqual(summary);
    const report = await readFile(join(out, 'report.md'), 'utf8');
    expect(report).toContain('| app | 3 |');
    // The cost line in dollars: three app servers for a few hours at c5.large's $0.085 an hour and more.
    expect(summary.cost.app).toBeGreaterThan((summary.instanceHours.app ?? 0) * 0.085);
    expect(report).toMatch(/^Cost \$\d+\.\d+ in all/m);
    const svg = await readFile(join(out, 'timeline.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('app servers');

    // Every instance's server and the queue endpoint are closed.
    const addresses = Object.values(summary.finalServers).flatMap((role) =>
      role.instances.map((i) => i.address ?? ''),
    );
    expect(addresses.length).toBeGreaterThanOrEqual(4);
    for (const address of addresses) {
      expect(await connectOutcome(address, summary.endpoints.appPort)).toBe('ECONNREFUSED');
    }
    const queue = new URL(summary.endpoints.queueUrl);
    expect(await connectOutcome(queue.hostname, Number(queue.port))).toBe('ECONNREFUSED');
  });

  it('--warm-pool: the morning burst starts warm job servers, and the pool is its own band', async () => {
    const out = await mkdtemp(join(tmpdir(), 'fleet-sandbox-'));
    dirs.push(out);
    const lines: string[] = [];
    const summary = await runSandbox({
      days: 2.5 / 24,
      // 15 minutes of boot deadline are 0.45 s of wall time here (0.15 s at 6000x, which a machine
      // busy with other tests can pass while a started server answers its check).
      speed: 2000,
      out,
      policy: 'default',
      seed: 1,
      ledger: 'memory',
      start: MONDAY_0730,
      warmPool: 2,
      log: (line) => lines.push(line),
    });
    expect(summary.error).toBeUndefined();
    // Filled: two warming launches, each stopped once ready.
    expect(lines.some((l) => /job +warm 2: warm pool: 0 fresh of 2/.test(l))).toBe(true);
    expect(lines.filter((l) => /job +stop i-\S+ into the warm pool: ready/.test(l))).toHaveLength(2);
    // The 09:00 burst starts them before any cold launch, and they serve through the same check.
    const started = lines.find((l) => /job +warm start \d: i-/.test(l));
    expect(started).toBeDefined();
    // The summary counts the starts apart from the cold launches.
    expect(summary.warmStarts.job).toBeGreaterThanOrEqual(1);
    expect(summary.warmStarts.job).toBe(lines.filter((l) => /job +warm start \d: i-/.test(l)).length);
    expect(
      lines.some((l) =>
        /job +i-\S+ at 127\.\S+ in service: .*warm start: in service \d+ s after StartInstances/.test(l),
      ),
    ).toBe(true);
    // Every check a server answered counts, those before its stop into the pool too: each warmed
    // server passed the kit's check before the stop, and again after its start.
    const inService = lines.filter((l) =>
      /job +i-\S+ at 127\.\S+ in service: content health check passed/.test(l),
    );
    const warmed = lines.filter((l) => /job +stop i-\S+ into the warm pool: ready/.test(l));
    expect(summary.controlPlane.healthChecksKitOk).toBeGreaterThanOrEqual(inService.length + warmed.length);
    // Warming servers take no job: every job was done by servers in service.
    expect(summary.jobsDone + summary.jobsRunningAtEnd + summary.jobsWaitingAtEnd).toBe(summary.jobsArrived);
    const svg = await readFile(join(out, 'timeline.svg'), 'utf8');
    expect(svg).toContain('job warm pool');
    expect(svg).toContain('warm (stopped, ready)');
    // A stopped server costs its volume only: fewer instance-hours than the instances' lifetimes.
    const report = await readFile(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/warm start/);
  });

  it('stops at once when aborted and still writes what ran', async () => {
    const out = await mkdtemp(join(tmpdir(), 'fleet-sandbox-'));
    dirs.push(out);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const began = performance.now();
    const summary = await runSandbox({
      days: 1,
      speed: 3600,
      out,
      policy: 'backlog-per-server',
      seed: 2,
      ledger: 'memory',
      log: () => undefined,
      signal: controller.signal,
    });
    expect(performance.now() - began).toBeLessThan(5_000);
    expect(summary.interrupted).toBe(true);
    expect(Date.parse(summary.endedAt)).toBeLessThan(Date.parse(summary.startedAt) + 86_400_000);
    expect(JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'))).toMatchObject({
      interrupted: true,
    });
    for (const role of Object.values(summary.finalServers)) {
      for (const instance of role.instances) {
        expect(await connectOutcome(instance.address ?? '', summary.endpoints.appPort)).toBe('ECONNREFUSED');
      }
    }
  });
});

describe('sandbox flags', () => {
  it('defaults to one weekday of the default policy into out/', () => {
    expect(parseCliOptions([])).toMatchObject({ days: 1, out: 'out', policy: 'default', seed: 1 });
  });

  it("--warm-pool: the policy's own pool unless given, none at 0, else that many all day", () => {
    const endpoints = { appPort: 8080, queueUrl: 'http://127.0.0.1:9/queue/length' };
    const job = (policy: 'default' | 'seed-2010', warmPool?: number) => {
      const role = sandboxConfig(policy, endpoints, warmPool).roles.job;
      return { pool: role?.warmPool?.size, windows: role?.schedule.windows.map((w) => w.warmPool) };
    };
    expect(parseCliOptions([]).valueOf()).not.toHaveProperty('warmPool');
    expect(parseCliOptions(['--warm-pool', '0'])).toMatchObject({ warmPool: 0 });
    expect(job('default')).toEqual({ pool: 0, windows: [2] });
    expect(job('default', 0)).toEqual({ pool: undefined, windows: [] });
    expect(job('default', 3)).toEqual({ pool: 3, windows: [] });
    expect(job('seed-2010')).toEqual({ pool: undefined, windows: [] });
    expect(job('seed-2010', 1)).toEqual({ pool: 1, windows: [] });
  });

  it.each([
    [
      ['--policy', 'fastest'],
      "option '--policy <name>' argument 'fastest' is invalid. Allowed choices are default, backlog-per-server, seed-2010.",
    ],
    [['--days', 'two'], "option '--days <n>' argument 'two' is invalid. expected a number"],
    [['--days', '0'], "option '--days <n>' argument '0' is invalid. expected a number from 0.042 to 31"],
    [
      ['--speed', '0.5'],
      "option '--speed <x>' argument '0.5' is invalid. expected a number from 1 to 100000",
    ],
    [['--seed', '1.5'], "option '--seed <n>' argument '1.5' is invalid. expected an integer"],
    [
      ['--out', ''],
      "option '--out <dir>' argument '' is invalid. expected a directory path, got an empty string",
    ],
    [
      ['--ledger', 'sqlite'],
      "option '--ledger <kind>' argument 'sqlite' is invalid. Allowed choices are auto, memory, dynamodb.",
    ],
    [
      ['--warm-pool', '11'],
      "option '--warm-pool <n>' argument '11' is invalid. expected an integer from 0 to 10",
    ],
  ])('refuses %j naming the flag', (argv, message) => {
    expect(() => parseCliOptions(argv)).toThrow(new UsageError(message));
  });

  it('refuses an unknown flag', () => {
    expect(() => parseCliOptions(['--dyas', '2'])).toThrow(
      new UsageError("unknown option '--dyas' (did you mean --days?)"),
    );
  });

  it.each([[['--help']], [['-h']], [['--days', '2', '--help']]])('answers %j with its usage', (argv) => {
    expect(parseCliOptions(argv)).toBe('help');
  });

  it('shows each default once, --speed with what it means and --serve with its own', () => {
    let help = '';
    parseCliOptions(['--help'], (text) => {
      help += text;
    });
    const speed = help.slice(help.indexOf('--speed <x>'), help.indexOf('--out <dir>')).replace(/\s+/g, ' ');
    expect(speed).toContain('(default: 3600: an hour a second, at most)');
    expect(speed.match(/default/g)).toHaveLength(1);
    expect(parseCliOptions([])).toMatchObject({ speed: 3600 });
    expect(parseCliOptions(['--serve'])).toMatchObject({ speed: 60, days: 7 });
    expect(parseCliOptions(['--serve', '--speed', '3600'])).toMatchObject({ speed: 3600 });
  });

  it('refuses a stray argument', () => {
    expect(() => parseCliOptions(['2'])).toThrow(/too many arguments/);
  });
});
