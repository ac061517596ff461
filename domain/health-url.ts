/**
 * Health check URLs: a template with `{privateIp}` as its host, filled with one server's address.
 * The config checks a template with a sample address when it is parsed, so a template no server
 * could be checked with fails at packaging, not at every function's start.
 */

/** TEST-NET-1: only ever used to check a template, never contacted. */
const SAMPLE_HOST = '192.0.2.1';

/**
 * The check URL for a server at `host` (an IPv4 literal, or an IPv6 literal in brackets), or why
 * the template gives none. `[{privateIp}]` and `{privateIp}` both take the bracketed form.
 *
 * @example fillHealthUrl('http://{privateIp}:8080/', '[fd00::1]') // URL http://[fd00::1]:8080/
 */
export function fillHealthUrl(template: string, host: string): URL | string {
  const text = template.replaceAll('[{privateIp}]', '{privateIp}').replaceAll('{privateIp}', host);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'health check URL is not a valid URL (check urlTemplate)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `health check URL must be http: or https:, got ${url.protocol}`;
  }
  if (url.hostname !== new URL(`http://${host}/`).hostname) {
    return 'urlTemplate must have {privateIp} as the host';
  }
  return url;
}

/** Why no server could be checked with `template`, or undefined when it is usable. */
export function healthUrlTemplateProblem(template: string): string | undefined {
  const url = fillHealthUrl(template, SAMPLE_HOST);
  return typeof url === 'string' ? url : undefined;
}
