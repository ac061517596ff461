/**
 * Ports of the asset sync (assets/): the bucket, the CDN's invalidations and the stack's
 * outputs. Adapters in adapters/ implement them over S3, CloudFront and CloudFormation. Errors are
 * those of domain/errors.ts.
 */
import type { RemoteAsset } from './assets.js';

/** What an upload stores besides the bytes. */
export interface AssetHeaders {
  contentType: string;
  cacheControl: string;
  /** Hex SHA-256 of the content, kept as object metadata. */
  sha256: string;
  /** Hex MD5 of the content: the store verifies the upload against it. */
  md5: string;
}

/**
 * A file's content for an upload, streamed: `open` gives a fresh stream from the first byte each
 * time it is called (an upload that is retried reads the file again rather than keeping it in memory).
 */
export interface AssetSource {
  /** The content's length in bytes. */
  size: number;
  open(): AsyncIterable<Uint8Array>;
}

export interface AssetBucket {
  /** The bucket's name, for messages. */
  readonly name: string;

  /**
   * Every object whose key does not start with `exceptPrefix`, all pages.
   * @throws NotFoundError (no such bucket), FleetError (access denied, unreachable: needs a person),
   *   ThrottlingError, TransientError.
   */
  list(exceptPrefix: string): Promise<RemoteAsset[]>;

  /**
   * The SHA-256 an upload stored in the object's metadata, or undefined when it has none.
   * @throws NotFoundError, ThrottlingError, TransientError.
   */
  storedSha256(key: string): Promise<string | undefined>;

  /**
   * Streams `source` to `key`, private (never an ACL); large sources go up in parts. Storing the same
   * content again is harmless.
   * @throws InvalidRequestError (the content read did not match `md5`, `sha256` or `size`: the file
   *   changed since it was hashed), ThrottlingError, TransientError.
   */
  put(key: string, source: AssetSource, headers: AssetHeaders): Promise<void>;

  /**
   * Deletes objects; keys already gone are not an error.
   * @throws ThrottlingError, TransientError, FleetError (some keys could not be deleted).
   */
  delete(keys: readonly string[]): Promise<void>;

  /** A small JSON document of the sync's own, or undefined when absent. @throws as {@link list}. */
  readJson(key: string): Promise<unknown>;
  /** @throws as {@link put}. */
  writeJson(key: string, value: unknown): Promise<void>;
}

export interface CdnInvalidator {
  /** The distribution's id, for messages. */
  readonly distributionId: string;

  /**
   * Asks CloudFront to drop `paths` from its caches, in one request. `callerReference` makes it
   * idempotent: the same reference with the same paths returns the first request's id.
   * @throws ConflictError (the reference was used for other paths), NotFoundError (no such
   *   distribution), ThrottlingError, TransientError.
   */
  invalidate(paths: readonly string[], callerReference: string): Promise<string>;
}

export interface StackOutputs {
  /**
   * The stack's outputs by key.
   * @throws NotFoundError (no such stack), ThrottlingError, TransientError.
   */
  outputs(stackName: string): Promise<Record<string, string>>;
}
