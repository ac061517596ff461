/**
 * The two sides of the health check against each other on loopback: servers built by the kit
 * (installed into a temporary root, each process run as its unit runs it) and the control plane's
 * default check for their role (the real HttpHealthProbe with DEFAULT_CONFIG's settings).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { HttpHealthProbe } from '../../adapters/http-health-probe.js';
import { DEFAULT_CONFIG } from '../../domain/config.js';
import { unusedPort } from '../support/http-server.js';
import {
  APP,
  DEPLOY,
  HEALTH,
  JOB,
  launchUnit,
  ROLE_ENV,
  roleEnv,
  START,
  serveSocketUnit,
  useInstalledKit,
} from './kit-root.js';

const kit = useInstalledKit();
// Each server its own loopback address, as each server has its own private address.
const JOB_HOST = '127.0.18.2';
const APP_HOST = '127.0.18.3';

/** The port and path the role's default check asks for. */
function defaultTarget(role: 'app' | 'job') {
  const url = new URL(DEFAULT_CONFIG.roles[role].health.urlTemplate.replace('{privateIp}', 'server.invalid'));
  return { port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)), path: url.pathname };
}

/**
 * The role's default check with only its port moved: a test may not bind below 1024, and the kit's
 * port is checked against the default's separately.
 */
function defaultCheckAt(role: 'app' | 'job', port: number): HttpHealthProbe {
  const health = DEFAULT_CONFIG.roles[role].health;
  const url = new URL(health.urlTemplate.replace('{privateIp}', 'server.invalid'));
  url.port = String(port);
  return new HttpHealthProbe({ ...health, urlTemplate: url.href.replace('server.invalid', '{privateIp}') });
}

const releaseId = () =>
  kit
    .run('readlink', [`${kit.root}/srv/app/current`])
    .stdout.trim()
    .split('/')[1];

describe("the job role's default check against a job server built by the kit", () => {
  beforeEach(() => kit.write(ROLE_ENV, roleEnv(JOB)));

  it('aims at the port the kit serves its health endpoint on', () => {
    const socket = kit.read('etc/systemd/system/fleet-pilot-health.socket');
    expect(socket).toMatch(new RegExp(`^ListenStream=${defaultTarget('job').port}$`, 'm'));
  });

  it('passes while a worker runs and fails with none, naming the release and the workers', async () => {
    expect(kit.runKit(DEPLOY).status).toBe(0);
    const port = await unusedPort(JOB_HOST);
    await serveSocketUnit(kit, 'fleet-pilot-health.socket', JOB_HOST, port);
    const check = defaultCheckAt('job', port);
    const page = async () => (await fetch(`http://${JOB_HOST}:${port}${defaultTarget('job').path}`)).text();

    expect(await check.check(JOB_HOST)).toEqual({ healthy: false, reason: expect.stringMatching(/\b503\b/) });
    expect(await page()).toMatch(/^workers: +0 running of 4$/m);

    expect(kit.runKit(START).status).toBe(0); // starts workers 1-4
    expect(await check.check(JOB_HOST)).toEqual({ healthy: true });
    expect(await page()).toMatch(new RegExp(`^release: +${releaseId()}$`, 'm'));
    expect(await page()).toMatch(/^workers: +4 running of 4$/m);

    kit.run('systemctl', ['stop', 'fleet-pilot-worker@2.service', 'fleet-pilot-worker@3.service']);
    expect(await check.check(JOB_HOST)).toEqual({ healthy: true });

    kit.run('systemctl', ['stop', 'fleet-pilot-worker@*.service']);
    expect(await check.check(JOB_HOST)).toEqual({ healthy: false, reason: expect.stringMatching(/\b503\b/) });
  });
});

describe("the job role's default check against a job server warming for the warm pool", () => {
  beforeEach(() => {
    kit.write(ROLE_ENV, roleEnv(JOB));
    kit.write('etc/fleet-pilot/warming', '');
  });

  it('passes with its release deployed and no worker running, and says it is warming', async () => {
    const port = await unusedPort(JOB_HOST);
    await serveSocketUnit(kit, 'fleet-pilot-health.socket', JOB_HOST, port);
    const check = defaultCheckAt('job', port);
    const page = async () => (await fetch(`http://${JOB_HOST}:${port}${defaultTarget('job').path}`)).text();

    expect(await check.check(JOB_HOST)).toEqual({ healthy: false, reason: expect.stringMatching(/\b503\b/) });
    expect(kit.runKit(DEPLOY).status).toBe(0);
    expect(kit.runKit(START).status).toBe(0);
    expect(kit.activeUnits()).toEqual([]);
    expect(await check.check(JOB_HOST)).toEqual({ healthy: true });
    expect(await page()).toMatch(/^workers: +none while warming for the warm pool$/m);
    expect(await page()).toMatch(/^warming: +yes$/m);
  });
});

describe("the app role's default check against an app server built by the kit", () => {
  it("aims at the kit's default app port and health path", () => {
    const settings = kit.read('etc/fleet-pilot/kit.env');
    expect(settings).toContain(`\nAPP_PORT=${defaultTarget('app').port}\n`);
    expect(settings).toContain(`\nHEALTH_PATH=${defaultTarget('app').path}\n`);
  });

  it('passes once the app server the kit starts answers with its welcome page', async () => {
    const port = await unusedPort(APP_HOST);
    // The app's own command, as the image would give it: it serves its front page on $APP_PORT.
    const app = `require('node:http').createServer((q, s) => s.end('<h1>Welcome to SmallPayroll</h1>'))
      .listen(process.env.APP_PORT, '${APP_HOST}', () => console.log('listening'))`;
    const appStart = `exec '${process.execPath}' -e "${app.replaceAll('\n', ' ')}"`;
    expect(kit.install(['--app-start', appStart, '--app-port', String(port)]).status).toBe(0);
    kit.write(ROLE_ENV, roleEnv(APP));
    expect(kit.runKit(DEPLOY).status).toBe(0);
    expect(kit.runKit(START).status).toBe(0);
    const check = defaultCheckAt('app', port);

    expect(await check.check(APP_HOST)).toEqual({ healthy: false, reason: expect.any(String) });
    await printed(launchUnit(kit, 'fleet-pilot-app.service'), 'listening');
    expect(await check.check(APP_HOST)).toEqual({ healthy: true });
  });
});

describe('fleet-pilot-health, one request on standard input', () => {
  const ask = (request: string, env: Record<string, string> = {}) => {
    const result = kit.run(`${kit.root}/${HEALTH}`, [], { input: request, env });
    const [head = '', body = ''] = result.stdout.split('\r\n\r\n');
    return { status: head.split(' ')[1], head, body, stderr: result.stderr, exit: result.status };
  };
  const GET = 'GET /health HTTP/1.1\r\nHost: server\r\nAccept: */*\r\n\r\n';

  beforeEach(() => kit.write(ROLE_ENV, roleEnv(JOB)));

  it('answers HEAD with the headers of GET and no body', () => {
    const get = ask(GET);
    const head = ask(GET.replace('GET', 'HEAD'));
    expect(head.status).toBe(get.status);
    expect(head.head).toContain(`Content-Length: ${Buffer.byteLength(get.body)}\r\n`);
    expect(head.body).toBe('');
  });

  it.each([
    ['GET /other HTTP/1.1\r\n\r\n', '404'],
    ['POST /health HTTP/1.1\r\nContent-Length: 0\r\n\r\n', '405'],
    ['hello\r\n\r\n', '400'],
  ])('answers %j with %s', (request, status) => {
    expect(ask(request).status).toBe(status);
  });

  it('says no release is deployed before the first deploy', () => {
    const answer = ask(GET);
    expect(answer.status).toBe('503');
    expect(answer.body).toMatch(/^fleet-pilot health: failing \(no release deployed\)$/m);
  });

  it('fails naming the line when role.env is rejected, without running it', () => {
    kit.write(ROLE_ENV, `${roleEnv(JOB)}FLEET_STACK=$(touch pwned)\n`);
    const answer = ask(GET);
    expect(answer.status).toBe('503');
    expect(answer.body).toContain('role.env line 4 rejected');
    expect(answer.exit).toBe(0);
    expect(existsSync(join(kit.root, '../pwned'))).toBe(false);
  });

  it('fails saying systemd could not be asked, rather than counting no workers', () => {
    expect(kit.runKit(DEPLOY).status).toBe(0);
    expect(kit.runKit(START).status).toBe(0);
    const answer = ask(GET, { STUB_SYSTEMCTL_FAILS: '1' });
    expect(answer.status).toBe('503');
    expect(answer.body).toMatch(/^fleet-pilot health: failing \(could not ask systemd/m);
  });

  it('answers an app server by its app server unit', () => {
    kit.write(ROLE_ENV, roleEnv(APP));
    expect(kit.runKit(DEPLOY).status).toBe(0);
    expect(ask(GET).body).toMatch(/^app: +inactive$/m);
    expect(kit.runKit(START).status).toBe(0);
    const answer = ask(GET);
    expect(answer.status).toBe('200');
    expect(answer.body).toMatch(/^fleet-pilot health: ok\nrole: +app\n/);
    expect(answer.body).toMatch(/^app: +active$/m);
  });
});

/** Resolves once `child` prints `text` on its standard output; rejects if it exits first. */
function printed(child: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes(text)) resolve();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('exit', (code) => reject(new Error(`exited (${code}) before printing ${text}: ${err}`)));
  });
}
