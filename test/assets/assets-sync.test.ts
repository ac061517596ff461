/**
 * `npm run assets -- sync` against a real S3-compatible server (s3rver) on loopback; CloudFront and
 * CloudFormation are mocked (aws-sdk-client-mock). The SDK clients are the CLI's own, pointed at
 * s3rver through AWS_ENDPOINT_URL_S3.
 */
import { mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { S3AssetBucket } from '../../adapters/s3-asset-bucket.js';
import { lineReporter } from '../../assets/progress.js';
import { AssetDirectoryError, scanAssets } from '../../assets/scan.js';
import { PENDING_KEY, syncAssets } from '../../assets/sync.js';
import { contentTypeOf, runAssetsCli, SERVICE } from '../../cli/assets/command.js';
import { type LocalS3, S3RVER_CREDENTIALS, startLocalS3 } from '../support/s3rver.js';

const cloudFront = mockClient(CloudFrontClient);
const cloudFormation = mockClient(CloudFormationClient);
const DISTRIBUTION = 'E2QWRUHAPOMQZL';

/** CloudFront's answer: an invalidation id derived from the reference. */
const acceptInvalidation = (input: { InvalidationBatch: { CallerReference: string } }) => ({
  Invalidation: { Id: `I-${input.InvalidationBatch.CallerReference.slice(-6)}` },
});

let s3: LocalS3;
let dir: string;
const savedEnv = { ...process.env };

beforeEach(async () => {
  s3 = await startLocalS3();
  dir = await mkdtemp(join(tmpdir(), 'assets-'));
  process.env.AWS_ENDPOINT_URL_S3 = s3.endpoint;
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
  cloudFront.reset();
  cloudFormation.reset();
  cloudFront.on(CreateInvalidationCommand).callsFake(acceptInvalidation);
});

afterEach(async () => {
  process.env = { ...savedEnv };
  await s3.close();
  await rm(dir, { recursive: true, force: true });
});

async function put(path: string, content: string): Promise<void> {
  await mkdir(join(dir, path, '..'), { recursive: true });
  await writeFile(join(dir, path), content);
}

async function sync(...flags: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAssetsCli(['sync', '--dir', dir, '--path-style', ...flags], process.env, {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const toBucket = ['--bucket', 'assets', '--distribution', DISTRIBUTION];

async function keys(): Promise<string[]> {
  const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'assets' }));
  return (listed.Contents ?? []).map((o) => o.Key ?? '').sort();
}

async function head(key: string) {
  return s3.client.send(new HeadObjectCommand({ Bucket: 'assets', Key: key }));
}

const invalidations = () =>
  cloudFront.commandCalls(CreateInvalidationCommand).map((c) => c.args[0].input.InvalidationBatch);

async function seed(): Promise<void> {
  await put('favicon.ico', 'icon');
  await put('robots.txt', 'User-agent: *\n');
  await put('assets/app-3f2a9c.css', 'body { color: black }');
  await put('assets/app-3f2a9c1b.js', 'console.log("v1")');
  await put('images/logo.png', 'png bytes');
  await put('.DS_Store', 'finder');
}

describe('npm run assets -- sync', () => {
  it('uploads everything once, then nothing, then only the changed file; --delete removes what is gone', async () => {
    await seed();
    const first = await sync(...toBucket);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toContain('uploaded 5 (');
    expect(await keys()).toEqual([
      'assets/app-3f2a9c.css',
      'assets/app-3f2a9c1b.js',
      'favicon.ico',
      'images/logo.png',
      'robots.txt',
    ]);
    expect(invalidations()).toEqual([]);

    const second = await sync(...toBucket);
    expect(second.out).toContain('uploaded 0 (0 B), unchanged 5, deleted 0');
    expect(invalidations()).toEqual([]);

    await put('robots.txt', 'User-agent: *\nDisallow: /admin\n');
    await put('assets/app-9e8d7c.css', 'body { color: navy }');
    const third = await sync(...toBucket);
    expect(third.out).toContain('uploaded 2 (');
    expect(third.out).toContain('unchanged 4');
    const robots = await s3.client.send(new GetObjectCommand({ Bucket: 'assets', Key: 'robots.txt' }));
    expect(await robots.Body?.transformToString()).toBe('User-agent: *\nDisallow: /admin\n');
    expect(invalidations().map((b) => b?.Paths)).toEqual([{ Quantity: 1, Items: ['/robots.txt'] }]);

    await unlink(join(dir, 'images/logo.png'));
    await unlink(join(dir, 'assets/app-3f2a9c.css'));
    const kept = await sync(...toBucket);
    expect(kept.out).toContain(
      '2 objects no longer in the directory (kept; --delete marks them for deletion after 48 h)',
    );
    expect(await keys()).toContain('images/logo.png');

    // No grace: deleted by this sync (assets-delete.test.ts covers the grace period).
    const deleted = await sync(...toBucket, '--delete', '--grace-hours', '0');
    expect(deleted.out).toContain('deleted 2');
    expect(await keys()).not.toContain('images/logo.png');
    expect(await keys()).not.toContain('assets/app-3f2a9c.css');
    // The fingerprinted name is not invalidated: nothing links to it any more.
    expect(invalidations().map((b) => b?.Paths?.Items)).toEqual([['/robots.txt'], ['/images/logo.png']]);
  });

  it('sends a new invalidation for a rollback to earlier content and for a repeated deletion', async () => {
    await seed();
    await sync(...toBucket);
    for (const content of ['c2', 'c1', 'c2']) {
      await put('robots.txt', content);
      expect((await sync(...toBucket)).code).toBe(0);
    }
    const now = ['--delete', '--grace-hours', '0'];
    await unlink(join(dir, 'favicon.ico'));
    await sync(...toBucket, ...now);
    await put('favicon.ico', 'icon');
    await sync(...toBucket);
    await unlink(join(dir, 'favicon.ico'));
    await sync(...toBucket, ...now);
    const references = invalidations().map((b) => b?.CallerReference);
    expect(references).toHaveLength(5);
    expect(new Set(references).size).toBe(5);
  });

  it('stores content types and cache headers, long and immutable only for fingerprinted names', async () => {
    await seed();
    await sync(...toBucket);
    const css = await head('assets/app-3f2a9c.css');
    expect(css.ContentType).toBe('text/css; charset=utf-8');
    expect(css.CacheControl).toBe('public, max-age=31536000, immutable');
    expect(css.Metadata?.sha256).toMatch(/^[0-9a-f]{64}$/);
    const js = await head('assets/app-3f2a9c1b.js');
    expect(js.ContentType).toMatch(/^(text|application)\/javascript/);
    expect(js.CacheControl).toContain('immutable');
    const png = await head('images/logo.png');
    expect(png.ContentType).toBe('image/png');
    expect(png.CacheControl).toBe('public, max-age=300');
    const robots = await head('robots.txt');
    expect(robots.ContentType).toBe('text/plain; charset=utf-8');
    expect(robots.CacheControl).toBe('public, max-age=300');
    expect(contentTypeOf('downloads/report.unknownext')).toBe('application/octet-stream');
  });

  it('changes nothing on a dry run', async () => {
    await seed();
    const dry = await sync(...toBucket, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('would upload 5');
    expect(dry.out).toContain('dry run: nothing was changed');
    expect(await keys()).toEqual([]);
  });

  it("finds the bucket and the distribution in the stage's stack outputs", async () => {
    cloudFormation.on(DescribeStacksCommand, { StackName: `${SERVICE}-prod` }).resolves({
      Stacks: [
        {
          StackName: `${SERVICE}-prod`,
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(0),
          Outputs: [
            { OutputKey: 'CdnBucketName', OutputValue: 'assets' },
            { OutputKey: 'CdnDistributionId', OutputValue: 'EFROMSTACK' },
          ],
        },
      ],
    });
    await seed();
    expect((await sync('--stage', 'prod')).code).toBe(0);
    await put('robots.txt', 'changed');
    expect((await sync('--stage', 'prod')).code).toBe(0);
    expect(cloudFront.commandCalls(CreateInvalidationCommand)[0]?.args[0].input.DistributionId).toBe(
      'EFROMSTACK',
    );
    expect(await keys()).toHaveLength(5);
  });

  it('skips the invalidation, and says so, when no distribution is known', async () => {
    await seed();
    await sync('--bucket', 'assets');
    await put('robots.txt', 'changed');
    const run = await sync('--bucket', 'assets');
    expect(run.code).toBe(0);
    expect(run.out).toContain('no CloudFront distribution known: skipping the invalidation');
    expect(invalidations()).toEqual([]);
  });

  it('syncs to --bucket without CloudFormation access, skipping the invalidation and saying why', async () => {
    await seed();
    cloudFormation.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: cloudformation:DescribeStacks'), {
        name: 'AccessDenied',
      }),
    );
    const run = await sync('--stage', 'prod', '--bucket', 'assets');
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toContain(
      '--stage prod: cannot read stack fleet-pilot-prod (describing stack fleet-pilot-prod: AccessDenied: User is not authorized',
    );
    expect(run.out).toContain('no CloudFront distribution known: skipping the invalidation');
    expect(await keys()).toHaveLength(5);

    cloudFormation.reset();
    const given = await sync('--stage', 'prod', '--bucket', 'assets', '--distribution', DISTRIBUTION);
    expect(given.code).toBe(0);
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toEqual([]);
  });

  it('finishes on a rerun what an interrupted sync left: uploads, then the same invalidation', async () => {
    await seed();
    await sync(...toBucket);
    await put('robots.txt', 'v2');
    await put('favicon.ico', 'icon v2');

    // Killed half-way: one upload fails.
    const real = new S3AssetBucket(s3.client, { bucket: 'assets' });
    const flaky = Object.assign(Object.create(real) as S3AssetBucket, {
      put: async (...args: Parameters<S3AssetBucket['put']>) => {
        if (args[0] === 'favicon.ico') throw new Error('connection reset');
        return real.put(...args);
      },
    });
    const deps = {
      contentType: contentTypeOf,
      reporter: lineReporter(() => {}),
      invalidator: { distributionId: DISTRIBUTION, invalidate: async () => 'never' },
    };
    const options = {
      dir,
      delete: false,
      dryRun: false,
      concurrency: 4,
      force: false,
      maxDeletePercent: 50,
      graceHours: 48,
    };
    await expect(syncAssets(options, { ...deps, bucket: flaky })).rejects.toThrow(
      /1 of 2 uploads failed \(rerun to finish\)/,
    );
    expect(await keys()).toContain(PENDING_KEY);

    // The rerun's invalidation fails too (throttled): the paths stay pending.
    cloudFront
      .on(CreateInvalidationCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }))
      .callsFake(acceptInvalidation);
    const failed = await sync(...toBucket);
    expect(failed.code).toBe(1);
    expect(failed.out).toContain('uploaded favicon.ico');
    expect(failed.out).not.toContain('uploaded robots.txt');
    expect(await keys()).toContain(PENDING_KEY);

    const done = await sync(...toBucket);
    expect(done.err).toBe('');
    expect(done.code).toBe(0);
    expect(done.out).toContain('uploaded 0 (0 B), unchanged 5');
    const [afterFailure, afterRerun] = invalidations();
    expect(afterRerun?.Paths?.Items).toEqual(['/favicon.ico', '/robots.txt']);
    // One change set, one reference: CloudFront treats the retry as the same request.
    expect(afterRerun?.CallerReference).toBe(afterFailure?.CallerReference);
    expect(await keys()).not.toContain(PENDING_KEY);
  });

  it('skips, naming it, a symbolic link that leads out of --dir (shared uploads stay private)', async () => {
    await seed();
    const shared = await mkdtemp(join(tmpdir(), 'shared-'));
    await writeFile(join(shared, 'invoice.pdf'), 'private');
    await symlink(shared, join(dir, 'uploads'));
    await symlink(join(shared, 'invoice.pdf'), join(dir, 'invoice.pdf'));
    await put('css/site.css', 'x');
    await symlink(join(dir, 'css/site.css'), join(dir, 'site.css'));
    const run = await sync(...toBucket);
    await rm(shared, { recursive: true, force: true });
    expect(run.code).toBe(0);
    expect(run.out).toContain(`skipped ${join(dir, 'uploads')}: a symbolic link to ${shared}, outside --dir`);
    expect(run.out).toContain(`skipped ${join(dir, 'invoice.pdf')}: a symbolic link to`);
    expect(await keys()).not.toContain('uploads/invoice.pdf');
    expect(await keys()).not.toContain('invoice.pdf');
    expect(await keys()).toContain('site.css');
  });

  it('fails clearly on a missing directory, a symbolic link loop and an unreadable file', async () => {
    // A bad --dir is a bad flag (exit 2), found before any AWS call (here: none to the bucket).
    const missing = await sync(...toBucket, '--dir', join(dir, 'nope'));
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(`--dir ${join(dir, 'nope')}: no such file or directory`);
    await put('index.html', 'x');
    const file = await sync(...toBucket, '--dir', join(dir, 'index.html'));
    expect(file.code).toBe(2);
    expect(file.err).toContain(`--dir ${join(dir, 'index.html')}: not a directory`);

    await put('css/site.css', 'x');
    await symlink(dir, join(dir, 'css/loop'));
    const loop = await sync(...toBucket);
    expect(loop.code).toBe(1);
    expect(loop.err).toContain(`${join(dir, 'css/loop')}: symbolic link loop`);
    expect(await keys()).toEqual([]);

    await unlink(join(dir, 'css/loop'));
    const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    await expect(
      scanAssets(dir, async () => {
        throw denied;
      }),
    ).rejects.toThrow(
      new AssetDirectoryError(`${join(dir, 'css/site.css')}: cannot read the file: permission denied`),
    );
  });

  it('fails clearly on an unknown stage, a stack without a CDN and a bucket it cannot reach', async () => {
    await seed();
    cloudFormation.on(DescribeStacksCommand, { StackName: `${SERVICE}-nope` }).rejects(
      Object.assign(new Error('Stack with id fleet-pilot-nope does not exist'), {
        name: 'ValidationError',
      }),
    );
    cloudFormation.on(DescribeStacksCommand, { StackName: `${SERVICE}-bare` }).resolves({
      Stacks: [
        {
          StackName: `${SERVICE}-bare`,
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(0),
          Outputs: [],
        },
      ],
    });
    const unknown = await sync('--stage', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('--stage nope: unknown stage: no stack fleet-pilot-nope in us-east-1');
    const bare = await sync('--stage', 'bare');
    expect(bare.err).toContain(
      '--stage bare: stack fleet-pilot-bare has no CDN (add a cdn section to config/bare.json',
    );
    const noBucket = await sync('--bucket', 'missing-bucket');
    expect(noBucket.code).toBe(1);
    expect(noBucket.err).toContain('no bucket named missing-bucket');
  });

  it('prints its usage on --help and names a bad flag', async () => {
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
    expect(await runAssetsCli(['--help'], {}, io)).toBe(0);
    expect(out.join('\n')).toContain('Usage: npm run assets -- sync --stage STAGE --dir DIR');
    out.length = 0;
    expect(await runAssetsCli(['sync', '--stage', 'prod', '--dir', dir, '--concurrency', '0'], {}, io)).toBe(
      2,
    );
    expect(out[0]).toContain(
      "option '--concurrency <n>' argument '0' is invalid. expected an integer from 1 to 64",
    );
    out.length = 0;
    expect(await runAssetsCli(['push', '--stage', 'prod'], {}, io)).toBe(2);
    expect(out).toEqual(["assets: unknown command 'push' (see 'npm run assets -- --help')"]);
  });
});
