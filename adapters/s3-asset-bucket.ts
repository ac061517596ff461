/**
 * The AssetBucket port over S3: lists the bucket, uploads private objects with their headers and
 * a SHA-256 in the metadata (S3 checks the Content-MD5), deletes in batches, and keeps the sync's
 * small JSON bookkeeping documents.
 */
import {
  DeleteObjectsCommand,
  type DeleteObjectsCommandOutput,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type PutObjectCommandOutput,
} from '@aws-sdk/client-s3';
import type { AssetBucket, AssetHeaders } from '../domain/asset-ports.js';
import type { RemoteAsset } from '../domain/assets.js';
import { FleetError, NotFoundError } from '../domain/errors.js';
import { mapAwsError } from './aws-errors.js';

/** The S3 commands this adapter uses; an `S3Client` satisfies it. */
export interface S3Api {
  send(command: ListObjectsV2Command): Promise<ListObjectsV2CommandOutput>;
  send(command: HeadObjectCommand): Promise<HeadObjectCommandOutput>;
  send(command: GetObjectCommand): Promise<GetObjectCommandOutput>;
  send(command: PutObjectCommand): Promise<PutObjectCommandOutput>;
  send(command: DeleteObjectsCommand): Promise<DeleteObjectsCommandOutput>;
}

/** DeleteObjects takes at most this many keys per call. */
export const DELETE_BATCH_SIZE = 1000;

function isMissing(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

export class S3AssetBucket implements AssetBucket {
  constructor(
    private readonly client: S3Api,
    private readonly settings: { bucket: string },
  ) {}

  get name(): string {
    return this.settings.bucket;
  }

  private fail(error: unknown, context: string): FleetError {
    if ((error as { name?: string }).name === 'NoSuchBucket') {
      return new NotFoundError(`${context}: no bucket named ${this.name}`, { cause: error });
    }
    return mapAwsError(error, context);
  }

  async list(exceptPrefix: string): Promise<RemoteAsset[]> {
    const assets: RemoteAsset[] = [];
    let token: string | undefined;
    do {
      const page = await this.client
        .send(new ListObjectsV2Command({ Bucket: this.name, ContinuationToken: token }))
        .catch((error: unknown) => {
          throw this.fail(error, `listing bucket ${this.name}`);
        });
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || object.Key.startsWith(exceptPrefix)) continue;
        assets.push({
          key: object.Key,
          size: object.Size ?? 0,
          etag: (object.ETag ?? '').replaceAll('"', ''),
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return assets;
  }

  async storedSha256(key: string): Promise<string | undefined> {
    const head = await this.client
      .send(new HeadObjectCommand({ Bucket: this.name, Key: key }))
      .catch((error: unknown) => {
        throw isMissing(error)
          ? new NotFoundError(`s3://${this.name}/${key} is gone`, { cause: error })
          : this.fail(error, `reading s3://${this.name}/${key}`);
      });
    return head.Metadata?.sha256;
  }

  async put(key: string, body: Uint8Array, headers: AssetHeaders): Promise<void> {
    await this.client
      .send(
        new PutObjectCommand({
          Bucket: this.name,
          Key: key,
          Body: body,
          ContentLength: body.byteLength,
          ContentType: headers.contentType,
          CacheControl: headers.cacheControl,
          ContentMD5: Buffer.from(headers.md5, 'hex').toString('base64'),
          Metadata: { sha256: headers.sha256 },
        }),
      )
      .catch((error: unknown) => {
        throw this.fail(error, `uploading s3://${this.name}/${key}`);
      });
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH_SIZE) {
      const batch = keys.slice(i, i + DELETE_BATCH_SIZE);
      const result = await this.client
        .send(
          new DeleteObjectsCommand({
            Bucket: this.name,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        )
        .catch((error: unknown) => {
          throw this.fail(error, `deleting ${batch.length} objects from ${this.name}`);
        });
      const failed = result.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0];
        throw new FleetError(
          `deleting from ${this.name}: ${failed.length} objects not deleted, e.g. ${first?.Key}: ${first?.Code} ${first?.Message ?? ''}`.trim(),
        );
      }
    }
  }

  async readJson(key: string): Promise<unknown> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.name, Key: key }));
      const text = await object.Body?.transformToString('utf8');
      return text === undefined ? undefined : JSON.parse(text);
    } catch (error) {
      if (isMissing(error)) return undefined;
      if (error instanceof SyntaxError)
        throw new FleetError(`s3://${this.name}/${key}: not JSON`, { cause: error });
      throw this.fail(error, `reading s3://${this.name}/${key}`);
    }
  }

  async writeJson(key: string, value: unknown): Promise<void> {
    await this.client
      .send(
        new PutObjectCommand({
          Bucket: this.name,
          Key: key,
          Body: JSON.stringify(value),
          ContentType: 'application/json',
          CacheControl: 'no-store',
        }),
      )
      .catch((error: unknown) => {
        throw this.fail(error, `writing s3://${this.name}/${key}`);
      });
  }
}
