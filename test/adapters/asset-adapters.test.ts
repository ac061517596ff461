/** The asset sync's adapters over mocked SDK clients: request shapes and error mapping. */

import { Readable } from 'node:stream';
import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CloudFrontClient,
  CloudFrontServiceException,
  CreateInvalidationCommand,
  NoSuchDistribution,
} from '@aws-sdk/client-cloudfront';
import {
  DeleteObjectsCommand,
  NoSuchBucket,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudFormationStackOutputs } from '../../adapters/cloudformation-stack-outputs.js';
import { CloudFrontInvalidator } from '../../adapters/cloudfront-invalidator.js';
import { DELETE_BATCH_SIZE, S3AssetBucket } from '../../adapters/s3-asset-bucket.js';
import {
  ConflictError,
  type FleetError,
  InvalidRequestError,
  NotFoundError,
  ThrottlingError,
} from '../../domain/errors.js';

const cloudFormation = mockClient(CloudFormationClient);
const cloudFront = mockClient(CloudFrontClient);
const s3 = mockClient(S3Client);

beforeEach(() => {
  cloudFormation.reset();
  cloudFront.reset();
  s3.reset();
});

describe('CloudFormationStackOutputs', () => {
  const stacks = () => new CloudFormationStackOutputs(new CloudFormationClient({ region: 'us-east-1' }));

  it("returns the stack's outputs by key", async () => {
    cloudFormation.on(DescribeStacksCommand, { StackName: 'fleet-pilot-prod' }).resolves({
      Stacks: [
        {
          StackName: 'fleet-pilot-prod',
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(0),
          Outputs: [
            { OutputKey: 'CdnBucketName', OutputValue: 'fleet-pilot-prod-cdnbucket-1a2b3c' },
            { OutputKey: 'CdnDistributionId', OutputValue: 'E2QWRUHAPOMQZL' },
          ],
        },
      ],
    });
    expect(await stacks().outputs('fleet-pilot-prod')).toEqual({
      CdnBucketName: 'fleet-pilot-prod-cdnbucket-1a2b3c',
      CdnDistributionId: 'E2QWRUHAPOMQZL',
    });
  });

  /** CloudFormation's query protocol: a client error with the wire code as its name. */
  const clientError = (name: string, message: string) =>
    new CloudFormationServiceException({
      name,
      message,
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });

  it('answers a missing stack with NotFoundError', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(clientError('ValidationError', 'Stack with id fleet-pilot-nope does not exist'));
    await expect(stacks().outputs('fleet-pilot-nope')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('maps throttling', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(clientError('Throttling', 'Rate exceeded'));
    await expect(stacks().outputs('fleet-pilot-prod')).rejects.toBeInstanceOf(ThrottlingError);
  });
});

describe('CloudFrontInvalidator', () => {
  const invalidator = () =>
    new CloudFrontInvalidator(new CloudFrontClient({ region: 'us-east-1' }), {
      distributionId: 'E2QWRUHAPOMQZL',
    });

  it('sends every path in one request under the caller reference', async () => {
    cloudFront.on(CreateInvalidationCommand).resolves({
      Invalidation: {
        Id: 'I2J0I21PCUYOIK',
        Status: 'InProgress',
        CreateTime: new Date(0),
        InvalidationBatch: undefined,
      },
    });
    expect(await invalidator().invalidate(['/favicon.ico', '/robots.txt'], 'asset-sync-abc')).toBe(
      'I2J0I21PCUYOIK',
    );
    expect(cloudFront.commandCalls(CreateInvalidationCommand)[0]?.args[0].input).toEqual({
      DistributionId: 'E2QWRUHAPOMQZL',
      InvalidationBatch: {
        CallerReference: 'asset-sync-abc',
        Paths: { Quantity: 2, Items: ['/favicon.ico', '/robots.txt'] },
      },
    });
  });

  it('names a missing distribution and a reused reference', async () => {
    cloudFront
      .on(CreateInvalidationCommand)
      .rejectsOnce(
        new NoSuchDistribution({ $metadata: {}, message: 'The specified distribution does not exist.' }),
      )
      .rejectsOnce(
        new CloudFrontServiceException({
          // Not modelled by the SDK: it arrives as the service exception with the wire code as name.
          name: 'InvalidationBatchAlreadyExists',
          $fault: 'client',
          $metadata: { httpStatusCode: 409 },
          message: 'already exists',
        }),
      );
    await expect(invalidator().invalidate(['/a'], 'r')).rejects.toBeInstanceOf(NotFoundError);
    await expect(invalidator().invalidate(['/a'], 'r')).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('S3AssetBucket', () => {
  const bucket = () => new S3AssetBucket(new S3Client({ region: 'us-east-1' }), { bucket: 'assets' });

  /** A source that counts how often it was opened. */
  const source = (content: string) => {
    const opened: Readable[] = [];
    return {
      opened,
      size: Buffer.byteLength(content),
      open() {
        const stream = Readable.from([Buffer.from(content)]);
        opened.push(stream);
        return stream;
      },
    };
  };
  const headers = {
    contentType: 'text/css; charset=utf-8',
    cacheControl: 'public, max-age=31536000, immutable',
    md5: 'aabbccddeeff00112233445566778899',
    sha256: 'f00d',
  };

  it('streams privately with the headers, the SHA-256 metadata and a Content-MD5 for S3 to check', async () => {
    s3.on(PutObjectCommand).resolves({});
    const body = source('body{}');
    await bucket().put('app-3f2a9c.css', body, headers);
    const input = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(input?.Body).toBe(body.opened[0]);
    expect(input).toMatchObject({
      Bucket: 'assets',
      Key: 'app-3f2a9c.css',
      ContentLength: 6,
      ContentType: 'text/css; charset=utf-8',
      CacheControl: 'public, max-age=31536000, immutable',
      ContentMD5: Buffer.from('aabbccddeeff00112233445566778899', 'hex').toString('base64'),
      Metadata: { sha256: 'f00d' },
    });
    expect(input).not.toHaveProperty('ACL');
  });

  it('tries a throttled or failed upload again from a freshly opened stream, but not a rejected one', async () => {
    const quick = new S3AssetBucket(new S3Client({ region: 'us-east-1' }), {
      bucket: 'assets',
      retryDelayMs: 1,
    });
    const s3Error = (name: string, status: number) =>
      new S3ServiceException({
        name,
        $fault: status >= 500 ? 'server' : 'client',
        $metadata: { httpStatusCode: status },
        message: name,
      });
    s3.on(PutObjectCommand)
      .rejectsOnce(s3Error('SlowDown', 503))
      .rejectsOnce(s3Error('InternalError', 500))
      .resolves({});
    const retried = source('body{}');
    await quick.put('app-3f2a9c.css', retried, headers);
    expect(retried.opened).toHaveLength(3);
    expect(new Set(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Body)).size).toBe(3);
    expect(retried.opened.every((stream) => stream.destroyed)).toBe(true);

    s3.reset();
    s3.on(PutObjectCommand).rejects(s3Error('BadDigest', 400));
    const rejected = source('changed');
    await expect(quick.put('app-3f2a9c.css', rejected, headers)).rejects.toBeInstanceOf(InvalidRequestError);
    expect(rejected.opened).toHaveLength(1);
  });

  it('deletes in batches of 1000 and fails naming the objects S3 kept', async () => {
    s3.on(DeleteObjectsCommand).resolves({});
    const keys = Array.from({ length: DELETE_BATCH_SIZE + 1 }, (_, i) => `k${i}`);
    await bucket().delete(keys);
    expect(s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input.Delete?.Objects?.length)).toEqual(
      [DELETE_BATCH_SIZE, 1],
    );

    s3.on(DeleteObjectsCommand).resolves({
      Errors: [{ Key: 'k1', Code: 'AccessDenied', Message: 'Access Denied' }],
    });
    await expect(bucket().delete(['k1'])).rejects.toThrow(/1 objects not deleted, e.g. k1: AccessDenied/);
  });

  it('names a missing bucket', async () => {
    s3.onAnyCommand().rejects(
      new NoSuchBucket({ $metadata: {}, message: 'The specified bucket does not exist' }),
    );
    const error = await bucket()
      .list('.asset-sync/')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as FleetError).message).toBe('listing bucket assets: no bucket named assets');
  });
});
