/**
 * The server kit attaching a server to its role: role.env parsed strictly (hostile values rejected,
 * not run), dbhost in /etc/hosts, exactly the role's processes started, and fleet-pilot-status.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  APP,
  DEPLOY,
  JOB,
  ROLE_ENV,
  RUN,
  roleEnv,
  START,
  STATUS,
  startUnit,
  useInstalledKit,
} from './kit-root.js';

const kit = useInstalledKit();

const HOSTS =
  '127.0.0.1 localhost\n# the DB replica, kept by hand\n127.0.0.9 replica\n::1 localhost ip6-localhost\n';
const startCalls = () => kit.calls().filter((call) => /^systemctl (start|stop)/.test(call));
/** An error message with its line breaks and indents (see fleet_wrap) read as single spaces. */
const oneLine = (text: string) => text.replace(/\s+/g, ' ');

describe('fleet-pilot-start for role job', () => {
  beforeEach(() => kit.write(ROLE_ENV, roleEnv(JOB)));

  it('starts exactly FLEET_WORKERS workers and stops any beyond them and the app server', () => {
    kit.activate('fleet-pilot-worker@2.service');
    kit.activate('fleet-pilot-worker@5.service');
    kit.activate('fleet-pilot-worker@12.service');
    kit.activate('fleet-pilot-app.service');
    const result = kit.runKit(START);
    expect(result.status).toBe(0);
    expect(kit.activeUnits()).toEqual([1, 2, 3, 4].map((n) => `fleet-pilot-worker@${n}.service`));
    expect(result.stderr).toContain('role job: started 4 workers');
  });

  it('fails naming the setting when the image has no worker command', () => {
    expect(kit.install(['--worker-start', '']).status).toBe(0);
    const result = kit.runKit(START);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('role job runs workers and needs WORKER_START');
    expect(startCalls()).toEqual([]);
  });
});

describe('fleet-pilot-start for a job server warming for the warm pool', () => {
  beforeEach(() => {
    kit.write(ROLE_ENV, roleEnv(JOB));
    kit.write('etc/fleet-pilot/warming', '');
  });

  it('starts no worker, stops any running, and says why', () => {
    kit.activate('fleet-pilot-worker@1.service');
    const result = kit.runKit(START);
    expect(result.status).toBe(0);
    expect(kit.activeUnits()).toEqual([]);
    expect(result.stderr).toContain('warming for the warm pool, no worker started');
  });

  it('starts its workers once the marker is gone (the next boot removes it)', () => {
    kit.run('rm', [`${kit.root}/etc/fleet-pilot/warming`]);
    expect(kit.runKit(START).status).toBe(0);
    expect(kit.activeUnits()).toHaveLength(4);
  });

  it('shows it in fleet-pilot-status', () => {
    expect(kit.runKit(STATUS).stdout).toMatch(
      /^warming: +yes \(warm pool: no worker until started again\)$/m,
    );
  });
});

describe('fleet-pilot-start for role app', () => {
  it('starts the app server and stops the workers', () => {
    kit.write(ROLE_ENV, roleEnv(APP));
    kit.activate('fleet-pilot-worker@1.service');
    expect(kit.runKit(START).status).toBe(0);
    expect(kit.activeUnits()).toEqual(['fleet-pilot-app.service']);
  });
});

describe('dbhost in /etc/hosts', () => {
  beforeEach(() => kit.write('etc/hosts', HOSTS));

  it('maps dbhost to an IP address with one marked line, the same file on a second run', () => {
    kit.write(ROLE_ENV, roleEnv(JOB));
    expect(kit.runKit(START).status).toBe(0);
    const once = kit.read('etc/hosts');
    expect(once).toBe(`${HOSTS}127.0.0.5 dbhost # fleet-pilot dbhost\n`);
    expect(kit.runKit(START).status).toBe(0);
    expect(kit.read('etc/hosts')).toBe(once);
  });

  it('replaces only its own line when the DB host changes, and accepts IPv6', () => {
    kit.write(ROLE_ENV, roleEnv(JOB));
    expect(kit.runKit(START).status).toBe(0);
    kit.write(ROLE_ENV, roleEnv({ ...JOB, FLEET_DB_HOST: 'fd00::25' }));
    expect(kit.runKit(START).status).toBe(0);
    expect(kit.read('etc/hosts')).toBe(`${HOSTS}fd00::25 dbhost # fleet-pilot dbhost\n`);
  });

  it('leaves a DNS name to DNS: removes its own earlier line, keeps every other line', () => {
    kit.write('etc/hosts', `${HOSTS}127.0.0.5 dbhost # fleet-pilot dbhost\n`);
    kit.write(ROLE_ENV, roleEnv(APP));
    const result = kit.runKit(START);
    expect(result.status).toBe(0);
    expect(kit.read('etc/hosts')).toBe(HOSTS);
    expect(result.stderr).toContain(
      'DB host db.internal is a DNS name: left to DNS, exported as FLEET_DB_HOST',
    );
  });

  it('never edits a dbhost line it did not write, and says so', () => {
    kit.write('etc/hosts', `${HOSTS}127.0.0.7 dbhost\n`);
    kit.write(ROLE_ENV, roleEnv(JOB));
    const result = kit.runKit(START);
    expect(kit.read('etc/hosts')).toBe(`${HOSTS}127.0.0.7 dbhost\n127.0.0.5 dbhost # fleet-pilot dbhost\n`);
    expect(result.stderr).toContain("has a dbhost line that is not fleet-pilot's");
  });

  it.each([
    ['::1'],
    ['fe80::1'],
    ['2001:db8::8a2e:370:7334'],
    ['2001:0db8:85a3:0000:0000:8a2e:0370:7334'],
    ['1:2:3:4:5:6:7::'],
    ['::ffff:127.0.0.5'],
    ['64:ff9b:1:2:3:4:127.0.0.5'],
  ])('maps dbhost to the IPv6 address %s', (host) => {
    kit.write(ROLE_ENV, roleEnv({ ...JOB, FLEET_DB_HOST: host }));
    expect(kit.runKit(START).status).toBe(0);
    expect(kit.read('etc/hosts')).toBe(`${HOSTS}${host} dbhost # fleet-pilot dbhost\n`);
  });

  it.each([
    ['::::'],
    ['1:2:3:4:5:6:7:8:9'],
    ['1:::2'],
    ['12345::'],
    ['g::1'],
    ['1::2::3'],
    [':1::2'],
    ['1::2:'],
    ['1:2:3:4:5:6:7:8::'],
    ['1:2:3:4:5:6:7:127.0.0.5'],
    ['::ffff:999.0.0.1'],
  ])('refuses %s, which is no IPv6 address, writing nothing to /etc/hosts', (host) => {
    kit.write(ROLE_ENV, roleEnv({ ...JOB, FLEET_DB_HOST: host }));
    const result = kit.runKit(START);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`FLEET_DB_HOST=${host} is not an IPv6 address`);
    expect(kit.read('etc/hosts')).toBe(HOSTS);
    expect(startCalls()).toEqual([]);
  });

  it.each([['999.0.0.1'], ['db-1.internal'], ['1.2.3']])(
    'treats %s as a DNS name, not an address',
    (host) => {
      kit.write(ROLE_ENV, roleEnv({ ...JOB, FLEET_DB_HOST: host }));
      expect(kit.runKit(START).status).toBe(0);
      expect(kit.read('etc/hosts')).toBe(HOSTS);
    },
  );
});

describe('role.env', () => {
  const canary = () => join(kit.root, 'pwned');

  // Each payload would create the canary if role.env were sourced by a shell.
  const hostile: [string, (canary: string) => string][] = [
    ['command substitution', (c) => `FLEET_ROLE=job\nFLEET_DB_HOST=$(touch ${c})\nFLEET_WORKERS=4\n`],
    ['backticks', (c) => `FLEET_ROLE=job\nFLEET_DB_HOST=\`touch ${c}\`\nFLEET_WORKERS=4\n`],
    ['a quoted value', (c) => `FLEET_ROLE="job";touch ${c}\nFLEET_DB_HOST=db\nFLEET_WORKERS=4\n`],
    ['a command after a space', (c) => `FLEET_ROLE=job touch ${c}\nFLEET_DB_HOST=db\nFLEET_WORKERS=4\n`],
    ['a line that is a command', (c) => `FLEET_ROLE=job\ntouch ${c}\nFLEET_DB_HOST=db\nFLEET_WORKERS=4\n`],
    [
      'a value continued on the next line',
      (c) => `FLEET_ROLE=job\\\n;touch ${c}\nFLEET_DB_HOST=db\nFLEET_WORKERS=4\n`,
    ],
    [
      'an arithmetic expansion in the worker count',
      (c) => `FLEET_ROLE=job\nFLEET_DB_HOST=db\nFLEET_WORKERS=a[$(touch ${c})]\n`,
    ],
  ];

  it.each(hostile)('rejects %s without running it', (_name, payload) => {
    kit.write(ROLE_ENV, payload(canary()));
    // The payload is live: a script that sourced role.env and counted its workers would run it.
    kit.run('bash', ['-c', 'source "$1" 2>/dev/null; ((FLEET_WORKERS > 0))', '-', join(kit.root, ROLE_ENV)]);
    expect(existsSync(canary())).toBe(true);
    kit.run('rm', ['-f', canary()]);

    for (const script of [START, DEPLOY, RUN, STATUS]) {
      const result = kit.runKit(script, script === RUN ? ['worker', '1'] : []);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/role\.env line \d+/);
    }
    expect(existsSync(canary())).toBe(false);
    expect(startCalls()).toEqual([]);
    expect(kit.calls().filter((call) => call.startsWith('aws'))).toEqual([]);
  });

  it.each([
    ['upper case', 'Web'],
    ['longer than 20 characters', `r${'e'.repeat(20)}`],
    ['a leading digit', '1st'],
  ])('rejects a role name with %s, as the config does', (_name, role) => {
    kit.write(ROLE_ENV, roleEnv({ ...JOB, FLEET_ROLE: role }));
    const result = kit.runKit(START);
    expect(result.status).toBe(1);
    expect(oneLine(result.stderr)).toContain(`line 1: FLEET_ROLE: '${role}' is not a role name`);
    expect(startCalls()).toEqual([]);
  });

  it.each([
    ['a missing worker count', { FLEET_ROLE: 'job', FLEET_DB_HOST: 'db' }, 'FLEET_WORKERS is missing'],
    ['zero workers', { ...JOB, FLEET_WORKERS: '0' }, "line 3: FLEET_WORKERS: '0' is not a worker count"],
    [
      'a DB host starting with -',
      { ...JOB, FLEET_DB_HOST: '-db' },
      "line 2: FLEET_DB_HOST: '-db' is not a DB host name or IP address",
    ],
  ])('rejects %s, naming the key', (_name, env, message) => {
    kit.write(ROLE_ENV, roleEnv(env));
    const result = kit.runKit(START);
    expect(result.status).toBe(1);
    expect(oneLine(result.stderr)).toContain(message);
  });

  // Each key's rule in words, as the error gives it after "'VALUE' is not ".
  const RULES: Record<string, string> = {
    FLEET_ROLE:
      "a role name: a lowercase letter first, then lowercase letters, digits or '-', at most 20 characters in all",
    FLEET_DB_HOST:
      "a DB host name or IP address: a letter, digit, '.' or ':' first, then letters, digits, '.', ':' or '-', at most 253 characters in all",
    FLEET_WORKERS: 'a worker count: a whole number from 1 to 262144, without leading zeros',
    FLEET_STACK:
      "a stack name: a letter or digit first, then letters, digits or '-', at most 128 characters in all",
    FLEET_INTENT_ID:
      "an intent id: a letter or digit first, then letters, digits, '.', '_', ':' or '-', at most 128 characters in all",
    FLEET_DRAIN_SECONDS: 'a whole number of seconds from 0 to 3600, without leading zeros',
  };
  const FULL = {
    ...JOB,
    FLEET_STACK: 'fleet-pilot-prod',
    FLEET_INTENT_ID: '01JAB',
    FLEET_DRAIN_SECONDS: '600',
  };

  it.each([
    ['FLEET_ROLE', ''],
    ['FLEET_ROLE', 'job_2'],
    ['FLEET_ROLE', 'web.1'],
    ['FLEET_ROLE', '-job'],
    ['FLEET_DB_HOST', ''],
    ['FLEET_DB_HOST', 'db_1.internal'],
    ['FLEET_DB_HOST', `d${'b'.repeat(253)}`],
    ['FLEET_WORKERS', ''],
    ['FLEET_WORKERS', '07'],
    ['FLEET_WORKERS', '262145'],
    ['FLEET_WORKERS', '1000000'],
    ['FLEET_WORKERS', 'four'],
    ['FLEET_WORKERS', '-1'],
    ['FLEET_STACK', ''],
    ['FLEET_STACK', '-prod'],
    ['FLEET_STACK', 'fleet_pilot'],
    ['FLEET_STACK', 'fleet.pilot'],
    ['FLEET_STACK', `s${'t'.repeat(128)}`],
    ['FLEET_INTENT_ID', ''],
    ['FLEET_INTENT_ID', '.01JAB'],
    ['FLEET_INTENT_ID', ':01JAB'],
    ['FLEET_INTENT_ID', `i${'d'.repeat(128)}`],
    ['FLEET_DRAIN_SECONDS', ''],
    ['FLEET_DRAIN_SECONDS', '010'],
    ['FLEET_DRAIN_SECONDS', '3601'],
    ['FLEET_DRAIN_SECONDS', '10000'],
    ['FLEET_DRAIN_SECONDS', '1.5'],
  ])('rejects %s=%j, naming the key, the value and its rule in words', (key, value) => {
    kit.write(ROLE_ENV, roleEnv({ ...FULL, [key]: value }));
    const result = kit.runKit(START);
    expect(result.status).toBe(1);
    const line = Object.keys(FULL).indexOf(key) + 1;
    expect(oneLine(result.stderr)).toContain(
      `role.env line ${line}: ${key}: '${value}' is not ${RULES[key]}`,
    );
    expect(result.stderr).not.toMatch(/\^|\$$|\{\d|\[a-z|\[A-Z/m);
    const wide = result.stderr
      .split('\n')
      .filter((text) => text.length > 80 && !text.includes(kit.root) && !text.includes(value));
    expect(wide).toEqual([]);
    expect(startCalls()).toEqual([]);
  });

  it.each([
    ['FLEET_ROLE', `r${'e'.repeat(19)}`],
    ['FLEET_DB_HOST', `d${'b'.repeat(252)}`],
    ['FLEET_DB_HOST', ':ffff:10.0.1.25'],
    ['FLEET_WORKERS', '262144'],
    ['FLEET_STACK', `9${'t'.repeat(127)}`],
    ['FLEET_INTENT_ID', `i${'d._:-'.repeat(25)}ab`],
    ['FLEET_DRAIN_SECONDS', '0'],
    ['FLEET_DRAIN_SECONDS', '3600'],
  ])('accepts %s=%j, at the edge of its rule', (key, value) => {
    kit.write(ROLE_ENV, roleEnv({ ...FULL, [key]: value }));
    const result = kit.runKit(STATUS);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('rejects a key given twice', () => {
    kit.write(ROLE_ENV, `${roleEnv(JOB)}FLEET_ROLE=app\n`);
    expect(kit.runKit(START).stderr).toContain('line 4: FLEET_ROLE is set twice');
  });

  it('fails naming the file when the user data has not written it yet', () => {
    expect(kit.runKit(START).stderr).toContain('role.env is missing: the launch');
  });
});

describe('fleet-pilot-run', () => {
  beforeEach(() => {
    kit.write(ROLE_ENV, roleEnv(JOB));
    expect(kit.runKit(DEPLOY).status).toBe(0);
  });

  it("runs the worker command in the current release with the role's values", () => {
    const result = kit.runKit(RUN, ['worker', '3']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^worker 3 in .*\/srv\/app\/current for 127\.0\.0\.5\n$/);
  });

  it('gives the app server APP_PORT, and the capability to bind it when it is below 1024', () => {
    expect(kit.install(['--app-start', 'echo "app on $APP_PORT"']).status).toBe(0);
    kit.write(ROLE_ENV, roleEnv(APP));
    const result = kit.runKit(RUN, ['app']);
    expect(result.stdout).toBe('app on 80\n');
    const unit = () => kit.read('etc/systemd/system/fleet-pilot-app.service');
    expect(unit()).toMatch(/^AmbientCapabilities=CAP_NET_BIND_SERVICE$/m);
    expect(unit()).toMatch(/^CapabilityBoundingSet=CAP_NET_BIND_SERVICE$/m);
    expect(kit.read('etc/systemd/system/fleet-pilot-worker@.service')).not.toContain('CAP_NET_BIND_SERVICE');
    expect(kit.install(['--app-port', '8080']).status).toBe(0);
    expect(unit()).toMatch(/^AmbientCapabilities=$/m);
    expect(unit()).toMatch(/^CapabilityBoundingSet=$/m);
  });

  it('refuses to run a process of the other role', () => {
    const result = kit.runKit(RUN, ['app']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("this server's role is job: it runs no app server (SERVER_ROLES=app)");
  });
});

describe('role names beyond app and job', () => {
  it('runs workers for a role not in --server-roles, the app server for one in it', () => {
    expect(kit.install(['--server-roles', 'app,web-2']).status).toBe(0);
    kit.write(ROLE_ENV, roleEnv({ ...JOB, FLEET_ROLE: 'reports', FLEET_WORKERS: '3' }));
    expect(kit.runKit(DEPLOY).status).toBe(0);
    expect(kit.runKit(START).status).toBe(0);
    expect(kit.activeUnits()).toEqual([1, 2, 3].map((n) => `fleet-pilot-worker@${n}.service`));
    expect(kit.runKit(RUN, ['worker', '2']).stdout).toMatch(/^worker 2 in .*\/srv\/app\/current/);

    kit.write(ROLE_ENV, roleEnv({ ...APP, FLEET_ROLE: 'web-2' }));
    const start = kit.runKit(START);
    expect(start.stderr).toContain('role web-2: started fleet-pilot-app.service');
    expect(kit.activeUnits()).toEqual(['fleet-pilot-app.service']);
    expect(kit.runKit(RUN, ['worker', '1']).stderr).toContain(
      "this server's role is web-2: it runs the app server, no workers (SERVER_ROLES=app,web-2)",
    );
  });

  it.each([['App'], ['app,'], ['app,,job'], [`a${'b'.repeat(20)}`]])(
    'refuses --server-roles %j, naming the flag',
    (roles) => {
      const result = kit.install(['--server-roles', roles]);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('--server-roles (SERVER_ROLES)');
    },
  );
});

describe('the environment of the processes the units start', () => {
  // Lines of the right character set that the parser ignores, each dangerous in an environment:
  // BASH_ENV names a file every bash script sources first, LD_PRELOAD a library every program loads.
  const unknown = 'BASH_ENV=hook.sh\nLD_PRELOAD=fleet-pilot-test.so\n';
  const canary = () => join(kit.root, 'sourced');

  beforeEach(() => {
    expect(kit.install(['--app-start', 'env', '--worker-start', 'env']).status).toBe(0);
    kit.write('hook.sh', `touch ${canary()}\n`);
  });

  it.each([
    ['fleet-pilot-app.service', '', APP],
    ['fleet-pilot-worker@.service', '2', JOB],
  ])('%s gets the values role.env validated and nothing else from it', (unit, instance, role) => {
    kit.write(ROLE_ENV, roleEnv(role) + unknown);
    expect(kit.runKit(DEPLOY).status).toBe(0);
    const result = startUnit(kit, unit, instance);
    expect(result.status).toBe(0);
    const env = result.stdout.split('\n');
    expect(env).toContain(`FLEET_ROLE=${role.FLEET_ROLE}`);
    expect(env).toContain(`FLEET_DB_HOST=${role.FLEET_DB_HOST}`);
    expect(env).not.toContain('BASH_ENV=hook.sh');
    expect(env).not.toContain('LD_PRELOAD=fleet-pilot-test.so');
    expect(existsSync(canary())).toBe(false);
    expect(result.stderr).toContain('role.env line 4: BASH_ENV is not a key the kit reads; ignored');
  });

  it('is not read from role.env by any unit', () => {
    for (const unit of ['app', 'worker@', 'deploy', 'start']) {
      expect(kit.read(`etc/systemd/system/fleet-pilot-${unit}.service`)).not.toMatch(/^EnvironmentFile=/m);
    }
  });
});

describe('fleet-pilot-status', () => {
  it('prints role, release, workers running and draining state', () => {
    kit.write(ROLE_ENV, roleEnv({ ...JOB, FLEET_STACK: 'fleet-pilot-prod', FLEET_INTENT_ID: '01JAB' }));
    expect(kit.runKit(DEPLOY).status).toBe(0);
    expect(kit.runKit(START).status).toBe(0);
    const running = kit.runKit(STATUS);
    expect(running.status).toBe(0);
    expect(running.stdout).toMatch(/^role: +job \(stack fleet-pilot-prod, intent 01JAB\)$/m);
    expect(running.stdout).toMatch(/^release: +\d{14} \(1 kept in \/srv\/app\/releases\)$/m);
    expect(running.stdout).toMatch(/^workers: +4 running of 4$/m);
    expect(running.stdout).toMatch(/^draining: +no$/m);

    kit.write('etc/fleet-pilot/draining', '');
    expect(kit.runKit(STATUS).stdout).toMatch(/^draining: +yes$/m);
  });
});
