/**
 * `npm run traces [-- --check]`: regenerates every reference trace in sim/traces/ from its fixed
 * seed (the files are committed; a rerun must leave them unchanged). The work is in
 * sim/traces/make-traces.ts.
 */
import { writeReferenceTraces } from '../sim/traces/make-traces.js';
import { createProgram, parseProgram, readCommandLine, runScript } from './program.js';

const INVOCATION = 'npm run traces --';

function parseTracesArgs(
  argv: readonly string[],
  write: (text: string) => void,
): { check: boolean } | 'help' {
  const program = createProgram(
    INVOCATION,
    'Regenerates every reference trace in sim/traces/ from its fixed seed (the files are committed; a rerun must leave them unchanged).',
  ).option(
    '--check',
    "also replay each one with the job role's maximum servers in service all day (bound) and with the 2010 rule, to show it does not saturate the role",
  );
  if (parseProgram(program, argv, write) === 'help') return 'help';
  return { check: program.opts<{ check?: boolean }>().check === true };
}

async function main(): Promise<number> {
  const cli = readCommandLine('traces', INVOCATION, parseTracesArgs);
  if (!cli.ok) return cli.exitCode;
  await writeReferenceTraces({ check: cli.options.check, onLine: (line) => console.log(line) });
  return 0;
}

runScript('traces', INVOCATION, main);
