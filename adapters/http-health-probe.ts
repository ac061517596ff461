import { isIP } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { InvalidRequestError } from '../domain/errors.js';
import { fillHealthUrl } from '../domain/health-url.js';
import type { HealthProbe } from '../domain/ports.js';
import type { HealthResult } from '../domain/types.js';
import { boundedGet, describeStatus, isSuccess } from './http-get.js';

export interface HttpHealthProbeSettings {
  /** URL with `{privateIp}` as its host, e.g. `http://{privateIp}:80/`. */
  urlTemplate: string;
  /** Text the body must contain, compared case-insensitively. */
  expectText: string;
  /** Deadline for the whole request, body included. */
  timeoutMs: number;
  /** Bytes of body searched for `expectText`; a longer body without it is unhealthy. Default 1 MiB. */
  maxBodyBytes?: number;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Content health check of one server: GET the server's URL and look for the expected text, the way a
 * person would check the page says "Welcome". Healthy only on a 2xx whose body contains `expectText`
 * (case-insensitive) within the first `maxBodyBytes`; the body is searched as it streams and the
 * request ends as soon as the text is found. Redirects are not followed.
 */
export class HttpHealthProbe implements HealthProbe {
  private readonly needle: string;
  private readonly maxBodyBytes: number;

  /** @throws InvalidRequestError for settings no check could satisfy (bad template, empty text). */
  constructor(private readonly settings: HttpHealthProbeSettings) {
    const sample = healthCheckUrl(settings.urlTemplate, '192.0.2.1');
    if (typeof sample === 'string') throw new InvalidRequestError(`health urlTemplate: ${sample}`);
    if (settings.expectText === '') throw new InvalidRequestError('health expectText must not be empty');
    if (!(settings.timeoutMs > 0)) throw new InvalidRequestError('health timeoutMs must be positive');
    this.maxBodyBytes = settings.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    if (!(this.maxBodyBytes >= 1)) throw new InvalidRequestError('health maxBodyBytes must be >= 1');
    this.needle = settings.expectText.toLowerCase();
  }

  async check(privateIp: string): Promise<HealthResult> {
    try {
      return await this.probe(privateIp);
    } catch (error) {
      // The contract is "never throws": an unforeseen fault is one more unhealthy answer.
      return unhealthy(`probe failed: ${error instanceof Error ? error.message : error}`);
    }
  }

  private async probe(privateIp: string): Promise<HealthResult> {
    const url = healthCheckUrl(this.settings.urlTemplate, privateIp);
    if (typeof url === 'string') return unhealthy(url);
    const search = new StreamingSearch(this.needle);
    const outcome = await boundedGet(url, {
      timeoutMs: this.settings.timeoutMs,
      maxBodyBytes: this.maxBodyBytes,
      wantBody: isSuccess,
      read: (chunk) => search.push(chunk),
    });
    if (outcome.kind === 'failed') return unhealthy(outcome.reason);
    if (!isSuccess(outcome.head)) return unhealthy(describeStatus(outcome.head));
    const expected = `'${this.settings.expectText}'`;
    switch (outcome.body) {
      case 'stopped':
        return { healthy: true };
      case 'too-large':
        return unhealthy(`body larger than ${this.maxBodyBytes} bytes without ${expected}`);
      default:
        return search.found ? { healthy: true } : unhealthy(`body does not contain ${expected}`);
    }
  }
}

/**
 * The check URL for one server, or why there is none. `privateIp` must be a plain IPv4 or IPv6
 * literal (no zone id); `{privateIp}` must be the URL's host, and IPv6 is bracketed for it.
 *
 * @example healthCheckUrl('http://{privateIp}:80/', 'fd00::1') // URL http://[fd00::1]:80/
 */
export function healthCheckUrl(template: string, privateIp: string): URL | string {
  const family = isIP(privateIp);
  if (family === 0 || privateIp.includes('%')) {
    return `not an IP address: ${JSON.stringify(privateIp.length > 60 ? `${privateIp.slice(0, 60)}...` : privateIp)}`;
  }
  return fillHealthUrl(template, family === 6 ? `[${privateIp}]` : privateIp);
}

function unhealthy(reason: string): HealthResult {
  return { healthy: false, reason };
}

/** Case-insensitive search across chunk boundaries, keeping only a needle-sized tail of what was seen. */
class StreamingSearch {
  found = false;
  private readonly decoder = new StringDecoder('utf8');
  private tail = '';

  constructor(private readonly needle: string) {}

  /** Feeds one chunk; true once the needle has been seen. */
  push(chunk: Buffer): boolean {
    if (this.found) return true;
    const window = this.tail + this.decoder.write(chunk).toLowerCase();
    this.found = window.includes(this.needle);
    this.tail = window.slice(Math.max(0, window.length - (this.needle.length - 1)));
    return this.found;
  }
}
