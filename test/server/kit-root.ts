/**
 * A temporary root for the server kit's scripts: the kit installed into it with DESTDIR, stand-ins
 * for systemctl, aws and git first on PATH (they record their calls and keep the set of active
 * units; aws copies objects from a directory standing in for S3; git runs the real one, limited to
 * local repositories), and helpers to run a script there and read what it left.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { requireTool } from '../support/system-tools.js';

export const REPO = join(__dirname, '../..');
export const KIT = join(REPO, 'server');
const STUBS = join(__dirname, 'stubs');

/** Where the kit installs, inside a root. */
export const SBIN = 'usr/local/sbin';
export const DEPLOY = `${SBIN}/fleet-pilot-deploy`;
export const START = `${SBIN}/fleet-pilot-start`;
export const STATUS = `${SBIN}/fleet-pilot-status`;
export const RUN = 'usr/local/lib/fleet-pilot/fleet-pilot-run';
export const HEALTH = 'usr/local/lib/fleet-pilot/fleet-pilot-health';
export const ROLE_ENV = 'etc/fleet-pilot/role.env';
export const UNITS = [
  'fleet-pilot-role.target',
  'fleet-pilot-deploy.service',
  'fleet-pilot-start.service',
  'fleet-pilot-app.service',
  'fleet-pilot-worker@1.service',
  'fleet-pilot-health.socket',
  'fleet-pilot-health@1.service',
];

export const roleEnv = (lines: Record<string, string>) =>
  `${Object.entries(lines)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
export const JOB = { FLEET_ROLE: 'job', FLEET_DB_HOST: '127.0.0.5', FLEET_WORKERS: '4' };
export const APP = { FLEET_ROLE: 'app', FLEET_DB_HOST: 'db.internal', FLEET_WORKERS: '2' };

/**
 * A release tarball holding `files`, byte for byte the same on every call (sorted names, fixed
 * times and owners, no gzip time stamp), so its SHA-256 can be pinned once.
 */
export function releaseArchive(files: Record<string, string>): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-pilot-release-'));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    const result = spawnSync(
      'bash',
      [
        '-c',
        'set -o pipefail; tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - -C "$1" . | gzip -n',
        '-',
        dir,
      ],
      { maxBuffer: 1 << 24 },
    );
    if (result.status !== 0) throw new Error(`tar failed: ${result.stderr}`);
    return result.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** The release the test settings deploy: an S3 object holding RELEASE (its own URL), pinned by SHA-256. */
export const RELEASE_OBJECT = 's3://releases-bucket/app/app.tar.gz';
export const RELEASE_ARCHIVE = releaseArchive({ RELEASE: `${RELEASE_OBJECT}\n` });

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface KitRoot {
  /** The directory standing in for `/` on the server. */
  root: string;
  /**
   * Runs a command with the stand-ins first on a minimal PATH and FLEET_KIT_ROOT set. It runs in its
   * own process group, killed whole when it returns (or after `timeoutMs`, default 15 s), so nothing
   * it started in the background outlives the call.
   */
  run(
    command: string,
    args?: string[],
    options?: { env?: Record<string, string>; input?: string; timeoutMs?: number; cwd?: string },
  ): Run;
  /**
   * Starts a command as `run` does but without waiting for it (a server). It runs in its own process
   * group, killed whole by cleanup().
   */
  spawn(
    command: string,
    args?: string[],
    options?: { env?: Record<string, string>; cwd?: string },
  ): ChildProcess;
  /** Runs the installed kit's script `relative` (e.g. `usr/local/sbin/fleet-pilot-deploy`). */
  runKit(relative: string, args?: string[]): Run;
  /** Runs install.sh into the root with the test settings plus `extra` flags. */
  install(extra?: string[]): Run;
  /** Writes a file under the root. */
  write(path: string, content: string): void;
  read(path: string): string;
  /** The stand-ins' calls so far, one line each (`systemctl start …`, `aws s3 cp …`). */
  calls(): string[];
  /** Units the systemctl stand-in holds active, sorted. */
  activeUnits(): string[];
  /** Marks a unit active, as if it had been running before. */
  activate(unit: string): void;
  /** Puts an object into the stand-in S3, e.g. `putObject('s3://bucket/key.tar.gz', bytes)`. */
  putObject(url: string, body: Buffer | string): void;
  /** Makes every fetch (aws, git) fail until called with false. */
  failFetches(fail: boolean): void;
  cleanup(): void;
}

/** Settings for install.sh: fast retries, two releases kept, commands that print what they see. */
export const TEST_SETTINGS = [
  '--release-source',
  RELEASE_OBJECT,
  '--release-sha256',
  sha256(RELEASE_ARCHIVE),
  '--app-start',
  'echo "app in $PWD for $FLEET_DB_HOST"',
  '--worker-start',
  'echo "worker $FLEET_WORKER_INDEX in $PWD for $FLEET_DB_HOST"',
  '--keep-releases',
  '2',
  '--fetch-attempts',
  '3',
  '--fetch-backoff',
  '0',
];

/** A fresh root; with `from`, a copy of that root (one installed in beforeAll), not an empty one. */
export function makeKitRoot(from?: string): KitRoot {
  const base = mkdtempSync(join(tmpdir(), 'fleet-pilot-kit-'));
  const root = join(base, 'root');
  const bin = join(base, 'bin');
  const state = join(base, 'state');
  const log = join(base, 'calls.log');
  const fetchFails = join(base, 'fetch-fails');
  const s3 = join(base, 's3');
  if (from) spawnSync('cp', ['-a', from, root]);
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(bin);
  for (const stub of readdirSync(STUBS)) copyFileSync(join(STUBS, stub), join(bin, stub));
  writeFileSync(join(root, 'etc/hosts'), '127.0.0.1 localhost\n');
  writeFileSync(log, '');

  // Only the stand-ins and the system's own tools: a command the stand-ins lack fails rather than
  // reaching a real aws CLI (and, through it, credentials or instance metadata on the network).
  const env = {
    ...process.env,
    PATH: `${bin}:/usr/bin:/bin:/usr/sbin:/sbin`,
    AWS_EC2_METADATA_DISABLED: 'true',
    FLEET_KIT_ROOT: root,
    STUB_LOG: log,
    STUB_STATE: state,
    STUB_FETCH_FAILS: fetchFails,
    STUB_S3: s3,
  };
  const putObject = (url: string, body: Buffer | string) => {
    const file = join(s3, url.replace(/^s3:\/\//, ''));
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, body);
  };
  putObject(RELEASE_OBJECT, RELEASE_ARCHIVE);
  const run: KitRoot['run'] = (command, args = [], options = {}) => {
    // `detached` (its own process group) works for spawnSync too, though Node's types omit it.
    const spawnOptions = {
      cwd: options.cwd ?? base,
      env: { ...env, ...options.env },
      input: options.input,
      encoding: 'utf8' as const,
      timeout: options.timeoutMs ?? 15_000,
      killSignal: 'SIGKILL' as const,
      detached: true,
    };
    const result = spawnSync(command, args, spawnOptions);
    killGroup(result.pid);
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const spawned: ChildProcess[] = [];

  return {
    root,
    run,
    spawn: (command, args = [], options = {}) => {
      const child = spawn(command, args, {
        cwd: options.cwd ?? base,
        env: { ...env, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      spawned.push(child);
      return child;
    },
    runKit: (relative, args = []) => run(join(root, relative), args),
    install: (extra = []) => run(join(KIT, 'install.sh'), ['--destdir', root, ...TEST_SETTINGS, ...extra]),
    write: (path, content) => {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), content);
    },
    read: (path) => readFileSync(join(root, path), 'utf8'),
    calls: () => readFileSync(log, 'utf8').split('\n').filter(Boolean),
    activeUnits: () => {
      try {
        return readdirSync(state).sort();
      } catch {
        return [];
      }
    },
    activate: (unit) => {
      mkdirSync(state, { recursive: true });
      writeFileSync(join(state, unit), '');
    },
    putObject,
    failFetches: (fail) => (fail ? writeFileSync(fetchFails, '') : rmSync(fetchFails, { force: true })),
    cleanup: () => {
      for (const child of spawned) killGroup(child.pid ?? 0);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Kills what is left of the process group `pid` leads (background jobs of a finished command). */
function killGroup(pid: number): void {
  if (!(pid > 0)) return; // never -0: that would be this process's own group
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: nothing left.
  }
}

/**
 * `systemd-analyze verify` of units inside `root`. systemd resolves the units they depend on
 * (multi-user.target, network-online.target, ...) inside the root too, so the host's unit
 * directory is copied in; the commands in ExecStart= must exist in the root.
 */
export function verifyUnits(kit: KitRoot, units: string[]): Run {
  requireTool('systemd-analyze');
  const systemUnits = join(kit.root, 'usr/lib/systemd/system');
  mkdirSync(join(kit.root, 'usr/lib/systemd'), { recursive: true });
  rmSync(systemUnits, { recursive: true, force: true });
  kit.run('cp', ['-a', '/usr/lib/systemd/system', systemUnits]);
  kit.run('ln', ['-sfn', 'usr/lib', join(kit.root, 'lib')]);
  kit.run('ln', ['-sfn', 'usr/bin', join(kit.root, 'bin')]);
  mkdirSync(join(kit.root, 'usr/bin'), { recursive: true });
  copyFileSync('/usr/bin/true', join(kit.root, 'usr/bin/true'));
  return kit.run('systemd-analyze', ['verify', `--root=${kit.root}`, ...units], {
    env: { SYSTEMD_LOG_COLOR: '0' },
  });
}

interface UnitCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** An installed unit's `ExecStart=` (`%i` filled with `instance`) and the `EnvironmentFile=`s it reads. */
function unitCommand(kit: KitRoot, unit: string, instance = ''): UnitCommand {
  const text = kit.read(`etc/systemd/system/${unit}`);
  const env: Record<string, string> = {};
  for (const [, file = ''] of text.matchAll(/^EnvironmentFile=-?(.+)$/gm)) {
    for (const [, key = '', value = ''] of kit.read(file).matchAll(/^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/gm)) {
      env[key] = value;
    }
  }
  const [command = '', ...args] = (text.match(/^ExecStart=(.+)$/m)?.[1] ?? '')
    .replaceAll('%i', instance)
    .split(' ');
  return { command: join(kit.root, command), args, env };
}

/**
 * Starts an installed unit as systemd would: each `EnvironmentFile=` read into the environment
 * (`KEY=value` lines), then its `ExecStart=` (`%i` filled with `instance`) run from the root's `/`.
 */
export function startUnit(kit: KitRoot, unit: string, instance = ''): Run {
  const { command, args, env } = unitCommand(kit, unit, instance);
  return kit.run(command, args, { env, cwd: kit.root });
}

/** Starts a long-running unit (a server) as startUnit does, without waiting; cleanup() stops it. */
export function launchUnit(kit: KitRoot, unit: string): ChildProcess {
  const { command, args, env } = unitCommand(kit, unit);
  return kit.spawn(command, args, { env, cwd: kit.root });
}

/**
 * Serves an installed socket unit with `Accept=yes` as systemd does, except that it listens on
 * `host:port` rather than its `ListenStream=`: each connection runs one instance of its service's
 * `ExecStart=` with the connection as standard input and output (`StandardInput=socket`), through
 * systemd's own `systemd-socket-activate --accept --inetd`. Resolves once it listens.
 */
export async function serveSocketUnit(
  kit: KitRoot,
  socket: string,
  host: string,
  port: number,
): Promise<void> {
  requireTool('systemd-socket-activate');
  const service = socket.replace(/\.socket$/, '@.service');
  const expected: [string, RegExp][] = [
    [socket, /^Accept=yes$/m],
    [service, /^StandardInput=socket$/m],
    [service, /^StandardOutput=socket$/m],
  ];
  for (const [unit, line] of expected) {
    if (!line.test(kit.read(`etc/systemd/system/${unit}`))) {
      throw new Error(
        `${unit} lacks ${line.source}: systemd-socket-activate --inetd would not run it as systemd does`,
      );
    }
  }
  const { command, args } = unitCommand(kit, service);
  // systemd-socket-activate passes its children only the variables named with -E.
  const passed = ['PATH', 'FLEET_KIT_ROOT', 'STUB_LOG', 'STUB_STATE', 'STUB_S3'].flatMap((name) => [
    '-E',
    name,
  ]);
  const child = kit.spawn(
    'systemd-socket-activate',
    ['--listen', `${host}:${port}`, '--accept', '--inetd', ...passed, command, ...args],
    { cwd: kit.root },
  );
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('Listening on ')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`systemd-socket-activate exited (${code}): ${stderr}`)));
    child.on('error', reject);
  });
}

/** Lists every file under `dir`: path, kind, mode and content (or link target), for comparing trees. */
export function treeListing(dir: string): string[] {
  const result = spawnSync('find', [dir, '-printf', '%P %y %m %l\\n'], { encoding: 'utf8' });
  const entries = result.stdout.split('\n').filter(Boolean).sort();
  return entries.map((entry) => {
    const [path = '', kind] = entry.split(' ');
    return kind === 'f' ? `${entry} ${readFileSync(join(dir, path), 'utf8')}` : entry;
  });
}

/**
 * Registers hooks giving each test its own root with the kit installed (installed once per file,
 * then copied), and returns the current test's root.
 */
export function useInstalledKit(): KitRoot {
  let installed: KitRoot | undefined;
  let kit: KitRoot | undefined;
  beforeAll(() => {
    installed = makeKitRoot();
    const result = installed.install();
    if (result.status !== 0) throw new Error(`install.sh failed: ${result.stderr}`);
  });
  afterAll(() => installed?.cleanup());
  beforeEach(() => {
    kit = makeKitRoot(installed?.root);
  });
  afterEach(() => kit?.cleanup());
  return new Proxy({} as KitRoot, {
    get: (_target, key: keyof KitRoot) => {
      if (!kit) throw new Error('useInstalledKit: no root outside a test');
      return kit[key];
    },
  });
}
