import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cacheControlFor,
  IMMUTABLE_CACHE_CONTROL,
  invalidationPaths,
  isFingerprinted,
  type LocalAsset,
  MAX_INVALIDATION_PATHS,
  needsMetadata,
  planSync,
  type RemoteAsset,
  SHORT_CACHE_CONTROL,
} from '../../domain/assets.js';

const local = (key: string, content = key): LocalAsset => ({
  key,
  size: content.length,
  md5: `md5-of-${content}`,
  sha256: `sha-of-${content}`,
});
const remote = (key: string, content = key): RemoteAsset => ({
  key,
  size: content.length,
  etag: `md5-of-${content}`,
});

describe('fingerprinted names', () => {
  it.each([
    ['assets/app-3f2a9c.css', true],
    ['assets/application-4f2d8e1c0b3a5968d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4.js', true],
    ['packs/js/main.3f2a9c1b.js', true],
    ['chunk-JXQF5ZR2.js', true],
    ['assets/app-3f2a9c.css.gz', true],
    ['favicon.ico', false],
    ['robots.txt', false],
    ['javascripts/jquery-1.4.2.js', false],
    ['stylesheets/report-201001.css', false],
    ['images/logo-facade.png', false],
    ['images/3f2a9c1b/logo.png', false],
  ])('%s fingerprinted: %s', (key, expected) => {
    expect(isFingerprinted(key)).toBe(expected);
  });

  it('caches fingerprinted names for a year, immutable, and the rest briefly', () => {
    expect(cacheControlFor('assets/app-3f2a9c.css')).toBe(IMMUTABLE_CACHE_CONTROL);
    expect(IMMUTABLE_CACHE_CONTROL).toMatch(/max-age=31536000.*immutable/);
    expect(cacheControlFor('favicon.ico')).toBe(SHORT_CACHE_CONTROL);
    expect(SHORT_CACHE_CONTROL).not.toContain('immutable');
  });
});

describe('planSync', () => {
  it('sorts files into added, changed and unchanged, and lists what the directory no longer has', () => {
    const plan = planSync(
      [local('a.css'), local('b.css', 'new content'), local('c.css')],
      [remote('b.css', 'old content'), remote('c.css'), remote('gone.png')],
    );
    expect(plan.added.map((a) => a.key)).toEqual(['a.css']);
    expect(plan.changed.map((a) => a.key)).toEqual(['b.css']);
    expect(plan.unchanged.map((a) => a.key)).toEqual(['c.css']);
    expect(plan.orphans.map((a) => a.key)).toEqual(['gone.png']);
  });

  it('trusts the stored SHA-256 over an ETag that is not an MD5 (multipart uploads)', () => {
    const asset = local('big.pdf');
    const multipart = { ...remote('big.pdf'), etag: '9b2cf535f27731c974343645a3985328-2' };
    expect(needsMetadata(asset, multipart)).toBe(true);
    expect(needsMetadata(asset, { ...remote('big.pdf'), etag: 'd41d8cd98f00b204e9800998ecf8427e' })).toBe(
      false,
    );
    expect(planSync([asset], [{ ...multipart, sha256: asset.sha256 }]).unchanged).toHaveLength(1);
    expect(planSync([asset], [{ ...multipart, sha256: 'other' }]).changed).toHaveLength(1);
  });

  it('puts every file in exactly one group and every orphan outside the directory', () => {
    const key = fc.constantFrom<string>('a.css', 'b.js', 'img/c.png', 'd.ico', 'e/f.txt');
    const content = fc.constantFrom('x', 'yy', 'zzz');
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(key, content), { selector: ([k]) => k }),
        fc.uniqueArray(fc.tuple(key, content), { selector: ([k]) => k }),
        (files, objects) => {
          const plan = planSync(
            files.map(([k, c]) => local(k, c)),
            objects.map(([k, c]) => remote(k, c)),
          );
          const grouped = [...plan.added, ...plan.changed, ...plan.unchanged].map((a) => a.key).sort();
          expect(grouped).toEqual(files.map(([k]) => k).sort());
          const stored = new Map(objects);
          for (const a of plan.unchanged) expect(stored.get(a.key)).toBe(a.sha256.replace('sha-of-', ''));
          for (const a of plan.added) expect(stored.has(a.key)).toBe(false);
          for (const o of plan.orphans) expect(files.some(([k]) => k === o.key)).toBe(false);
        },
      ),
    );
  });
});

describe('invalidationPaths', () => {
  it('invalidates changed and deleted plain names only, URL-encoded, sorted, once', () => {
    expect(
      invalidationPaths(
        ['robots.txt', 'assets/app-3f2a9c.css', 'images/logo one.png'],
        ['old.html', 'assets/old-9e8d7c.js'],
        ['/robots.txt'],
      ),
    ).toEqual(['/images/logo%20one.png', '/old.html', '/robots.txt']);
  });

  it('never names a fingerprinted key and never exceeds what one request takes', () => {
    const key = fc.oneof(
      fc.constantFrom('favicon.ico', 'robots.txt', 'a/b.css'),
      fc
        .string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 6, maxLength: 12 })
        .map((h) => `assets/app-${h}1a.css`),
      fc.nat(5000).map((n) => `img/${n}.png`),
    );
    fc.assert(
      fc.property(
        fc.array(key, { maxLength: 4000 }),
        fc.array(key, { maxLength: 200 }),
        (changed, deleted) => {
          const paths = invalidationPaths(changed, deleted);
          expect(paths.length).toBeLessThanOrEqual(MAX_INVALIDATION_PATHS);
          expect(new Set(paths).size).toBe(paths.length);
          if (paths[0] === '/*') return;
          for (const path of paths) expect(isFingerprinted(path)).toBe(false);
          for (const k of [...changed, ...deleted]) {
            if (!isFingerprinted(k)) expect(paths).toContain(`/${k}`);
          }
        },
      ),
      { numRuns: 50 },
    );
  });
});
