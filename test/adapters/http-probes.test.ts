/**
 * The HTTP probes against real servers on loopback. Network rule: only 127.0.0.0/8 is ever contacted,
 * including by the "bad address" cases should validation break (each would be an invalid URL or
 * loopback).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpHealthProbe, healthCheckUrl } from '../../adapters/http-health-probe.js';
import { HttpQueueProbe, parseQueueLength } from '../../adapters/http-queue-probe.js';
import { InvalidRequestError } from '../../domain/errors.js';
import { later, startHttpServer, type TestHttpServer, trickle, unusedPort } from '../support/http-server.js';

const NOW = 1_700_000_000_000;
const TIMEOUT_MS = 250;
const MAX_SANE = 1000;

type Serve = (req: IncomingMessage, res: ServerResponse) => void;

function reply(status: number, body: string | Buffer, headers: Record<string, string> = {}): Serve {
  return (_req, res) => {
    res.writeHead(status, headers);
    res.end(body);
  };
}
const plain = (body: string) => reply(200, body, { 'content-type': 'text/plain' });
const json = (body: string) => reply(200, body, { 'content-type': 'application/json' });
const neverAnswers: Serve = (_req, res) => later(res, 5_000, () => res.end('5'));
const redirectToItself: Serve = (req, res) => {
  res.writeHead(302, { location: req.url ?? '/' });
  res.end();
};

/** One server per suite; each case gets its own path, and requests are counted per path. */
class Routes {
  private readonly serves = new Map<string, Serve>();
  private readonly hits = new Map<string, number>();

  add(serve: Serve): string {
    const path = `/case/${this.serves.size}`;
    this.serves.set(path, serve);
    return path;
  }

  hitsOf(path: string): number {
    return this.hits.get(path) ?? 0;
  }

  readonly handle: Serve = (req, res) => {
    const path = req.url ?? '/';
    this.hits.set(path, this.hitsOf(path) + 1);
    (this.serves.get(path) ?? reply(404, 'no such case'))(req, res);
  };
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

async function eventually(check: () => Promise<boolean>, withinMs = 1_000): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return check();
}

describe('HttpQueueProbe', () => {
  const routes = new Routes();
  let server: TestHttpServer;
  const probeFor = (path: string, overrides: Partial<{ maxBodyBytes: number; timeoutMs: number }> = {}) =>
    new HttpQueueProbe({
      url: `${server.url}${path}`,
      timeoutMs: TIMEOUT_MS,
      maxBodyBytes: 64,
      maxSaneLength: MAX_SANE,
      ...overrides,
    });

  beforeAll(async () => {
    server = await startHttpServer(routes.handle);
  });
  afterAll(() => server.close());

  const cases: {
    name: string;
    serve: Serve;
    expected: number | { length: number; oldestAgeSeconds?: number } | RegExp;
  }[] = [
    { name: '"42" is 42', serve: plain('42'), expected: 42 },
    { name: '"42\\n" is 42', serve: plain('42\n'), expected: 42 },
    { name: '" 7 " is 7', serve: plain(' 7 '), expected: 7 },
    { name: '"\\t42\\r\\n" is 42', serve: plain('\t42\r\n'), expected: 42 },
    { name: '"0" is 0', serve: plain('0'), expected: 0 },
    { name: '"007" is 7 (leading zeros are decimal)', serve: plain('007'), expected: 7 },
    { name: 'maxSaneLength itself is sane', serve: plain(String(MAX_SANE)), expected: MAX_SANE },
    { name: 'no content type is accepted', serve: reply(200, '42'), expected: 42 },
    {
      name: 'text/plain with a charset is accepted',
      serve: reply(200, '42', { 'content-type': 'text/plain; charset=utf-8' }),
      expected: 42,
    },
    { name: 'an empty body is unknown', serve: plain(''), expected: /^empty body$/ },
    { name: 'a blank body is unknown', serve: plain(' \n'), expected: /^empty body$/ },
    { name: '204 No Content is unknown', serve: reply(204, ''), expected: /^empty body$/ },
    { name: '"-3" is unknown', serve: plain('-3'), expected: /not a plain non-negative integer: "-3"/ },
    { name: '"+5" is unknown', serve: plain('+5'), expected: /not a plain non-negative integer/ },
    { name: '"4.5" is unknown', serve: plain('4.5'), expected: /not a plain non-negative integer: "4.5"/ },
    { name: '"1e3" is unknown', serve: plain('1e3'), expected: /not a plain non-negative integer: "1e3"/ },
    { name: '"0x10" is unknown', serve: plain('0x10'), expected: /not a plain non-negative integer/ },
    { name: '"12abc" is unknown', serve: plain('12abc'), expected: /not a plain non-negative integer/ },
    { name: '"1 2" is unknown', serve: plain('1 2'), expected: /not a plain non-negative integer/ },
    {
      name: 'a latin-1 no-break space byte is not whitespace',
      serve: reply(200, Buffer.from([0xa0, 0x34, 0x32])),
      expected: /not a plain/,
    },
    { name: 'an HTML page is unknown', serve: reply(200, '<html>42</html>'), expected: /not a plain/ },
    { name: 'JSON is unknown', serve: reply(200, '{"length":5}'), expected: /not a plain/ },
    {
      name: 'a number served as text/html is unknown',
      serve: reply(200, '42', { 'content-type': 'text/html' }),
      expected: /^unexpected content type 'text\/html'$/,
    },
    {
      name: 'a bare number served as application/json is unknown',
      serve: json('5'),
      expected: /^JSON is not an object with "length"/,
    },
    { name: 'JSON with the length reads it', serve: json('{"length": 12}'), expected: { length: 12 } },
    {
      name: 'JSON with the oldest job age reads both',
      serve: json('{"length":12,"oldestAgeSeconds":95.5,"queue":"default"}'),
      expected: { length: 12, oldestAgeSeconds: 95.5 },
    },
    { name: 'truncated JSON is unknown', serve: json('{"length": 12'), expected: /^malformed JSON/ },
    {
      name: 'a JSON length as a string is unknown',
      serve: json('{"length":"12"}'),
      expected: /"length" is not/,
    },
    { name: 'a negative JSON length is unknown', serve: json('{"length":-1}'), expected: /"length" is not/ },
    { name: 'a JSON length of 2.5 is unknown', serve: json('{"length":2.5}'), expected: /"length" is not/ },
    {
      name: 'JSON without a length is unknown',
      serve: json('{"oldestAgeSeconds":3}'),
      expected: /"length" is not/,
    },
    {
      name: 'a negative JSON age is unknown, not zero',
      serve: json('{"length":3,"oldestAgeSeconds":-1}'),
      expected: /"oldestAgeSeconds" is not/,
    },
    {
      name: 'a JSON length above maxSaneLength is unknown',
      serve: json(`{"length":${MAX_SANE + 1}}`),
      expected: /^insane queue length 1001/,
    },
    {
      name: 'a value above maxSaneLength is unknown',
      serve: plain(String(MAX_SANE + 1)),
      expected: /^insane queue length "1001" \(above maxSaneLength 1000\)$/,
    },
    {
      name: 'a number beyond safe integers is unknown',
      serve: plain('9'.repeat(40)),
      expected: /^insane queue length/,
    },
    {
      name: 'a 1 MB body of digits is unknown (too large)',
      serve: plain('1'.repeat(1_000_000)),
      expected: /^body larger than 64 bytes$/,
    },
    {
      name: 'a 65-byte body is too large',
      serve: plain(`${'0'.repeat(63)}1\n`),
      expected: /^body larger than 64 bytes$/,
    },
    { name: 'a 64-byte body is read', serve: plain(`${'0'.repeat(62)}1\n`), expected: 1 },
    { name: 'status 500 is unknown', serve: reply(500, '42'), expected: /^status 500$/ },
    { name: 'status 404 is unknown', serve: reply(404, '42'), expected: /^status 404$/ },
    {
      name: 'a 302 redirect loop is unknown and not followed',
      serve: redirectToItself,
      expected: /^redirect to \/case\/\d+ \(status 302, not followed\)$/,
    },
    {
      name: 'headers slower than the timeout are unknown',
      serve: neverAnswers,
      expected: /^timed out after 250 ms waiting for the response$/,
    },
    {
      // Each byte arrives well within the timeout; only a deadline on the whole request cuts it.
      name: 'a body trickling past the timeout is unknown',
      serve: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        trickle(res, ['1', '2', '3', '4', '5', '6'], 100);
      },
      expected: /^timed out after 250 ms reading the body$/,
    },
    {
      name: 'a connection dropped mid-body is unknown',
      serve: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '10' });
        res.write('12');
        later(res, 20, () => res.destroy());
      },
      expected: /connection reset|closed before the body was complete/,
    },
  ];

  it.each(cases.map((c) => ({ ...c, path: routes.add(c.serve) })))('$name', async ({ path, expected }) => {
    const sample = await probeFor(path).read(NOW);

    if (typeof expected === 'number') {
      expect(sample).toEqual({ at: NOW, length: expected });
    } else if (!(expected instanceof RegExp)) {
      expect(sample).toEqual({ at: NOW, ...expected });
    } else {
      expect(sample).toEqual({ at: NOW, length: null, error: expect.stringMatching(expected) });
    }
  });

  it('does not follow a redirect: the server sees exactly one request', async () => {
    const path = routes.add(redirectToItself);

    await probeFor(path).read(NOW);

    expect(routes.hitsOf(path)).toBe(1);
  });

  it('aborts a streamed oversize body as soon as it passes maxBodyBytes', async () => {
    const closedBeforeFinishing = deferred<boolean>();
    const path = routes.add((_req, res) => {
      res.on('close', () => closedBeforeFinishing.resolve(!res.writableFinished));
      res.writeHead(200, { 'content-type': 'text/plain' });
      // 1 MB in 1 KiB pieces, 5 ms apart: sending it all would take seconds.
      trickle(
        res,
        Array.from({ length: 1024 }, () => '1'.repeat(1024)),
        5,
      );
    });

    const sample = await probeFor(path, { timeoutMs: 5_000 }).read(NOW);

    expect(sample.error).toBe('body larger than 64 bytes');
    expect(await closedBeforeFinishing.promise).toBe(true);
  });

  it('reports a refused connection as unknown', async () => {
    const port = await unusedPort();
    const probe = new HttpQueueProbe({
      url: `http://127.0.0.1:${port}/queue`,
      timeoutMs: TIMEOUT_MS,
      maxBodyBytes: 64,
      maxSaneLength: MAX_SANE,
    });

    expect(await probe.read(NOW)).toEqual({
      at: NOW,
      length: null,
      error: `connection refused by 127.0.0.1:${port}`,
    });
  });

  it('leaves no connection open after complete, oversize, error-status and timed-out reads', async () => {
    const paths = [plain('42'), plain('1'.repeat(100_000)), reply(500, 'x'), neverAnswers].map((s) =>
      routes.add(s),
    );

    await Promise.all(paths.map((path) => probeFor(path).read(NOW)));

    expect(await eventually(async () => (await server.openConnections()) === 0)).toBe(true);
  });

  it.each(['ftp://127.0.0.1/queue', 'file:///etc/passwd', 'not a url'])(
    'rejects the url %s up front',
    (url) => {
      expect(() => new HttpQueueProbe({ url, timeoutMs: 100, maxBodyBytes: 64, maxSaneLength: 10 })).toThrow(
        InvalidRequestError,
      );
    },
  );
});

describe('parseQueueLength', () => {
  const whitespace = fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\r', '\v', '\f'), maxLength: 3 });

  it('reads any sane integer, zero-padded or not, between ASCII whitespace', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_SANE }),
        fc.nat(3),
        whitespace,
        whitespace,
        (n, zeros, before, after) => {
          const body = `${before}${'0'.repeat(zeros)}${n}${after}`;
          expect(parseQueueLength(Buffer.from(body), MAX_SANE)).toBe(n);
        },
      ),
    );
  });

  it('refuses any body with a byte that is neither a digit nor ASCII whitespace', () => {
    const digitsOrSpace = /^[0-9 \t\n\v\f\r]*$/;
    fc.assert(
      fc.property(
        fc
          .uint8Array({ maxLength: 12 })
          .filter((bytes) => !digitsOrSpace.test(Buffer.from(bytes).toString('latin1'))),
        (bytes) => {
          expect(typeof parseQueueLength(Buffer.from(bytes), Number.MAX_SAFE_INTEGER)).toBe('string');
        },
      ),
    );
  });

  it('refuses any integer above maxSaneLength', () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX_SANE + 1 }), (n) => {
        expect(parseQueueLength(Buffer.from(String(n)), MAX_SANE)).toMatch(/^insane queue length/);
      }),
    );
  });
});

describe('HttpHealthProbe', () => {
  // Its own loopback address: the probe must connect to the privateIp it is given.
  const HOST = '127.0.0.2';
  const routes = new Routes();
  let server: TestHttpServer;
  const probeFor = (path: string, overrides: Partial<{ maxBodyBytes: number; expectText: string }> = {}) =>
    new HttpHealthProbe({
      urlTemplate: `http://{privateIp}:${server.port}${path}`,
      expectText: 'welcome',
      timeoutMs: TIMEOUT_MS,
      ...overrides,
    });

  beforeAll(async () => {
    server = await startHttpServer(routes.handle, HOST);
  });
  afterAll(() => server.close());

  const page = (body: string | Buffer) => reply(200, body, { 'content-type': 'text/html' });
  const cases: {
    name: string;
    serve: Serve;
    expected: true | RegExp;
    settings?: Partial<{ maxBodyBytes: number; expectText: string }>;
  }[] = [
    {
      name: 'a 200 page saying Welcome is healthy',
      serve: page('<h1>Welcome to Payroll</h1>'),
      expected: true,
    },
    {
      name: 'expectText matches case-insensitively both ways',
      serve: page('<h1>welcome</h1>'),
      settings: { expectText: 'WELCOME' },
      expected: true,
    },
    {
      name: 'text split across chunks is found',
      serve: (_req, res) => {
        res.writeHead(200);
        trickle(res, ['<h1>Wel', 'COME</h1>'], 20);
      },
      expected: true,
    },
    {
      name: 'a multi-byte character split across chunks is found',
      serve: (_req, res) => {
        const body = Buffer.from('<p>Grüße</p>');
        const split = body.indexOf(Buffer.from('ü')) + 1;
        res.writeHead(200);
        trickle(res, [body.subarray(0, split), body.subarray(split)], 20);
      },
      settings: { expectText: 'GRÜßE' },
      expected: true,
    },
    {
      // The body would outlast the timeout: healthy means the probe stopped once it saw the text.
      name: 'the check ends as soon as the text is seen',
      serve: (_req, res) => {
        res.writeHead(200);
        trickle(res, ['<h1>Welcome</h1>', ...Array.from({ length: 20 }, () => '<p>more</p>')], 100);
      },
      expected: true,
    },
    {
      name: 'the text at the very end of maxBodyBytes is found',
      serve: page(`${'x'.repeat(1017)}welcome`),
      settings: { maxBodyBytes: 1024 },
      expected: true,
    },
    {
      name: 'a 200 page without the text is unhealthy',
      serve: page('<h1>Payroll is down for maintenance</h1>'),
      expected: /^body does not contain 'welcome'$/,
    },
    {
      name: 'a 503 page saying Welcome is unhealthy',
      serve: reply(503, '<h1>Welcome</h1>'),
      expected: /^status 503$/,
    },
    {
      name: 'a redirect is unhealthy and not followed',
      serve: reply(301, '', { location: '/welcome' }),
      expected: /^redirect to \/welcome \(status 301, not followed\)$/,
    },
    {
      name: 'a body past maxBodyBytes without the text is unhealthy',
      serve: page('x'.repeat(4096)),
      settings: { maxBodyBytes: 1024 },
      expected: /^body larger than 1024 bytes without 'welcome'$/,
    },
    {
      name: 'the text past maxBodyBytes does not count',
      serve: page(`${'x'.repeat(1018)}welcome`),
      settings: { maxBodyBytes: 1024 },
      expected: /^body larger than 1024 bytes without 'welcome'$/,
    },
    {
      name: 'headers slower than the timeout are unhealthy',
      serve: neverAnswers,
      expected: /^timed out after 250 ms waiting for the response$/,
    },
    {
      name: 'a body trickling past the timeout without the text is unhealthy',
      serve: (_req, res) => {
        res.writeHead(200);
        trickle(res, ['<h1>', 'Pay', 'roll', '</h1>', '<p>', 'wel', 'come'], 100);
      },
      expected: /^timed out after 250 ms reading the body$/,
    },
  ];

  it.each(cases.map((c) => ({ ...c, path: routes.add(c.serve) })))(
    '$name',
    async ({ path, expected, settings }) => {
      const result = await probeFor(path, settings).check(HOST);

      if (expected === true) expect(result).toEqual({ healthy: true });
      else expect(result).toEqual({ healthy: false, reason: expect.stringMatching(expected) });
      expect(routes.hitsOf(path)).toBe(1);
    },
  );

  it('reports a refused connection as unhealthy', async () => {
    const port = await unusedPort(HOST);
    const probe = new HttpHealthProbe({
      urlTemplate: `http://{privateIp}:${port}/`,
      expectText: 'welcome',
      timeoutMs: TIMEOUT_MS,
    });

    expect(await probe.check(HOST)).toEqual({
      healthy: false,
      reason: `connection refused by ${HOST}:${port}`,
    });
  });

  it.each([
    '10.0.0.1; rm',
    '',
    'localhost',
    '127.1',
    'fe80::1%eth0',
    // Would reach this very server at /evil if spliced into the template unchecked.
    `${HOST}:{port}/evil?`,
  ])('refuses the private IP %j without sending any request', async (rawIp) => {
    const path = routes.add(page('<h1>Welcome</h1>'));
    const before = server.requests();

    const result = await probeFor(path).check(rawIp.replace('{port}', String(server.port)));

    expect(result).toEqual({ healthy: false, reason: expect.stringMatching(/^not an IP address: /) });
    expect(server.requests()).toBe(before);
  });

  it('leaves no connection open after healthy, early-stopped and timed-out checks', async () => {
    const paths = [
      page('<h1>Welcome</h1>'),
      (_req: IncomingMessage, res: ServerResponse) => {
        res.writeHead(200);
        trickle(res, ['Welcome', ...Array.from({ length: 50 }, () => 'more')], 50);
      },
      neverAnswers,
    ].map((s) => routes.add(s));

    await Promise.all(paths.map((path) => probeFor(path).check(HOST)));

    expect(await eventually(async () => (await server.openConnections()) === 0)).toBe(true);
  });

  it.each([
    { template: 'http://127.0.0.1/?ip={privateIp}', why: '{privateIp} not the host' },
    { template: 'ftp://{privateIp}/', why: 'not http(s)' },
    { template: 'http://{privateIp}.example/', why: 'a name, not the address' },
  ])('rejects the template $template up front ($why)', ({ template }) => {
    expect(
      () => new HttpHealthProbe({ urlTemplate: template, expectText: 'welcome', timeoutMs: 100 }),
    ).toThrow(InvalidRequestError);
  });

  it('rejects an empty expectText up front', () => {
    expect(
      () => new HttpHealthProbe({ urlTemplate: 'http://{privateIp}/', expectText: '', timeoutMs: 100 }),
    ).toThrow(InvalidRequestError);
  });
});

describe('healthCheckUrl', () => {
  it.each([
    ['http://{privateIp}:80/', '10.1.2.3', 'http://10.1.2.3/'],
    ['http://{privateIp}:8080/health', 'fd00::1', 'http://[fd00::1]:8080/health'],
    ['http://[{privateIp}]:8080/', 'FD00:0::1', 'http://[fd00::1]:8080/'],
    ['https://{privateIp}/?from={privateIp}', '10.0.0.9', 'https://10.0.0.9/?from=10.0.0.9'],
  ])('fills %s with %s as %s', (template, ip, url) => {
    expect(String(healthCheckUrl(template, ip))).toBe(url);
  });

  it.each(['010.0.0.1', '10.0.0.256', '::1::', ' 10.0.0.1', '10.0.0.1/8'])('refuses %j', (ip) => {
    expect(healthCheckUrl('http://{privateIp}/', ip)).toMatch(/^not an IP address: /);
  });
});
