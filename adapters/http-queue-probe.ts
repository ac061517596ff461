import { InvalidRequestError } from '../domain/errors.js';
import type { QueueProbe } from '../domain/ports.js';
import type { QueueSample } from '../domain/types.js';
import { boundedGet, describeStatus, isSuccess } from './http-get.js';

export interface HttpQueueProbeSettings {
  /** http: or https: URL answering with the queue length as plain text, or JSON (see below). */
  url: string;
  /** Deadline for the whole request, body included. */
  timeoutMs: number;
  /** A longer body is not a queue length; reading stops at the first byte past it. */
  maxBodyBytes: number;
  /** A reading above this is insane, i.e. unknown. */
  maxSaneLength: number;
}

/**
 * Reads the job queue's length from an HTTP endpoint that answers `42\n` or, as
 * `application/json`, `{"length": 42, "oldestAgeSeconds": 95}` (the age of the oldest waiting job
 * is optional; the drain-time policy uses it when present).
 *
 * Only a 2xx answer with content type `text/plain` (or none) and a body that is, after surrounding
 * ASCII whitespace, a plain decimal integer of at most `maxSaneLength` is a length. Leading zeros are
 * accepted (`007` is 7): the digits are still unambiguous decimal, and zero-padded counters exist.
 * A JSON answer must be an object whose `length` is such an integer and whose `oldestAgeSeconds`,
 * if present, is a finite non-negative number. Anything else (malformed JSON included) is an
 * unknown sample whose `error` says why, because acting on a misread queue would scale the fleet on
 * garbage.
 *
 * @example
 * const probe = new HttpQueueProbe({ url, timeoutMs: 3000, maxBodyBytes: 64, maxSaneLength: 1_000_000 });
 * await probe.read(clock.now()); // { at, length: 42 } or { at, length: null, error: 'status 500' }
 */
export class HttpQueueProbe implements QueueProbe {
  private readonly url: URL;

  /** @throws InvalidRequestError for settings no request could satisfy (bad URL, non-positive limits). */
  constructor(private readonly settings: HttpQueueProbeSettings) {
    this.url = parseHttpUrl(settings.url);
    if (!(settings.timeoutMs > 0)) throw new InvalidRequestError('queue probe timeoutMs must be positive');
    if (!(settings.maxBodyBytes >= 1)) throw new InvalidRequestError('queue probe maxBodyBytes must be >= 1');
    if (!(settings.maxSaneLength >= 0))
      throw new InvalidRequestError('queue probe maxSaneLength must be >= 0');
  }

  async read(now: number): Promise<QueueSample> {
    try {
      const result = await this.fetchLength();
      return typeof result === 'string' ? { at: now, length: null, error: result } : { at: now, ...result };
    } catch (error) {
      // The contract is "never throws": an unforeseen fault is one more unknown sample.
      return {
        at: now,
        length: null,
        error: `probe failed: ${error instanceof Error ? error.message : error}`,
      };
    }
  }

  /** The length (and the oldest job's age, if given), or the reason there is none. */
  private async fetchLength(): Promise<QueueReading | string> {
    const chunks: Buffer[] = [];
    const outcome = await boundedGet(this.url, {
      timeoutMs: this.settings.timeoutMs,
      maxBodyBytes: this.settings.maxBodyBytes,
      headers: { accept: 'text/plain, application/json' },
      wantBody: (head) => isSuccess(head) && acceptableContentType(head.headers['content-type']),
      read: (chunk) => {
        chunks.push(chunk);
        return false;
      },
    });
    if (outcome.kind === 'failed') return outcome.reason;
    const { head, body } = outcome;
    if (!isSuccess(head)) return describeStatus(head);
    if (!acceptableContentType(head.headers['content-type'])) {
      return `unexpected content type '${head.headers['content-type']}'`;
    }
    if (body === 'too-large') return `body larger than ${this.settings.maxBodyBytes} bytes`;
    const bytes = Buffer.concat(chunks);
    if (mediaType(head.headers['content-type']) === 'application/json') {
      return parseQueueJson(bytes, this.settings.maxSaneLength);
    }
    const length = parseQueueLength(bytes, this.settings.maxSaneLength);
    return typeof length === 'number' ? { length } : length;
  }
}

/** A queue reading: the length and, when the endpoint says, how long the oldest job has waited. */
export interface QueueReading {
  length: number;
  oldestAgeSeconds?: number;
}

/**
 * The reading in a JSON body `{"length": N, "oldestAgeSeconds": S}`, or the reason it is not one.
 * `length` follows the plain-text rules (a non-negative integer up to `maxSaneLength`); the age is
 * optional, a finite non-negative number of seconds. Other keys are ignored.
 */
export function parseQueueJson(body: Buffer, maxSaneLength: number): QueueReading | string {
  const text = body.toString('utf8').trim();
  if (text === '') return 'empty body';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `malformed JSON: ${preview(text)}`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `JSON is not an object with "length": ${preview(text)}`;
  }
  const { length, oldestAgeSeconds } = value as Record<string, unknown>;
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
    return `JSON "length" is not a non-negative integer: ${preview(text)}`;
  }
  if (!Number.isSafeInteger(length) || length > maxSaneLength) {
    return `insane queue length ${length} (above maxSaneLength ${maxSaneLength})`;
  }
  if (oldestAgeSeconds === undefined) return { length };
  if (typeof oldestAgeSeconds !== 'number' || !Number.isFinite(oldestAgeSeconds) || oldestAgeSeconds < 0) {
    return `JSON "oldestAgeSeconds" is not a non-negative number: ${preview(text)}`;
  }
  return { length, oldestAgeSeconds };
}

/** ASCII whitespace only: a no-break space or BOM around the digits is not a clean answer. */
const SURROUNDING_WHITESPACE = /^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g;
const PLAIN_INTEGER = /^[0-9]+$/;

/**
 * The queue length in `body`, or the reason it is not one: the body must be, after surrounding ASCII
 * whitespace, decimal digits only (no sign, point, exponent or prefix) worth at most `maxSaneLength`.
 */
export function parseQueueLength(body: Buffer, maxSaneLength: number): number | string {
  // latin1 maps each byte to one character, so no byte sequence can decode into a digit.
  const text = body.toString('latin1').replace(SURROUNDING_WHITESPACE, '');
  if (text === '') return 'empty body';
  if (!PLAIN_INTEGER.test(text)) return `body is not a plain non-negative integer: ${preview(text)}`;
  const length = Number(text);
  if (!Number.isSafeInteger(length) || length > maxSaneLength) {
    return `insane queue length ${preview(text)} (above maxSaneLength ${maxSaneLength})`;
  }
  return length;
}

function mediaType(header: string | undefined): string | undefined {
  return header?.split(';', 1)[0]?.trim().toLowerCase();
}

function acceptableContentType(header: string | undefined): boolean {
  if (header === undefined) return true;
  const type = mediaType(header);
  return type === 'text/plain' || type === 'application/json';
}

function preview(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}

function parseHttpUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (error) {
    throw new InvalidRequestError('queue probe url is not a valid URL', { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidRequestError(`queue probe url must be http: or https:, got ${url.protocol}`);
  }
  return url;
}
