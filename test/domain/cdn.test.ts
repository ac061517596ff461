import { describe, expect, it } from 'vitest';
import { assetHost, cdnAliases } from '../../domain/cdn.js';
import { ConfigError } from '../../domain/errors.js';
import { testConfig } from '../../fakes/config.js';

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

function issuesOf(cdn: unknown): string[] {
  try {
    testConfig({ cdn });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('cdn config', () => {
  it('is absent unless configured', () => {
    expect(testConfig().cdn).toBeUndefined();
  });

  it('defaults to four hosts, the cheapest price class and no versioning', () => {
    const cdn = testConfig({ cdn: { domain: 'smallpayroll.ca', certificateArn: CERT } }).cdn;
    expect(cdn).toEqual({
      domain: 'smallpayroll.ca',
      certificateArn: CERT,
      hosts: 4,
      priceClass: 'PriceClass_100',
      versioning: false,
      logRetentionDays: 90,
    });
  });

  it('names the hosts cdn0 … cdnN-1 of the domain and gives the app its asset_host', () => {
    expect(cdnAliases({ domain: 'smallpayroll.ca', hosts: 4 })).toEqual([
      'cdn0.smallpayroll.ca',
      'cdn1.smallpayroll.ca',
      'cdn2.smallpayroll.ca',
      'cdn3.smallpayroll.ca',
    ]);
    expect(cdnAliases({ domain: 'example.com', hosts: 1 })).toEqual(['cdn0.example.com']);
    expect(assetHost({ domain: 'smallpayroll.ca' })).toBe('cdn%d.smallpayroll.ca');
  });

  it.each([
    [
      'a certificate outside us-east-1',
      { domain: 'smallpayroll.ca', certificateArn: CERT.replace('us-east-1', 'ca-central-1') },
      'cdn.certificateArn: expected a certificate in us-east-1 (CloudFront uses only those), got one in ca-central-1',
    ],
    [
      'something that is not a certificate ARN',
      { domain: 'smallpayroll.ca', certificateArn: 'arn:aws:iam::123456789012:role/x' },
      'cdn.certificateArn: expected an ACM certificate ARN',
    ],
    [
      'a domain with a scheme',
      { domain: 'https://smallpayroll.ca', certificateArn: CERT },
      'cdn.domain: expected a lower-case domain name',
    ],
    ['no hosts', { domain: 'smallpayroll.ca', certificateArn: CERT, hosts: 0 }, 'cdn.hosts'],
    [
      'a bad hosted zone id',
      { domain: 'smallpayroll.ca', certificateArn: CERT, hostedZoneId: 'smallpayroll.ca' },
      'cdn.hostedZoneId: expected a Route 53 hosted zone id',
    ],
    [
      'an unknown price class',
      { domain: 'smallpayroll.ca', certificateArn: CERT, priceClass: 'cheap' },
      'cdn.priceClass',
    ],
    ['a missing certificate', { domain: 'smallpayroll.ca' }, 'cdn.certificateArn'],
    ['an unknown key', { domain: 'smallpayroll.ca', certificateArn: CERT, bucket: 'assets' }, 'cdn'],
  ])('rejects %s, naming the key', (_what, cdn, expected) => {
    const issues = issuesOf(cdn);
    expect(
      issues.some((issue) => issue.startsWith(expected)),
      issues.join('\n'),
    ).toBe(true);
  });
});
