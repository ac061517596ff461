/**
 * The real HTTP servers of the sandbox, all on loopback: one small server per fake instance (on the
 * instance's own 127.x address) and the `/queue/length` endpoint on 127.0.0.1.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../domain/ports.js';
import type { JobQueue } from './job-queue.js';

/** The servers' settings, as a booting server reads them from `/etc/fleet-pilot/role.env` (user data). */
export interface RoleEnv {
  role: string;
  workers: number;
  drainSeconds: number;
  /** Launched to fill the warm pool: no worker at this boot (the kit reads /etc/fleet-pilot/warming). */
  warming: boolean;
}

/**
 * Reads `FLEET_ROLE`, `FLEET_WORKERS` and `FLEET_DRAIN_SECONDS` from the user-data script, the way the
 * image's units read role.env. Missing values fall back to a server with no workers. The user data
 * runs at an instance's first boot only, and the boot's tmpfiles rule removes the warming marker
 * (domain/user-data.ts): a warm server started again is not warming, and runs its workers.
 */
export function readRoleEnv(userData: string, firstBoot = true): RoleEnv {
  const value = (key: string): string | undefined => new RegExp(`^${key}=(.*)$`, 'm').exec(userData)?.[1];
  const int = (key: string): number => {
    const parsed = Number(value(key));
    return Number.isSafeInteger(parsed) && parsed >= 0 ? parsed : 0;
  };
  return {
    role: value('FLEET_ROLE') ?? 'unknown',
    workers: int('FLEET_WORKERS'),
    drainSeconds: int('FLEET_DRAIN_SECONDS'),
    warming: firstBoot && /^touch \/etc\/fleet-pilot\/warming$/m.test(userData),
  };
}

/** Only 127.0.0.0/8: the sandbox never listens anywhere else. */
export function assertLoopback(address: string): void {
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address)) {
    throw new Error(
      `refusing to listen on ${address}: the sandbox uses loopback addresses (127.0.0.0/8) only`,
    );
  }
}

export interface InstanceServerOptions {
  instanceId: string;
  address: string;
  port: number;
  env: RoleEnv;
  /** Simulated time it finishes booting: `GET /` and `GET /health` answer 503 before. */
  bootedAt: number;
  clock: Clock;
  jobs: JobQueue;
}

/**
 * One fake instance's server: `GET /` is the app's front page once booted (503 while booting) and
 * `GET /health` the server kit's health endpoint (server/lib/fleet-pilot/fleet-pilot-health), here
 * on the same port; a job server also runs `env.workers` workers on the shared queue from the
 * moment it has booted.
 */
export class InstanceServer {
  readonly served = { welcome: 0, kitOk: 0, booting: 0 };
  private server: Server | undefined;
  private stopped = false;

  constructor(private readonly options: InstanceServerOptions) {}

  get url(): string {
    return `http://${this.options.address}:${this.options.port}/`;
  }

  /** Listens on the instance's address and starts its workers. @throws the listen error (EADDRINUSE, ...). */
  async start(): Promise<void> {
    const { address, port, env, instanceId, bootedAt, jobs } = this.options;
    assertLoopback(address);
    const server = createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 1000;
    this.server = server;
    await listen(server, port, address);
    if (env.workers > 0 && env.role === 'job' && !env.warming)
      jobs.addWorkers(instanceId, env.workers, bootedAt);
  }

  /**
   * The instance is shutting down at `at`: the page goes away, workers take no new job and a running
   * job gets the drain time to finish (the user data's drain hook).
   * @returns how many running jobs the drain deadline killed (they go back to the queue).
   */
  async shutdown(at: number): Promise<number> {
    if (this.stopped) return 0;
    this.stopped = true;
    const killed = this.options.jobs.stopWorkers(
      this.options.instanceId,
      at,
      this.options.env.drainSeconds * 1000,
    );
    await this.close();
    return killed;
  }

  /** Closes the HTTP server and every open connection. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    await closeServer(server);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '/';
    if (req.method !== 'GET' || (path !== '/' && path !== KIT_HEALTH_PATH)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const { instanceId, address, env, bootedAt, clock } = this.options;
    if (clock.now() < bootedAt) {
      this.served.booting += 1;
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5' }).end('booting\n');
      return;
    }
    if (path === KIT_HEALTH_PATH) {
      this.served.kitOk += 1;
      const processes =
        env.role !== 'job'
          ? 'app:       active'
          : env.warming
            ? 'workers:   none while warming for the warm pool'
            : `workers:   ${env.workers} running of ${env.workers}`;
      res
        .writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
        .end(
          `fleet-pilot health: ok\nrole:      ${env.role}\n${processes}\ndraining:  no\nwarming:   ${env.warming ? 'yes' : 'no'}\n`,
        );
      return;
    }
    this.served.welcome += 1;
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      .end(
        `<!doctype html><title>SmallPayroll</title><h1>Welcome to SmallPayroll</h1><p>${env.role} server ${instanceId} at ${address}</p>\n`,
      );
  }
}

/** The path of the server kit's health endpoint. */
export const KIT_HEALTH_PATH = '/health';

export interface QueueEndpoint {
  url: string;
  /** Requests answered so far. */
  served(): number;
  close(): Promise<void>;
}

/** `GET /queue/length` on 127.0.0.1 (ephemeral port): the waiting jobs as a plain integer. */
export async function startQueueEndpoint(waiting: () => number): Promise<QueueEndpoint> {
  let served = 0;
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/queue/length') {
      served += 1;
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`${waiting()}\n`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  server.keepAliveTimeout = 1000;
  await listen(server, 0, '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/queue/length`,
    served: () => served,
    close: () => closeServer(server),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
