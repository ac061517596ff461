import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../domain/config.js';
import { ConfigError } from '../../domain/errors.js';
import { testConfig } from '../../fakes/config.js';
import { packagedTemplate } from '../support/packaged-template.js';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };
interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
interface Template {
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown }>;
}

const { cdnResources } = createRequire(__filename)('../../infra/cdn.cjs') as {
  cdnResources(config: Config, stack: string): Template;
};

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const CDN = { domain: 'smallpayroll.ca', certificateArn: CERT };
let packaged: Template;

beforeAll(() => {
  packaged = packagedTemplate<Template>();
  // Packages first when run on its own with a missing or stale template (npm test packages before).
}, 300_000);

const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
function statementsOf(resource: Resource | undefined): Statement[] {
  if (resource === undefined) throw new Error('resource missing from the template');
  return (resource.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
}
const distributionConfig = (t: Template) =>
  t.Resources.CdnDistribution?.Properties.DistributionConfig as Record<string, unknown> & {
    Origins: Record<string, unknown>[];
    DefaultCacheBehavior: Record<string, unknown>;
    ViewerCertificate: Record<string, unknown>;
  };

describe('the packaged template with a cdn section', () => {
  it('keeps the origin bucket private, encrypted and without ACLs', () => {
    const bucket = packaged.Resources.CdnBucket as Resource;
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.OwnershipControls).toEqual({
      Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }],
    });
    expect(JSON.stringify(bucket.Properties.BucketEncryption)).toContain('AES256');
    expect(bucket.DeletionPolicy).toBe('Retain');
  });

  it('lets only this distribution read the bucket, through Origin Access Control, and only over TLS', () => {
    const statements = statementsOf(packaged.Resources.CdnBucketPolicy);
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows.map((s) => actions(s))).toEqual([['s3:GetObject'], ['s3:ListBucket']]);
    for (const allow of allows) {
      expect(allow.Principal).toEqual({ Service: 'cloudfront.amazonaws.com' });
      expect(JSON.stringify(allow.Condition?.StringEquals?.['AWS:SourceArn'])).toContain(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub reference
        'distribution/${CdnDistribution}',
      );
    }
    // Listing is what makes S3 answer 404, not 403, for a missing asset; it covers the bucket
    // itself only, and the root path serves an object, so no request lists the bucket's keys.
    expect(JSON.stringify(allows[1]?.Resource)).not.toContain('/*');
    expect(distributionConfig(packaged).DefaultRootObject).toBe('index.html');
    const tls = statements.find((s) => s.Condition?.Bool?.['aws:SecureTransport'] === 'false');
    expect(tls?.Effect).toBe('Deny');

    const origin = distributionConfig(packaged).Origins[0];
    expect(origin?.OriginAccessControlId).toEqual({ 'Fn::GetAtt': ['CdnOriginAccessControl', 'Id'] });
    expect(origin?.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
    expect(origin?.DomainName).toEqual({ 'Fn::GetAtt': ['CdnBucket', 'RegionalDomainName'] });
    expect(packaged.Resources.CdnOriginAccessControl?.Properties.OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
  });

  it('answers on cdn0 … cdn3 of the domain with the us-east-1 certificate, HTTPS only, HTTP/2 and 3', () => {
    const config = distributionConfig(packaged);
    expect(config.Aliases).toEqual([
      'cdn0.dev.smallpayroll.ca',
      'cdn1.dev.smallpayroll.ca',
      'cdn2.dev.smallpayroll.ca',
      'cdn3.dev.smallpayroll.ca',
    ]);
    expect(config.ViewerCertificate).toMatchObject({ AcmCertificateArn: CERT, SslSupportMethod: 'sni-only' });
    expect(config.HttpVersion).toBe('http2and3');
    expect(config.PriceClass).toBe('PriceClass_100');
    expect(config.DefaultCacheBehavior).toMatchObject({
      ViewerProtocolPolicy: 'redirect-to-https',
      Compress: true,
      CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6',
      AllowedMethods: ['GET', 'HEAD'],
    });
  });

  it('creates A and AAAA alias records to CloudFront for every host in the configured zone', () => {
    const dns = packaged.Resources.CdnDnsRecords?.Properties as {
      HostedZoneId: string;
      RecordSets: { Name: string; Type: string; AliasTarget: { HostedZoneId: string; DNSName: unknown } }[];
    };
    expect(dns.HostedZoneId).toBe('Z0123456789ABCDEFGHIJ');
    expect(dns.RecordSets.map((r) => `${r.Type} ${r.Name}`).sort()).toEqual(
      [0, 1, 2, 3]
        .flatMap((i) => [`A cdn${i}.dev.smallpayroll.ca`, `AAAA cdn${i}.dev.smallpayroll.ca`])
        .sort(),
    );
    for (const record of dns.RecordSets) {
      expect(record.AliasTarget).toEqual({
        HostedZoneId: 'Z2FDTNDATAQYW2',
        DNSName: { 'Fn::GetAtt': ['CdnDistribution', 'DomainName'] },
      });
    }
  });

  it('outputs the bucket, the distribution and the asset_host for the app', () => {
    expect(packaged.Outputs.CdnBucketName?.Value).toEqual({ Ref: 'CdnBucket' });
    expect(packaged.Outputs.CdnDistributionId?.Value).toEqual({ Ref: 'CdnDistribution' });
    expect(packaged.Outputs.CdnDistributionDomainName?.Value).toEqual({
      'Fn::GetAtt': ['CdnDistribution', 'DomainName'],
    });
    expect(packaged.Outputs.CdnAssetHost?.Value).toBe('cdn%d.dev.smallpayroll.ca');
  });

  it("gives the functions no access to the CDN; the publisher policy names the stack's own resources", () => {
    const role = packaged.Resources.IamRoleLambdaExecution?.Properties as {
      Policies: { PolicyDocument: { Statement: Statement[] } }[];
    };
    const lambdaActions = role.Policies.flatMap((p) => p.PolicyDocument.Statement).flatMap(actions);
    expect(lambdaActions.filter((a) => /^(s3|cloudfront):/.test(a))).toEqual([]);

    const publisher = statementsOf(packaged.Resources.CdnPublisherPolicy);
    expect(publisher.flatMap(actions).sort()).toEqual([
      'cloudformation:DescribeStacks',
      'cloudfront:CreateInvalidation',
      's3:AbortMultipartUpload',
      's3:DeleteObject',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
    for (const s of publisher) {
      expect(s.Resource).not.toBe('*');
      for (const a of actions(s)) expect(a).not.toMatch(/\*/);
    }
    expect(JSON.stringify(publisher)).toContain('stack/fleet-pilot-dev/*');
  });
});

describe('access logs and response headers in the packaged template', () => {
  it('logs every request to a private log bucket of its own, expired after the retention', () => {
    expect(distributionConfig(packaged).Logging).toEqual({
      Bucket: { 'Fn::GetAtt': ['CdnLogBucket', 'DomainName'] },
      IncludeCookies: false,
      Prefix: 'cloudfront/',
    });
    const logs = packaged.Resources.CdnLogBucket as Resource;
    expect(logs.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    // CloudFront delivers standard logs with an object ACL: this bucket alone keeps ACLs, owner-owned.
    expect(logs.Properties.OwnershipControls).toEqual({
      Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }],
    });
    expect(JSON.stringify(logs.Properties.LifecycleConfiguration)).toContain('"ExpirationInDays":90');
    const tls = statementsOf(packaged.Resources.CdnLogBucketPolicy).find(
      (s) => s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
    );
    expect(tls?.Effect).toBe('Deny');
  });

  it("answers with HSTS, nosniff, a referrer policy and CORS for the app's own origins", () => {
    expect(distributionConfig(packaged).DefaultCacheBehavior.ResponseHeadersPolicyId).toEqual({
      Ref: 'CdnResponseHeadersPolicy',
    });
    const config = packaged.Resources.CdnResponseHeadersPolicy?.Properties.ResponseHeadersPolicyConfig as {
      SecurityHeadersConfig: Record<string, Record<string, unknown>>;
      CorsConfig: Record<string, unknown>;
    };
    expect(config.SecurityHeadersConfig.StrictTransportSecurity).toMatchObject({
      AccessControlMaxAgeSec: 63_072_000,
      Override: true,
    });
    expect(config.SecurityHeadersConfig.ContentTypeOptions).toEqual({ Override: true });
    expect(config.SecurityHeadersConfig.ReferrerPolicy).toEqual({
      ReferrerPolicy: 'strict-origin-when-cross-origin',
      Override: true,
    });
    expect(config.CorsConfig).toMatchObject({
      AccessControlAllowOrigins: {
        Items: ['https://dev.smallpayroll.ca', 'https://www.dev.smallpayroll.ca'],
      },
      AccessControlAllowMethods: { Items: ['GET', 'HEAD'] },
      AccessControlAllowCredentials: false,
    });
  });

  it('takes the retention and the CORS origins from the config, and refuses an origin with a path', () => {
    const built = cdnResources(
      testConfig({ cdn: { ...CDN, logRetentionDays: 400, corsOrigins: ['https://app.smallpayroll.ca'] } }),
      'fleet-pilot-prod',
    );
    expect(JSON.stringify(built.Resources.CdnLogBucket)).toContain('"ExpirationInDays":400');
    expect(JSON.stringify(built.Resources.CdnResponseHeadersPolicy)).toContain(
      '"Items":["https://app.smallpayroll.ca"]',
    );
    expect(() => testConfig({ cdn: { ...CDN, corsOrigins: ['https://app.smallpayroll.ca/x'] } })).toThrow(
      /cdn\.corsOrigins\[0\]: expected an origin/,
    );
  });
});

describe('the cdn builder', () => {
  it('creates nothing without a cdn section', () => {
    expect(cdnResources(testConfig(), 'fleet-pilot-test')).toEqual({ Resources: {}, Outputs: {} });
  });

  it('creates no DNS records without a hosted zone, and keeps versions only when asked', () => {
    const plain = cdnResources(testConfig({ cdn: CDN }), 'fleet-pilot-prod');
    expect(plain.Resources.CdnDnsRecords).toBeUndefined();
    expect(plain.Resources.CdnBucket?.Properties.VersioningConfiguration).toBeUndefined();
    expect(Object.keys(plain.Outputs)).toEqual(
      expect.arrayContaining([
        'CdnBucketName',
        'CdnDistributionId',
        'CdnDistributionDomainName',
        'CdnAssetHost',
      ]),
    );

    const versioned = cdnResources(
      testConfig({ cdn: { ...CDN, versioning: true, hosts: 2, priceClass: 'PriceClass_All' } }),
      'fleet-pilot-prod',
    );
    expect(versioned.Resources.CdnBucket?.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(JSON.stringify(versioned.Resources.CdnBucket?.Properties.LifecycleConfiguration)).toContain(
      'NoncurrentVersionExpiration',
    );
    expect(distributionConfig(versioned).Aliases).toEqual(['cdn0.smallpayroll.ca', 'cdn1.smallpayroll.ca']);
    expect(distributionConfig(versioned).PriceClass).toBe('PriceClass_All');
  });

  it('never gets a certificate outside us-east-1: the config fails naming the key', () => {
    const bad = { cdn: { ...CDN, certificateArn: CERT.replace('us-east-1', 'eu-west-1') } };
    expect(() => testConfig(bad)).toThrow(ConfigError);
    expect(() => testConfig(bad)).toThrow(/cdn\.certificateArn: expected a certificate in us-east-1/);
  });
});

describe('serverless-vars cdnResources', () => {
  it("scopes the publisher to the stack named like the IAM statements' (self:service-stage)", async () => {
    const vars = createRequire(__filename)('../../infra/serverless-vars.cjs') as {
      cdnResources(ctx: { resolveVariable(name: string): Promise<string> }): Promise<Template>;
    };
    const names: Record<string, string> = { 'sls:stage': 'dev', 'self:service': 'acme-fleet' };
    const template = await vars.cdnResources({ resolveVariable: async (name) => names[name] ?? '' });
    const policy = JSON.stringify(template.Resources.CdnPublisherPolicy);
    expect(policy).toContain(':stack/acme-fleet-dev/*');
    expect(policy).not.toContain('fleet-pilot-dev');
  });
});
