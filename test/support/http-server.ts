/**
 * Real HTTP servers on loopback for adapter tests. Tests may only talk to 127.0.0.0/8, so the host
 * must be a 127.x.y.z address; on Linux the whole block is loopback, which lets a test give each
 * server its own address.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TestHttpServer {
  /** `http://host:port` without a trailing slash. */
  url: string;
  host: string;
  port: number;
  /** Requests received so far. */
  requests(): number;
  /** Connections currently open (to check that clients closed theirs). */
  openConnections(): Promise<number>;
  /** Stops the server, dropping any connection still open. */
  close(): Promise<void>;
}

export async function startHttpServer(handler: Handler, host = '127.0.0.1'): Promise<TestHttpServer> {
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host))
    throw new Error(`tests may only use 127.0.0.0/8: ${host}`);
  let requests = 0;
  const server = createServer((req, res) => {
    requests += 1;
    handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    host,
    port,
    requests: () => requests,
    openConnections: () =>
      new Promise((resolve, reject) =>
        server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      ),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on (it was free a moment ago), for "connection refused" cases. */
export async function unusedPort(host = '127.0.0.1'): Promise<number> {
  const server = await startHttpServer(() => {}, host);
  await server.close();
  return server.port;
}

/** Runs `action` after `ms` unless the response closes first (so no timer outlives a test). */
export function later(res: ServerResponse, ms: number, action: () => void): void {
  const timer = setTimeout(action, ms);
  res.on('close', () => clearTimeout(timer));
}

/** Writes `pieces` one every `everyMs` (the first at once), then ends; stops if the client goes away. */
export function trickle(res: ServerResponse, pieces: readonly (string | Buffer)[], everyMs: number): void {
  let next = 0;
  const timer = setInterval(write, everyMs);
  res.on('close', () => clearInterval(timer));
  write();
  function write(): void {
    if (res.destroyed) return;
    const piece = pieces[next];
    next += 1;
    if (piece === undefined) {
      clearInterval(timer);
      res.end();
    } else {
      res.write(piece);
    }
  }
}
