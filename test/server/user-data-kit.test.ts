/**
 * Both halves of the server contract together: the user data domain/user-data.ts renders, run in a
 * temporary root (its paths moved into the root, systemctl a stand-in), against the installed kit.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { ROLE_NAME } from '../../domain/roles.js';
import { renderUserData, type UserDataInput } from '../../domain/user-data.js';
import { requireTool } from '../support/system-tools.js';
import { ROLE_ENV, STATUS, UNITS, useInstalledKit, verifyUnits } from './kit-root.js';

const kit = useInstalledKit();
beforeEach(() => {
  mkdirSync(join(kit.root, 'etc/tmpfiles.d'), { recursive: true });
});

const JOB: UserDataInput = {
  role: 'job',
  dbHost: '127.0.0.5',
  vcpus: 2,
  workersPerVcpu: 2,
  stack: 'fleet-pilot-prod',
  intentId: '01JAB2CD3EF4GH5JK6MN7PQ8RS',
  drainSeconds: 0,
};

/**
 * Moves the script's own file operations into the root. Paths inside the units it writes
 * (`ExecStop=/usr/local/…`, `ConditionPathExists=!/etc/…`) stay as on the server, where systemd
 * reads them. Throws if any other absolute /etc or /usr/local path is left, so the script never
 * writes to this machine.
 */
function intoRoot(script: string, rootDir: string): string {
  const moved = script.replace(/(?<=[\s>])\/(etc|usr\/local)\//g, `${rootDir}/$1/`);
  for (const match of moved.matchAll(/\/(etc|usr\/local)\//g)) {
    const before = moved.slice(0, match.index);
    if (!before.endsWith(rootDir) && !/[=!]$/.test(before)) {
      throw new Error(`user data path left outside the root: ${moved.slice(match.index, match.index + 40)}`);
    }
  }
  return moved;
}

function runUserData(input: UserDataInput) {
  const file = join(kit.root, 'user-data.sh');
  writeFileSync(file, intoRoot(renderUserData(input), kit.root), { mode: 0o755 });
  return kit.run('bash', [file]);
}

describe('user data from domain/user-data.ts on a server with the kit', () => {
  it('attaches a job server: role.env, a deployed release, dbhost and exactly its workers', () => {
    const result = runUserData(JOB);
    expect(result.stderr).not.toMatch(/rejected|missing|failed/);
    expect(result.status).toBe(0);
    expect(readlinkSync(join(kit.root, 'srv/app/current'))).toMatch(/^releases\/\d{14}$/);
    expect(kit.read('etc/hosts')).toContain('127.0.0.5 dbhost # fleet-pilot dbhost\n');
    expect(kit.activeUnits()).toEqual([
      'fleet-pilot-health.socket',
      ...[1, 2, 3, 4].map((n) => `fleet-pilot-worker@${n}.service`),
    ]);
    expect(kit.calls()).toContain('systemctl enable --now fleet-pilot-drain.service');
    expect(kit.runKit(STATUS).stdout).toMatch(/^workers: +4 running of 4$/m);
  });

  it('attaches an app server with a DNS name for its DB', () => {
    expect(runUserData({ ...JOB, role: 'app', dbHost: 'db.internal' }).status).toBe(0);
    expect(kit.activeUnits()).toEqual(['fleet-pilot-app.service', 'fleet-pilot-health.socket']);
    expect(kit.read('etc/hosts')).not.toContain('dbhost');
  });

  it('starts every role name the config accepts: workers, or the app server for --server-roles', () => {
    // Names drawn from the config's own rule; half of them named in --server-roles at install.
    const names = fc.sample(fc.stringMatching(ROLE_NAME), { numRuns: 12, seed: 21 });
    const servers = names.filter((_, index) => index % 2 === 1);
    expect(kit.install(['--server-roles', ['app', ...servers].join(',')]).status).toBe(0);
    for (const role of names) {
      kit.run('rm', ['-rf', join(kit.root, '../state')]);
      const result = runUserData({ ...JOB, role });
      expect(result.stderr).not.toMatch(/rejected|is not a|needs/);
      expect(result.status).toBe(0);
      expect(kit.activeUnits()).toEqual(
        servers.includes(role)
          ? ['fleet-pilot-app.service', 'fleet-pilot-health.socket']
          : ['fleet-pilot-health.socket', ...[1, 2, 3, 4].map((n) => `fleet-pilot-worker@${n}.service`)],
      );
    }
  });

  it('starts no worker on a server of any worker role warming for the warm pool', () => {
    const result = runUserData({ ...JOB, role: 'reports', warming: true });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('role reports: warming for the warm pool, no worker started');
    expect(kit.activeUnits()).toEqual(['fleet-pilot-health.socket']);
    expect(kit.runKit(STATUS).stdout).toMatch(/^warming: +yes/m);
  });

  it('renders no user data for a role name the config refuses, so none reaches the kit', () => {
    for (const role of ['Web', `r${'e'.repeat(20)}`, '1st', 'web_2', '-web']) {
      expect(() => renderUserData({ ...JOB, role })).toThrow(/role: expected a role name/);
    }
  });

  it('gives units systemd-analyze verify accepts, with the drain hook and its worker drop-in', () => {
    expect(runUserData(JOB).status).toBe(0);
    expect(
      existsSync(join(kit.root, 'etc/systemd/system/fleet-pilot-worker@.service.d/fleet-pilot-drain.conf')),
    ).toBe(true);
    const result = verifyUnits(kit, [...UNITS, 'fleet-pilot-drain.service', 'fleet-pilot-sleep.service']);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('has a hibernated warm server take work once it resumes: no boot clears the warming marker', () => {
    expect(runUserData({ ...JOB, warming: true }).status).toBe(0);
    expect(kit.calls()).toContain('systemctl enable fleet-pilot-sleep.service');
    expect(kit.activeUnits()).toEqual(['fleet-pilot-health.socket']);
    // sleep.target runs the hook's ExecStart= before hibernating and its ExecStop= after resuming.
    const unit = kit.read('etc/systemd/system/fleet-pilot-sleep.service');
    const command = (key: string) => unit.match(new RegExp(`^${key}=/(\\S+)$`, 'm'))?.[1] ?? `no ${key}`;
    expect(kit.runKit(command('ExecStart')).status).toBe(0);
    expect(kit.runKit(command('ExecStop')).status).toBe(0);
    expect(kit.activeUnits()).toEqual([
      'fleet-pilot-health.socket',
      ...[1, 2, 3, 4].map((n) => `fleet-pilot-worker@${n}.service`),
    ]);
    expect(kit.runKit(STATUS).stdout).toMatch(/^warming: +no$/m);
  });

  it('drains a serving server before it hibernates back into the pool, and takes work again after', () => {
    expect(runUserData(JOB).status).toBe(0);
    const unit = kit.read('etc/systemd/system/fleet-pilot-sleep.service');
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/sbin\/fleet-pilot-drain$/m);
    expect(kit.runKit('usr/local/sbin/fleet-pilot-drain').status).toBe(0);
    expect(kit.calls()).toContain('systemctl kill --signal=SIGTERM fleet-pilot-worker@*');
    expect(kit.runKit(STATUS).stdout).toMatch(/^draining: +yes$/m);
    expect(kit.runKit('usr/local/sbin/fleet-pilot-resume').status).toBe(0);
    expect(kit.runKit(STATUS).stdout).toMatch(/^draining: +no$/m);
    expect(kit.calls()).toContain('systemctl restart --no-block fleet-pilot-role.target');
  });

  it('has its drain hook mark the server draining and signal the workers', () => {
    expect(runUserData(JOB).status).toBe(0);
    expect(kit.runKit('usr/local/sbin/fleet-pilot-drain').status).toBe(0);
    expect(kit.calls()).toContain('systemctl kill --signal=SIGTERM fleet-pilot-worker@*');
    expect(kit.runKit(STATUS).stdout).toMatch(/^draining: +yes$/m);
  });

  it('is shellcheck clean, drain hook included', () => {
    const script = renderUserData(JOB);
    const hook = script.match(/<<'FLEET_DRAIN'\n([\s\S]*?)\nFLEET_DRAIN\n/)?.[1] ?? '';
    const resume = script.match(/<<'FLEET_RESUME'\n([\s\S]*?)\nFLEET_RESUME\n/)?.[1] ?? '';
    expect(resume).toContain('fleet-pilot-role.target');
    requireTool('shellcheck');
    for (const input of [script, hook, resume]) {
      const result = spawnSync('shellcheck', ['-'], { input, encoding: 'utf8' });
      expect(result.error).toBeUndefined();
      expect(result.stdout).toBe('');
    }
  });

  it('writes a role.env the kit accepts for every valid input, any role name the config accepts', () => {
    const lower = 'abcdefghijklmnopqrstuvwxyz';
    const chars = `${lower}${lower.toUpperCase()}0123456789`;
    const word = (rest: string, max: number) =>
      fc
        .tuple(fc.constantFrom(...chars), fc.string({ unit: fc.constantFrom(...rest), maxLength: max }))
        .map(([head, tail]) => head + tail);
    const inputs = fc.record({
      role: fc.stringMatching(ROLE_NAME),
      dbHost: word(`${chars}.:-`, 60),
      vcpus: fc.integer({ min: 1, max: 4096 }),
      workersPerVcpu: fc.integer({ min: 1, max: 64 }),
      stack: word(`${chars}-`, 127),
      intentId: word(`${chars}._:-`, 127),
      drainSeconds: fc.integer({ min: 0, max: 3600 }),
    });
    fc.assert(
      fc.property(inputs, (input) => {
        const env =
          renderUserData(input).match(/<<'FLEET_ROLE_ENV'\n([\s\S]*?\n)FLEET_ROLE_ENV\n/)?.[1] ?? '';
        kit.write(ROLE_ENV, env);
        const result = kit.run('bash', [
          '-c',
          `source "$1"; fleet_load_role_env && echo "$FLEET_ROLE $FLEET_WORKERS"`,
          '-',
          join(kit.root, 'usr/local/lib/fleet-pilot/common.sh'),
        ]);
        expect(result.stderr).toBe('');
        expect(result.stdout).toBe(`${input.role} ${input.vcpus * input.workersPerVcpu}\n`);
      }),
      { numRuns: 20 },
    );
  });
});
