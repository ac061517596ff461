/**
 * The asset sync's rules, pure: which names are fingerprinted, what headers an object gets, what
 * changed between a directory and the bucket, and which CloudFront paths must be invalidated.
 * The sync itself (assets/) walks the directory and applies the plan through the ports of
 * domain/asset-ports.ts.
 */

/** A file of the local directory. `key` is its path below the directory, with `/` separators. */
export interface LocalAsset {
  key: string;
  size: number;
  /** Hex MD5 of the content: S3's ETag of a single-part upload. */
  md5: string;
  /** Hex SHA-256 of the content, kept in the object's metadata. */
  sha256: string;
}

/** An object of the bucket, as listed. */
export interface RemoteAsset {
  key: string;
  size: number;
  /** The ETag without quotes. */
  etag: string;
  /** From the object's metadata, when it was read (see {@link needsMetadata}). */
  sha256?: string;
}

export interface SyncPlan {
  /** Not in the bucket yet. */
  added: LocalAsset[];
  /** In the bucket with other content. */
  changed: LocalAsset[];
  unchanged: LocalAsset[];
  /** In the bucket, no longer in the directory: deleted with `--delete`, otherwise listed. */
  orphans: RemoteAsset[];
}

/** A year: fingerprinted names never change content, so browsers and CloudFront may keep them. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** Five minutes: a plain name (`favicon.ico`, `robots.txt`) may get new content at any deploy. */
export const SHORT_CACHE_CONTROL = 'public, max-age=300';
/** CloudFront takes at most 3000 paths per invalidation; beyond that everything is invalidated. */
export const MAX_INVALIDATION_PATHS = 3000;

// A content digest as build tools write it into names: `app-3f2a9c.css`, `application-<64 hex>.js`,
// `main.3f2a9c1b.js`, `chunk-JXQF5ZRX.js` (esbuild's base32). A digest has digits and letters;
// dates and versions (`report-201001.css`, `jquery-1.4.2.js`) and words (`logo-facade.png`) do not count.
// Up to two extensions, for precompressed copies (`app-3f2a9c.css.gz`).
const HEX_DIGEST = /[-_.]([0-9a-f]{6,64})(?:\.[A-Za-z0-9]+){1,2}$/;
const BASE32_DIGEST = /[-_.]([A-Z2-7]{8})(?:\.[A-Za-z0-9]+){1,2}$/;

/** True when the file name carries a content digest, so its content never changes under that name. */
export function isFingerprinted(key: string): boolean {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const digest = HEX_DIGEST.exec(name)?.[1] ?? BASE32_DIGEST.exec(name)?.[1];
  return digest !== undefined && /\d/.test(digest) && /[A-Za-z]/.test(digest);
}

/** The object's Cache-Control: long and immutable for fingerprinted names, short for the rest. */
export function cacheControlFor(key: string): string {
  return isFingerprinted(key) ? IMMUTABLE_CACHE_CONTROL : SHORT_CACHE_CONTROL;
}

/**
 * True when the listing cannot tell whether the object holds this content: the sizes match but the
 * ETag is not a plain MD5 (multipart uploads, KMS encryption), so the stored SHA-256 must be read.
 */
export function needsMetadata(local: LocalAsset, remote: RemoteAsset): boolean {
  return local.size === remote.size && remote.sha256 === undefined && !/^[0-9a-f]{32}$/.test(remote.etag);
}

function sameContent(local: LocalAsset, remote: RemoteAsset): boolean {
  if (local.size !== remote.size) return false;
  if (remote.sha256 !== undefined) return remote.sha256 === local.sha256;
  return remote.etag === local.md5;
}

/** Compares the directory with the bucket. Keys are compared exactly (S3 keys are case-sensitive). */
export function planSync(local: readonly LocalAsset[], remote: readonly RemoteAsset[]): SyncPlan {
  const byKey = new Map(remote.map((r) => [r.key, r]));
  const plan: SyncPlan = { added: [], changed: [], unchanged: [], orphans: [] };
  for (const asset of local) {
    const stored = byKey.get(asset.key);
    if (stored === undefined) plan.added.push(asset);
    else if (sameContent(asset, stored)) plan.unchanged.push(asset);
    else plan.changed.push(asset);
  }
  const present = new Set(local.map((a) => a.key));
  plan.orphans = remote.filter((r) => !present.has(r.key));
  return plan;
}

/** The CloudFront path of a key: `/` plus the key, each segment URL-encoded. */
export function invalidationPath(key: string): string {
  return `/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * The paths to invalidate: changed and deleted keys whose names are not fingerprinted (a
 * fingerprinted name's content never changes; a new key has nothing cached), plus `pending` paths a
 * previous, interrupted sync did not get to invalidate. Sorted and unique; `['/*']` above
 * {@link MAX_INVALIDATION_PATHS}.
 */
export function invalidationPaths(
  changedKeys: readonly string[],
  deletedKeys: readonly string[],
  pending: readonly string[] = [],
): string[] {
  const paths = new Set(pending);
  for (const key of [...changedKeys, ...deletedKeys]) {
    if (!isFingerprinted(key)) paths.add(invalidationPath(key));
  }
  const sorted = [...paths].sort();
  return sorted.length > MAX_INVALIDATION_PATHS || paths.has('/*') ? ['/*'] : sorted;
}
