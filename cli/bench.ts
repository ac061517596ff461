/**
 * `npm run bench`: policy figures on the reference traces, the cost of a converge tick, and each
 * function's bundle size and cold init. Prints tables and writes out/bench.json. Figures are
 * reported as ratios against a baseline measured in the same run; nothing here is a pass/fail test.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { benchCalendar } from '../sim/bench/calendar.js';
import { benchFamilies } from '../sim/bench/families.js';
import { benchHandlers, buildAppProbe } from '../sim/bench/handlers.js';
import { benchPolicies, policyRatios } from '../sim/bench/policies.js';
import { BENCH_INTERRUPTIONS_PER_DAY, benchSpot } from '../sim/bench/spot.js';
import { benchTick } from '../sim/bench/tick.js';
import { benchTune } from '../sim/bench/tune.js';
import { createProgram, parseProgram, readCommandLine } from './program.js';
import { nonEmpty } from './values.js';

const PARTS = ['policies', 'families', 'calendar', 'spot', 'tune', 'tick', 'handlers'] as const;
type Part = (typeof PARTS)[number];

const INVOCATION = 'npm run bench --';

const PART_HELP = `parts:
  policies  every reference trace (sim/traces/*.csv) x every policy, the default
            without its warm pool (default-no-pool,
            config/presets/no-pool.json), the bound (max servers all day) and
            the onset oracle; ratios against seed-2010 of the same run
  families  the default, with and without its warm pool, on fresh traces of
            every generator (4 seeds x 2 launch-delay streams): runs meeting the
            target, mean ratios, gapClosed, launches and warm starts a day, the
            pool's stopped volumes in dollars a day; then the default alone on 4
            held-out seeds no default was chosen on (heldOut)
  calendar  six weeks of real dates with two month-ends and a holiday: the 2010
            rule, the default, the default with a month-end window and with the
            learned forecast (floor, warm): p95 on the month-end days and
            dollars over the span
  spot      every reference trace with the default policy, On-Demand only and
            with Spot above the permanent server (EC2 interrupting it), without
            and with the warm pool (whose warm On-Demand servers bridge a Spot
            role's bursts): cost and wait
  tune      npm run tune on every reference trace: its time, how far the
            default's p95 is from the best p95 swept at equal or lower cost, and
            whether it keeps it
  tick      one steady-state converge on the fake cloud: 10, 1,000, 10,000
            servers, 50 x 200
  handlers  each function's bundle size and cold init

See docs/benchmark.md.`;

function partList(raw: string): Set<Part> {
  const parts = new Set<Part>();
  for (const name of raw.split(',').map((p) => p.trim())) {
    if (!(PARTS as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(`"${name}" is not a part (parts: ${PARTS.join(', ')})`);
    }
    parts.add(name as Part);
  }
  return parts;
}

function parseCli(
  argv: readonly string[],
  write: (text: string) => void,
): { parts: Set<Part>; out: string } | 'help' {
  const program = createProgram(
    INVOCATION,
    'Policy figures on the reference traces, the cost of a converge tick, and each function’s bundle size and cold init; writes bench.json.',
  )
    .option(
      '--only <list>',
      `run only these parts, comma-separated: ${PARTS.join(',')} (default: all)`,
      partList,
    )
    .option('--out <dir>', 'where bench.json goes', nonEmpty('a directory'), 'out')
    .addHelpText('after', `\n${PART_HELP}`);
  if (parseProgram(program, argv, write) === 'help') return 'help';
  const values = program.opts<{ only?: Set<Part>; out: string }>();
  return { parts: values.only ?? new Set(PARTS), out: resolve(values.out) };
}

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

async function main(): Promise<number> {
  const cli = readCommandLine('bench', INVOCATION, parseCli);
  if (!cli.ok) return cli.exitCode;
  const { parts, out } = cli.options;
  mkdirSync(out, { recursive: true });
  const started = Date.now();
  // Parts not run this time keep their figures from the last run.
  const file = join(out, 'bench.json');
  const previous = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
    : {};
  const report: Record<string, unknown> = {
    ...previous,
    generatedAt: new Date().toISOString(),
    node: process.version,
  };

  if (parts.has('policies')) {
    console.log('policies: replaying the reference traces through the converge service…');
    const policies = await benchPolicies();
    const ratios = policyRatios(policies);
    console.log(table(policies as unknown as Record<string, unknown>[]));
    console.log(
      '\nagainst seed-2010 of the same run (default targets: p95 ratio <= 0.5, cost ratio in dollars <= 1.0, cold launches ratio <= 2.0)',
    );
    console.log(table(ratios as unknown as Record<string, unknown>[]));
    report.policies = policies;
    report.policyRatios = ratios;
  }

  if (parts.has('families')) {
    console.log('\nfamilies: the default on fresh traces from every generator…');
    const families = await benchFamilies();
    console.log(
      table(
        families.map(({ heldOut, ...row }) => ({
          ...row,
          missed: row.missed.join(' '),
          heldOut: heldOut === undefined ? '' : `${heldOut.met}/${heldOut.runs} ${heldOut.missed.join(' ')}`,
        })) as unknown as Record<string, unknown>[],
      ),
    );
    report.families = families;
  }

  if (parts.has('calendar')) {
    console.log('\ncalendar: six weeks with month-ends and a holiday, by row…');
    const calendar = await benchCalendar((row) => console.log(JSON.stringify(row)));
    console.log(table(calendar.rows as unknown as Record<string, unknown>[]));
    report.calendar = calendar;
  }

  if (parts.has('spot')) {
    console.log(
      `\nspot: the default policy On-Demand only and with Spot, ${BENCH_INTERRUPTIONS_PER_DAY} interruptions a day…`,
    );
    const spot = await benchSpot();
    console.log(table(spot as unknown as Record<string, unknown>[]));
    report.spot = spot;
  }

  if (parts.has('tune')) {
    console.log('\ntune: npm run tune on every reference trace (one-day target: under 60 s on 2 cores)…');
    const tune = await benchTune();
    console.log(table(tune as unknown as Record<string, unknown>[]));
    report.tune = tune;
  }

  if (parts.has('tick')) {
    console.log('\ntick: one steady-state converge on the fake cloud…');
    const tick = await benchTick();
    console.log(table(tick as unknown as Record<string, unknown>[]));
    report.tick = tick;
  }

  if (parts.has('handlers')) {
    console.log('\nhandlers: bundling and cold-starting each function…');
    await buildAppProbe(join(out, 'bench'));
    const handlers = await benchHandlers(join(out, 'bench'));
    console.log(table(handlers as unknown as Record<string, unknown>[]));
    report.handlers = handlers;
  }

  report.durationS = Math.round((Date.now() - started) / 1000);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
