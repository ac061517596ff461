/**
 * `npm start -- --serve`: the sandbox's control function on a loopback port, one JSON POST per
 * command, answered by the same `runControl` the Lambda function runs (validation, journal and
 * all). Where it listens is written to `<out>/sandbox.json` so `fleet-pilot --local` finds it.
 */
import { rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { App } from '../handlers/app.js';
import { runControl } from '../handlers/control.js';

const MAX_COMMAND_BYTES = 64 * 1024;

/** What `<out>/sandbox.json` holds. */
export interface SandboxEndpointFile {
  /** Where control commands are POSTed. */
  controlUrl: string;
  pid: number;
  startedAt: string;
  stack: string;
}

export interface ControlServer {
  url: string;
  file: string;
  close(): Promise<void>;
}

/** Serves `app`'s control function on 127.0.0.1:`port` (0: any free port) and writes the endpoint file. */
export async function serveControl(
  app: App,
  options: { port: number; out: string; stack: string },
): Promise<ControlServer> {
  const server = createServer((req, res) => {
    handle(app, req, res).catch((error: unknown) => {
      answer(res, 500, { ok: false, error: (error as Error).message ?? String(error), issues: [] });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/control`;
  const file = join(options.out, 'sandbox.json');
  const content: SandboxEndpointFile = {
    controlUrl: url,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    stack: options.stack,
  };
  await writeFile(file, `${JSON.stringify(content, null, 2)}\n`);
  return {
    url,
    file,
    close: async () => {
      await rm(file, { force: true });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function handle(app: App, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST' || req.url !== '/control') {
    answer(res, 404, { ok: false, error: 'POST /control with a control command', issues: [] });
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_COMMAND_BYTES) {
      answer(res, 413, { ok: false, error: `a command is at most ${MAX_COMMAND_BYTES} bytes`, issues: [] });
      return;
    }
    chunks.push(chunk as Buffer);
  }
  let command: unknown;
  try {
    command = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    answer(res, 400, { ok: false, error: 'the command is not JSON', issues: [] });
    return;
  }
  answer(res, 200, await runControl(command, app));
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
