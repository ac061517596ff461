/**
 * `npm run test:chaos -- --runs N [--seed S]`: N randomized fault-injection runs (tools/chaos/),
 * ending with one summary line (`--help` for the flags):
 *
 *   chaos: runs=N faults=F leaked=L doubleLaunch=D doubleStart=S unownedTerminations=U converged=C
 *
 * Exits 1 when any run broke an invariant, after printing each failing run's seed; replay one with
 * `npm run test:chaos -- --replay SEED`, which shrinks it and prints the smaller failing scenario.
 * Exits 2 on a bad flag (one line naming it) or a crash.
 */
import { INVOCATION, parseChaosOptions } from './chaos/options.js';
import { readCommandLine } from './program.js';

// The handlers' Powertools logger would print every refused event; the chaos run reports by itself.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

async function main(): Promise<number> {
  const cli = readCommandLine('chaos', INVOCATION, parseChaosOptions);
  if (!cli.ok) return cli.exitCode;
  const { options } = cli;
  // Loaded after the flags are checked: a bad flag answers at once.
  const chaos = await import('../tools/chaos/runner.js');

  if (options.mode === 'replay') {
    const { seed } = options;
    console.log(`chaos: replaying run seed ${seed} (shrinking if it fails)`);
    const found = await chaos.replayChaos(seed);
    if (found === undefined) {
      console.log('chaos: the run passes');
      return 0;
    }
    console.log(JSON.stringify(found.scenario, null, 2));
    console.log(JSON.stringify(found.report, null, 2));
    return 1;
  }

  const { runs } = options;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const every = Math.max(1, Math.round(runs / 10));
  const started = performance.now();
  console.log(`chaos: ${runs} runs, seed ${seed}`);
  const summary = await chaos.runChaos({
    runs,
    seed,
    onRun: (done, so) => {
      if (done % every === 0 && done < runs) {
        const seconds = ((performance.now() - started) / 1000).toFixed(0);
        console.log(`  ${done}/${runs} runs, ${so.failures.length} failing, ${seconds} s`);
      }
    },
  });
  for (const failure of summary.failures.slice(0, 10)) {
    const { report } = failure;
    console.log(`FAILED run ${failure.run} (seed ${failure.seed}):`);
    for (const line of [
      ...report.leaked.map((l) => `leaked ${l}`),
      ...report.doubleLaunch.map((d) => `launched twice: ${d}`),
      ...report.unownedTerminations.map((u) => `unowned termination: ${u}`),
      ...report.doubleStart.map((d) => `start without its intent: ${d}`),
      ...report.problems,
    ]) {
      console.log(`  ${line}`);
    }
    console.log(`  replay: npm run test:chaos -- --replay ${failure.seed}`);
  }
  if (summary.failures.length > 10) console.log(`... and ${summary.failures.length - 10} more failing runs`);
  console.log(chaos.summaryLine(summary));
  return summary.failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 2;
  },
);
