/**
 * One sync of a directory to the asset bucket: plan (domain/assets.ts), upload what changed with
 * bounded concurrency, delete orphans (with `--delete`), then one CloudFront invalidation of the
 * changed and deleted plain names.
 *
 * Interrupted anywhere, a rerun completes the work: before the first upload the paths to invalidate
 * are written to a bookkeeping object in the bucket (never served: the bucket policy denies
 * CloudFront that prefix), a rerun adds them to its own, and the object is removed only after the
 * invalidation was accepted. The invalidation's reference is a one-time id stored in that object: a
 * rerun that only completes the interrupted work sends it again (CloudFront treats that as the same
 * request); a sync with changes of its own sends a new one, so a rollback is invalidated too.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import pLimit from 'p-limit';
import type { AssetBucket, CdnInvalidator } from '../domain/asset-ports.js';
import {
  cacheControlFor,
  invalidationPath,
  invalidationPaths,
  isFingerprinted,
  type LocalAsset,
  needsMetadata,
  planSync,
  type RemoteAsset,
} from '../domain/assets.js';
import { FleetError } from '../domain/errors.js';
import { readAsset, scanAssets } from './scan.js';

/** Keys under this prefix are the sync's own (infra/cdn.cjs keeps CloudFront off them). */
export const SYNC_PREFIX = '.asset-sync/';
export const PENDING_KEY = `${SYNC_PREFIX}pending-invalidation.json`;

export interface SyncOptions {
  dir: string;
  /** Delete objects that are no longer in the directory (after the uploads). */
  delete: boolean;
  /** Plan and report; change nothing. */
  dryRun: boolean;
  /** Uploads at once. */
  concurrency: number;
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
}

export interface SyncSummary {
  uploaded: number;
  unchanged: number;
  deleted: number;
  /** Objects no longer in the directory, left in place (no `--delete`). */
  kept: number;
  bytes: number;
  invalidation: { id: string; paths: string[] } | null;
  dryRun: boolean;
}

interface Pending {
  paths: string[];
  reference: string;
  /** The changes the paths were recorded for (`path sha256` or `path deleted`); older records lack it. */
  changes: string[];
}

function parsePending(value: unknown, bucket: string): Pending | undefined {
  if (value === undefined) return undefined;
  const v = value as Partial<Pending>;
  const strings = (list: unknown) => Array.isArray(list) && list.every((p) => typeof p === 'string');
  if (
    !strings(v.paths) ||
    (v.changes !== undefined && !strings(v.changes)) ||
    typeof v.reference !== 'string'
  ) {
    throw new FleetError(`s3://${bucket}/${PENDING_KEY}: unexpected content; delete it and rerun`);
  }
  return { paths: v.paths as string[], reference: v.reference, changes: v.changes ?? [] };
}

/** This sync's own changes to plain names: `path sha256` for new content, `path deleted`. */
function changesOf(changed: readonly LocalAsset[], deleted: readonly string[]): string[] {
  return [
    ...changed.filter((a) => !isFingerprinted(a.key)).map((a) => `${invalidationPath(a.key)} ${a.sha256}`),
    ...deleted.filter((k) => !isFingerprinted(k)).map((k) => `${invalidationPath(k)} deleted`),
  ].sort();
}

/**
 * The pending record to write before uploading: the interrupted sync's own when this sync only
 * completes it (same reference, a retry of the same request), else one with a new reference.
 */
function pendingFor(
  paths: string[],
  changes: string[],
  pending: Pending | undefined,
  deps: SyncDeps,
): Pending {
  if (pending !== undefined && changes.every((change) => pending.changes.includes(change))) {
    return { ...pending, paths };
  }
  const changeSet = [...new Set([...(pending?.changes ?? []), ...changes])].sort();
  return { paths, reference: (deps.newReference ?? randomUUID)(), changes: changeSet };
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
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
        const { body, md5, sha256 } = await readAsset(join(options.dir, asset.key));
        await bucket.put(asset.key, body, {
          contentType: deps.contentType(asset.key),
          cacheControl: cacheControlFor(asset.key),
          md5,
          sha256,
        });
        bytes += body.byteLength;
        reporter.uploaded(asset.key, body.byteLength);
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

/**
 * Syncs `options.dir` to the bucket.
 * @throws AssetDirectoryError (the directory), NotFoundError (bucket or distribution), FleetError.
 */
export async function syncAssets(options: SyncOptions, deps: SyncDeps): Promise<SyncSummary> {
  const { bucket, invalidator, reporter } = deps;
  const local = await scanAssets(options.dir, undefined, (line) => reporter.line(line));
  const listed = await bucket.list(SYNC_PREFIX);
  const remote = await withMetadata(bucket, local, listed, options.concurrency);
  const pending = parsePending(await bucket.readJson(PENDING_KEY), bucket.name);
  const plan = planSync(local, remote);
  const uploads = [...plan.added, ...plan.changed];
  const toDelete = options.delete ? plan.orphans.map((o) => o.key) : [];
  const paths = invalidationPaths(
    plan.changed.map((a) => a.key),
    toDelete,
    pending?.paths,
  );
  const uploadBytes = uploads.reduce((sum, a) => sum + a.size, 0);
  const verb = options.dryRun ? 'would ' : '';

  reporter.line(
    `${local.length} files in ${options.dir}; bucket ${bucket.name} has ${listed.length} objects` +
      (pending ? `; ${pending.paths.length} paths left to invalidate by an interrupted sync` : ''),
  );
  reporter.line(
    `${verb}upload ${uploads.length} (${plan.added.length} new, ${plan.changed.length} changed, ${formatBytes(uploadBytes)}), ${plan.unchanged.length} unchanged`,
  );
  if (plan.orphans.length > 0) {
    const keys = plan.orphans.map((o) => o.key);
    const shown = keys.slice(0, 10).join(', ') + (keys.length > 10 ? `, … (${keys.length - 10} more)` : '');
    reporter.line(
      options.delete
        ? `${verb}delete ${keys.length} no longer in the directory: ${shown}`
        : `${keys.length} objects no longer in the directory (kept; --delete removes them): ${shown}`,
    );
  }
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
    kept: options.delete ? 0 : plan.orphans.length,
    bytes: 0,
    invalidation: null,
    dryRun: options.dryRun,
  };
  if (options.dryRun)
    return { ...summary, uploaded: uploads.length, deleted: toDelete.length, bytes: uploadBytes };

  const record = pendingFor(paths, changesOf(plan.changed, toDelete), pending, deps);
  // Written first: whatever happens below, a rerun still invalidates these paths.
  if (invalidator !== undefined && paths.length > 0 && !samePending(record, pending)) {
    await bucket.writeJson(PENDING_KEY, record);
  }
  summary.bytes = await uploadAll(uploads, options, deps);
  summary.uploaded = uploads.length;
  if (toDelete.length > 0) await bucket.delete(toDelete);
  summary.deleted = toDelete.length;
  if (invalidator !== undefined && paths.length > 0) {
    const id = await invalidator.invalidate(paths, record.reference);
    summary.invalidation = { id, paths };
    await bucket.delete([PENDING_KEY]);
  }
  return summary;
}

function samePending(a: Pending, b: Pending | undefined): boolean {
  return b !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

/** The closing lines: what was done, in numbers. */
export function describeSummary(summary: SyncSummary): string[] {
  const verb = summary.dryRun ? 'would upload' : 'uploaded';
  const lines = [
    `${verb} ${summary.uploaded} (${formatBytes(summary.bytes)}), unchanged ${summary.unchanged}, ${
      summary.dryRun ? 'would delete' : 'deleted'
    } ${summary.deleted}${summary.kept > 0 ? `, kept ${summary.kept} not in the directory` : ''}`,
  ];
  if (summary.invalidation) {
    lines.push(`invalidation ${summary.invalidation.id}: ${summary.invalidation.paths.length} paths`);
  }
  if (summary.dryRun) lines.push('dry run: nothing was changed');
  return lines;
}
