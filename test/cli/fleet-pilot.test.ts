/**
 * `fleet-pilot` as an operator runs it: the command (bin/fleet-pilot.cjs, as `npx fleet-pilot`
 * runs it) against the sandbox serving its control function on loopback (`npm start -- --serve`),
 * every subcommand and the refusals, with their exit codes.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxSummary } from '../../sandbox/report.js';
import { runSandbox } from '../../sandbox/run-sandbox.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;
let local: string[];
const stop = new AbortController();
let sandbox: Promise<SandboxSummary>;

/** Runs the built command with `args`; NO_COLOR unset, and no terminal: plain text. */
function fleetPilot(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/fleet-pilot.cjs', ...args],
      { env: { ...process.env, ...env, NO_COLOR: undefined }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs a following command until its output has matched `pattern` `times` times, then Ctrl-C. */
function untilSeen(args: string[], pattern: RegExp, times: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/fleet-pilot.cjs', ...args], {
      env: { ...process.env, NO_COLOR: undefined },
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const seen = stdout.match(new RegExp(pattern.source, 'gm'))?.length ?? 0;
      if (seen >= times && !sent) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-pilot-cli-'));
  local = ['--local', '--sandbox', join(dir, 'sandbox.json')];
  sandbox = runSandbox({
    days: 2,
    speed: 60,
    out: dir,
    policy: 'default',
    seed: 1,
    ledger: 'memory',
    log: () => {},
    signal: stop.signal,
    serve: { port: 0 },
    // The job role keeps one warm server, so the pool's commands and status line have a pool.
    warmPool: 1,
  });
  sandbox.catch(() => undefined);
  // Served once the endpoint file is written; then the first tick's servers are launched.
  for (let i = 0; i < 300; i += 1) {
    if (await stat(join(dir, 'sandbox.json')).catch(() => undefined)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 60_000);

afterAll(async () => {
  stop.abort();
  await sandbox.catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('fleet-pilot against the sandbox', () => {
  it('lists its subcommands on --help', async () => {
    const { code, stdout } = await fleetPilot(['--help']);
    expect(code).toBe(0);
    for (const sub of [
      'status',
      'launch',
      'retire',
      'pause',
      'resume',
      'drain-pool',
      'refill-pool',
      'override',
      'journal',
      'timeline',
    ]) {
      expect(stdout).toMatch(new RegExp(`^  ${sub} `, 'm'));
    }
    expect(Math.max(...stdout.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);
  });

  it("prints status as tables within 80 columns that match the sandbox's state, and as JSON", async () => {
    const [table, json] = await Promise.all([
      fleetPilot(['status', ...local]),
      fleetPilot(['status', '--output', 'json', ...local]),
    ]);
    expect(table.code).toBe(0);
    expect(json.code).toBe(0);
    const answer = JSON.parse(json.stdout) as {
      ok: boolean;
      roles: {
        role: string;
        desired: number;
        servers: { instanceId: string | null; address: string | null }[];
      }[];
    };
    expect(answer.ok).toBe(true);
    expect(answer.roles.map((r) => r.role)).toEqual(['app', 'job']);
    for (const role of answer.roles) {
      expect(table.stdout).toMatch(
        new RegExp(`^${role.role} +(running|PAUSED) +desired ${role.desired} `, 'm'),
      );
      for (const server of role.servers) {
        if (server.address !== null) expect(table.stdout).toContain(server.address);
        if (server.instanceId !== null) expect(table.stdout).toContain(server.instanceId.slice(-11));
      }
    }
    expect(table.stdout).toMatch(/^SERVER +STATE +AGE +ADDRESS +IN SERVICE +MARKET$/m);
    expect(Math.max(...table.stdout.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(table.stdout).not.toContain('\x1b[');
  });

  it('shows every column with -o wide: full instance and intent ids', async () => {
    const { code, stdout } = await fleetPilot(['status', 'app', '-o', 'wide', ...local]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/REGISTERED +INTENT +REASON/);
    expect(stdout).toMatch(/i-[0-9a-f]{17} /);
    expect(stdout).toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it('launches (a dry run first, changing nothing), then pauses, resumes, overrides and retires', async () => {
    const dry = await fleetPilot(['launch', 'app', '1', '--dry-run', ...local]);
    expect(dry).toMatchObject({ code: 0, stderr: '' });
    expect(dry.stdout).toMatch(/^dry run: nothing was changed\napp: launching 1 \(minimum \d+ held until/);
    const journalBefore = await fleetPilot(['journal', 'app', '--output', 'json', ...local]);
    expect(journalBefore.stdout).not.toContain('launching 1');

    const launch = await fleetPilot([
      'launch',
      'app',
      '1',
      '--hold',
      '30m',
      '--reason',
      'load test',
      ...local,
    ]);
    expect(launch.code).toBe(0);
    expect(launch.stdout).toMatch(/^app: launching 1 \(minimum \d+ held until/);
    expect(launch.stdout).toMatch(/then: launch 1/);

    const pause = await fleetPilot(['pause', 'job', '--reason', 'incident 4711', ...local]);
    expect(pause.stdout).toContain('job: paused: no launches or retirements until resumed');
    const paused = await fleetPilot(['status', 'job', ...local]);
    expect(paused.stdout).toMatch(/^job +PAUSED /m);
    expect(paused.stdout).toMatch(/pause: incident 4711/);
    const resume = await fleetPilot(['resume', 'job', ...local]);
    expect(resume.stdout).toContain('job: resumed');

    const override = await fleetPilot(['override', 'job', '--max', '1', '--for', '1h', ...local]);
    expect(override.code).toBe(0);
    expect(override.stdout).toMatch(/^job: max 1 until /);
    const cleared = await fleetPilot(['override', 'job', '--clear', ...local]);
    expect(cleared.stdout).toContain('job: override cleared');

    const retire = await fleetPilot(['retire', 'app', '--count', '1', '--dry-run', ...local]);
    expect(retire.code).toBe(0);
    // The launch's hold above is kept, lowered to the new maximum, until its own (earlier) end.
    // The line is wrapped at 80 columns.
    expect(retire.stdout).toMatch(
      /app: retiring 1 \(maximum (\d+) held until \S+,\s+minimum \1\s+kept\s+until\s/,
    );

    const journal = await fleetPilot(['journal', '--since', '1d', ...local]);
    expect(journal.code).toBe(0);
    expect(journal.stdout).toMatch(/^WHEN +ROLE +KIND +SUMMARY$/m);
    expect(journal.stdout).toMatch(/ago +app +control +app: launching 1/);
    expect(journal.stdout).toMatch(/ago +job +control +job: paused/);
    expect(Math.max(...journal.stdout.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);
  }, 120_000);

  it("drains and refills a role's warm pool (a dry run first), refuses a role without one, and shows the pool", async () => {
    const dry = await fleetPilot(['drain-pool', 'job', '--dry-run', ...local]);
    expect(dry).toMatchObject({ code: 0, stderr: '' });
    expect(dry.stdout).toMatch(/^dry run: nothing was changed\njob: would drain the warm pool/);
    const status = await fleetPilot(['status', 'job', ...local]);
    expect(status.stdout).toMatch(/warm pool: +\d of 1 ready/);
    expect(status.stdout).not.toContain('DRAINED');

    const drain = await fleetPilot(['drain-pool', 'job', '--reason', 'new image', ...local]);
    expect(drain.code).toBe(0);
    // The pool line may wrap: read it as one line.
    expect((await fleetPilot(['status', 'job', ...local])).stdout.replace(/\s+/g, ' ')).toContain(
      'DRAINED: new image',
    );
    const refill = await fleetPilot(['refill-pool', 'job', ...local]);
    expect(refill.code).toBe(0);
    expect((await fleetPilot(['status', 'job', ...local])).stdout).not.toContain('DRAINED');

    const none = await fleetPilot(['drain-pool', 'app', ...local]);
    expect(none).toMatchObject({ code: 1, stdout: '' });
    expect(none.stderr).toContain('app has no warm pool (set roles.app.warmPool to have one)');
  });

  it('refuses an unknown role, a count the role cannot take and a server it does not own: exit 1', async () => {
    const [role, count, server] = await Promise.all([
      fleetPilot(['launch', 'web', '1', ...local]),
      fleetPilot(['launch', 'app', '50', ...local]),
      fleetPilot(['retire', 'job', 'i-0123456789abcdef0', ...local]),
    ]);
    expect(role).toMatchObject({ code: 1, stdout: '' });
    expect(role.stderr).toBe(
      'fleet-pilot: refused: role: unknown role "web" (known: app, job); nothing changed\n',
    );
    expect(count.code).toBe(1);
    expect(count.stderr).toMatch(
      /^fleet-pilot: refused: count: 50 more than the \d+ counted would exceed the role's max 10; nothing changed\n$/,
    );
    expect(server.code).toBe(1);
    expect(server.stderr).toContain('i-0123456789abcdef0 is not a job server owned by this stack');
  });

  it('refuses a bad command line in one line naming the flag, exit 2, sending nothing', async () => {
    const runs = await Promise.all([
      fleetPilot(['lunch', 'app', '1', ...local]),
      fleetPilot(['launch', 'app', '1', '--hodl', '2h', ...local]),
      fleetPilot(['launch', 'app', '500', ...local]),
      fleetPilot(['launch', 'app', '1', '--hold', 'soon', ...local]),
      fleetPilot(['status', '--stage', 'prod', ...local]),
      fleetPilot(['override', 'job', ...local]),
      fleetPilot(['override', 'job', '--min', '2', ...local]),
      fleetPilot(['timeline', '--out', join(dir, 'none', 'x.svg'), ...local]),
    ]);
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2, 2, 2, 2, 2]);
    expect(runs.map((r) => r.stderr)).toEqual([
      "fleet-pilot: unknown command 'lunch' (did you mean launch?) (see 'fleet-pilot --help')\n",
      "fleet-pilot: unknown option '--hodl' (did you mean --hold?) (see 'fleet-pilot --help')\n",
      "fleet-pilot: command-argument value '500' is invalid for argument 'count'. expected an integer from 1 to 100 (see 'fleet-pilot --help')\n",
      "fleet-pilot: option '--hold <duration>' argument 'soon' is invalid. expected a duration such as 30m, 2h or 1d (see 'fleet-pilot --help')\n",
      "fleet-pilot: --local talks to the sandbox: it takes no --stage, --region or --profile (see 'fleet-pilot --help')\n",
      "fleet-pilot: override: give --min, --max or both (with --for), or --clear (see 'fleet-pilot --help')\n",
      "fleet-pilot: --for: how long --min/--max apply is required, e.g. --for 30m or --for 4h (see 'fleet-pilot --help')\n",
      `fleet-pilot: --out: cannot write ${join(dir, 'none', 'x.svg')}: no directory ${join(dir, 'none')} (see 'fleet-pilot --help')\n`,
    ]);
  });

  it('draws the timeline of servers, desired count and queue as an SVG', async () => {
    const out = join(dir, 'fleet.svg');
    const { code, stdout } = await fleetPilot(['timeline', '--hours', '2', '--out', out, ...local]);
    expect(code).toBe(0);
    expect(stdout).toContain(`wrote ${out}`);
    const svg = await readFile(out, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const text of ['Job queue', 'app servers', 'job servers', 'desired', 'in service', 'queue length']) {
      expect(svg).toContain(text);
    }
    // The servers the sandbox launched are drawn: a step above zero in a servers panel.
    expect(svg).toMatch(/<path d="M[\d.]+ [\d.]+(H[\d.]+V[\d.]+)+/);
  });

  it('redraws status with --watch and follows the journal with --follow until Ctrl-C, exit 0', async () => {
    const [watched, followed] = await Promise.all([
      untilSeen(['status', 'app', '--watch', '1', ...local], /^every 1 s, Ctrl-C to stop/, 2),
      untilSeen(
        ['journal', 'app', '--since', '1d', '--follow', '1', ...local],
        /^WHEN +ROLE +KIND +SUMMARY$/,
        1,
      ),
    ]);
    expect(watched.code).toBe(0);
    expect(watched.stdout.match(/^app +running +desired \d+/gm)?.length).toBeGreaterThanOrEqual(2);
    expect(followed.code).toBe(0);
    expect(followed.stdout).toMatch(/ago +app +plan +desired \d+/);
  }, 60_000);

  it('says where no sandbox is serving: exit 3', async () => {
    const { code, stderr } = await fleetPilot(['status', '--local', '--sandbox', join(dir, 'none.json')]);
    expect(code).toBe(3);
    expect(stderr).toContain('no sandbox is serving');
    await writeFile(join(dir, 'torn.json'), '{"controlUrl": "http://127.0.0.1');
    const torn = await fleetPilot(['status', '--local', '--sandbox', join(dir, 'torn.json')]);
    expect(torn.code).toBe(3);
    expect(torn.stderr).toMatch(/^fleet-pilot: --local: .*torn\.json is not the file a sandbox writes \(/);
  });

  it('calls a deployed stack through the AWS SDK: a control function out of reach is exit 3, named', async () => {
    // The SDK's endpoint on a loopback port nobody listens on: nothing leaves the machine.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const { code, stderr } = await fleetPilot(['status', '--stage', 'prod', '--region', 'ca-central-1'], {
      AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'not-a-secret',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_MAX_ATTEMPTS: '1',
    });
    expect(stderr).toContain('fleet-pilot: invoke fleet-pilot-prod-control: ECONNREFUSED');
    expect(code).toBe(3);
  });

  it('prints completion scripts for bash and zsh from the same definitions', async () => {
    const [bash, zsh, fish] = await Promise.all([
      fleetPilot(['completion', 'bash']),
      fleetPilot(['completion', 'zsh']),
      fleetPilot(['completion', 'fish']),
    ]);
    expect(bash.code).toBe(0);
    expect(bash.stdout).toContain('complete -F _fleet_pilot fleet-pilot');
    expect(bash.stdout).toContain(
      'status launch retire pause resume drain-pool refill-pool override journal timeline completion',
    );
    expect(bash.stdout).toMatch(/launch\) flags="--hold --reason --request-id --dry-run/);
    // The bash script is what shellcheck accepts, and completes a subcommand and a flag's choices.
    const script = join(dir, 'fleet-pilot.bash');
    await writeFile(script, bash.stdout);
    const check = await new Promise<Run>((resolve) => {
      execFile('shellcheck', ['-s', 'bash', script], (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
      );
    });
    expect(check).toMatchObject({ code: 0, stdout: '' });
    const complete = (words: string) =>
      new Promise<string>((resolve) => {
        execFile(
          'bash',
          [
            '-c',
            `source ${script}; COMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _fleet_pilot; echo "\${COMPREPLY[*]}"`,
          ],
          (_error, stdout) => resolve(stdout.trim()),
        );
      });
    expect(await complete('fleet-pilot la')).toBe('launch');
    expect(await complete('fleet-pilot status -o w')).toBe('wide');
    expect(await complete('fleet-pilot launch app 1 --dr')).toBe('--dry-run');
    expect(zsh.stdout).toMatch(/^#compdef fleet-pilot/);
    expect(zsh.stdout).toContain("'--output[");
    expect(fish.code).toBe(2);
  });
});
