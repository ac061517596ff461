/**
 * The server kit (server/): install.sh, the systemd units and the scripts the units run, exercised
 * in a temporary root with systemctl, aws and git replaced by recording stand-ins.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { requireTool } from '../support/system-tools.js';
import {
  DEPLOY,
  JOB,
  REPO,
  ROLE_ENV,
  roleEnv,
  treeListing,
  UNITS,
  useInstalledKit,
  verifyUnits,
} from './kit-root.js';

const kit = useInstalledKit();

const releases = () =>
  readdirSync(join(kit.root, 'srv/app/releases'))
    .filter((name) => !name.startsWith('.'))
    .sort();
const current = () => readlinkSync(join(kit.root, 'srv/app/current'));

describe('kit scripts', () => {
  const scripts = [
    'server/install.sh',
    'server/sbin/fleet-pilot-deploy',
    'server/sbin/fleet-pilot-start',
    'server/sbin/fleet-pilot-status',
    'server/lib/fleet-pilot/common.sh',
    'server/lib/fleet-pilot/fleet-pilot-run',
    'server/lib/fleet-pilot/fleet-pilot-health',
    '.ci/run',
    ...readdirSync(join(__dirname, 'stubs')).map((stub) => `test/server/stubs/${stub}`),
  ];

  it('are shellcheck clean', () => {
    requireTool('shellcheck');
    const result = spawnSync('shellcheck', ['-x', ...scripts], { cwd: REPO, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('would have shellcheck report an unquoted expansion, so the check above can fail', () => {
    requireTool('shellcheck');
    const result = spawnSync('shellcheck', ['-'], { input: '#!/bin/bash\nrm $1\n', encoding: 'utf8' });
    expect(result.status).not.toBe(0);
  });

  it.each([
    ['server/install.sh'],
    ['server/sbin/fleet-pilot-deploy'],
    ['server/sbin/fleet-pilot-start'],
    ['server/sbin/fleet-pilot-status'],
    ['server/lib/fleet-pilot/fleet-pilot-run'],
    ['server/lib/fleet-pilot/fleet-pilot-health'],
  ])('%s answers --help with its usage', (script) => {
    const result = kit.run(join(REPO, script), ['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: /);
  });
});

describe('install.sh', () => {
  it('gives the same tree when run twice', () => {
    const first = treeListing(kit.root);
    expect(kit.install().status).toBe(0);
    expect(treeListing(kit.root)).toEqual(first);
    expect(first).toContain(
      'etc/systemd/system/multi-user.target.wants/fleet-pilot-role.target l 777 /etc/systemd/system/fleet-pilot-role.target',
    );
  });

  it('records the app settings in kit.env and fills the units with the app user and paths', () => {
    expect(kit.read('etc/fleet-pilot/kit.env')).toContain(
      'RELEASE_SOURCE=s3://releases-bucket/app/app.tar.gz\n',
    );
    const worker = kit.read('etc/systemd/system/fleet-pilot-worker@.service');
    expect(worker).toMatch(/^User=fleetapp$/m);
    expect(worker).toMatch(/^ExecStart=\/usr\/local\/lib\/fleet-pilot\/fleet-pilot-run worker %i$/m);
    expect(worker).not.toMatch(/@[A-Z_]+@/); // every placeholder filled (system-call sets like @system-service stay)
  });

  it.each([
    [['--app-user', 'root'], /--app-user \(APP_USER\): the app must not run as root/],
    [['--app-dir', 'srv/app'], /--app-dir \(APP_DIR\): 'srv\/app' does not match/],
    [['--app-dir', '/srv/../etc'], /--app-dir \(APP_DIR\): no '\.' or '\.\.' components/],
    [['--release-source', 'ftp://x'], /--release-source \(RELEASE_SOURCE\): 'ftp:\/\/x' does not match/],
    [['--app-start', 'run\nrm -rf /'], /--app-start \(APP_START\): must be one line/],
    [['--keep-releases', '0'], /--keep-releases \(KEEP_RELEASES\)/],
    [['--kit-health-port', '80'], /--kit-health-port \(KIT_HEALTH_PORT\): 80 is also --app-port/],
    [['--kit-health-port', '65536'], /--kit-health-port \(KIT_HEALTH_PORT\): 65536 is above 65535/],
    [['--kit-health-port', '9180/udp'], /--kit-health-port \(KIT_HEALTH_PORT\): '9180\/udp' does not match/],
    [['--colour', 'blue'], /unknown option --colour/],
  ])('rejects %j, naming the flag', (flags, message) => {
    const result = kit.install(flags);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(message);
  });

  it('has the health socket listen on --kit-health-port, 9180 by default', () => {
    const socket = () => kit.read('etc/systemd/system/fleet-pilot-health.socket');
    expect(socket()).toMatch(/^ListenStream=9180$/m);
    expect(kit.install(['--kit-health-port', '9300']).status).toBe(0);
    expect(socket()).toMatch(/^ListenStream=9300$/m);
    expect(kit.read('etc/fleet-pilot/kit.env')).toContain('\nKIT_HEALTH_PORT=9300\n');
  });

  it('keeps an app directory under /home reachable: /home read-only, the app directory writable', () => {
    expect(kit.install(['--app-dir', '/home/deploy/app']).status).toBe(0);
    for (const unit of [
      'fleet-pilot-app.service',
      'fleet-pilot-deploy.service',
      'fleet-pilot-worker@.service',
    ]) {
      const text = kit.read(`etc/systemd/system/${unit}`);
      expect(text).toMatch(/^ProtectHome=read-only$/m);
      expect(text).toMatch(/^ReadWritePaths=\/home\/deploy\/app$/m);
    }
    expect(kit.read('etc/systemd/system/fleet-pilot-start.service')).toMatch(/^ProtectHome=yes$/m);
    expect(kit.install(['--app-dir', '/srv/app']).status).toBe(0);
    expect(kit.read('etc/systemd/system/fleet-pilot-app.service')).toMatch(/^ProtectHome=yes$/m);
  });

  it.each([['/root/app'], ['/run/user/1000/app']])(
    'rejects --app-dir %s, which no app user can reach',
    (dir) => {
      const result = kit.install(['--app-dir', dir]);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`--app-dir (APP_DIR): '${dir}' is under /root or /run/user`);
    },
  );

  it('reads settings from a file, naming a line it does not understand', () => {
    kit.write('settings.env', 'APP_USER=web\nAPP_COLOUR=blue\n');
    const result = kit.install(['--settings', join(kit.root, 'settings.env')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('settings.env line 2: expected one of APP_USER');
    kit.write('settings.env', 'APP_USER=web\n');
    expect(kit.install(['--settings', join(kit.root, 'settings.env')]).status).toBe(0);
    expect(kit.read('etc/systemd/system/fleet-pilot-app.service')).toMatch(/^User=web$/m);
  });

  it('installs units that systemd-analyze verify accepts', () => {
    const result = verifyUnits(kit, UNITS);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('would have verify report a unit whose command is missing, so the check above can fail', () => {
    kit.run('rm', [join(kit.root, DEPLOY)]);
    const result = verifyUnits(kit, ['fleet-pilot-deploy.service']);
    expect(result.stderr).toContain('/usr/local/sbin/fleet-pilot-deploy is not executable');
  });
});

describe('fleet-pilot-deploy', () => {
  beforeEach(() => kit.write(ROLE_ENV, roleEnv(JOB)));

  it('fetches the release, switches current to it and keeps the newest KEEP_RELEASES', () => {
    for (let deploy = 1; deploy <= 4; deploy += 1) expect(kit.runKit(DEPLOY).status).toBe(0);
    const kept = releases();
    expect(kept).toHaveLength(2);
    expect(current()).toBe(`releases/${kept[1]}`);
    expect(kit.read('srv/app/current/RELEASE')).toBe('s3://releases-bucket/app/app.tar.gz\n');
    expect(kit.calls().filter((call) => call.startsWith('aws s3 cp'))).toHaveLength(4);
    expect(readdirSync(join(kit.root, 'srv/app')).sort()).toEqual(['current', 'releases', 'shared']);
  });

  it('keeps deploy order and the newest KEEP_RELEASES when every deploy lands in one second', () => {
    // A frozen clock: each id after the first continues the newest release's numbering, so an id
    // freed by pruning never comes back to sort before the releases kept. Each deploy is its own
    // call, with its own time limit.
    const frozen = `date() { echo 20260301120000; }; export -f date; exec "$1"`;
    for (let deploy = 1; deploy <= 5; deploy += 1) {
      expect(kit.run('bash', ['-c', frozen, '-', join(kit.root, DEPLOY)]).status).toBe(0);
    }
    expect(releases()).toEqual(['20260301120000-0003', '20260301120000-0004']);
    expect(current()).toBe('releases/20260301120000-0004');
  });

  it('replaces current by a rename: a reader never finds it missing during deploys', () => {
    expect(kit.runKit(DEPLOY).status).toBe(0);
    const link = join(kit.root, 'srv/app/current');
    const script = `
      ( end=$((SECONDS + 10)); while ((SECONDS < end)); do [[ -L ${link} ]] || echo missing; done ) > watch.log &
      watcher=$!
      trap 'kill "$watcher" 2>/dev/null' EXIT
      for i in 1 2 3; do ${join(kit.root, DEPLOY)} 2>/dev/null || echo failed; done
      kill "$watcher"; wait "$watcher" 2>/dev/null; cat watch.log`;
    const result = kit.run('bash', ['-c', script]);
    expect(result.stdout).toBe('');
  });

  it('leaves current untouched and fails after its retries when the fetch fails', () => {
    expect(kit.runKit(DEPLOY).status).toBe(0);
    const before = { current: current(), releases: releases() };
    kit.failFetches(true);
    const result = kit.runKit(DEPLOY);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('could not fetch s3://releases-bucket/app/app.tar.gz after 3 attempts');
    expect(result.stderr).toContain(`current release left at '${before.releases[0]}'`);
    expect({ current: current(), releases: releases() }).toEqual(before);
    expect(readdirSync(join(kit.root, 'srv/app/releases'))).toEqual(before.releases);
    expect(kit.calls().filter((call) => call.startsWith('aws s3 cp'))).toHaveLength(1 + 3);
  });

  it('fails without a current release when the first fetch fails', () => {
    kit.failFetches(true);
    expect(kit.runKit(DEPLOY).status).toBe(1);
    expect(existsSync(join(kit.root, 'srv/app/current'))).toBe(false);
  });

  describe('from git', () => {
    /** A bare repository at ../origin.git: `one` tagged v1.0, `two` (its id kept), `three` on main. */
    const makeOrigin = () => {
      const origin = join(kit.root, '../origin.git');
      const script = `set -e
        git init -q --bare "$1"; git clone -q "$1" work 2>/dev/null; cd work
        for n in one two three; do
          echo "$n" > RELEASE; git add RELEASE; git commit -q -m "$n"
          [[ $n != one ]] || git tag -a -m "v1.0" v1.0
          git rev-parse HEAD
        done
        git push -q origin HEAD:refs/heads/main v1.0`;
      const result = kit.run('bash', ['-c', script, '-', origin], {
        env: {
          GIT_AUTHOR_NAME: 'test',
          GIT_AUTHOR_EMAIL: 'test@example.invalid',
          GIT_COMMITTER_NAME: 'test',
          GIT_COMMITTER_EMAIL: 'test@example.invalid',
        },
      });
      expect(result.stderr).toBe('');
      const [, two = ''] = result.stdout.trim().split('\n');
      return { url: `file://${origin}`, two };
    };

    it('deploys a branch, a tag or a full commit id, each with its own content', () => {
      const origin = makeOrigin();
      const refs: [string, string][] = [
        ['main', 'three'],
        ['v1.0', 'one'],
        [origin.two, 'two'],
      ];
      for (const [ref, content] of refs) {
        expect(kit.install(['--release-source', origin.url, '--release-ref', ref]).status).toBe(0);
        const result = kit.runKit(DEPLOY);
        expect(result.stderr).not.toMatch(/failed|could not/);
        expect(kit.read('srv/app/current/RELEASE')).toBe(`${content}\n`);
        expect(kit.read('srv/app/current/.fleet-pilot-release')).toContain(`ref=${ref}\n`);
      }
      expect(releases()).toHaveLength(2);
    });

    it('retries a ref the repository does not have, then fails leaving current', () => {
      const origin = makeOrigin();
      expect(kit.install(['--release-source', origin.url, '--release-ref', 'main']).status).toBe(0);
      expect(kit.runKit(DEPLOY).status).toBe(0);
      const before = { current: current(), releases: releases() };
      expect(kit.install(['--release-source', origin.url, '--release-ref', 'no-such-branch']).status).toBe(0);
      const result = kit.runKit(DEPLOY);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`could not fetch ${origin.url} no-such-branch after 3 attempts`);
      expect(
        kit.calls().filter((call) => call.includes(' fetch ') && call.endsWith(' no-such-branch')),
      ).toHaveLength(3);
      expect({ current: current(), releases: releases() }).toEqual(before);
    });
  });

  it('runs the build hook in the new release before switching to it', () => {
    expect(kit.install(['--build-hook', 'test ! -e ../../current/built && pwd > built']).status).toBe(0);
    expect(kit.runKit(DEPLOY).status).toBe(0);
    expect(kit.read('srv/app/current/built')).toBe(
      `${join(kit.root, 'srv/app/releases', releases()[0] ?? '')}\n`,
    );
  });

  it('leaves no release an interrupted build left behind, and current untouched', () => {
    expect(kit.runKit(DEPLOY).status).toBe(0);
    const before = { current: current(), releases: releases() };
    // The unit killed during the build: systemd kills the whole group, the deploy script with it.
    expect(kit.install(['--build-hook', 'touch half-built && kill -KILL 0']).status).toBe(0);
    expect(kit.runKit(DEPLOY).status).toBe(null);
    expect(current()).toBe(before.current);
    expect(releases()).toHaveLength(2);

    // The next deploy removes it even when its own fetch fails.
    kit.failFetches(true);
    expect(kit.runKit(DEPLOY).status).toBe(1);
    expect({ current: current(), releases: releases() }).toEqual(before);

    kit.failFetches(false);
    expect(kit.install(['--build-hook', 'touch built-to-the-end']).status).toBe(0);
    expect(kit.runKit(DEPLOY).status).toBe(0);
    const built = (id: string) => existsSync(join(kit.root, 'srv/app/releases', id, '.fleet-pilot-built'));
    expect(releases()).toHaveLength(2);
    expect(releases().every(built)).toBe(true);
    expect(existsSync(join(kit.root, 'srv/app/current/built-to-the-end'))).toBe(true);
  });

  it('drops the release and keeps current when the build hook fails', () => {
    expect(kit.runKit(DEPLOY).status).toBe(0);
    const before = { current: current(), releases: releases() };
    expect(kit.install(['--build-hook', 'exit 3']).status).toBe(0);
    const result = kit.runKit(DEPLOY);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/build hook failed for release \d{14}/);
    expect({ current: current(), releases: releases() }).toEqual(before);
  });
});
