/**
 * One bounded HTTP GET for the probes: a hard deadline for the whole exchange (connect, headers and
 * body), a byte budget for the body, no redirects followed, no pooled sockets. Every way out
 * destroys the request and clears the timer, so nothing outlives the call.
 */
import {
  type ClientRequest,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface ResponseHead {
  status: number;
  headers: IncomingHttpHeaders;
}

export interface BoundedGetOptions {
  /** Deadline for the whole exchange, body included: a server that trickles bytes is cut off. */
  timeoutMs: number;
  /** Bytes of body the reader may see; one byte more and the body is `too-large`. */
  maxBodyBytes: number;
  headers?: Record<string, string>;
  /** Looks at the status and headers; `false` ends the exchange without reading the body. */
  wantBody(head: ResponseHead): boolean;
  /**
   * Sees the body chunk by chunk, never a byte past `maxBodyBytes`; returns `true` once it has seen
   * enough, which ends the exchange early.
   */
  read(chunk: Buffer): boolean;
}

/** How the body reading ended: `skipped` (by `wantBody`), `complete`, `stopped` (by `read`), `too-large`. */
export type BodyEnding = 'skipped' | 'complete' | 'stopped' | 'too-large';

export type BoundedGetOutcome =
  | { kind: 'response'; head: ResponseHead; body: BodyEnding }
  | { kind: 'failed'; reason: string };

/**
 * GETs `url` (http: or https: only) within the limits. Never throws and never rejects: network
 * failures, timeouts and a body cut short are `{ kind: 'failed', reason }`.
 */
export function boundedGet(url: URL, options: BoundedGetOptions): Promise<BoundedGetOutcome> {
  return new Promise((resolve) => {
    let phase: 'headers' | 'body' = 'headers';
    let settled = false;
    let received = 0;
    let req: ClientRequest | undefined;
    let response: IncomingMessage | undefined;

    const finish = (outcome: BoundedGetOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Also after a complete body: the socket must not linger for a keep-alive that never comes.
      response?.destroy();
      req?.destroy();
      resolve(outcome);
    };
    const fail = (error: unknown): void => {
      const where = phase === 'body' ? ' while reading the body' : '';
      finish({ kind: 'failed', reason: `${describeNetworkError(error, url)}${where}` });
    };

    const timer = setTimeout(() => {
      const where = phase === 'body' ? 'reading the body' : 'waiting for the response';
      finish({ kind: 'failed', reason: `timed out after ${options.timeoutMs} ms ${where}` });
    }, options.timeoutMs);

    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      finish({ kind: 'failed', reason: `unsupported protocol ${url.protocol}` });
      return;
    }

    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    try {
      req = send(url, {
        method: 'GET',
        // A one-off agent: no pooled keep-alive socket survives the call.
        agent: false,
        headers: { 'user-agent': 'fleet-pilot-probe', connection: 'close', ...options.headers },
      });
    } catch (error) {
      fail(error);
      return;
    }

    req.on('error', fail);
    req.on('response', (res) => {
      response = res;
      res.on('error', fail);
      const head: ResponseHead = { status: res.statusCode ?? 0, headers: res.headers };
      if (!options.wantBody(head)) {
        finish({ kind: 'response', head, body: 'skipped' });
        return;
      }
      phase = 'body';
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        const room = options.maxBodyBytes - received;
        const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
        received += part.length;
        if (part.length > 0 && options.read(part)) {
          finish({ kind: 'response', head, body: 'stopped' });
        } else if (chunk.length > room) {
          finish({ kind: 'response', head, body: 'too-large' });
        }
      });
      res.on('end', () => finish({ kind: 'response', head, body: 'complete' }));
      res.on('close', () => {
        if (!res.complete)
          finish({ kind: 'failed', reason: 'connection closed before the body was complete' });
      });
    });
    req.end();
  });
}

/** "status 503", or for a 3xx "redirect to <location> (status 302, not followed)". */
export function describeStatus(head: ResponseHead): string {
  if (head.status >= 300 && head.status < 400) {
    const location = head.headers.location;
    const target = location === undefined ? '(no location)' : truncate(location, 200);
    return `redirect to ${target} (status ${head.status}, not followed)`;
  }
  return `status ${head.status}`;
}

export function isSuccess(head: ResponseHead): boolean {
  return head.status >= 200 && head.status < 300;
}

function describeNetworkError(error: unknown, url: URL): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused by ${url.host}`;
    case 'ECONNRESET':
      return `connection reset by ${url.host}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found: ${url.hostname}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `host unreachable: ${url.hostname}`;
    default: {
      const message = error instanceof Error ? error.message : String(error);
      return `request failed: ${code ?? message}`;
    }
  }
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}
