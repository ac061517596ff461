/**
 * The CDN's CloudFormation resources, built from the config's optional `cdn` section
 * (domain/cdn.ts): a private S3 origin bucket that only the distribution can read (Origin Access
 * Control), the CloudFront distribution on `cdn0.<domain>` … `cdn<N-1>.<domain>`, optional Route 53
 * alias records, a managed policy with exactly what the asset sync needs, access logs in a bucket of
 * their own with a retention, and a response headers policy (HSTS, nosniff, referrer policy, CORS for
 * the app's pages). No `cdn`, no resources.
 */
const tsx = require('tsx/cjs/api');

/** AWS's managed "CachingOptimized" cache policy: long TTLs, gzip and brotli, no cookies or query strings. */
const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
/** The hosted zone of every CloudFront distribution, for Route 53 alias records. */
const CLOUDFRONT_ZONE = 'Z2FDTNDATAQYW2';
/** Keys under this prefix are the sync's own bookkeeping, never served. */
const SYNC_PREFIX = '.asset-sync/';
const ORIGIN_ID = 'assets-bucket';

const sub = (text) => ({ 'Fn::Sub': text });
const corsOriginsOf = (cdn) => tsx.require('../domain/cdn.ts', __filename).corsOrigins(cdn);
const getAtt = (resource, attribute) => ({ 'Fn::GetAtt': [resource, attribute] });
const bucketArn = getAtt('CdnBucket', 'Arn');
const objectsArn = (path = '*') => sub(`\${CdnBucket.Arn}/${path}`);
const distributionArn = sub(
  `arn:\${AWS::Partition}:cloudfront::\${AWS::AccountId}:distribution/\${CdnDistribution}`,
);

/** Every bucket of the CDN: no public access by ACL or policy, whatever is uploaded. */
const PRIVATE_BUCKET = {
  PublicAccessBlockConfiguration: {
    BlockPublicAcls: true,
    BlockPublicPolicy: true,
    IgnorePublicAcls: true,
    RestrictPublicBuckets: true,
  },
};

/** Objects encrypted at rest with S3's own keys. */
const ENCRYPTED_BUCKET = {
  BucketEncryption: {
    ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
  },
};

function bucket(cdn) {
  const rules = [
    {
      Id: 'abort-incomplete-uploads',
      Status: 'Enabled',
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
    },
  ];
  if (cdn.versioning) {
    rules.push({
      Id: 'expire-old-versions',
      Status: 'Enabled',
      NoncurrentVersionExpiration: { NoncurrentDays: 30 },
    });
  }
  return {
    Type: 'AWS::S3::Bucket',
    // The assets outlive the stack: deleting it must not delete what the app's pages link to.
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
    Properties: {
      ...PRIVATE_BUCKET,
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      ...ENCRYPTED_BUCKET,
      ...(cdn.versioning ? { VersioningConfiguration: { Status: 'Enabled' } } : {}),
      LifecycleConfiguration: { Rules: rules },
    },
  };
}

function bucketPolicy() {
  const cloudFront = { Service: 'cloudfront.amazonaws.com' };
  const fromThisDistribution = { StringEquals: { 'AWS:SourceArn': distributionArn } };
  return {
    Type: 'AWS::S3::BucketPolicy',
    Properties: {
      Bucket: { Ref: 'CdnBucket' },
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'ReadByThisDistributionOnly',
            Effect: 'Allow',
            Principal: cloudFront,
            Action: 's3:GetObject',
            Resource: objectsArn(),
            Condition: fromThisDistribution,
          },
          {
            // Without it S3 answers 403 for a missing object (it will not say whether a key exists);
            // with it, 404. The bucket itself only: the root path serves an object (DefaultRootObject),
            // so no viewer request lists the keys.
            Sid: 'MissingAssetsAre404',
            Effect: 'Allow',
            Principal: cloudFront,
            Action: 's3:ListBucket',
            Resource: bucketArn,
            Condition: fromThisDistribution,
          },
          {
            Sid: 'SyncBookkeepingIsNotServed',
            Effect: 'Deny',
            Principal: cloudFront,
            Action: 's3:GetObject',
            Resource: objectsArn(`${SYNC_PREFIX}*`),
          },
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [bucketArn, objectsArn()],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      },
    },
  };
}

/**
 * Where CloudFront writes its access logs: a private bucket of the stack's own, logs expired after
 * `logRetentionDays`. CloudFront's standard logs are delivered with an object ACL, so this bucket
 * (alone) keeps ACLs enabled, owned by the bucket owner; public ACLs stay blocked.
 */
function logBucket(cdn) {
  return {
    Type: 'AWS::S3::Bucket',
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
    Properties: {
      ...PRIVATE_BUCKET,
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] },
      ...ENCRYPTED_BUCKET,
      LifecycleConfiguration: {
        Rules: [
          { Id: 'expire-access-logs', Status: 'Enabled', ExpirationInDays: cdn.logRetentionDays },
          {
            Id: 'abort-incomplete-uploads',
            Status: 'Enabled',
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          },
        ],
      },
    },
  };
}

function logBucketPolicy() {
  const logs = getAtt('CdnLogBucket', 'Arn');
  return {
    Type: 'AWS::S3::BucketPolicy',
    Properties: {
      Bucket: { Ref: 'CdnLogBucket' },
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [logs, sub(`\${CdnLogBucket.Arn}/*`)],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      },
    },
  };
}

/**
 * Headers on every asset: HSTS (two years), nosniff, a referrer policy that sends only the origin
 * cross-origin, and CORS for the app's pages (fonts and `crossorigin` scripts load from the cdn
 * hosts, another origin).
 */
function responseHeadersPolicy(cdn, stack) {
  return {
    Type: 'AWS::CloudFront::ResponseHeadersPolicy',
    Properties: {
      ResponseHeadersPolicyConfig: {
        Name: `${stack}-assets`.slice(0, 128),
        Comment: `${stack}: security headers and CORS for the static assets`,
        SecurityHeadersConfig: {
          StrictTransportSecurity: {
            AccessControlMaxAgeSec: 63_072_000,
            IncludeSubdomains: true,
            Preload: false,
            Override: true,
          },
          ContentTypeOptions: { Override: true },
          ReferrerPolicy: { ReferrerPolicy: 'strict-origin-when-cross-origin', Override: true },
        },
        CorsConfig: {
          AccessControlAllowOrigins: { Items: corsOriginsOf(cdn) },
          AccessControlAllowMethods: { Items: ['GET', 'HEAD'] },
          AccessControlAllowHeaders: { Items: ['*'] },
          AccessControlAllowCredentials: false,
          AccessControlMaxAgeSec: 86_400,
          OriginOverride: true,
        },
      },
    },
  };
}

function distribution(cdn, aliases, stack) {
  return {
    Type: 'AWS::CloudFront::Distribution',
    Properties: {
      DistributionConfig: {
        Enabled: true,
        Comment: `${stack} static assets`,
        // "/" asks S3 for this object (404 when absent) instead of listing the bucket.
        DefaultRootObject: 'index.html',
        Logging: {
          // CloudFront takes the bucket's global name, <bucket>.s3.amazonaws.com.
          Bucket: getAtt('CdnLogBucket', 'DomainName'),
          IncludeCookies: false,
          Prefix: 'cloudfront/',
        },
        Aliases: aliases,
        HttpVersion: 'http2and3',
        IPV6Enabled: true,
        PriceClass: cdn.priceClass,
        ViewerCertificate: {
          AcmCertificateArn: cdn.certificateArn,
          SslSupportMethod: 'sni-only',
          MinimumProtocolVersion: 'TLSv1.2_2021',
        },
        Origins: [
          {
            Id: ORIGIN_ID,
            DomainName: getAtt('CdnBucket', 'RegionalDomainName'),
            // Empty with Origin Access Control (the identity field is for the older OAI).
            S3OriginConfig: { OriginAccessIdentity: '' },
            OriginAccessControlId: getAtt('CdnOriginAccessControl', 'Id'),
          },
        ],
        DefaultCacheBehavior: {
          TargetOriginId: ORIGIN_ID,
          ViewerProtocolPolicy: 'redirect-to-https',
          AllowedMethods: ['GET', 'HEAD'],
          CachedMethods: ['GET', 'HEAD'],
          Compress: true,
          CachePolicyId: CACHING_OPTIMIZED,
          ResponseHeadersPolicyId: { Ref: 'CdnResponseHeadersPolicy' },
        },
      },
    },
  };
}

/** A and AAAA alias records for every host name, in the configured zone. */
function dnsRecords(cdn, aliases) {
  const target = { DNSName: getAtt('CdnDistribution', 'DomainName'), HostedZoneId: CLOUDFRONT_ZONE };
  return {
    Type: 'AWS::Route53::RecordSetGroup',
    Properties: {
      HostedZoneId: cdn.hostedZoneId,
      RecordSets: aliases.flatMap((name) =>
        ['A', 'AAAA'].map((type) => ({ Name: name, Type: type, AliasTarget: target })),
      ),
    },
  };
}

/** What `npm run assets -- sync` needs, and nothing more: attach it to whoever publishes assets. */
function publisherPolicy(stack) {
  return {
    Type: 'AWS::IAM::ManagedPolicy',
    Properties: {
      Description: `${stack}: publish static assets (npm run assets -- sync)`,
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'FindTheBucket',
            Effect: 'Allow',
            Action: 'cloudformation:DescribeStacks',
            Resource: sub(
              `arn:\${AWS::Partition}:cloudformation:\${AWS::Region}:\${AWS::AccountId}:stack/${stack}/*`,
            ),
          },
          { Sid: 'ListAssets', Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn },
          {
            Sid: 'WriteAssets',
            Effect: 'Allow',
            // AbortMultipartUpload: a large file goes up in parts, and a failed upload drops its parts.
            Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
            Resource: objectsArn(),
          },
          {
            Sid: 'InvalidateAssets',
            Effect: 'Allow',
            Action: 'cloudfront:CreateInvalidation',
            Resource: distributionArn,
          },
        ],
      },
    },
  };
}

/**
 * The CDN's resources and outputs for `config` (validated) in stack `stack` (`<service>-<stage>`).
 * @returns `{ Resources, Outputs }`, both empty without a `cdn` section.
 */
function cdnResources(config, stack) {
  const cdn = config.cdn;
  if (cdn === undefined) return { Resources: {}, Outputs: {} };
  const { cdnAliases, assetHost } = tsx.require('../domain/cdn.ts', __filename);
  const aliases = cdnAliases(cdn);
  const resources = {
    CdnBucket: bucket(cdn),
    CdnBucketPolicy: bucketPolicy(),
    CdnOriginAccessControl: {
      Type: 'AWS::CloudFront::OriginAccessControl',
      Properties: {
        OriginAccessControlConfig: {
          Name: `${stack}-assets`.slice(0, 64),
          Description: `${stack}: CloudFront reads the asset bucket`,
          OriginAccessControlOriginType: 's3',
          SigningBehavior: 'always',
          SigningProtocol: 'sigv4',
        },
      },
    },
    CdnLogBucket: logBucket(cdn),
    CdnLogBucketPolicy: logBucketPolicy(),
    CdnResponseHeadersPolicy: responseHeadersPolicy(cdn, stack),
    CdnDistribution: distribution(cdn, aliases, stack),
    CdnPublisherPolicy: publisherPolicy(stack),
  };
  if (cdn.hostedZoneId !== undefined) resources.CdnDnsRecords = dnsRecords(cdn, aliases);
  return {
    Resources: resources,
    Outputs: {
      CdnBucketName: {
        Description: 'The asset bucket (private; read through CloudFront only)',
        Value: { Ref: 'CdnBucket' },
      },
      CdnDistributionId: { Value: { Ref: 'CdnDistribution' } },
      CdnDistributionDomainName: {
        Description: 'CNAME target of the cdn host names',
        Value: getAtt('CdnDistribution', 'DomainName'),
      },
      CdnAliases: { Value: aliases.join(',') },
      CdnAssetHost: {
        Description: "The app's asset host, e.g. Rails config.asset_host",
        Value: assetHost(cdn),
      },
      CdnPublisherPolicyArn: {
        Description: 'Attach to whoever runs npm run assets -- sync',
        Value: { Ref: 'CdnPublisherPolicy' },
      },
    },
  };
}

module.exports = { cdnResources, CACHING_OPTIMIZED, CLOUDFRONT_ZONE, SYNC_PREFIX };
