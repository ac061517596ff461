/**
 * `npm run bench`: policy figures on the reference traces, the cost of a converge tick, and each
 * function's bundle size and cold init. Prints tables and writes out/bench.json. Figures are
 * reported as ratios against a baseline measured in the same run; nothing here is a pass/fail test.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { benchHandlers, buildAppProbe } from './lib/bench-handlers.js';
import { benchPolicies, policyRatios } from './lib/bench-policies.js';
import { benchTick } from './lib/bench-tick.js';

function table(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '(none)';
  const columns = Object.keys(rows[0] ?? {});
  const cells = rows.map((row) =>
    columns.map((c) => String(typeof row[c] === 'object' ? JSON.stringify(row[c]) : row[c])),
  );
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ');
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

function argValue(flag: string): string | undefined {
  const at = process.argv.indexOf(flag);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

async function main(): Promise<void> {
  const out = resolve(argValue('--out') ?? 'out');
  mkdirSync(out, { recursive: true });
  const started = Date.now();

  console.log('policies: replaying the reference traces…');
  const policies = await benchPolicies();
  const ratios = policyRatios(policies);
  console.log(table(policies as unknown as Record<string, unknown>[]));
  console.log('\ndefault vs seed-2010 (targets: p95 ratio <= 0.5, instance-hours ratio <= 1.0)');
  console.log(table(ratios as unknown as Record<string, unknown>[]));

  console.log('\ntick: one steady-state converge on the fake cloud…');
  const tick = await benchTick();
  console.log(table(tick as unknown as Record<string, unknown>[]));

  console.log('\nhandlers: bundling and cold-starting each function…');
  await buildAppProbe(join(out, 'bench'));
  const handlers = await benchHandlers(join(out, 'bench'));
  console.log(table(handlers as unknown as Record<string, unknown>[]));

  const report = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    durationS: Math.round((Date.now() - started) / 1000),
    policies,
    policyRatios: ratios,
    tick,
    handlers,
  };
  writeFileSync(join(out, 'bench.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${join(out, 'bench.json')}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
