/**
 * Walks the asset directory: every regular file below it (following symbolic links that stay inside
 * it, refusing loops, skipping with a warning those that lead out of it, such as Capistrano's
 * `public/uploads` into `shared/`), with its size and content hashes. Names starting with a dot (`.DS_Store`, `.gitkeep`,
 * `.htaccess`) are not assets and are skipped.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
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

/** Hashes a file's content (read whole: assets are small, and the upload needs the bytes anyway). */
export async function readAsset(path: string): Promise<{ body: Buffer; md5: string; sha256: string }> {
  const body = await readFile(path);
  return {
    body,
    md5: createHash('md5').update(body).digest('hex'),
    sha256: createHash('sha256').update(body).digest('hex'),
  };
}

type ReadAsset = typeof readAsset;

/**
 * Every asset below `root`, sorted by key. `read` reads and hashes one file (tests inject failures);
 * `warn` hears of each symbolic link skipped because it leads out of `root`.
 * @throws AssetDirectoryError for a missing directory, a symbolic-link loop or an unreadable file,
 *   naming the path.
 */
export async function scanAssets(
  root: string,
  read: ReadAsset = readAsset,
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
    read: ReadAsset;
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
    const info = await stat(path).catch((error: unknown) => {
      throw new AssetDirectoryError(`${path}: ${describeFsError(error)}`);
    });
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
        size: info.size,
        md5: content.md5,
        sha256: content.sha256,
      });
    }
  }
}
