/**
 * The bad-input corpus: every file next to this one is a list of inputs that must be refused or
 * held on, each with what must be said about it. Queue bodies go through a real loopback HTTP
 * server and the real HttpQueueProbe into a tick (hold, never scale in, reason journaled); control
 * commands and EC2 events go through the handler functions (refused naming the field, nothing
 * changed); config documents through the config parser (ConfigError naming the key path).
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpQueueProbe } from '../../adapters/http-queue-probe.js';
import { MemoryLedger } from '../../adapters/memory-ledger.js';
import { parseConfig } from '../../domain/config.js';
import { ConfigError } from '../../domain/errors.js';
import { type QueueProbe, SILENT_OBSERVER } from '../../domain/ports.js';
import { testConfig } from '../../fakes/config.js';
import { FakeCloud, ManualClock } from '../../fakes/fake-cloud.js';
import { type Harness, harness, MONDAY_10AM, runFor } from '../../fakes/harness.js';
import { createApp, logger, readEnvironment } from '../../handlers/app.js';
import { runControl } from '../../handlers/control.js';
import { runInstanceState } from '../../handlers/instance-state.js';
import { runQueueProbe } from '../../handlers/queue-probe.js';
import { later, startHttpServer, type TestHttpServer, trickle, unusedPort } from '../support/http-server.js';

const MINUTE = 60_000;
const PROBE_TIMEOUT_MS = 200;

function corpus<T>(file: string): T[] {
  const url = new URL(file, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { cases: T[] }).cases;
}

function rawBody(file: string): Buffer {
  return readFileSync(fileURLToPath(new URL(`queue-bodies/${file}`, import.meta.url)));
}

interface QueueCase {
  name: string;
  status?: number;
  contentType?: string;
  body?: string;
  bodyFile?: string;
  behaviour?: 'silent' | 'trickle' | 'redirect-loop' | 'reset' | 'refused';
  expect: string;
}

interface ControlCase {
  name: string;
  command: unknown;
  issue: string;
}

interface EventCase {
  name: string;
  event: unknown;
  ignored: string;
}

interface ConfigCase {
  name: string;
  over?: unknown;
  document?: unknown;
  env?: Record<string, string>;
  path: string;
  expect: string;
}

const queueCases = corpus<QueueCase>('queue-bodies.json');
const controlCases = corpus<ControlCase>('control-commands.json');
const eventCases = corpus<EventCase>('ec2-events.json');
const configCases = corpus<ConfigCase>('configs.json');

beforeAll(() => {
  // The instance-state handler logs each refused event; the assertions below say what matters.
  logger.setLogLevel('SILENT');
});

it('holds at least 30 bad inputs across every kind', () => {
  expect(queueCases.length).toBeGreaterThanOrEqual(11);
  expect(controlCases.length).toBeGreaterThanOrEqual(6);
  expect(eventCases.length).toBeGreaterThanOrEqual(5);
  expect(configCases.length).toBeGreaterThanOrEqual(5);
  expect(
    queueCases.length + controlCases.length + eventCases.length + configCases.length,
  ).toBeGreaterThanOrEqual(30);
});

type Serve = (req: IncomingMessage, res: ServerResponse) => void;

function serveFor(c: QueueCase): Serve {
  switch (c.behaviour) {
    case 'silent':
      return (_req, res) => later(res, 5_000, () => res.end('12'));
    case 'trickle':
      return (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        trickle(res, ['1', '2', '3', '4', '5', '6', '7', '8'], 100);
      };
    case 'redirect-loop':
      return (req, res) => {
        res.writeHead(302, { location: req.url ?? '/' });
        res.end();
      };
    case 'reset':
      return (req) => req.socket.destroy();
    default: {
      const body = c.bodyFile === undefined ? Buffer.from(c.body ?? '') : rawBody(c.bodyFile);
      return (_req, res) => {
        res.writeHead(c.status ?? 200, { 'content-type': c.contentType ?? 'text/plain' });
        res.end(c.status === 204 ? undefined : body);
      };
    }
  }
}

describe('queue bodies: the job role holds and journals why', () => {
  let server: TestHttpServer;
  let serve: Serve = () => undefined;
  let served: QueueProbe;
  let refused: QueueProbe;

  beforeAll(async () => {
    server = await startHttpServer((req, res) => serve(req, res));
    const settings = { timeoutMs: PROBE_TIMEOUT_MS, maxBodyBytes: 64, maxSaneLength: 1_000_000 };
    served = new HttpQueueProbe({ url: `${server.url}/queue/length`, ...settings });
    refused = new HttpQueueProbe({ url: `http://127.0.0.1:${await unusedPort()}/queue/length`, ...settings });
  });
  afterAll(async () => {
    await server.close();
  });

  /** The job role on the fake cloud, its queue read through the real probe (switchable). */
  function jobFleet() {
    const clock = new ManualClock(MONDAY_10AM);
    const cloud = new FakeCloud({ clock, stack: 'fleet-pilot-test' });
    const ledger = new MemoryLedger();
    let probe = served;
    let next = 0;
    // Per-second billing and no minimum lifetime: a known short queue scales in within minutes.
    const config = testConfig({
      roles: {
        app: null,
        job: {
          lifecycle: { billing: 'per-second', minLifetimeMinutes: 0 },
          queue: { timeoutMs: PROBE_TIMEOUT_MS },
        },
      },
    });
    const app = createApp({
      config,
      stack: cloud.stack,
      ledger,
      compute: cloud.compute,
      loadBalancers: {},
      healthProbes: { job: cloud.healthProbe },
      queueProbes: { job: { read: (now) => probe.read(now) } },
      clock,
      observer: SILENT_OBSERVER,
      newId: () => `00000000-0000-4000-8000-${(++next).toString(16).padStart(12, '0')}`,
    });
    const tick = async (minutes: number) => {
      for (let i = 0; i < minutes; i += 1) {
        clock.advance(MINUTE);
        cloud.advance();
        await runQueueProbe({}, app).catch(() => undefined);
      }
    };
    return {
      app,
      cloud,
      ledger,
      tick,
      use(which: 'served' | 'refused') {
        probe = which === 'served' ? served : refused;
      },
    };
  }

  /** A long queue brings the job role to 3 servers in service. */
  async function busyFleet() {
    const fleet = jobFleet();
    serve = serveFor({ name: 'busy', body: '500\n', expect: '' });
    await fleet.tick(4);
    expect(fleet.cloud.alive('job')).toHaveLength(3);
    return fleet;
  }

  it('a plain "0" is a queue length: the same fleet scales in (so the holds below are the probe\'s doing)', async () => {
    const fleet = await busyFleet();
    serve = serveFor({ name: 'idle', body: '0\n', expect: '' });
    await fleet.tick(7);
    expect(fleet.cloud.alive('job')).toHaveLength(1);
  });

  it.each(queueCases)('$name: holds, no scale-in, the reason journaled', async (c) => {
    const fleet = await busyFleet();
    const servers = JSON.stringify(await fleet.ledger.listServers('job'));
    serve = serveFor(c);
    fleet.use(c.behaviour === 'refused' ? 'refused' : 'served');
    await fleet.tick(7); // longer than the 300 s stabilization window
    expect(fleet.cloud.alive('job')).toHaveLength(3);
    expect(fleet.cloud.callCount('terminate')).toBe(0);
    expect(JSON.stringify(await fleet.ledger.listServers('job'))).toBe(servers);
    const [latest] = await fleet.ledger.samplesSince('job', 0).then((s) => s.reverse());
    expect(latest).toMatchObject({ length: null, error: expect.stringMatching(new RegExp(c.expect)) });
    const [entry] = await fleet.ledger.recentJournal('job', 1);
    expect(entry?.summary).toMatch(/hold: queue length unknown \(/);
    expect(entry?.summary).toMatch(new RegExp(c.expect));
  });
});

/** What a refused input must not change: the ledger, the overrides, the cloud. */
async function snapshot(h: Harness): Promise<string> {
  const roles = Object.keys(h.config.roles);
  return JSON.stringify({
    records: await Promise.all(roles.map((r) => h.ledger.listServers(r))),
    controls: await Promise.all(roles.map((r) => h.ledger.getControls(r))),
    instances: [...h.cloud.instances.values()].map((i) => `${i.instanceId}:${i.state}`),
    members: [...h.cloud.members.entries()].map(([name, ids]) => [name, [...ids]]),
    mutations: ['launch', 'terminate', 'register', 'deregister'].map((op) =>
      h.cloud.callCount(op as 'launch'),
    ),
  });
}

async function settledHarness(): Promise<Harness> {
  const h = harness();
  await runFor(h, 4 * MINUTE);
  expect(h.cloud.alive('app')).toHaveLength(3);
  return h;
}

describe('control commands: refused naming the field, nothing changed', () => {
  it.each(controlCases)('$name', async (c) => {
    const h = await settledHarness();
    const before = await snapshot(h);
    const result = await runControl(c.command, h.app);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.some((issue) => new RegExp(c.issue).test(issue))).toBe(true);
    expect(result.error).toMatch(/^invalid command: /);
    expect(await snapshot(h)).toBe(before);
  });
});

describe('EC2 events: malformed or foreign ones are ignored with the reason, nothing changed', () => {
  it.each(eventCases)('$name', async (c) => {
    const h = await settledHarness();
    const foreign = h.cloud.addForeign({ stack: 'someone-else', role: 'app' });
    const event = JSON.parse(JSON.stringify(c.event).replace('$foreign', foreign.instanceId)) as unknown;
    const before = await snapshot(h);
    // Lookups (the instance by id) change nothing; anything else would act.
    const acting = () => h.cloud.calls.filter((call) => call.op !== 'list' && call.op !== 'find').length;
    const calls = acting();
    const result = await runInstanceState(event, h.app);
    expect(result).toEqual({ ignored: expect.stringMatching(new RegExp(c.ignored)) });
    expect(acting()).toBe(calls);
    expect(await snapshot(h)).toBe(before);
  });
});

describe('config documents: ConfigError naming the key path', () => {
  it.each(configCases)('$name', (c) => {
    let error: unknown;
    try {
      if (c.env !== undefined) readEnvironment(c.env);
      else if (c.over !== undefined) testConfig(c.over);
      else parseConfig(c.document);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    const named = issues.filter((issue) => issue.startsWith(`${c.path}: `));
    expect(named, issues.join('\n')).not.toEqual([]);
    expect(
      named.some((issue) => new RegExp(c.expect).test(issue)),
      named.join('\n'),
    ).toBe(true);
  });
});
