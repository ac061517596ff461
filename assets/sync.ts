/**
 * One sync of a directory to the asset bucket: plan (domain/assets.ts, domain/asset-grace.ts), refuse
 * what looks like a mistake (an empty directory; with `--delete`, more than a set share of the bucket
 * gone from it), stream up what changed with bounded concurrency, mark objects gone from the
 * directory and delete those marked at least the grace period ago, then one CloudFront
 * invalidation of the changed and deleted plain names.
 *
 * Interrupted anywhere, a rerun completes the work: before the first upload the paths to invalidate
 * are written to a bookkeeping object in the bucket (never served: the bucket policy denies
 * CloudFront that prefix), a rerun adds them to its own, and the object is removed only after the
 * invalidation was accepted. The invalidation's reference is a one-time id stored in that object: a
 * rerun that only completes the interrupted work sends it again (CloudFront treats that as the same
 * request); a sync with changes of its own sends a new one, so a rollback is invalidated too. The
 * deletion marks are written before the uploads, the objects about to be deleted still among them,
 * and written again without those once they are deleted: a rerun deletes what an interrupted sync
 * did not, and nothing earlier than its grace.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import pLimit from 'p-limit';
import {
  type DeletionMarks,
  type GracePlan,
  newlyGone,
  planGrace,
  removesTooMuch,
} from '../domain/asset-grace.js';
import type { AssetBucket, CdnInvalidator } from '../domain/asset-ports.js';
import {
  cacheControlFor,
  invalidationPaths,
  type LocalAsset,
  needsMetadata,
  planSync,
  type RemoteAsset,
} from '../domain/assets.js';
import { FleetError } from '../domain/errors.js';
import {
  changesOf,
  PENDING_KEY,
  parsePending,
  pendingFor,
  readMarks,
  SYNC_PREFIX,
  samePending,
  writeMarks,
} from './bookkeeping.js';
import { describeRemovals, formatBytes, type SyncSummary, someKeys } from './report.js';
import { AssetDirectoryError, scanAssets } from './scan.js';

export { MARKS_KEY, PENDING_KEY, SYNC_PREFIX } from './bookkeeping.js';
export { describeSummary, formatBytes, type SyncSummary } from './report.js';

const HOUR_MS = 3_600_000;

export interface SyncOptions {
  dir: string;
  /** Mark objects that are no longer in the directory, and delete those marked `graceHours` ago. */
  delete: boolean;
  /** Plan and report; change nothing. */
  dryRun: boolean;
  /** Uploads at once. */
  concurrency: number;
  /** With `delete`: go on although more than `maxDeletePercent` of the objects are gone. */
  force: boolean;
  /** With `delete`: the largest share of the bucket's objects (0-100) that may be gone from the directory. */
  maxDeletePercent: number;
  /** With `delete`: hours between marking an object and deleting it. */
  graceHours: number;
}

/** What a person sees while the sync runs. */
export interface SyncReporter {
  line(text: string): void;
  /** The uploads begin. */
  start(files: number, bytes: number): void;
  uploaded(key: string, bytes: number): void;
  /** The uploads ended (also after a failure). */
  stop(): void;
}

export interface SyncDeps {
  bucket: AssetBucket;
  /** Absent when no distribution is known: nothing is invalidated. */
  invalidator?: CdnInvalidator;
  /** The Content-Type of a key, from its name. */
  contentType(key: string): string;
  reporter: SyncReporter;
  /** A new one-time invalidation reference (default: a random UUID). */
  newReference?: () => string;
  /** The time marks are taken at and compared with (default: the system clock). */
  now?: () => Date;
}

/** Reads the stored SHA-256 of objects the listing cannot decide on (see `needsMetadata`). */
async function withMetadata(
  bucket: AssetBucket,
  local: readonly LocalAsset[],
  remote: RemoteAsset[],
  concurrency: number,
): Promise<RemoteAsset[]> {
  const byKey = new Map(local.map((a) => [a.key, a]));
  const limit = pLimit(concurrency);
  return Promise.all(
    remote.map((r) => {
      const l = byKey.get(r.key);
      if (l === undefined || !needsMetadata(l, r)) return r;
      return limit(async () => ({ ...r, sha256: (await bucket.storedSha256(r.key)) ?? '' }));
    }),
  );
}

async function uploadAll(
  assets: readonly LocalAsset[],
  options: SyncOptions,
  deps: SyncDeps,
): Promise<number> {
  const { bucket, reporter } = deps;
  const limit = pLimit(options.concurrency);
  let bytes = 0;
  reporter.start(
    assets.length,
    assets.reduce((sum, a) => sum + a.size, 0),
  );
  const results = await Promise.allSettled(
    assets.map((asset) =>
      limit(async () => {
        // Opened per try, streamed: the content hashed by the scan, checked by S3 or on the way.
        const path = join(options.dir, asset.key);
        await bucket.put(
          asset.key,
          { size: asset.size, open: () => createReadStream(path) },
          {
            contentType: deps.contentType(asset.key),
            cacheControl: cacheControlFor(asset.key),
            md5: asset.md5,
            sha256: asset.sha256,
          },
        );
        bytes += asset.size;
        reporter.uploaded(asset.key, asset.size);
      }),
    ),
  );
  reporter.stop();
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0) {
    const first = failed[0]?.reason;
    throw new FleetError(
      `${failed.length} of ${assets.length} uploads failed (rerun to finish), e.g. ${first instanceof Error ? first.message : String(first)}`,
      { cause: first },
    );
  }
  return bytes;
}

function percent(part: number, whole: number): string {
  const value = (part * 100) / whole;
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/**
 * @throws FleetError when `--delete` would newly mark more of the bucket than allowed (and no
 *   `--force`), before anything is changed.
 */
function refuseMassRemoval(
  orphans: readonly string[],
  objects: number,
  stored: DeletionMarks,
  options: SyncOptions,
  bucket: string,
): void {
  if (!options.delete || options.force) return;
  const { gone, of } = newlyGone(orphans, objects, stored);
  if (!removesTooMuch(gone, of, options.maxDeletePercent)) return;
  const examples = someKeys(orphans.filter((key) => stored[key] === undefined).slice(0, 3));
  const already = of < objects ? ` not yet marked for deletion` : '';
  throw new FleetError(
    `refusing --delete: ${gone} of ${of} objects${already} in bucket ${bucket} (${percent(gone, of)}%) are not in --dir ${options.dir}, more than --max-delete-share ${options.maxDeletePercent}%, e.g. ${examples}${gone > 3 ? ', …' : ''}; check --dir, or pass --force to mark them for deletion all the same. Nothing was changed.`,
  );
}

/** The marks with the objects about to be deleted still among them (from when they were marked). */
function marksWithDue(grace: GracePlan, stored: DeletionMarks, now: number): DeletionMarks {
  return { ...grace.marks, ...Object.fromEntries(grace.due.map((key) => [key, stored[key] ?? now])) };
}

/**
 * Syncs `options.dir` to the bucket.
 * @throws AssetDirectoryError (the directory: missing, empty, unreadable), FleetError (a removal
 *   refused, before any change), NotFoundError (bucket or distribution).
 */
export async function syncAssets(options: SyncOptions, deps: SyncDeps): Promise<SyncSummary> {
  const { bucket, invalidator, reporter } = deps;
  const now = (deps.now ?? (() => new Date()))().getTime();
  const local = await scanAssets(options.dir, undefined, (line) => reporter.line(line));
  if (local.length === 0) {
    throw new AssetDirectoryError(
      `--dir ${options.dir}: no files to publish (it is empty, or every name in it starts with a dot); nothing was changed`,
    );
  }
  const listed = await bucket.list(SYNC_PREFIX);
  const remote = await withMetadata(bucket, local, listed, options.concurrency);
  const pending = parsePending(await bucket.readJson(PENDING_KEY), bucket.name);
  const stored = await readMarks(bucket);
  const plan = planSync(local, remote);
  const orphans = plan.orphans.map((o) => o.key);
  reporter.line(
    `${local.length} files in ${options.dir}; bucket ${bucket.name} has ${listed.length} objects` +
      (pending ? `; ${pending.paths.length} paths left to invalidate by an interrupted sync` : ''),
  );
  refuseMassRemoval(orphans, listed.length, stored, options, bucket.name);
  const grace = planGrace(
    orphans,
    local.map((a) => a.key),
    stored,
    now,
    options.graceHours * HOUR_MS,
    options.delete,
  );
  const uploads = [...plan.added, ...plan.changed];
  const toDelete = grace.due;
  const paths = invalidationPaths(
    plan.changed.map((a) => a.key),
    toDelete,
    pending?.paths,
  );
  const uploadBytes = uploads.reduce((sum, a) => sum + a.size, 0);
  const verb = options.dryRun ? 'would ' : '';

  reporter.line(
    `${verb}upload ${uploads.length} (${plan.added.length} new, ${plan.changed.length} changed, ${formatBytes(uploadBytes)}), ${plan.unchanged.length} unchanged`,
  );
  for (const line of describeRemovals(orphans, grace, options)) reporter.line(line);
  if (invalidator === undefined) {
    reporter.line('no CloudFront distribution known: skipping the invalidation (pass --distribution)');
  } else if (paths.length > 0) {
    reporter.line(
      `${verb}invalidate ${paths.length} paths on ${invalidator.distributionId}: ${paths.slice(0, 10).join(' ')}`,
    );
  }

  const summary: SyncSummary = {
    uploaded: 0,
    unchanged: plan.unchanged.length,
    deleted: 0,
    marked: grace.mark.length,
    inGrace: grace.inGrace.length,
    kept: options.delete ? 0 : orphans.length,
    bytes: 0,
    invalidation: null,
    dryRun: options.dryRun,
  };
  if (options.dryRun)
    return { ...summary, uploaded: uploads.length, deleted: toDelete.length, bytes: uploadBytes };

  const record = pendingFor(paths, changesOf(plan.changed, toDelete), pending, deps.newReference);
  // Written first: whatever happens below, a rerun still invalidates these paths.
  if (invalidator !== undefined && paths.length > 0 && !samePending(record, pending)) {
    await bucket.writeJson(PENDING_KEY, record);
  }
  const marked = marksWithDue(grace, stored, now);
  await writeMarks(bucket, marked, stored);
  summary.bytes = await uploadAll(uploads, options, deps);
  summary.uploaded = uploads.length;
  if (toDelete.length > 0) {
    await bucket.delete(toDelete);
    await writeMarks(bucket, grace.marks, marked);
  }
  summary.deleted = toDelete.length;
  if (invalidator !== undefined && paths.length > 0) {
    const id = await invalidator.invalidate(paths, record.reference);
    summary.invalidation = { id, paths };
    await bucket.delete([PENDING_KEY]);
  }
  return summary;
}
