/**
 * The AssetBucket port over S3: lists the bucket, streams private objects up with their headers and
 * a SHA-256 in the metadata, deletes in batches, and keeps the sync's small JSON bookkeeping
 * documents. A file up to the multipart threshold is one PutObject whose body is the file's stream
 * (S3 checks its Content-MD5); a larger one goes up in parts (lib-storage), at most two parts in
 * memory at a time, and is checked against its SHA-256 as it is read.
 */
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
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
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import pRetry from 'p-retry';
import type { AssetBucket, AssetHeaders, AssetSource } from '../domain/asset-ports.js';
import type { RemoteAsset } from '../domain/assets.js';
import { FleetError, InvalidRequestError, NotFoundError } from '../domain/errors.js';
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

const MiB = 1024 * 1024;
/** Above this a file goes up in parts: one request would have to be resent whole after a fault. */
export const MULTIPART_THRESHOLD = 64 * MiB;
/** S3's smallest part (but the last); 8 MiB keeps two parts in flight at 16 MiB per upload. */
export const PART_SIZE = 8 * MiB;
/** S3 takes at most this many parts: beyond 80 GB the parts grow. */
const MAX_PARTS = 10_000;

export interface S3AssetBucketSettings {
  bucket: string;
  /** Files larger than this many bytes go up in parts (default {@link MULTIPART_THRESHOLD}). */
  multipartThreshold?: number;
  /** Bytes per part (default {@link PART_SIZE}; at least 5 MiB, S3's minimum). */
  partSize?: number;
  /**
   * Tries of a one-request upload on throttling or a transient fault, each reading the file
   * again: the SDK does not retry a request whose body is a stream (default 3).
   */
  attempts?: number;
  /** The first wait between tries, doubled each time (default 1000 ms). */
  retryDelayMs?: number;
}

function isMissing(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

export class S3AssetBucket implements AssetBucket {
  /**
   * @param client an S3Client: the multipart path (lib-storage) needs the whole client, not only
   *   {@link S3Api}'s commands.
   */
  constructor(
    private readonly client: S3Api & Pick<S3Client, 'config' | 'middlewareStack'>,
    private readonly settings: S3AssetBucketSettings,
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

  async put(key: string, source: AssetSource, headers: AssetHeaders): Promise<void> {
    if (source.size > (this.settings.multipartThreshold ?? MULTIPART_THRESHOLD)) {
      await this.putInParts(key, source, headers);
      return;
    }
    await pRetry(
      async () => {
        const body = toReadable(source.open());
        try {
          await this.client.send(
            new PutObjectCommand({
              Bucket: this.name,
              Key: key,
              Body: body,
              ContentLength: source.size,
              ContentType: headers.contentType,
              CacheControl: headers.cacheControl,
              ContentMD5: Buffer.from(headers.md5, 'hex').toString('base64'),
              Metadata: { sha256: headers.sha256 },
            }),
          );
        } catch (error) {
          throw this.fail(error, `uploading s3://${this.name}/${key}`);
        } finally {
          body.destroy();
        }
      },
      {
        retries: (this.settings.attempts ?? 3) - 1,
        minTimeout: this.settings.retryDelayMs ?? 1000,
        shouldRetry: (error) => error instanceof FleetError && error.retryable,
      },
    );
  }

  /** A multipart upload of the stream, hashed on the way: a file that changed since its scan fails. */
  private async putInParts(key: string, source: AssetSource, headers: AssetHeaders): Promise<void> {
    const digest = createHash('sha256');
    let bytes = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        digest.update(chunk);
        bytes += chunk.byteLength;
        done(null, chunk);
      },
    });
    const body = toReadable(source.open());
    body.on('error', (error) => counted.destroy(error));
    const partSize = Math.max(this.settings.partSize ?? PART_SIZE, Math.ceil(source.size / MAX_PARTS));
    const upload = new Upload({
      client: this.client as S3Client,
      partSize,
      queueSize: 2,
      leavePartsOnError: false,
      params: {
        Bucket: this.name,
        Key: key,
        Body: body.pipe(counted),
        ContentType: headers.contentType,
        CacheControl: headers.cacheControl,
        Metadata: { sha256: headers.sha256 },
      },
    });
    try {
      await upload.done();
    } catch (error) {
      throw this.fail(error, `uploading s3://${this.name}/${key} in parts`);
    } finally {
      body.destroy();
    }
    const sha256 = digest.digest('hex');
    if (bytes !== source.size || sha256 !== headers.sha256) {
      throw new InvalidRequestError(
        `s3://${this.name}/${key}: the file changed while it was uploading; rerun to upload it again`,
      );
    }
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

function toReadable(stream: AsyncIterable<Uint8Array>): Readable {
  return stream instanceof Readable ? stream : Readable.from(stream);
}
