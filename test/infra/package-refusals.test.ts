/**
 * Hostile and bad config values refused by the real `sls package`, with the key named and nothing
 * written: each case is config/dev.json with one value changed, packaged from a temporary config
 * directory (FLEET_CONFIG_DIR). Packaging stops while serverless resolves its variables, before any
 * bundle is built, so the cases stay quick; they run a few at a time. Besides the cases below, the
 * corpus cases named in CORPUS (test/corpus/configs.json: hostile values, the warm pool, calendar
 * selectors) go through it too, overlaid on config/dev.json.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import corpus from '../corpus/configs.json';

const ROOT = join(__dirname, '../..');
const SLS = join(ROOT, 'node_modules/.bin/sls');

interface Case {
  stage: string;
  /** Changes config/dev.json. */
  edit(config: DevConfig): void;
  key: string;
  says: RegExp;
}
type DevConfig = {
  roles: Record<string, Record<string, unknown> & { queue?: Record<string, unknown> }>;
};

const CASES: Case[] = [
  {
    stage: 'variable',
    edit: (c) => {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a serverless variable, on purpose
      c.roles.app = { ...c.roles.app, health: { expectText: '${env:HOME}' } };
    },
    key: 'roles.app.health.expectText',
    says: /expected no "\$\{"/,
  },
  {
    stage: 'proto',
    // JSON.parse keeps "__proto__" as an own key, as a config file read from disk would.
    edit: (c) => {
      c.roles.job = JSON.parse(`{"__proto__": {"max": 99}, ${JSON.stringify(c.roles.job).slice(1)}`);
    },
    key: 'roles.job.__proto__',
    says: /the key "__proto__" is refused/,
  },
  {
    stage: 'runtime-api',
    edit: (c) => {
      c.roles.job = {
        ...c.roles.job,
        queue: { url: 'http://127.0.0.1:9001/2018-06-01/runtime/invocation/next' },
      };
    },
    key: 'roles.job.queue.url',
    says: /not loopback/,
  },
  {
    stage: 'db-option',
    edit: (c) => {
      c.roles.app = { ...c.roles.app, dbHost: '-oProxyCommand=sh' };
    },
    key: 'roles.app.dbHost',
    says: /expected a host name or address/,
  },
];

/** Corpus cases packaged for real, by name: the config parser refuses each with its key. */
const CORPUS = [
  'queue URL at the instance metadata service',
  'queue URL with user:password',
  "maxExtra above the role's max",
  'minimum lifetime longer than a day',
  'a constructor key at the top',
  'DB host longer than 253 characters',
  'warm pool of negative size',
  'warm pool in an unknown state',
  'warm pool hibernated on a type that cannot hibernate',
  'day of the month 32',
  'business day of the month 0',
  'reversed date range',
  'unknown holiday country',
];

type CorpusCase = { name: string; over: unknown; path: string; expect: string };

/** `over` written over `base` key by key, every key kept (the parser, not this, refuses keys). */
function overlay(base: Record<string, unknown>, over: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(over)) {
    const below = Object.hasOwn(base, key) ? base[key] : undefined;
    const nested = (v: unknown): v is Record<string, unknown> =>
      typeof v === 'object' && v !== null && !Array.isArray(v);
    if (nested(value) && nested(below)) overlay(below, value);
    else Object.defineProperty(base, key, { value, enumerable: true, writable: true, configurable: true });
  }
}
for (const [i, name] of CORPUS.entries()) {
  const found = (corpus.cases as CorpusCase[]).find((c) => c.name === name);
  if (found === undefined) throw new Error(`no corpus case "${name}"`);
  CASES.push({
    stage: `corpus${i}`,
    edit: (c) => overlay(c, found.over as Record<string, unknown>),
    key: found.path,
    says: new RegExp(found.expect),
  });
}

interface Outcome {
  code: number | null;
  output: string;
  packaged: boolean;
}

let dir: string;
const outcomes = new Map<string, Outcome>();

function slsPackage(stage: string): Promise<Outcome> {
  const out = join(dir, `out-${stage}`);
  return new Promise((resolve, reject) => {
    const child = spawn(SLS, ['package', '--stage', stage, '--package', out], {
      cwd: ROOT,
      env: { ...process.env, FLEET_CONFIG_DIR: dir, SLS_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output, packaged: existsSync(out) }));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-pilot-refusals-'));
  const dev = readFileSync(join(ROOT, 'config/dev.json'), 'utf8');
  for (const c of CASES) {
    const config = JSON.parse(dev) as DevConfig;
    c.edit(config);
    writeFileSync(join(dir, `${c.stage}.json`), JSON.stringify(config));
  }
  // A few at a time: each is a serverless process of its own.
  const limit = pLimit(4);
  const results = await Promise.all(CASES.map((c) => limit(() => slsPackage(c.stage))));
  CASES.forEach((c, i) => {
    outcomes.set(c.stage, results[i] as Outcome);
  });
}, 600_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('sls package refuses a hostile config, naming the key, and writes nothing', () => {
  it.each(CASES)('$key ($stage)', (c) => {
    const outcome = outcomes.get(c.stage) as Outcome;
    expect(outcome.code, outcome.output).not.toBe(0);
    const lines = outcome.output.split('\n').filter((l) => l.includes(`${c.key}: `));
    // serverless asks once per variable: the keys are listed once, the other failures point there.
    expect(lines, outcome.output).toHaveLength(1);
    const line = lines[0];
    expect(line).toMatch(c.says);
    expect(outcome.output).toContain(join(dir, `${c.stage}.json`));
    expect(outcome.packaged).toBe(false);
  });
});
