import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipv6Groups, isHostOrAddress, localAddressKind, probeTargetProblem } from '../../domain/hosts.js';

describe('isHostOrAddress (the DB host)', () => {
  it.each([
    'db',
    'db.internal',
    'db-1.smallpayroll.internal',
    'ip-10-0-1-5.ca-central-1.compute.internal',
    '10.0.0.5',
    '255.255.255.255',
    'fd00::5',
    '::1',
    '2001:db8:0:0:0:0:0:1',
    '::ffff:10.0.0.5',
    'a'.repeat(63),
    `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`,
  ])('accepts %j', (host) => {
    expect(isHostOrAddress(host)).toBe(true);
  });

  it.each([
    '',
    '-db',
    '-oProxyCommand=x',
    'db-',
    'db..internal',
    '.db',
    'db.internal.',
    'db_1.internal',
    'db internal',
    'db;reboot',
    '10.0.0.256',
    '10.0.0',
    '1.2.3.4.5',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '12345::1',
    'fe80::1%eth0',
    '[::1]',
    'a'.repeat(64),
    `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`,
  ])('refuses %j', (host) => {
    expect(isHostOrAddress(host)).toBe(false);
  });

  it('never accepts a value that starts with "-" or holds a character a shell or /etc/hosts would split on', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        if (isHostOrAddress(text)) {
          expect(text.startsWith('-')).toBe(false);
          expect(text).toMatch(/^[A-Za-z0-9.:-]{1,253}$/);
        }
      }),
    );
  });
});

describe('ipv6Groups', () => {
  it('reads every address the way the URL parser writes it', () => {
    const group = fc.integer({ min: 0, max: 0xffff });
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
        const full = groups.map((g) => g.toString(16)).join(':');
        const written = new URL(`http://[${full}]/`).hostname.slice(1, -1);
        expect(ipv6Groups(written)).toEqual(groups);
        expect(ipv6Groups(full)).toEqual(groups);
      }),
    );
  });

  it('reads an IPv4 address in place of the last two groups', () => {
    expect(ipv6Groups('::ffff:169.254.169.254')).toEqual([0, 0, 0, 0, 0, 0xffff, 0xa9fe, 0xa9fe]);
    expect(ipv6Groups('::ffff:169.254.169.256')).toBeUndefined();
  });
});

describe('localAddressKind (URL host names)', () => {
  const hostOf = (url: string) => new URL(url).hostname;

  it.each([
    ['http://127.0.0.1:9001/', 'loopback'],
    ['http://127.8.9.10/', 'loopback'],
    ['http://2130706433/', 'loopback'],
    ['http://0x7f.1/', 'loopback'],
    ['http://0.0.0.0/', 'loopback'],
    ['http://localhost/', 'loopback'],
    ['http://LOCALHOST./', 'loopback'],
    ['http://queue.localhost/', 'loopback'],
    ['http://[::1]/', 'loopback'],
    ['http://[::]/', 'loopback'],
    ['http://[0:0:0:0:0:0:0:1]/', 'loopback'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://169.254.169.254/', 'link-local'],
    ['http://169.254.170.2/', 'link-local'],
    ['http://0251.0376.0251.0376/', 'link-local'],
    ['http://[fd00:ec2::254]/', 'link-local'],
    ['http://[FD00:EC2:0:0:0:0:0:254]/', 'link-local'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://[febf::1]/', 'link-local'],
    ['http://[::ffff:a9fe:a9fe]/', 'link-local'],
    ['http://[64:ff9b::169.254.169.254]/', 'link-local'],
    ['http://instance-data/', 'link-local'],
    ['http://instance-data.ca-central-1.compute.internal/', 'link-local'],
  ])('%s is %s', (url, kind) => {
    expect(localAddressKind(hostOf(url))).toBe(kind);
  });

  it.each([
    'http://smallpayroll-http.internal/queue/length',
    'http://10.0.1.5:8080/queue/length',
    'https://queue.example.com/',
    'http://[fd00:ec3::254]/',
    'http://[fec0::1]/',
    'http://[2001:db8::1]/',
    'http://169.253.1.1/',
    'http://128.0.0.1/',
    'http://localhost-queue.internal/',
    'http://my-instance-data.internal/',
  ])('%s is neither', (url) => {
    expect(localAddressKind(hostOf(url))).toBeUndefined();
  });
});

describe('probeTargetProblem', () => {
  it('allows loopback only in local configs, link-local in none', () => {
    const loopback = 'http://127.0.0.1:40123/queue/length';
    expect(probeTargetProblem(loopback, 'local')).toBeUndefined();
    expect(probeTargetProblem(loopback, 'deployed')).toMatch(/not loopback/);
    const metadata = 'http://169.254.169.254/latest/meta-data/';
    expect(probeTargetProblem(metadata, 'local')).toMatch(/not a link-local address/);
    expect(probeTargetProblem(metadata, 'deployed')).toMatch(/not a link-local address/);
    expect(probeTargetProblem('http://10.0.1.5/queue/length', 'deployed')).toBeUndefined();
  });
});
