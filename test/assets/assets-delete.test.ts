/**
 * `npm run assets -- sync --delete` cannot wipe the bucket and never deletes what live pages may
 * still link to: an empty --dir is refused, a sync that would remove more than --max-delete-share of
 * the objects is refused unless --force, and objects gone from the directory are marked first and
 * deleted only by a sync --grace-hours later. Against s3rver on loopback.
 */
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { S3AssetBucket } from '../../adapters/s3-asset-bucket.js';
import { lineReporter } from '../../assets/progress.js';
import { syncAssets } from '../../assets/sync.js';
import { contentTypeOf } from '../../cli/assets/command.js';
import { assetSyncWorld, BUCKET, DISTRIBUTION, TO_BUCKET } from '../support/asset-sync.js';

const world = assetSyncWorld();
const MARKS = '.asset-sync/marked-for-deletion.json';

/** Ten files, as a release's public/ directory might have them. */
const RELEASE = [
  '404.html',
  'favicon.ico',
  'robots.txt',
  'images/logo.png',
  'images/payslip-bg.gif',
  'images/rails.png',
  'javascripts/application-5c0e92b4.js',
  'javascripts/jquery-1.4.2.min.js',
  'stylesheets/application-3f2a9c71.css',
  'stylesheets/print-8be1d0aa.css',
];

async function published(): Promise<string[]> {
  for (const key of RELEASE) await world.put(key, `content of ${key}`);
  const first = await world.sync(...TO_BUCKET);
  expect(first.code).toBe(0);
  return world.keys();
}

describe('assets sync --delete refuses what looks like a mistake', () => {
  it('refuses an empty --dir outright, with or without --delete, and changes nothing', async () => {
    const before = await published();
    const empty = await mkdtemp(join(tmpdir(), 'empty-public-'));
    try {
      for (const flags of [['--delete'], ['--delete', '--force'], []]) {
        const run = await world.sync(...TO_BUCKET, ...flags, '--dir', empty);
        expect(run.code).toBe(1);
        expect(run.err).toContain(`--dir ${empty}: no files to publish`);
      }
      expect(await world.keys()).toEqual(before);
      expect(world.invalidations()).toEqual([]);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('refuses a --dir that would remove more than --max-delete-share of the objects, naming the share and --force', async () => {
    const before = await published();
    // One level too deep: every key differs (logo.png instead of images/logo.png).
    const wrong = join(world.dir, 'images');
    for (const flags of [[], ['--dry-run']]) {
      const run = await world.sync(...TO_BUCKET, '--delete', ...flags, '--dir', wrong);
      expect(run.code).toBe(1);
      expect(run.err).toContain(
        `refusing --delete: 10 of 10 objects in bucket assets (100%) are not in --dir ${wrong}, more than --max-delete-share 50%`,
      );
      expect(run.err).toContain('pass --force');
    }
    // Nothing was uploaded, marked or deleted.
    expect(await world.keys()).toEqual(before);
    expect(world.invalidations()).toEqual([]);

    const forced = await world.sync(...TO_BUCKET, '--delete', '--force', '--dir', wrong);
    expect(forced.err).toBe('');
    expect(forced.code).toBe(0);
    expect(forced.out).toContain('mark 10 no longer in the directory for deletion after 48 h');
    // Marked, not deleted: the old keys are all still served.
    expect(await world.keys()).toEqual([...before, MARKS, 'logo.png', 'payslip-bg.gif', 'rails.png'].sort());
  });

  it('lets half go at the default share, and less with a lower --max-delete-share', async () => {
    await published();
    for (const key of RELEASE.slice(0, 5)) await unlink(join(world.dir, key));
    const strict = await world.sync(...TO_BUCKET, '--delete', '--max-delete-share', '40');
    expect(strict.code).toBe(1);
    expect(strict.err).toContain('5 of 10 objects in bucket assets (50%)');
    expect(strict.err).toContain('more than --max-delete-share 40%');
    const atDefault = await world.sync(...TO_BUCKET, '--delete');
    expect(atDefault.code).toBe(0);
    expect(atDefault.out).toContain('mark 5 no longer in the directory');
  });

  it('judges each release by what it takes away, however many earlier ones are still in grace', async () => {
    await published();
    // Two releases an hour apart, each replacing four files: the second leaves eight of fourteen
    // objects out of the directory, but only four of the ten not marked yet are its own.
    const replaced = RELEASE.slice(3, 7);
    for (const key of replaced) await unlink(join(world.dir, key));
    for (const key of replaced) await world.put(`v2/${key}`, 'v2');
    expect((await world.sync(...TO_BUCKET, '--delete')).out).toContain('mark 4 no longer in the directory');
    world.later(1);
    for (const key of replaced) await unlink(join(world.dir, `v2/${key}`));
    for (const key of replaced) await world.put(`v3/${key}`, 'v3');
    const third = await world.sync(...TO_BUCKET, '--delete');
    expect(third.err).toBe('');
    expect(third.out).toContain('mark 4 no longer in the directory');
    expect(third.out).toContain('keep 4 marked for deletion');

    // A wrong --dir now: the message counts the objects not marked yet.
    const wrong = await world.sync(...TO_BUCKET, '--delete', '--dir', join(world.dir, 'stylesheets'));
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain(
      'refusing --delete: 10 of 10 objects not yet marked for deletion in bucket assets (100%)',
    );
  });

  it('names a bad --max-delete-share or --grace-hours and exits 2', async () => {
    await world.put('robots.txt', 'x');
    const share = await world.sync(...TO_BUCKET, '--delete', '--max-delete-share', '150');
    expect(share.code).toBe(2);
    expect(share.err).toContain(
      "option '--max-delete-share <p>' argument '150' is invalid. expected a number from 0 to 100",
    );
    const grace = await world.sync(...TO_BUCKET, '--delete', '--grace-hours=-1');
    expect(grace.code).toBe(2);
    expect(grace.err).toContain(
      "option '--grace-hours <h>' argument '-1' is invalid. expected a number from 0 to 8760",
    );
    const alone = await world.sync(...TO_BUCKET, '--force');
    expect(alone.code).toBe(2);
    expect(alone.err).toContain('--force: only with --delete');
  });
});

describe('assets sync --delete keeps removed files for a grace period', () => {
  it('marks removed files, deletes them on a sync 48 h later, and un-marks one that comes back', async () => {
    await published();
    // The next release: a new stylesheet fingerprint, and the logo gone.
    await unlink(join(world.dir, 'stylesheets/application-3f2a9c71.css'));
    await unlink(join(world.dir, 'images/logo.png'));
    await world.put('stylesheets/application-9e8d7c21.css', 'new styles');
    const marked = await world.sync(...TO_BUCKET, '--delete');
    expect(marked.code).toBe(0);
    expect(marked.out).toContain(
      'mark 2 no longer in the directory for deletion after 48 h: images/logo.png, stylesheets/application-3f2a9c71.css',
    );
    expect(marked.out).toContain('uploaded 1 (10 B), unchanged 8, deleted 0, marked 2');
    // Pages of the previous release, still served, keep working.
    expect(await world.read('stylesheets/application-3f2a9c71.css')).toBe(
      'content of stylesheets/application-3f2a9c71.css',
    );
    expect(await world.keys()).toContain(MARKS);

    world.later(47);
    await world.put('images/logo.png', 'content of images/logo.png');
    const back = await world.sync(...TO_BUCKET, '--delete');
    expect(back.code).toBe(0);
    expect(back.out).toContain('unmark 1 back in the directory: images/logo.png');
    expect(back.out).toContain(
      'keep 1 marked for deletion until the 48 h grace ends (the first at 2026-12-03T10:00:00Z): stylesheets/application-3f2a9c71.css',
    );
    expect(back.out).toContain('deleted 0, in grace 1');
    expect(await world.keys()).toContain('stylesheets/application-3f2a9c71.css');

    world.later(1);
    await unlink(join(world.dir, 'images/logo.png'));
    const due = await world.sync(...TO_BUCKET, '--delete');
    expect(due.code).toBe(0);
    expect(due.out).toContain('delete 1 marked at least 48 h ago: stylesheets/application-3f2a9c71.css');
    // The logo's grace starts again: it was back in between.
    expect(due.out).toContain('mark 1 no longer in the directory for deletion after 48 h: images/logo.png');
    expect(due.out).toContain('deleted 1, marked 1');
    expect(await world.keys()).not.toContain('stylesheets/application-3f2a9c71.css');
    expect(await world.keys()).toContain('images/logo.png');
    expect(world.invalidations()).toEqual([]);

    world.later(48);
    const last = await world.sync(...TO_BUCKET, '--delete');
    expect(last.out).toContain('delete 1 marked at least 48 h ago: images/logo.png');
    expect(await world.keys()).not.toContain('images/logo.png');
    // Plain names are invalidated when they are deleted, not when they are marked.
    expect(world.invalidations().map((b) => b?.Paths?.Items)).toEqual([['/images/logo.png']]);
    // No marks left, no bookkeeping left.
    expect(await world.keys()).not.toContain(MARKS);
  });

  it('un-marks a file that comes back on a sync without --delete too', async () => {
    await published();
    await unlink(join(world.dir, 'images/rails.png'));
    await world.sync(...TO_BUCKET, '--delete');
    world.later(1);
    await world.put('images/rails.png', 'content of images/rails.png');
    const back = await world.sync(...TO_BUCKET);
    expect(back.out).toContain('unmark 1 back in the directory: images/rails.png');
    world.later(71);
    await unlink(join(world.dir, 'images/rails.png'));
    const gone = await world.sync(...TO_BUCKET, '--delete');
    expect(gone.out).toContain('mark 1 no longer in the directory for deletion after 48 h: images/rails.png');
    expect(await world.keys()).toContain('images/rails.png');
  });

  it('shows on --dry-run what would be marked, deleted and kept in grace, and changes nothing', async () => {
    await published();
    await unlink(join(world.dir, 'images/rails.png'));
    await unlink(join(world.dir, 'favicon.ico'));
    await world.sync(...TO_BUCKET, '--delete');
    const marks = await world.read(MARKS);

    world.later(10);
    const inGrace = await world.sync(...TO_BUCKET, '--delete', '--dry-run');
    expect(inGrace.code).toBe(0);
    expect(inGrace.out).toContain(
      'keep 2 marked for deletion until the 48 h grace ends (the first at 2026-12-03T10:00:00Z): favicon.ico, images/rails.png',
    );

    world.later(40);
    await unlink(join(world.dir, 'robots.txt'));
    const dry = await world.sync(...TO_BUCKET, '--delete', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('would delete 2 marked at least 48 h ago: favicon.ico, images/rails.png');
    expect(dry.out).toContain('would mark 1 no longer in the directory for deletion after 48 h: robots.txt');
    expect(dry.out).toContain('would invalidate 2 paths on E2QWRUHAPOMQZL: /favicon.ico /images/rails.png');
    expect(dry.out).toContain('would delete 2, would mark 1');
    expect(dry.out).toContain('dry run: nothing was changed');
    expect(await world.keys()).toContain('favicon.ico');
    expect(await world.read(MARKS)).toBe(marks);
  });

  it('deletes at once with --grace-hours 0', async () => {
    await published();
    await unlink(join(world.dir, 'robots.txt'));
    const run = await world.sync(...TO_BUCKET, '--delete', '--grace-hours', '0');
    expect(run.out).toContain('deleted 1');
    expect(await world.keys()).not.toContain('robots.txt');
    expect(world.invalidations().map((b) => b?.Paths?.Items)).toEqual([['/robots.txt']]);
  });

  it('finishes on a rerun a deletion that failed half-way, never before the grace', async () => {
    await published();
    await unlink(join(world.dir, 'images/rails.png'));
    await unlink(join(world.dir, 'robots.txt'));
    await world.sync(...TO_BUCKET, '--delete');
    world.later(48);

    const real = new S3AssetBucket(world.s3.client, { bucket: BUCKET });
    const failing = Object.assign(Object.create(real) as S3AssetBucket, {
      delete: async () => {
        throw new Error('connection reset');
      },
    });
    const options = {
      dir: world.dir,
      delete: true,
      dryRun: false,
      concurrency: 4,
      force: false,
      maxDeletePercent: 50,
      graceHours: 48,
    };
    await expect(
      syncAssets(options, {
        bucket: failing,
        contentType: contentTypeOf,
        reporter: lineReporter(() => {}),
        invalidator: { distributionId: DISTRIBUTION, invalidate: async () => 'never' },
        now: () => world.now,
      }),
    ).rejects.toThrow('connection reset');
    expect(await world.keys()).toContain('images/rails.png');

    const rerun = await world.sync(...TO_BUCKET, '--delete');
    expect(rerun.err).toBe('');
    expect(rerun.out).toContain('delete 2 marked at least 48 h ago: images/rails.png, robots.txt');
    expect(await world.keys()).not.toContain('images/rails.png');
    expect(world.invalidations().map((b) => b?.Paths?.Items)).toEqual([['/images/rails.png', '/robots.txt']]);
  });
});
