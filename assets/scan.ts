/**
 * Walks the asset directory: every regular file below it (following symbolic links that stay inside
 * it, refusing loops, skipping with a warning those that lead out of it, such as Capistrano's
 * `public/uploads` into `shared/`, and those that lead nowhere), with its size and content hashes,
 * read as a stream. Names starting with a dot (`.DS_Store`, `.gitkeep`, `.htaccess`) are not assets
 * and are skipped.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { LocalAsset } from '../domain/assets.js';

/** A problem with the directory itself, named by path: nothing was uploaded. */
export class AssetDirectoryError extends Error {
  override name = 'AssetDirectoryError';
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'ELOOP') return 'too many levels of symbolic links';
  return error instanceof Error ? error.message : String(error);
}

/** A file's length and digests. */
export interface FileDigest {
  size: number;
  /** Hex MD5. */
  md5: string;
  /** Hex SHA-256. */
  sha256: string;
}

/** Hashes a stream as it flows, a piece at a time: files of any size, in constant memory. */
export async function hashStream(stream: AsyncIterable<Uint8Array>): Promise<FileDigest> {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    md5.update(chunk);
    sha256.update(chunk);
    size += chunk.byteLength;
  }
  return { size, md5: md5.digest('hex'), sha256: sha256.digest('hex') };
}

/** Hashes a file's content, streamed from disk. */
export function hashFile(path: string): Promise<FileDigest> {
  return hashStream(createReadStream(path));
}

type HashFile = typeof hashFile;

/**
 * Every asset below `root`, sorted by key. `read` hashes one file (tests inject failures); `warn`
 * hears of each symbolic link skipped because it leads out of `root` or to nothing.
 * @throws AssetDirectoryError for a missing directory, a symbolic-link loop or an unreadable file,
 *   naming the path.
 */
export async function scanAssets(
  root: string,
  read: HashFile = hashFile,
  warn: (line: string) => void = () => {},
): Promise<LocalAsset[]> {
  const info = await stat(root).catch((error: unknown) => {
    throw new AssetDirectoryError(`--dir ${root}: ${describeFsError(error)}`);
  });
  if (!info.isDirectory()) throw new AssetDirectoryError(`--dir ${root}: not a directory`);
  const assets: LocalAsset[] = [];
  const top = await realpath(root);
  await walk(
    { root, read, out: assets, inside: (real) => real === top || real.startsWith(top + sep), warn },
    root,
    [top],
  );
  return assets.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** `ancestors` are the real paths of the directories above: meeting one again is a loop. */
async function walk(
  walker: {
    root: string;
    read: HashFile;
    out: LocalAsset[];
    inside(real: string): boolean;
    warn(line: string): void;
  },
  dir: string,
  ancestors: string[],
): Promise<void> {
  const entries = await readdir(dir).catch((error: unknown) => {
    throw new AssetDirectoryError(`${dir}: cannot read the directory: ${describeFsError(error)}`);
  });
  for (const name of entries.sort()) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    const info = await stat(path).catch(async (error: unknown) => {
      const gone = (error as NodeJS.ErrnoException).code === 'ENOENT';
      if (gone && (await lstat(path).catch(() => undefined))?.isSymbolicLink()) return undefined;
      throw new AssetDirectoryError(`${path}: ${describeFsError(error)}`);
    });
    if (info === undefined) {
      const target = await readlink(path).catch(() => '?');
      walker.warn(`skipped ${path}: a dangling symbolic link (to ${target})`);
      continue;
    }
    const real = await realpath(path);
    if (!walker.inside(real)) {
      walker.warn(`skipped ${path}: a symbolic link to ${real}, outside --dir`);
      continue;
    }
    if (info.isDirectory()) {
      if (ancestors.includes(real)) {
        throw new AssetDirectoryError(`${path}: symbolic link loop (it leads back to ${real})`);
      }
      await walk(walker, path, [...ancestors, real]);
    } else if (info.isFile()) {
      const content = await walker.read(path).catch((error: unknown) => {
        throw new AssetDirectoryError(`${path}: cannot read the file: ${describeFsError(error)}`);
      });
      walker.out.push({
        key: relative(walker.root, path).split(sep).join('/'),
        size: content.size,
        md5: content.md5,
        sha256: content.sha256,
      });
    }
  }
}
