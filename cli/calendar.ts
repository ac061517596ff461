/**
 * What will the schedule ask for, date by date?
 *
 *   npm run calendar -- --config config/prod.json --role job --from 2026-12-01 --days 31 [--json]
 *
 * Prints each local date's floor timeline with its holiday, the window that set each step and
 * why it runs that date (domain/schedule-timeline.ts). `--json` prints
 * `[{date, start, end, servers, window, holiday, why}]`, one element per step.
 */
import { DateTime } from 'luxon';
import { type Config, offlineConfig, type ScheduleConfig } from '../domain/config.js';
import { ConfigError } from '../domain/errors.js';
import { isPlainObject } from '../domain/merge.js';
import { ownEntry } from '../domain/roles.js';
import { scheduleTimeline, type TimelineDay } from '../domain/schedule-timeline.js';
import { TERMINAL_WIDTH, wrapLine } from '../sim/wrap.js';
import { loadConfigDocument } from './config-file.js';
import { createProgram, parseProgram, readCommandLine, runScript, UsageError } from './program.js';
import { localDate, nonEmpty, numberIn } from './values.js';

const INVOCATION = 'npm run calendar --';

interface Options {
  config?: string;
  role: string;
  from?: string;
  days: number;
  json: boolean;
}

function parseCalendarArgs(argv: readonly string[], write: (text: string) => void): Options | 'help' {
  const program = createProgram(INVOCATION, 'What will the schedule ask for, date by date?')
    .option(
      '--config <file>',
      'your config document (JSON), merged over the defaults (default: the defaults alone)',
    )
    .option('--role <name>', 'the role whose schedule to show', nonEmpty('a role name'), 'job')
    .option(
      '--from <date>',
      "the first local date, YYYY-MM-DD (default: today in the schedule's time zone)",
      localDate,
    )
    .option('--days <n>', 'how many dates', numberIn({ min: 1, max: 731, integer: true }), 31)
    .option('--json', 'print [{date, start, end, servers, window, holiday, why}], one element per step');
  if (parseProgram(program, argv, write) === 'help') return 'help';
  const values = program.opts<{
    config?: string;
    role: string;
    from?: string;
    days: number;
    json?: boolean;
  }>();
  return {
    ...(values.config === undefined ? {} : { config: values.config }),
    role: values.role,
    ...(values.from === undefined ? {} : { from: values.from }),
    days: values.days,
    json: values.json === true,
  };
}

/** Where a date's continuation lines start: under its first step, past "Mon 2026-12-28  ". */
const DATE_INDENT = ' '.repeat(16);
/** Where a step's continuation lines start: under its source, past "  06:00-22:00  3  ". */
const STEP_INDENT = ' '.repeat(18);

/**
 * The timeline as text within 80 columns: one line per date without windows, a block per date
 * with them. What does not fit goes on under the date's steps (a holiday, the windows it skipped)
 * or under the step's source (why the window runs that date).
 */
function formatTimeline(role: string, schedule: ScheduleConfig, days: readonly TimelineDay[]): string {
  const { holidays } = schedule;
  const region =
    holidays === undefined ? 'none' : [holidays.country, holidays.state].filter(Boolean).join('-');
  const extra = schedule.extraHolidays?.length ? `, extra ${schedule.extraHolidays.join(', ')}` : '';
  const not = schedule.notHolidays?.length ? `, worked ${schedule.notHolidays.join(', ')}` : '';
  const lines = wrapLine(
    `${role}: ${schedule.timeZone}, baseline ${schedule.baseline}, ${schedule.windows.length} window(s); holidays ${region}${extra}${not}`,
  );
  for (const day of days) {
    const weekday = day.weekday[0]?.toUpperCase() + day.weekday.slice(1);
    const notes = [
      ...(day.holiday === null ? [] : [` holiday: ${day.holiday}`]),
      ...(day.skipped.length === 0 ? [] : [`(skips ${day.skipped.join('; ')})`]),
    ];
    const only = day.steps.length === 1 ? day.steps[0] : undefined;
    if (only !== undefined && only.window === null) {
      const first = `${weekday} ${day.date}  ${only.start}-${only.end} ${only.servers}  baseline`;
      lines.push(...wrapLine([first, ...notes], DATE_INDENT));
      continue;
    }
    lines.push(...wrapLine([`${weekday} ${day.date}`, ...notes], DATE_INDENT));
    for (const step of day.steps) {
      const head = `  ${step.start}-${step.end} ${String(step.servers).padStart(2)}  `;
      const one = `${head}${step.window === null ? 'baseline' : `${step.window}: ${step.why}`}`;
      if (step.window === null || one.length <= TERMINAL_WIDTH) lines.push(one);
      else
        lines.push(
          ...wrapLine(`${head}${step.window}:`, STEP_INDENT),
          ...wrapLine(STEP_INDENT + step.why, STEP_INDENT),
        );
    }
  }
  return lines.join('\n');
}

/**
 * The role's schedule from the document merged over the defaults, the whole document validated as
 * `npm run simulate` validates it: the calendar needs no launch settings, so a document without
 * them will do, but a bad or unknown key anywhere is refused by name.
 * @throws UsageError naming the file and every bad key, or the unknown role.
 */
function roleSchedule(document: unknown, role: string, file: string): ScheduleConfig {
  if (!isPlainObject(document)) throw new UsageError(`--config ${file}: expected a JSON object`);
  let config: Config;
  try {
    config = offlineConfig(document);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`--config ${file}: ${error.message}`);
    throw error;
  }
  const found = ownEntry(config.roles, role);
  if (found === undefined) {
    throw new UsageError(`--role: unknown role "${role}" (known: ${Object.keys(config.roles).join(', ')})`);
  }
  return found.schedule;
}

async function main(): Promise<void> {
  const cli = readCommandLine('calendar', INVOCATION, parseCalendarArgs);
  if (!cli.ok) process.exit(cli.exitCode);
  const options = cli.options;
  const document = options.config === undefined ? {} : await loadConfigDocument(options.config);
  const schedule = roleSchedule(document, options.role, options.config ?? '(defaults)');
  const from = options.from ?? DateTime.now().setZone(schedule.timeZone).toISODate() ?? '';
  const days = scheduleTimeline(schedule, from, options.days);
  if (options.json)
    console.log(
      JSON.stringify(
        days.flatMap((day) => day.steps),
        null,
        2,
      ),
    );
  else console.log(formatTimeline(options.role, schedule, days));
}

runScript('calendar', INVOCATION, main);
