/**
 * install.sh running as root in a temporary root that another user has prepared: it writes through
 * no symbolic link it did not create and below no directory another user can write, refusing
 * before it writes anything; and with users of its own (a root with its own etc/passwd), the app
 * user cannot write the releases, `current`, the deploy's home or kit.env.
 */
import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEPLOY, JOB, type KitRoot, makeKitRoot, ROLE_ENV, roleEnv, treeListing } from './kit-root.js';

/** These checks change owners: they need root, as CI has. */
function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('this test changes file owners: run it as root (CI runs as root)');
  }
}

let kit: KitRoot;
beforeEach(() => {
  kit = makeKitRoot();
});
afterEach(() => kit.cleanup());

/** A file and a directory outside the kit's paths, which a planted link points at. */
function victims(): { file: string; dir: string; listing: () => string[] } {
  const file = join(kit.root, 'victim');
  const dir = join(kit.root, 'victim-dir');
  writeFileSync(file, 'victim\n');
  mkdirSync(dir);
  writeFileSync(join(dir, 'keep'), 'keep\n');
  return { file, dir, listing: () => [readFileSync(file, 'utf8'), ...treeListing(dir)] };
}

/** Plants a symbolic link at `path` (relative to the root) pointing at `target`. */
function plant(path: string, target: string): void {
  mkdirSync(join(kit.root, path, '..'), { recursive: true });
  symlinkSync(target, join(kit.root, path));
}

describe('install.sh and symbolic links it did not create', () => {
  it.each([
    ['etc/fleet-pilot/kit.env', 'file'],
    ['etc/fleet-pilot/kit.env.tmp', 'file'],
    ['etc/fleet-pilot', 'dir'],
    ['usr/local/sbin/fleet-pilot-deploy', 'file'],
    ['usr/local/lib/fleet-pilot', 'dir'],
    ['usr/local/lib/fleet-pilot/common.sh', 'file'],
    ['etc/systemd/system/fleet-pilot-start.service', 'file'],
    ['etc/systemd/system/fleet-pilot-app.service.tmp', 'file'],
    ['etc/systemd/system/multi-user.target.wants/fleet-pilot-role.target', 'file'],
    ['srv/app', 'dir'],
    ['srv/app/releases', 'dir'],
    ['srv/app/shared', 'dir'],
  ] as const)('refuses a link at %s, writing nothing anywhere', (path, kind) => {
    const victim = victims();
    plant(path, kind === 'file' ? victim.file : victim.dir);
    const before = treeListing(kit.root);
    const result = kit.install();
    expect(result.stderr).toContain(`${join(kit.root, path)} is a symbolic link install.sh did not create`);
    expect(result.status).toBe(1);
    expect(treeListing(kit.root)).toEqual(before);
  });

  it('would have written through the link at kit.env without the check, so the test above can fail', () => {
    // What a plain redirection does with the planted link: it writes the victim.
    const victim = victims();
    plant('etc/fleet-pilot/kit.env', victim.file);
    kit.run('bash', ['-c', 'echo overwritten > "$1"', '-', join(kit.root, 'etc/fleet-pilot/kit.env')]);
    expect(readFileSync(victim.file, 'utf8')).toBe('overwritten\n');
  });

  it('keeps the link to the role target it made itself, on every run', () => {
    expect(kit.install().status).toBe(0);
    expect(kit.install().status).toBe(0);
    expect(
      readlinkSync(join(kit.root, 'etc/systemd/system/multi-user.target.wants/fleet-pilot-role.target')),
    ).toBe('/etc/systemd/system/fleet-pilot-role.target');
  });

  it('follows a link on the way that root made, as /usr/local is on an ostree system', () => {
    mkdirSync(join(kit.root, 'var/usrlocal'), { recursive: true });
    plant('usr/local', '../var/usrlocal');
    const result = kit.install();
    expect(result.stderr).not.toContain('refusing');
    expect(result.status).toBe(0);
    expect(existsSync(join(kit.root, 'var/usrlocal/sbin/fleet-pilot-deploy'))).toBe(true);
  });

  it('refuses a link on the way that another user made', () => {
    requireRoot();
    mkdirSync(join(kit.root, 'var/usrlocal'), { recursive: true });
    plant('usr/local', '../var/usrlocal');
    lchownSync(join(kit.root, 'usr/local'), 4321, 4321);
    const result = kit.install();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${join(kit.root, 'usr/local')} is a symbolic link owned by uid 4321`);
  });

  it.each([
    ['writable by others', 'srv', (dir: string) => chmodSync(dir, 0o777), 'has mode 777'],
    ['writable by its group', 'etc/systemd', (dir: string) => chmodSync(dir, 0o775), 'has mode 775'],
    [
      'owned by another user',
      'usr/local',
      (dir: string) => chownSync(dir, 4321, 4321),
      'is owned by uid 4321',
    ],
  ])('refuses a directory on the way %s, writing nothing', (_name, path, spoil, message) => {
    if (path === 'usr/local') requireRoot();
    mkdirSync(join(kit.root, path), { recursive: true, mode: 0o755 });
    chmodSync(join(kit.root, path), 0o755);
    spoil(join(kit.root, path));
    const before = treeListing(kit.root);
    const result = kit.install();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${join(kit.root, path)} ${message}`);
    expect(treeListing(kit.root)).toEqual(before);
  });
});

/** A root with its own user database, so install.sh creates its users and sets owners there. */
function seedUsers(): void {
  mkdirSync(join(kit.root, 'etc'), { recursive: true });
  writeFileSync(join(kit.root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(kit.root, 'etc/group'), 'root:x:0:\n');
  writeFileSync(join(kit.root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o600 });
  writeFileSync(join(kit.root, 'etc/gshadow'), 'root:*::\n', { mode: 0o600 });
  // Other users must reach the root and the stand-ins, as they would reach / on a server.
  for (const dir of [join(kit.root, '..'), kit.root]) chmodSync(dir, 0o755);
  chmodSync(join(kit.root, '../calls.log'), 0o666);
}

const idOf = (file: 'passwd' | 'group', name: string): number => {
  const line = readFileSync(join(kit.root, 'etc', file), 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${name}:`));
  if (line === undefined) throw new Error(`${name} is not in the root's etc/${file}`);
  return Number(line.split(':')[2]);
};

/** Runs `command` as `user` of the root's user database, with the kit's group when `kitGroup`. */
function runAs(user: string, command: string, kitGroup = true) {
  const groups = kitGroup ? ['--groups', String(idOf('group', 'fleet-pilot'))] : ['--clear-groups'];
  return kit.run('setpriv', [
    `--reuid=${idOf('passwd', user)}`,
    `--regid=${idOf('group', user)}`,
    ...groups,
    '--',
    'bash',
    '-c',
    command,
  ]);
}

describe('install.sh as root with users of its own', () => {
  beforeEach(() => {
    requireRoot();
    seedUsers();
    const result = kit.install();
    expect(result.stderr).not.toContain('refusing');
    expect(result.status).toBe(0);
    kit.write(ROLE_ENV, roleEnv(JOB));
  });

  const owner = (path: string) => {
    const stat = lstatSync(join(kit.root, path));
    return { uid: stat.uid, gid: stat.gid, mode: (stat.mode & 0o7777).toString(8) };
  };

  it('creates the app and deploy users in the kit group and gives each what it owns', () => {
    const [app, deploy, group] = [
      idOf('passwd', 'fleetapp'),
      idOf('passwd', 'fleetdeploy'),
      idOf('group', 'fleet-pilot'),
    ];
    expect(readFileSync(join(kit.root, 'etc/group'), 'utf8')).toMatch(
      /^fleet-pilot:x:\d+:(fleetdeploy,fleetapp|fleetapp,fleetdeploy)$/m,
    );
    expect(owner('srv/app')).toEqual({ uid: deploy, gid: idOf('group', 'fleetdeploy'), mode: '755' });
    expect(owner('srv/app/releases')).toMatchObject({ uid: deploy, mode: '755' });
    expect(owner('srv/app/shared')).toMatchObject({ uid: app, mode: '750' });
    expect(owner('var/lib/fleet-pilot/deploy')).toMatchObject({ uid: deploy, mode: '700' });
    expect(owner('etc/fleet-pilot/kit.env')).toEqual({ uid: 0, gid: group, mode: '640' });
    expect(kit.read('etc/systemd/system/fleet-pilot-deploy.service')).toMatch(/^User=fleetdeploy$/m);
  });

  it('gives the same owners and files when run again', () => {
    const first = treeListing(kit.root).filter((entry) => !entry.startsWith('etc/'));
    const owners = ['srv/app', 'srv/app/releases', 'srv/app/shared', 'etc/fleet-pilot/kit.env'].map(owner);
    expect(kit.install().status).toBe(0);
    expect(treeListing(kit.root).filter((entry) => !entry.startsWith('etc/'))).toEqual(first);
    expect(['srv/app', 'srv/app/releases', 'srv/app/shared', 'etc/fleet-pilot/kit.env'].map(owner)).toEqual(
      owners,
    );
  });

  it('deploys as the deploy user; the app user reads the release but writes only shared/', () => {
    const deploy = runAs('fleetdeploy', `exec ${join(kit.root, DEPLOY)}`);
    expect(deploy.stderr).not.toContain('could not');
    expect(deploy.status).toBe(0);
    expect(owner('srv/app/current').uid).toBe(idOf('passwd', 'fleetdeploy'));

    const app = (command: string) => runAs('fleetapp', `cd ${join(kit.root, 'srv/app')} && ${command}`);
    expect(app('cat current/RELEASE').status).toBe(0);
    expect(app('touch shared/log').status).toBe(0);
    for (const write of [
      'touch releases/planted',
      'echo x > current/RELEASE',
      'mkdir current/planted',
      'ln -sfn /tmp current',
      'mv -T -f shared current',
      `touch ${join(kit.root, 'var/lib/fleet-pilot/deploy/.gitconfig')}`,
      `echo x >> ${join(kit.root, 'etc/fleet-pilot/kit.env')}`,
    ]) {
      expect({ write, status: app(write).status }).toEqual({ write, status: 1 });
    }
    expect(existsSync(join(kit.root, 'srv/app/current/RELEASE'))).toBe(true);
  });

  it('lets the kit group read kit.env and no one else', () => {
    const kitEnv = join(kit.root, 'etc/fleet-pilot/kit.env');
    expect(runAs('fleetapp', `cat ${kitEnv}`).status).toBe(0);
    expect(runAs('fleetapp', `cat ${kitEnv}`, false).status).toBe(1);
    expect(statSync(kitEnv).mode & 0o007).toBe(0);
  });

  it('refuses a releases link the app user planted under an app directory of an older kit', () => {
    const victim = victims();
    const app = idOf('passwd', 'fleetapp');
    kit.run('rm', ['-rf', join(kit.root, 'srv/app/releases')]);
    plant('srv/app/releases', victim.dir);
    lchownSync(join(kit.root, 'srv/app/releases'), app, app);
    const result = kit.install();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('srv/app/releases is a symbolic link install.sh did not create');
    expect(statSync(victim.dir).uid).toBe(0);
  });

  it('refuses an app directory inside a directory the app user owns', () => {
    const app = idOf('passwd', 'fleetapp');
    mkdirSync(join(kit.root, 'home/fleetapp'), { recursive: true });
    chownSync(join(kit.root, 'home/fleetapp'), app, app);
    const result = kit.install(['--app-dir', '/home/fleetapp/app']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${join(kit.root, 'home/fleetapp')} is owned by uid ${app}`);
  });

  it('accepts an app directory in the deploy user’s own home (the Capistrano layout)', () => {
    const deploy = idOf('passwd', 'fleetdeploy');
    mkdirSync(join(kit.root, 'home/fleetdeploy'), { recursive: true, mode: 0o755 });
    chownSync(join(kit.root, 'home/fleetdeploy'), deploy, deploy);
    const result = kit.install(['--app-dir', '/home/fleetdeploy/app']);
    expect(result.stderr).not.toContain('refus');
    expect(result.status).toBe(0);
    expect(owner('home/fleetdeploy/app/releases').uid).toBe(deploy);
  });
});

describe('install.sh as root with a deploy user that already exists', () => {
  beforeEach(() => {
    requireRoot();
    seedUsers();
    const users = join(kit.root, 'etc/passwd');
    writeFileSync(users, `${readFileSync(users, 'utf8')}deploy:x:1500:100::/home/deploy:/bin/sh\n`);
    const groups = join(kit.root, 'etc/group');
    writeFileSync(groups, `${readFileSync(groups, 'utf8')}users:x:100:\n`);
    mkdirSync(join(kit.root, 'home/deploy'), { recursive: true });
    chmodSync(join(kit.root, 'home'), 0o755);
  });

  it('uses it with its own primary group and adds it to the kit group', () => {
    chownSync(join(kit.root, 'home/deploy'), 1500, 100);
    chmodSync(join(kit.root, 'home/deploy'), 0o750);
    const result = kit.install(['--deploy-user', 'deploy', '--app-dir', '/home/deploy/app']);
    expect(result.stderr).not.toContain('refus');
    expect(result.status).toBe(0);
    const stat = lstatSync(join(kit.root, 'home/deploy/app/releases'));
    expect({ uid: stat.uid, gid: stat.gid }).toEqual({ uid: 1500, gid: 100 });
    expect(readFileSync(join(kit.root, 'etc/group'), 'utf8')).toMatch(/^fleet-pilot:x:\d+:.*\bdeploy\b/m);
  });

  it('refuses it when another user could write its home, and its dotfiles with it', () => {
    chownSync(join(kit.root, 'home/deploy'), 1500, 100);
    chmodSync(join(kit.root, 'home/deploy'), 0o770);
    const before = treeListing(kit.root);
    const result = kit.install(['--deploy-user', 'deploy']);
    expect(result.status).toBe(1);
    expect(treeListing(kit.root)).toEqual(before);
    expect(result.stderr).toContain(
      '--deploy-user (DEPLOY_USER): its home /home/deploy (owner uid 1500, mode 770)',
    );
  });
});
