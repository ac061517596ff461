/**
 * The server kit (server/): install.sh, the systemd units and the scripts the units run, exercised
 * in a temporary root with systemctl, aws and git replaced by recording stand-ins.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readlinkSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { requireTool } from '../support/system-tools.js';
import {
  DEPLOY,
  JOB,
  RELEASE_ARCHIVE,
  RELEASE_OBJECT,
  REPO,
  ROLE_ENV,
  releaseArchive,
  roleEnv,
  sha256,
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

  const withHelp = [
    ['server/install.sh'],
    ['server/sbin/fleet-pilot-deploy'],
    ['server/sbin/fleet-pilot-start'],
    ['server/sbin/fleet-pilot-status'],
    ['server/lib/fleet-pilot/fleet-pilot-run'],
    ['server/lib/fleet-pilot/fleet-pilot-health'],
  ];

  it.each(withHelp)('%s answers --help with its usage', (script) => {
    const result = kit.run(join(REPO, script), ['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: /);
  });

  it.each(withHelp)('%s fits its --help in 80 columns', (script) => {
    const result = kit.run(join(REPO, script), ['--help']);
    expect(result.status).toBe(0);
    const wide = result.stdout.split('\n').filter((line) => line.length > 80);
    expect(wide).toEqual([]);
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
    [['--app-dir', 'srv/app'], /--app-dir \(APP_DIR\): 'srv\/app' is not an absolute path/],
    [['--app-dir', '/srv/../etc'], /--app-dir \(APP_DIR\): no '\.' or '\.\.' components/],
    [
      ['--release-source', 'ftp://x'],
      /--release-source \(RELEASE_SOURCE\): 'ftp:\/\/x' is not a release source/,
    ],
    [['--app-start', 'run\nrm -rf /'], /--app-start \(APP_START\): must be one line/],
    [['--keep-releases', '0'], /--keep-releases \(KEEP_RELEASES\)/],
    [['--kit-health-port', '80'], /--kit-health-port \(KIT_HEALTH_PORT\): 80 is also --app-port/],
    [['--kit-health-port', '65536'], /--kit-health-port \(KIT_HEALTH_PORT\): 65536 is above 65535/],
    [['--kit-health-port', '9180/udp'], /--kit-health-port \(KIT_HEALTH_PORT\): '9180\/udp' is not a port/],
    [['--colour', 'blue'], /unknown option --colour/],
    [['--deploy-user', 'fleetapp'], /--deploy-user \(DEPLOY_USER\): must differ from the app user/],
    [['--deploy-user', 'root'], /--deploy-user \(DEPLOY_USER\): the deploy must not run as root/],
    [['--release-sha256', ''], /--release-sha256 \(RELEASE_SHA256\): required for an S3 release/],
    [['--release-sha256', 'ABC'], /--release-sha256 \(RELEASE_SHA256\): 'ABC' is not a SHA-256/],
    [['--release-ref', 'v1.0'], /--release-ref \(RELEASE_REF\): only for a git source/],
    [['--release-moving', 'sometimes'], /--release-moving \(RELEASE_MOVING\): 'sometimes' is not yes or no/],
    [
      ['--release-source', 'https://deploy:s3cret@git.example.com/app.git', '--release-sha256', ''],
      /--release-source \(RELEASE_SOURCE\): 'https:\/\/deploy:s3cret@/,
    ],
    [
      ['--release-source', 'https://ghp_token@git.example.com/app.git', '--release-sha256', ''],
      /--release-source \(RELEASE_SOURCE\)/,
    ],
    [
      ['--release-source', 'https://git.example.com/app.git?private_token=x', '--release-sha256', ''],
      /--release-source \(RELEASE_SOURCE\)/,
    ],
    [
      ['--release-source', 'ssh://git:pw@git.example.com/app.git', '--release-sha256', ''],
      /--release-source \(RELEASE_SOURCE\)/,
    ],
    [
      ['--release-source', 'git@-oProxyCommand=x:app.git', '--release-sha256', ''],
      /--release-source \(RELEASE_SOURCE\)/,
    ],
    [
      ['--release-source', 'https://git.example.com/app.git', '--release-sha256', ''],
      /--release-ref \(RELEASE_REF\): required for a git source: a full commit id or a tag/,
    ],
    [
      [
        ...['--release-source', 'https://git.example.com/app.git', '--release-sha256', ''],
        '--release-ref',
        'a..b',
      ],
      /--release-ref \(RELEASE_REF\): 'a\.\.b' is not a valid git ref name/,
    ],
    [
      [
        ...['--release-source', 'https://git.example.com/app.git', '--release-ref', 'v1'],
        '--release-sha256',
        'a'.repeat(64),
      ],
      /--release-sha256 \(RELEASE_SHA256\): only for an S3 release/,
    ],
  ])('rejects %j, naming the flag', (flags, message) => {
    const result = kit.install(flags);
    expect(result.status).toBe(1);
    expect(result.stderr.replace(/\s+/g, ' ')).toMatch(message);
  });

  // What each setting's rule accepts, in words: the flag, the value and the rule, never the pattern.
  const USER_NAME =
    "a user name: a lowercase letter or '_' first, then lowercase letters, digits, '_' or '-', at most 32 characters";
  const ABSOLUTE_PATH =
    "an absolute path such as /srv/app: names of letters, digits, '.', '_' or '-', each after a single '/', and no '/' at the end";
  const PORT = 'a port number: 1 to 65535, digits only, no leading zero';
  const SOURCE = [
    'a release source. Expected one of:',
    '- s3://BUCKET/KEY: BUCKET 2 to 63 lowercase letters, digits, dots or hyphens, a letter or digit first; KEY any text without spaces',
    '- https://, git:// or file:// followed by letters, digits and . / _ ~ % + - only (no user name, password, port or query)',
    '- ssh://[USER@]HOST[:PORT]/PATH',
    '- USER@HOST:PATH (the scp-like form), PATH not empty and without %',
    "where USER is a lowercase letter or '_' then lowercase letters, digits, '_', '.' or '-';",
    "HOST a letter or digit then letters, digits, '.' or '-'; PORT digits; PATH letters, digits and . / _ ~ % + -",
  ].join(' ');
  const REF =
    "a git ref name: a letter or digit first, then letters, digits, '.', '_', '/' or '-', at most 200 characters";
  const SHA256 = 'a SHA-256 as sha256sum prints it: 64 lowercase hexadecimal digits (0-9, a-f)';
  const ROLES =
    "a comma-separated list of role names: each a lowercase letter first, then lowercase letters, digits or '-', at most 20 characters; no spaces and no empty names";
  const HEALTH_PATH = "a path: '/' first, then letters, digits and . _ ~ / ? = & % - only";
  it.each([
    ['--app-user', 'Bob', USER_NAME],
    ['--app-user', '1app', USER_NAME],
    ['--app-user', 'a'.repeat(33), USER_NAME],
    ['--deploy-user', 'deploy user', USER_NAME],
    ['--deploy-user', 'deploy.user', USER_NAME],
    ['--app-dir', 'srv/app', ABSOLUTE_PATH],
    ['--app-dir', '/srv/app/', ABSOLUTE_PATH],
    ['--app-dir', '/srv//app', ABSOLUTE_PATH],
    ['--app-dir', '/', ABSOLUTE_PATH],
    ['--prefix', 'usr/local', ABSOLUTE_PATH],
    ['--prefix', '/usr/local/', ABSOLUTE_PATH],
    ['--app-port', '0', PORT],
    ['--app-port', '080', PORT],
    ['--app-port', 'http', PORT],
    ['--kit-health-port', '9180/udp', PORT],
    ['--kit-health-port', '-1', PORT],
    ['--release-source', 's3://a/b.tar.gz', SOURCE],
    ['--release-source', `s3://${'a'.repeat(64)}/b.tar.gz`, SOURCE],
    ['--release-source', 's3://-bucket/b.tar.gz', SOURCE],
    ['--release-source', 's3://Bucket/b.tar.gz', SOURCE],
    ['--release-source', 's3://bucket/', SOURCE],
    ['--release-source', 'ftp://x', SOURCE],
    ['--release-source', 'https://git.example.com:8443/app.git', SOURCE],
    ['--release-source', 'https://deploy:s3cret@git.example.com/app.git', SOURCE],
    ['--release-source', 'git@github.com:', SOURCE],
    ['--release-source', 'git@-oProxyCommand=x:app.git', SOURCE],
    ['--release-ref', '-x', REF],
    ['--release-ref', '.hidden', REF],
    ['--release-ref', `v${'1'.repeat(200)}`, REF],
    ['--release-sha256', 'ABC', SHA256],
    ['--release-sha256', 'A'.repeat(64), SHA256],
    ['--release-moving', 'sometimes', 'yes or no'],
    ['--release-moving', 'YES', 'yes or no'],
    ['--server-roles', 'App', ROLES],
    ['--server-roles', 'app,', ROLES],
    ['--server-roles', 'app,,job', ROLES],
    ['--server-roles', 'app, job', ROLES],
    ['--server-roles', `a${'b'.repeat(20)}`, ROLES],
    ['--health-path', 'health', HEALTH_PATH],
    ['--health-path', '/a#b', HEALTH_PATH],
    ['--keep-releases', '0', 'a whole number from 1 to 99, without leading zeros'],
    ['--keep-releases', '100', 'a whole number from 1 to 99, without leading zeros'],
    ['--keep-releases', '05', 'a whole number from 1 to 99, without leading zeros'],
    ['--fetch-attempts', '0', 'a whole number from 1 to 20, without leading zeros'],
    ['--fetch-attempts', '21', 'a whole number from 1 to 20, without leading zeros'],
    ['--fetch-backoff', '61', 'a whole number of seconds from 0 to 60, without leading zeros'],
    ['--fetch-backoff', '-1', 'a whole number of seconds from 0 to 60, without leading zeros'],
  ])('rejects %s %j, naming the flag and its rule', (flag, value, rule) => {
    const result = kit.install([flag, value]);
    expect(result.status).toBe(1);
    const message = result.stderr.replace(/\s+/g, ' ');
    expect(message).toMatch(new RegExp(`^fleet-pilot-install: ${flag}( \\([A-Z0-9_]+\\))?: '`));
    expect(message).toContain(`'${value.replace(/\s+/g, ' ')}' is not ${rule}`);
    expect(result.stderr).not.toMatch(/\^|\$$|\{\d|\[a-z/m);
    const wide = result.stderr.split('\n').filter((line) => line.length > 80 && !line.includes(value));
    expect(wide).toEqual([]);
  });

  it.each([
    [['--release-source', 's3://ab/app.tar.gz']],
    [['--release-source', `s3://${'a'.repeat(63)}/releases/app-v1.tar.gz`]],
    [
      [
        '--release-source',
        'ssh://git@git.example.com:2222/app.git',
        '--release-sha256',
        '',
        '--release-ref',
        'v1',
      ],
    ],
    [['--release-source', 'git@github.com:acme/shop.git', '--release-sha256', '', '--release-ref', 'v1']],
    [['--release-source', 'file:///srv/git/app.git', '--release-sha256', '', '--release-ref', 'v1']],
    [['--server-roles', `a${'b'.repeat(19)},web-2`]],
    [['--app-port', '65535', '--health-path', '/health?deep=1&x=%20']],
    [['--keep-releases', '99', '--fetch-attempts', '20', '--fetch-backoff', '60']],
  ])('accepts %j, as its rule says', (flags) => {
    const result = kit.install(flags);
    expect(result.stderr).toMatch(/^fleet-pilot-install: installed into /);
    expect(result.status).toBe(0);
  });

  it('has the health socket listen on --kit-health-port, 9180 by default', () => {
    const socket = () => kit.read('etc/systemd/system/fleet-pilot-health.socket');
    expect(socket()).toMatch(/^ListenStream=9180$/m);
    expect(kit.install(['--kit-health-port', '9300']).status).toBe(0);
    expect(socket()).toMatch(/^ListenStream=9300$/m);
    expect(kit.read('etc/fleet-pilot/kit.env')).toContain('\nKIT_HEALTH_PORT=9300\n');
  });

  it('keeps an app directory under /home reachable: /home read-only, the app writing only shared/', () => {
    expect(kit.install(['--app-dir', '/home/deploy/app']).status).toBe(0);
    for (const [unit, writable] of [
      ['fleet-pilot-app.service', '/home/deploy/app/shared'],
      ['fleet-pilot-deploy.service', '/home/deploy/app'],
      ['fleet-pilot-worker@.service', '/home/deploy/app/shared'],
    ]) {
      const text = kit.read(`etc/systemd/system/${unit}`);
      expect(text).toMatch(/^ProtectHome=read-only$/m);
      expect(text).toMatch(new RegExp(`^ReadWritePaths=${writable}$`, 'm'));
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
    expect(readdirSync(join(kit.root, 'srv/app')).sort()).toEqual([
      '.fleet-pilot-deploy.lock',
      'current',
      'releases',
      'shared',
    ]);
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

  it('refuses a tarball whose SHA-256 is not the pinned one: nothing unpacked, current left', () => {
    expect(kit.runKit(DEPLOY).status).toBe(0);
    const before = { current: current(), releases: releases() };
    kit.putObject(RELEASE_OBJECT, releaseArchive({ RELEASE: 'tampered\n' }));
    const result = kit.runKit(DEPLOY);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`not RELEASE_SHA256 ${sha256(RELEASE_ARCHIVE)}: not unpacked`);
    expect({ current: current(), releases: releases() }).toEqual(before);
    expect(readdirSync(join(kit.root, 'srv/app/releases'))).toEqual(before.releases);
  });

  it('deploys whatever the S3 object holds only with --release-moving yes', () => {
    kit.putObject(RELEASE_OBJECT, releaseArchive({ RELEASE: 'newer\n' }));
    expect(kit.install(['--release-sha256', '', '--release-moving', 'yes']).status).toBe(0);
    expect(kit.runKit(DEPLOY).status).toBe(0);
    expect(kit.read('srv/app/current/RELEASE')).toBe('newer\n');
    expect(kit.read('srv/app/current/.fleet-pilot-release')).toContain('\nmoving=yes\n');
  });

  it('at boot (--if-changed) keeps the live release while the pin is unchanged: nothing fetched, no build', () => {
    expect(kit.runKit(DEPLOY).status).toBe(0);
    const before = { current: current(), releases: releases() };
    const kept = kit.runKit(DEPLOY, ['--if-changed']);
    expect(kept.status).toBe(0);
    expect(kept.stderr).toContain(
      `release ${before.releases[0]} is the pinned one (${RELEASE_OBJECT}): kept`,
    );
    expect({ current: current(), releases: releases() }).toEqual(before);
    expect(kit.calls().filter((call) => call.startsWith('aws s3 cp'))).toHaveLength(1);

    // A new pin (a new release was baked into the launch settings): the boot deploys it.
    const newer = releaseArchive({ RELEASE: 'newer\n' });
    kit.putObject(RELEASE_OBJECT, newer);
    expect(kit.install(['--release-sha256', sha256(newer)]).status).toBe(0);
    expect(kit.runKit(DEPLOY, ['--if-changed']).status).toBe(0);
    expect(kit.read('srv/app/current/RELEASE')).toBe('newer\n');
    expect(releases()).toHaveLength(2);
  });

  it('at boot (--if-changed) fetches a moving release every time', () => {
    kit.putObject(RELEASE_OBJECT, releaseArchive({ RELEASE: 'newer\n' }));
    expect(kit.install(['--release-sha256', '', '--release-moving', 'yes']).status).toBe(0);
    expect(kit.runKit(DEPLOY, ['--if-changed']).status).toBe(0);
    expect(kit.runKit(DEPLOY, ['--if-changed']).status).toBe(0);
    expect(kit.calls().filter((call) => call.startsWith('aws s3 cp'))).toHaveLength(2);
  });

  it('runs one deploy at a time: a second one fails at once, naming the lock', () => {
    expect(kit.runKit(DEPLOY).status).toBe(0);
    const before = { current: current(), releases: releases() };
    const lock = join(kit.root, 'srv/app/.fleet-pilot-deploy.lock');
    const result = kit.run('flock', [lock, join(kit.root, DEPLOY)]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`another deploy is running (it holds ${lock})`);
    expect({ current: current(), releases: releases() }).toEqual(before);
    expect(kit.calls().filter((call) => call.startsWith('aws s3 cp'))).toHaveLength(1);
  });

  it('keeps no lock in what the build hook leaves running, so the next deploy can run', () => {
    expect(kit.install(['--build-hook', 'sleep 30 >/dev/null 2>&1 &']).status).toBe(0);
    const result = kit.run('bash', ['-c', '"$1" && "$1"', '-', join(kit.root, DEPLOY)]);
    expect(result.stderr).not.toContain('another deploy is running');
    expect(result.status).toBe(0);
  });

  describe('checks kit.env and role.env again when it runs', () => {
    const KIT_ENV = 'etc/fleet-pilot/kit.env';
    it.each([
      [
        'the app user set to root',
        /^APP_USER=.*$/m,
        'APP_USER=root',
        'APP_USER: the app must not run as root',
      ],
      [
        'credentials in the source',
        /^RELEASE_SOURCE=.*$/m,
        'RELEASE_SOURCE=https://x:token@git.example.com/app.git',
        "RELEASE_SOURCE: 'https://x:token@",
      ],
      [
        'the checksum removed',
        /^RELEASE_SHA256=.*$/m,
        'RELEASE_SHA256=',
        'RELEASE_SHA256: required for an S3',
      ],
      [
        'a two-line value',
        /^KEEP_RELEASES=.*$/m,
        'KEEP_RELEASES=2\nBOGUS',
        'kit.env line 17: expected one of APP_USER',
      ],
    ])('refuses kit.env with %s, fetching nothing', (_name, line, replacement, message) => {
      kit.write(KIT_ENV, kit.read(KIT_ENV).replace(line, replacement));
      const result = kit.runKit(DEPLOY);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(message);
      expect(kit.calls().filter((call) => call.startsWith('aws'))).toEqual([]);
    });

    it.each([
      [KIT_ENV, 0o644, 'kit.env has mode 644: expected none of the bits 027'],
      [KIT_ENV, 0o660, 'kit.env has mode 660: expected none of the bits 027'],
      [ROLE_ENV, 0o666, 'role.env has mode 666: expected none of the bits 022'],
    ])('refuses %s with mode %o', (file, mode, message) => {
      chmodSync(join(kit.root, file), mode);
      const result = kit.runKit(DEPLOY);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(message);
    });

    it('refuses a kit.env that is a symbolic link', () => {
      kit.run('mv', [join(kit.root, KIT_ENV), join(kit.root, 'elsewhere.env')]);
      symlinkSync(join(kit.root, 'elsewhere.env'), join(kit.root, KIT_ENV));
      const result = kit.runKit(DEPLOY);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('kit.env must be a regular file, not a symbolic link');
    });

    it('is written 0640 by install.sh', () => {
      expect(statSync(join(kit.root, KIT_ENV)).mode & 0o777).toBe(0o640);
    });
  });

  describe('from git', () => {
    /**
     * A bare repository at ../origin.git: `one` tagged v1.0, `two` (its id kept), `three` on main,
     * and a branch named like the tag, `v1.0`, holding `branch`.
     */
    const makeOrigin = () => {
      const origin = join(kit.root, '../origin.git');
      const script = `set -e
        git init -q --bare "$1"; git clone -q "$1" work 2>/dev/null; cd work
        for n in one two three; do
          echo "$n" > RELEASE; git add RELEASE; git commit -q -m "$n"
          [[ $n != one ]] || git tag -a -m "v1.0" v1.0
          git rev-parse HEAD
        done
        git push -q origin HEAD:refs/heads/main refs/tags/v1.0
        echo branch > RELEASE; git commit -q -a -m branch; git push -q origin HEAD:refs/heads/v1.0`;
      const result = kit.run('bash', ['-c', script, '-', origin], {
        env: {
          GIT_AUTHOR_NAME: 'test',
          GIT_AUTHOR_EMAIL: 'test@example.invalid',
          GIT_COMMITTER_NAME: 'test',
          GIT_COMMITTER_EMAIL: 'test@example.invalid',
        },
      });
      expect(result.stderr).toBe('');
      const [one = '', two = ''] = result.stdout.trim().split('\n');
      return { url: `file://${origin}`, one, two };
    };
    let origin: ReturnType<typeof makeOrigin>;
    beforeEach(() => {
      origin = makeOrigin();
    });
    const git = (ref: string, ...more: string[]) => [
      ...['--release-source', origin.url, '--release-sha256', '', '--release-ref', ref],
      ...more,
    ];

    it('deploys a tag (never a branch of the same name) or a full commit id, recording the commit', () => {
      const refs: [string, string, string][] = [
        ['v1.0', 'one', origin.one],
        [origin.two, 'two', origin.two],
      ];
      for (const [ref, content, commit] of refs) {
        expect(kit.install(git(ref)).status).toBe(0);
        const result = kit.runKit(DEPLOY);
        expect(result.stderr).not.toMatch(/failed|could not/);
        expect(kit.read('srv/app/current/RELEASE')).toBe(`${content}\n`);
        expect(kit.read('srv/app/current/.fleet-pilot-release')).toContain(`ref=${ref}\n`);
        expect(kit.read('srv/app/current/.fleet-pilot-release')).toContain(`commit=${commit}\n`);
      }
      expect(releases()).toHaveLength(2);
    });

    it('gives every ref to git after --', () => {
      expect(kit.install(git(origin.two)).status).toBe(0);
      expect(kit.runKit(DEPLOY).status).toBe(0);
      expect(kit.calls()).toContainEqual(
        expect.stringMatching(new RegExp(` fetch --quiet --no-tags --depth 1 origin -- ${origin.two}$`)),
      );
      expect(kit.calls()).toContainEqual(expect.stringMatching(/ remote add -- origin file:\/\//));
    });

    it('deploys a moving branch only with --release-moving yes', () => {
      expect(kit.install(git('main')).status).toBe(0);
      const pinned = kit.runKit(DEPLOY);
      expect(pinned.status).toBe(1);
      expect(pinned.stderr).toContain("couldn't find remote ref refs/tags/main");
      expect(kit.install(git('main', '--release-moving', 'yes')).status).toBe(0);
      expect(kit.runKit(DEPLOY).status).toBe(0);
      expect(kit.read('srv/app/current/RELEASE')).toBe('three\n');
      expect(kit.install(git('v1.0', '--release-moving', 'yes')).status).toBe(0);
      expect(kit.runKit(DEPLOY).status).toBe(0);
      expect(kit.read('srv/app/current/RELEASE')).toBe('branch\n');
    });

    it('retries a ref the repository does not have, then fails leaving current', () => {
      expect(kit.install(git('v1.0')).status).toBe(0);
      expect(kit.runKit(DEPLOY).status).toBe(0);
      const before = { current: current(), releases: releases() };
      expect(kit.install(git('v9.9')).status).toBe(0);
      const result = kit.runKit(DEPLOY);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/could not fetch file:\/\/\S+ v9\.9 after 3 attempts/);
      expect(
        kit.calls().filter((call) => call.includes(' fetch ') && call.endsWith(' refs/tags/v9.9')),
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
