/**
 * `fleet-pilot`'s subcommands as commander definitions: each turns its arguments into one control
 * command (domain/commands.ts), checked here with the control function's own schema before it is
 * sent, so a bad value is a usage error naming the flag and nothing is sent.
 */
import { Argument, type Command, Option } from 'commander';
import { ControlCommandSchema, MAX_COMMAND_COUNT } from '../../domain/commands.js';
import { describeIssues } from '../../domain/config.js';
import { MAX_SERVERS } from '../../domain/schedule-schema.js';
import { createProgram, UsageError } from '../program.js';
import { duration, nonEmpty, numberIn } from '../values.js';

/** What a subcommand asks for: a control command and how to show its answer. */
export type Request =
  | { kind: 'control'; view: 'status' | 'journal' | 'change'; command: Record<string, unknown> }
  | { kind: 'watch'; command: Record<string, unknown>; everySeconds: number }
  | { kind: 'follow'; command: Record<string, unknown>; everySeconds: number }
  | { kind: 'timeline'; command: Record<string, unknown>; out: string }
  | { kind: 'completion'; shell: 'bash' | 'zsh' };

export interface GlobalOptions {
  local?: boolean;
  sandbox: string;
  stage?: string;
  region?: string;
  profile?: string;
  output: 'table' | 'wide' | 'json';
}

const count = numberIn({ min: 1, max: MAX_COMMAND_COUNT, integer: true });
const size = numberIn({ min: 0, max: MAX_SERVERS, integer: true });
const seconds = numberIn({ min: 1, max: 3600 });

/** The flag or argument each command field comes from, for messages. */
const FIELD_FLAGS: Record<string, string> = {
  role: '<role>',
  count: '<count>',
  holdMinutes: '--hold',
  instanceId: '<instance-id>',
  min: '--min',
  max: '--max',
  minutes: '--for',
  clear: '--clear',
  reason: '--reason',
  requestId: '--request-id',
  sinceMinutes: '--since',
  limit: '--limit',
  journal: '--journal',
};

/**
 * The command checked by the control function's schema. @throws UsageError naming each bad flag.
 */
export function checked(
  command: Record<string, unknown>,
  flags: Record<string, string> = {},
): Record<string, unknown> {
  const result = ControlCommandSchema.safeParse(command);
  if (result.success) return command;
  const issues = describeIssues(result.error).map((issue) => {
    const [field = '', ...rest] = issue.split(': ');
    const flag = flags[field] ?? FIELD_FLAGS[field];
    return flag === undefined ? issue : `${flag}: ${rest.join(': ')}`;
  });
  throw new UsageError(issues.join('; '));
}

/** Minutes, rounded up, of a duration flag. */
function minutesOf(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.ceil(ms / 60_000);
}

function optional<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The whole program. `onRequest` receives what the chosen subcommand asks for, with the global
 * options; the caller sends it and prints the answer.
 */
export function fleetPilotProgram(onRequest: (request: Request, globals: GlobalOptions) => void): Command {
  const program = createProgram(
    'fleet-pilot',
    'Emergency commands for a fleet-pilot stack: see and change what runs, through its control function.',
  )
    .usage('<command> [options]')
    .option('--local', 'talk to the local sandbox (npm start -- --serve) instead of a deployed stack')
    .option('--sandbox <file>', 'with --local: where the sandbox wrote its address', 'out/sandbox.json')
    .option(
      '--stage <stage>',
      'the deployed stage: its control function is fleet-pilot-STAGE-control (default dev)',
    )
    .option(
      '--region <region>',
      "the stack's region (default: AWS_REGION, the profile's region, else us-east-1)",
    )
    .option('--profile <name>', 'the AWS profile (default: AWS_PROFILE, else the standard credential chain)')
    .addOption(
      new Option('-o, --output <format>', 'table (fits 80 columns), wide (every column, nothing cut) or json')
        .choices(['table', 'wide', 'json'])
        .default('table'),
    )
    .addHelpText(
      'after',
      `
Examples:
  fleet-pilot status --stage prod --region ca-central-1
  fleet-pilot launch app 2 --hold 2h --dry-run --stage prod
  fleet-pilot pause job --reason "incident 4711" --stage prod
  fleet-pilot journal job --since 2h --follow --local
  fleet-pilot timeline --hours 24 --out fleet.svg --local

Durations (--hold, --for, --since) take s, m, h or d: 90s, 30m, 2h, 1d; a
bare number is minutes. Times in answers are UTC.

Exit codes: 0 done, 1 refused by the control function (nothing changed),
2 bad command line, 3 the control function could not be reached or failed.`,
    );
  const send = (request: Request, cmd: Command) => onRequest(request, cmd.optsWithGlobals<GlobalOptions>());
  const reason = () => new Option('--reason <text>', 'why, for the journal (at most 200 characters)');
  const requestId = () =>
    new Option('--request-id <id>', 'names the request: repeating it while its effect lasts changes nothing');
  const dryRun = () => new Option('--dry-run', 'show what it would do; change nothing');
  const hold = (description: string) =>
    new Option('--hold <duration>', description).argParser(duration).default(3_600_000, '1h');

  program
    .command('status')
    .description('what runs per role, what is desired and why, bounds and pause, and the next converge')
    .argument('[role]', 'one role (default: every role)')
    .option(
      '--journal <n>',
      'recent journal entries per role',
      numberIn({ min: 0, max: 50, integer: true }),
      3,
    )
    .option('-w, --watch [seconds]', 'redraw every few seconds (default 5) until Ctrl-C', seconds)
    .action((role: string | undefined, o: { journal: number; watch?: number | true }, cmd: Command) => {
      const command = checked({ action: 'status', ...optional({ role }), journal: o.journal });
      if (o.watch === undefined) send({ kind: 'control', view: 'status', command }, cmd);
      else send({ kind: 'watch', command, everySeconds: o.watch === true ? 5 : o.watch }, cmd);
    });

  program
    .command('launch')
    .description('launch COUNT more servers of a role now, held (not retired) for --hold')
    .argument('<role>', 'the role, e.g. app')
    .argument('<count>', 'how many more servers', count)
    .addOption(hold('how long the raised minimum holds them, e.g. 90m, 2h'))
    .addOption(reason())
    .addOption(requestId())
    .addOption(dryRun())
    .action(
      (
        role: string,
        n: number,
        o: { hold: number; reason?: string; requestId?: string; dryRun?: boolean },
        cmd: Command,
      ) => {
        const command = checked({
          action: 'launch',
          role,
          count: n,
          holdMinutes: minutesOf(o.hold),
          ...optional({ reason: o.reason, requestId: o.requestId, dryRun: o.dryRun }),
        });
        send({ kind: 'control', view: 'change', command }, cmd);
      },
    );

  program
    .command('retire')
    .description('retire one server by id now, or --count servers by lowering the maximum for --hold')
    .argument('<role>', 'the role, e.g. job')
    .argument('[instance-id]', 'the server to retire (deregister, drain, terminate)')
    .option('--count <n>', "retire this many (the planner picks which, by the role's rules)", count)
    .addOption(hold('how long the lowered maximum holds, e.g. 90m, 2h'))
    .addOption(reason())
    .addOption(requestId())
    .addOption(dryRun())
    .action(
      (
        role: string,
        instanceId: string | undefined,
        o: { count?: number; hold: number; reason?: string; requestId?: string; dryRun?: boolean },
        cmd: Command,
      ) => {
        if ((instanceId === undefined) === (o.count === undefined)) {
          throw new UsageError('retire: give either an <instance-id> or --count N');
        }
        const command = checked(
          {
            action: 'retire',
            role,
            holdMinutes: minutesOf(o.hold),
            ...optional({
              instanceId,
              count: o.count,
              reason: o.reason,
              requestId: o.requestId,
              dryRun: o.dryRun,
            }),
          },
          { count: '--count' },
        );
        send({ kind: 'control', view: 'change', command }, cmd);
      },
    );

  program
    .command('pause')
    .description('stop launching and retiring servers of a role until resumed')
    .argument('<role>', 'the role')
    .addOption(reason())
    .addOption(dryRun())
    .action((role: string, o: { reason?: string; dryRun?: boolean }, cmd: Command) => {
      const command = checked({ action: 'pause', role, ...optional({ reason: o.reason, dryRun: o.dryRun }) });
      send({ kind: 'control', view: 'change', command }, cmd);
    });

  program
    .command('resume')
    .description('lift the pause of a role')
    .argument('<role>', 'the role')
    .addOption(dryRun())
    .action((role: string, o: { dryRun?: boolean }, cmd: Command) => {
      const command = checked({ action: 'resume', role, ...optional({ dryRun: o.dryRun }) });
      send({ kind: 'control', view: 'change', command }, cmd);
    });

  for (const [action, description] of [
    [
      'drain-pool',
      "empty a role's warm pool (its stopped servers are terminated) and keep it empty until refilled",
    ],
    [
      'refill-pool',
      "lift a drain and replace the role's warm servers with fresh ones (e.g. after a release)",
    ],
  ] as const) {
    program
      .command(action)
      .description(description)
      .argument('<role>', 'a role with a warm pool')
      .addOption(reason())
      .addOption(requestId())
      .addOption(dryRun())
      .action((role: string, o: { reason?: string; requestId?: string; dryRun?: boolean }, cmd: Command) => {
        const command = checked({
          action,
          role,
          ...optional({ reason: o.reason, requestId: o.requestId, dryRun: o.dryRun }),
        });
        send({ kind: 'control', view: 'change', command }, cmd);
      });
  }

  program
    .command('override')
    .description("set a role's minimum and/or maximum for a while, or --clear them")
    .argument('<role>', 'the role')
    .option('--min <n>', 'at least this many servers', size)
    .option('--max <n>', 'at most this many servers', size)
    .option('--for <duration>', 'how long min/max apply, e.g. 30m, 4h', duration)
    .option('--clear', 'lift the override')
    .addOption(reason())
    .addOption(requestId())
    .addOption(dryRun())
    .action(
      (
        role: string,
        o: {
          min?: number;
          max?: number;
          for?: number;
          clear?: boolean;
          reason?: string;
          requestId?: string;
          dryRun?: boolean;
        },
        cmd: Command,
      ) => {
        // In the flags' own terms; the control function's schema checks the rest.
        if (o.clear !== true && o.min === undefined && o.max === undefined) {
          throw new UsageError('override: give --min, --max or both (with --for), or --clear');
        }
        if (o.clear !== true && o.for === undefined) {
          throw new UsageError('--for: how long --min/--max apply is required, e.g. --for 30m or --for 4h');
        }
        const command = checked({
          action: 'override',
          role,
          ...optional({
            min: o.min,
            max: o.max,
            minutes: minutesOf(o.for),
            clear: o.clear,
            reason: o.reason,
            requestId: o.requestId,
            dryRun: o.dryRun,
          }),
        });
        send({ kind: 'control', view: 'change', command }, cmd);
      },
    );

  program
    .command('journal')
    .description('the decision journal, newest first: what was decided, done and refused, and why')
    .argument('[role]', 'one role (default: every role and the stack)')
    .addOption(
      new Option('--since <duration>', 'entries since this long ago, e.g. 30m, 2h, 1d')
        .argParser(duration)
        .default(7_200_000, '2h'),
    )
    .option('--limit <n>', 'at most this many entries', numberIn({ min: 1, max: 500, integer: true }), 50)
    .option(
      '-f, --follow [seconds]',
      'then print new entries as they come, checking every few seconds (default 5)',
      seconds,
    )
    .action(
      (
        role: string | undefined,
        o: { since: number; limit: number; follow?: number | true },
        cmd: Command,
      ) => {
        const command = checked({
          action: 'journal',
          ...optional({ role }),
          sinceMinutes: minutesOf(o.since),
          limit: o.limit,
        });
        if (o.follow === undefined) send({ kind: 'control', view: 'journal', command }, cmd);
        else send({ kind: 'follow', command, everySeconds: o.follow === true ? 5 : o.follow }, cmd);
      },
    );

  program
    .command('timeline')
    .description("draw the fleet's servers, desired count and queue depth from the ledger as an SVG")
    .argument('[role]', 'one role (default: every role)')
    .option('--hours <n>', 'the span drawn, ending now', numberIn({ min: 1 / 60, max: 168 }), 24)
    .option('--out <file>', 'the SVG file to write', nonEmpty('a file name'), 'fleet.svg')
    .action((role: string | undefined, o: { hours: number; out: string }, cmd: Command) => {
      const command = checked(
        { action: 'history', ...optional({ role }), sinceMinutes: Math.ceil(o.hours * 60) },
        { sinceMinutes: '--hours' },
      );
      send({ kind: 'timeline', command, out: o.out }, cmd);
    });

  program
    .command('completion')
    .description('print a shell completion script: source <(fleet-pilot completion bash)')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(['bash', 'zsh']))
    .action((shell: 'bash' | 'zsh', _o: unknown, cmd: Command) => {
      send({ kind: 'completion', shell }, cmd);
    });

  return program;
}
