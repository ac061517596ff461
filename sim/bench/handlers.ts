/**
 * Bundle size and cold-init time of each Lambda function: each handler is bundled with the same
 * esbuild settings serverless.yml uses, then loaded in several fresh Node processes. Init is the
 * time to `require` the bundle (Lambda's init phase); `appBuildMs` adds building the app (config,
 * clients, adapters) that the first invocation pays. The baseline is a fresh process loading an
 * empty bundle, measured in the same run.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type BuildOptions, build } from 'esbuild';

export interface HandlerBenchRow {
  function: string;
  bundleBytes: number;
  initMedianMs: number;
  appBuildMedianMs: number;
  baselineMedianMs: number;
  initOverBaselineMs: number;
  /** Init divided by the empty-bundle baseline of the same run. */
  initRatioToBaseline: number;
}

export const FUNCTIONS: Record<string, string> = {
  schedule: 'handlers/schedule.ts',
  queueProbe: 'handlers/queue-probe.ts',
  instanceState: 'handlers/instance-state.ts',
  reconcile: 'handlers/reconcile.ts',
  control: 'handlers/control.ts',
};

const ROOT = resolve(__dirname, '../..');

/** The environment a deployed function gets (values from config/dev.json; no AWS call is made). */
function lambdaEnv(): NodeJS.ProcessEnv {
  const config = spawnSync(
    process.execPath,
    ['-e', 'process.stdout.write(require("fs").readFileSync("config/dev.json","utf8"))'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  ).stdout;
  return {
    PATH: process.env.PATH,
    FLEET_CONFIG: JSON.stringify(JSON.parse(config)),
    FLEET_STACK: 'fleet-pilot-bench',
    FLEET_TABLE: 'fleet-pilot-bench-ledger',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    POWERTOOLS_SERVICE_NAME: 'fleet-pilot-bench',
    POWERTOOLS_METRICS_NAMESPACE: 'FleetPilot',
  };
}

/** The esbuild settings of serverless.yml's `custom.esbuild`. */
export const FUNCTION_BUNDLE = {
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  mainFields: ['module', 'main'],
  logLevel: 'silent',
} as const satisfies BuildOptions;

async function bundle(entry: string, outfile: string): Promise<void> {
  await build({ ...FUNCTION_BUNDLE, entryPoints: [join(ROOT, entry)], outfile });
}

function timeOnce(script: string, env: NodeJS.ProcessEnv): number {
  const result = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', cwd: ROOT });
  if (result.status !== 0) throw new Error(`bench process failed: ${result.stderr}`);
  return Number.parseFloat(result.stdout.trim());
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round((sorted[Math.floor(sorted.length / 2)] ?? 0) * 10) / 10;
}

const measure = (body: string) =>
  `const t=process.hrtime.bigint();${body};process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;

export async function benchHandlers(outDir: string, runs = 7): Promise<HandlerBenchRow[]> {
  const dir = resolve(outDir, 'bundles');
  mkdirSync(dir, { recursive: true });
  const empty = join(dir, 'empty.js');
  writeFileSync(empty, 'module.exports = {};\n');
  const env = lambdaEnv();
  const rows: HandlerBenchRow[] = [];
  for (const [name, entry] of Object.entries(FUNCTIONS)) {
    const outfile = join(dir, `${name}.js`);
    await bundle(entry, outfile);
    const baseline: number[] = [];
    const init: number[] = [];
    const firstUse: number[] = [];
    for (let i = 0; i < runs; i += 1) {
      baseline.push(timeOnce(measure(`require(${JSON.stringify(empty)})`), env));
      init.push(timeOnce(measure(`require(${JSON.stringify(outfile)})`), env));
      // First use: building the app (config, clients, adapters) as the first invocation does.
      const probe = JSON.stringify(join(dir, 'app-probe.js'));
      firstUse.push(timeOnce(`const a=require(${probe});${measure('a.awsApp()')}`, env));
    }
    rows.push({
      function: name,
      bundleBytes: statSync(outfile).size,
      initMedianMs: median(init),
      appBuildMedianMs: median(firstUse),
      baselineMedianMs: median(baseline),
      initOverBaselineMs: Math.round((median(init) - median(baseline)) * 10) / 10,
      initRatioToBaseline: Math.round((median(init) / Math.max(median(baseline), 0.1)) * 10) / 10,
    });
  }
  return rows;
}

/** Bundles handlers/app.ts alone, so `awsApp()` can be called in the first-use measurement. */
export async function buildAppProbe(outDir: string): Promise<void> {
  const dir = resolve(outDir, 'bundles');
  mkdirSync(dir, { recursive: true });
  await bundle('handlers/app.ts', join(dir, 'app-probe.js'));
}
