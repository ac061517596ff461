/**
 * The local sandbox's control function, served on a loopback address by `npm start -- --serve`:
 * one JSON POST per command. Only loopback URLs are accepted, so a command never leaves the machine.
 */
import { request } from 'node:http';
import type { ControlEndpoint } from '../domain/control-port.js';
import { InvalidRequestError, NotFoundError, TransientError } from '../domain/errors.js';

/** A converge behind a command may wait for the role's lease and health checks. */
const TIMEOUT_MS = 30_000;
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export class LoopbackControlEndpoint implements ControlEndpoint {
  readonly target: string;
  private readonly url: URL;

  /** @throws InvalidRequestError when `url` is not an http URL on a loopback address. */
  constructor(url: string) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new InvalidRequestError(`sandbox control URL "${url}" is not a URL`);
    }
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    if (parsed.protocol !== 'http:' || !(/^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1')) {
      throw new InvalidRequestError(`sandbox control URL "${url}" is not http on a loopback address`);
    }
    this.url = parsed;
    this.target = `the sandbox at ${parsed.origin}`;
  }

  send(command: Record<string, unknown>): Promise<unknown> {
    const body = JSON.stringify(command);
    return new Promise((resolve, reject) => {
      const req = request(
        this.url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          timeout: TIMEOUT_MS,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) {
              req.destroy(new TransientError(`${this.target} answered more than ${MAX_BODY_BYTES} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) {
              reject(
                new TransientError(`${this.target} answered HTTP ${res.statusCode}: ${text.slice(0, 200)}`),
              );
              return;
            }
            try {
              resolve(JSON.parse(text));
            } catch {
              reject(new TransientError(`${this.target} answered no JSON: ${text.slice(0, 200)}`));
            }
          });
          res.on('error', (error) => reject(new TransientError(`${this.target}: ${error.message}`)));
        },
      );
      req.on('timeout', () =>
        req.destroy(new TransientError(`${this.target} did not answer in ${TIMEOUT_MS / 1000} s`)),
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof TransientError) reject(error);
        else if (error.code === 'ECONNREFUSED') {
          reject(new NotFoundError(`${this.target} is not running (connection refused)`, { cause: error }));
        } else reject(new TransientError(`${this.target}: ${error.message}`, { cause: error }));
      });
      req.end(body);
    });
  }
}
