/**
 * What the asset sync reads from --dir and how it sends it: a dangling symbolic link is named and
 * skipped, and files are hashed and uploaded as streams (one request body per small file, parts of a
 * bounded size above the multipart threshold), never read whole. Against s3rver on loopback.
 */
import { createHash } from 'node:crypto';
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3AssetBucket } from '../../adapters/s3-asset-bucket.js';
import { lineReporter } from '../../assets/progress.js';
import { scanAssets } from '../../assets/scan.js';
import { syncAssets } from '../../assets/sync.js';
import { contentTypeOf } from '../../cli/assets/command.js';
import { assetSyncWorld, BUCKET, TO_BUCKET } from '../support/asset-sync.js';

const world = assetSyncWorld();
const MiB = 1024 * 1024;

/** Every command the client sends, with its input as the SDK got it. */
function recordCommands(client: S3Client): { name: string; input: Record<string, unknown> }[] {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({ name: context.commandName ?? '', input: { ...(args.input as Record<string, unknown>) } });
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return sent;
}

/** Bytes that are not all alike, so a misplaced part would show. */
function pattern(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i + 4 <= size; i += 4) bytes.writeUInt32LE(i, i);
  return bytes;
}

describe('assets sync: what it reads from --dir', () => {
  it('names a dangling symbolic link in one line and syncs the rest', async () => {
    await world.put('robots.txt', 'User-agent: *\n');
    await world.put('stylesheets/site.css', 'body {}');
    await symlink('site-3f2a9c71.css', join(world.dir, 'stylesheets/current.css'));
    const run = await world.sync(...TO_BUCKET);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const link = join(world.dir, 'stylesheets/current.css');
    expect(run.out.split('\n').filter((line) => line.includes('current.css'))).toEqual([
      `skipped ${link}: a dangling symbolic link (to site-3f2a9c71.css)`,
    ]);
    expect(await world.keys()).toEqual(['robots.txt', 'stylesheets/site.css']);
  });

  it("hashes a file as it streams it (FIPS 180-2's and RFC 1321's digests of a million 'a's)", async () => {
    await world.put('a.txt', 'a'.repeat(1_000_000));
    const [asset] = await scanAssets(world.dir);
    expect(asset).toEqual({
      key: 'a.txt',
      size: 1_000_000,
      md5: '7707d6ae4e027c70eea2a935c2296f21',
      sha256: 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    });
  });
});

describe('assets sync: how it uploads', () => {
  it('sends a small file as a stream and a large one in parts of bounded size; a rerun finds both unchanged', async () => {
    const large = pattern(11 * MiB + 3);
    await writeFile(join(world.dir, 'intro.mp4'), large);
    await world.put('robots.txt', 'User-agent: *\n');
    const sent = recordCommands(world.s3.client);
    const bucket = new S3AssetBucket(world.s3.client, {
      bucket: BUCKET,
      multipartThreshold: 5 * MiB,
      partSize: 5 * MiB,
    });
    const lines: string[] = [];
    const run = () =>
      syncAssets(
        {
          dir: world.dir,
          delete: false,
          dryRun: false,
          concurrency: 2,
          force: false,
          maxDeletePercent: 50,
          graceHours: 48,
        },
        {
          bucket,
          contentType: contentTypeOf,
          reporter: lineReporter((l) => lines.push(l)),
          now: () => world.now,
        },
      );

    const first = await run();
    expect(first.uploaded).toBe(2);
    const puts = sent.filter((c) => c.name === 'PutObjectCommand' && c.input.Key === 'robots.txt');
    expect(puts).toHaveLength(1);
    expect(puts[0]?.input.Body).toBeInstanceOf(Readable);
    expect(puts[0]?.input.ContentLength).toBe(14);

    const parts = sent.filter((c) => c.name === 'UploadPartCommand');
    expect(parts.map((c) => c.input.PartNumber)).toEqual([1, 2, 3]);
    for (const part of parts) expect((part.input.Body as Uint8Array).byteLength).toBeLessThanOrEqual(5 * MiB);
    expect(sent.some((c) => c.name === 'PutObjectCommand' && c.input.Key === 'intro.mp4')).toBe(false);

    const stored = await world.s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'intro.mp4' }));
    const bytes = await stored.Body?.transformToByteArray();
    expect(
      createHash('sha256')
        .update(bytes ?? new Uint8Array())
        .digest('hex'),
    ).toBe(createHash('sha256').update(large).digest('hex'));
    expect(stored.ContentType).toBe('video/mp4');
    expect(stored.CacheControl).toBe('public, max-age=300');

    const second = await run();
    expect(second).toMatchObject({ uploaded: 0, unchanged: 2 });
  });
});
