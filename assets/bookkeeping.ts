/**
 * The sync's own records in the bucket, under a prefix CloudFront may not read
 * (infra/cdn.cjs): the paths an interrupted sync still has to invalidate, and when each
 * object gone from the directory was marked for deletion. Both are small JSON documents, read at the
 * start of a sync and written before the changes they describe, so a rerun after any interruption
 * picks up where the last one stopped.
 */
import { randomUUID } from 'node:crypto';
import type { DeletionMarks } from '../domain/asset-grace.js';
import type { AssetBucket } from '../domain/asset-ports.js';
import { invalidationPath, isFingerprinted, type LocalAsset } from '../domain/assets.js';
import { FleetError } from '../domain/errors.js';

/** Keys under this prefix are the sync's own (infra/cdn.cjs keeps CloudFront off them). */
export const SYNC_PREFIX = '.asset-sync/';
export const PENDING_KEY = `${SYNC_PREFIX}pending-invalidation.json`;
export const MARKS_KEY = `${SYNC_PREFIX}marked-for-deletion.json`;

/** Paths an invalidation has yet to be accepted for. */
export interface Pending {
  paths: string[];
  reference: string;
  /** The changes the paths were recorded for (`path sha256` or `path deleted`); older records lack it. */
  changes: string[];
}

const strings = (list: unknown): list is string[] =>
  Array.isArray(list) && list.every((p) => typeof p === 'string');

export function parsePending(value: unknown, bucket: string): Pending | undefined {
  if (value === undefined) return undefined;
  const v = value as Partial<Pending>;
  if (
    !strings(v.paths) ||
    (v.changes !== undefined && !strings(v.changes)) ||
    typeof v.reference !== 'string'
  ) {
    throw new FleetError(`s3://${bucket}/${PENDING_KEY}: unexpected content; delete it and rerun`);
  }
  return { paths: v.paths, reference: v.reference, changes: v.changes ?? [] };
}

/** This sync's own changes to plain names: `path sha256` for new content, `path deleted`. */
export function changesOf(changed: readonly LocalAsset[], deleted: readonly string[]): string[] {
  return [
    ...changed.filter((a) => !isFingerprinted(a.key)).map((a) => `${invalidationPath(a.key)} ${a.sha256}`),
    ...deleted.filter((k) => !isFingerprinted(k)).map((k) => `${invalidationPath(k)} deleted`),
  ].sort();
}

/**
 * The pending record to write before uploading: the interrupted sync's own when this sync only
 * completes it (same reference, a retry of the same request), else one with a new reference.
 */
export function pendingFor(
  paths: string[],
  changes: string[],
  pending: Pending | undefined,
  newReference: () => string = randomUUID,
): Pending {
  if (pending !== undefined && changes.every((change) => pending.changes.includes(change))) {
    return { ...pending, paths };
  }
  const changeSet = [...new Set([...(pending?.changes ?? []), ...changes])].sort();
  return { paths, reference: newReference(), changes: changeSet };
}

export function samePending(a: Pending, b: Pending | undefined): boolean {
  return b !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The deletion marks stored in the bucket (`{"marked": {"images/logo.png": "2026-12-01T10:00:00.000Z"}}`),
 * none when there is no record.
 * @throws FleetError naming the record when it is not what a sync writes.
 */
export async function readMarks(bucket: AssetBucket): Promise<DeletionMarks> {
  const value = (await bucket.readJson(MARKS_KEY)) as { marked?: unknown } | undefined;
  if (value === undefined) return {};
  const marked = value?.marked;
  const marks: Record<string, number> = {};
  if (typeof marked === 'object' && marked !== null && !Array.isArray(marked)) {
    for (const [key, at] of Object.entries(marked)) {
      const time = typeof at === 'string' ? Date.parse(at) : Number.NaN;
      if (Number.isNaN(time)) return badMarks(bucket);
      marks[key] = time;
    }
    return marks;
  }
  return badMarks(bucket);
}

function badMarks(bucket: AssetBucket): never {
  // Deleting it is safe: every object gone from the directory is then marked again, from now.
  throw new FleetError(`s3://${bucket.name}/${MARKS_KEY}: unexpected content; delete it and rerun`);
}

/** Stores `marks` when they differ from `stored`; no marks, no record. */
export async function writeMarks(
  bucket: AssetBucket,
  marks: DeletionMarks,
  stored: DeletionMarks,
): Promise<void> {
  const keys = Object.keys(marks).sort();
  const same = keys.length === Object.keys(stored).length && keys.every((key) => stored[key] === marks[key]);
  if (same) return;
  if (keys.length === 0) {
    await bucket.delete([MARKS_KEY]);
    return;
  }
  const marked = Object.fromEntries(keys.map((key) => [key, new Date(marks[key] ?? 0).toISOString()]));
  await bucket.writeJson(MARKS_KEY, { marked });
}
