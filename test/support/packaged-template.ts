/**
 * The packaged CloudFormation template for the tests that read it. `npm test` packages first; a
 * test file run on its own packages here when the template is missing or older than anything that
 * goes into it (serverless.yml, the dev config, the template builders, the config schema).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
export const TEMPLATE = join(ROOT, '.serverless/cloudformation-template-update-stack.json');
const INPUTS = ['serverless.yml', 'config/dev.json', 'infra', 'domain'];

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

function stale(): boolean {
  return (
    !existsSync(TEMPLATE) ||
    statSync(TEMPLATE).mtimeMs < Math.max(...INPUTS.map((p) => newestMtime(join(ROOT, p))))
  );
}

const LOCK = join(ROOT, '.serverless.lock');
const LOCK_STALE_MS = 5 * 60_000;

/** One packaging at a time across vitest's worker processes: a directory made exclusively. */
function withLock<T>(fn: () => T): T {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > LOCK_STALE_MS)
        rmSync(LOCK, { recursive: true, force: true });
      Atomics.wait(pause, 0, 0, 250);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** The template as JSON, packaged first (`sls package --stage dev`) when it is missing or stale. */
export function packagedTemplate<T = Record<string, unknown>>(): T {
  if (stale()) {
    withLock(() => {
      if (!stale()) return;
      execFileSync(join(ROOT, 'node_modules/.bin/sls'), ['package', '--stage', 'dev'], {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 240_000,
      });
    });
  }
  return JSON.parse(readFileSync(TEMPLATE, 'utf8')) as T;
}
