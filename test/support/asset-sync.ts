/**
 * One world for the asset CLI's tests: a real S3-compatible server (s3rver) on loopback with an empty
 * bucket `assets`, a temporary --dir, CloudFront and CloudFormation mocked (aws-sdk-client-mock), and
 * the CLI's own SDK clients pointed at s3rver through AWS_ENDPOINT_URL_S3. Call it at the top of a
 * test file: it registers its own beforeEach and afterEach.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach } from 'vitest';
import { runAssetsCli } from '../../cli/assets/command.js';
import { type LocalS3, S3RVER_CREDENTIALS, startLocalS3 } from './s3rver.js';

export const DISTRIBUTION = 'E2QWRUHAPOMQZL';
export const BUCKET = 'assets';
/** Flags naming the bucket and the distribution, so no stack is asked. */
export const TO_BUCKET = ['--bucket', BUCKET, '--distribution', DISTRIBUTION];

export interface SyncRun {
  code: number;
  out: string;
  err: string;
}

export function assetSyncWorld() {
  const cloudFront = mockClient(CloudFrontClient);
  const cloudFormation = mockClient(CloudFormationClient);
  const savedEnv = { ...process.env };
  const world = {
    s3: undefined as unknown as LocalS3,
    dir: '',
    cloudFront,
    cloudFormation,
    /** The time the CLI sees; tests move it. */
    now: new Date('2026-12-01T10:00:00Z'),

    /** Writes a file below --dir, making its directories. */
    async put(path: string, content: string | Uint8Array): Promise<void> {
      await mkdir(join(world.dir, path, '..'), { recursive: true });
      await writeFile(join(world.dir, path), content);
    },

    /** `npm run assets -- sync --dir DIR --path-style FLAGS...` at `world.now`. */
    async sync(...flags: string[]): Promise<SyncRun> {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runAssetsCli(['sync', '--dir', world.dir, '--path-style', ...flags], process.env, {
        out: (line) => out.push(line),
        err: (line) => err.push(line),
        now: () => world.now,
      });
      return { code, out: out.join('\n'), err: err.join('\n') };
    },

    /** Every key in the bucket, the sync's own bookkeeping included, sorted. */
    async keys(): Promise<string[]> {
      const listed = await world.s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
      return (listed.Contents ?? []).map((o) => o.Key ?? '').sort();
    },

    async read(key: string): Promise<string | undefined> {
      const object = await world.s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      return object.Body?.transformToString();
    },

    /** The invalidation batches CloudFront was sent, in order. */
    invalidations() {
      return cloudFront.commandCalls(CreateInvalidationCommand).map((c) => c.args[0].input.InvalidationBatch);
    },

    /** Moves the CLI's clock on. */
    later(hours: number): void {
      world.now = new Date(world.now.getTime() + hours * 3_600_000);
    },
  };

  beforeEach(async () => {
    world.s3 = await startLocalS3(BUCKET);
    world.dir = await mkdtemp(join(tmpdir(), 'assets-'));
    world.now = new Date('2026-12-01T10:00:00Z');
    process.env.AWS_ENDPOINT_URL_S3 = world.s3.endpoint;
    process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
    cloudFront.reset();
    cloudFormation.reset();
    cloudFront.on(CreateInvalidationCommand).callsFake((input) => ({
      Invalidation: { Id: `I-${input.InvalidationBatch.CallerReference.slice(-6)}` },
    }));
  });

  afterEach(async () => {
    process.env = { ...savedEnv };
    await world.s3.close();
    await rm(world.dir, { recursive: true, force: true });
  });

  return world;
}
