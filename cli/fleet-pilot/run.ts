/**
 * Runs one `fleet-pilot` command line: parses it, sends the control command to the chosen endpoint
 * (a deployed function or the local sandbox), prints the answer and returns the exit code:
 * 0 done, 1 refused by the control function (nothing changed), 2 bad command line, 3 the control
 * function could not be reached or failed.
 */
import { stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ControlEndpoint } from '../../domain/control-port.js';
import type { ControlResult, JournalLine } from '../../domain/services/control.js';
import { parseProgram, UsageError, usageLine } from '../program.js';
import { bashCompletion, zshCompletion } from './completion.js';
import { fleetPilotProgram, type GlobalOptions, type Request } from './program.js';
import { answerTime, renderChange, renderJournal, renderRefusal, renderStatus } from './render.js';
import { paintFor, spinnerAfterASecond } from './terminal.js';
import { fleetTimelineSvg } from './timeline.js';

export interface FleetPilotDeps {
  stdout: NodeJS.WriteStream | { write(text: string): unknown; isTTY?: boolean };
  stderr: NodeJS.WriteStream | { write(text: string): unknown; isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  /** The endpoint the global options name. @throws Error saying why there is none. */
  endpoint(globals: GlobalOptions): Promise<ControlEndpoint>;
  /** Ends --watch and --follow. */
  signal?: AbortSignal;
}

const INVOCATION = 'fleet-pilot';

class Refused extends Error {}

export async function runFleetPilot(argv: readonly string[], deps: FleetPilotDeps): Promise<number> {
  let chosen: { request: Request; globals: GlobalOptions } | undefined;
  const program = fleetPilotProgram((request, globals) => {
    chosen = { request, globals };
  });
  const out = (text: string) => deps.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  try {
    if (parseProgram(program, argv, (text) => deps.stdout.write(text)) === 'help' || chosen === undefined)
      return 0;
    const { globals } = chosen;
    if (globals.local === true && (globals.stage ?? globals.region ?? globals.profile) !== undefined) {
      throw new UsageError('--local talks to the sandbox: it takes no --stage, --region or --profile');
    }
    // Before anything is asked: the picture must have somewhere to go.
    if (chosen.request.kind === 'timeline') {
      const dir = dirname(resolve(chosen.request.out));
      const found = await stat(dir).catch(() => undefined);
      if (found?.isDirectory() !== true) {
        throw new UsageError(`--out: cannot write ${chosen.request.out}: no directory ${dir}`);
      }
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    deps.stderr.write(`${usageLine(INVOCATION, INVOCATION, error.message)}\n`);
    return 2;
  }
  const { request, globals } = chosen;
  if (request.kind === 'completion') {
    out(request.shell === 'bash' ? bashCompletion(program) : zshCompletion(program));
    return 0;
  }
  const json = globals.output === 'json';
  const paint = paintFor(deps.stdout, json ? { NO_COLOR: '1' } : deps.env);
  const ctx = (result: ControlResult) => ({
    wide: globals.output === 'wide',
    paint,
    now: answerTime(result, Date.now()),
  });
  try {
    const endpoint = await deps.endpoint(globals);
    const ask = async (command: Record<string, unknown>): Promise<ControlResult> => {
      const spinner = json
        ? { stop: () => {} }
        : await spinnerAfterASecond(deps.stderr as NodeJS.WriteStream, `asking ${endpoint.target}`);
      let answer: unknown;
      try {
        answer = await endpoint.send(command);
      } finally {
        spinner.stop();
      }
      const result = answer as ControlResult | { ok: false; error?: string; issues?: string[] };
      if (result.ok !== true) {
        if (json) out(JSON.stringify(answer, null, 2));
        throw new Refused(renderRefusal(result));
      }
      return result;
    };
    switch (request.kind) {
      case 'control': {
        const result = await ask(request.command);
        if (json) out(JSON.stringify(result, null, 2));
        else if (request.view === 'status') out(renderStatus(result, ctx(result)));
        else if (request.view === 'journal') out(renderJournal(result, ctx(result)));
        else out(renderChange(result, ctx(result)));
        return 0;
      }
      case 'watch':
        await watch(request, ask, deps, json, (result) => renderStatus(result, ctx(result)));
        return 0;
      case 'follow':
        await follow(request, ask, deps, json, (result) => renderJournal(result, ctx(result)));
        return 0;
      case 'timeline': {
        const result = await ask(request.command);
        const history = result.history ?? { since: new Date().toISOString(), roles: [] };
        const now = answerTime(result, Date.now());
        const title = `fleet-pilot: ${history.roles.map((r) => r.role).join(', ')} on ${endpoint.target}, from ${history.since.slice(0, 16).replace('T', ' ')} UTC`;
        await writeFile(request.out, fleetTimelineSvg(history, now, title));
        if (json) out(JSON.stringify(result, null, 2));
        else {
          for (const line of result.messages) out(line);
          out(`wrote ${request.out}`);
        }
        return 0;
      }
    }
  } catch (error) {
    if (error instanceof Refused) {
      deps.stderr.write(`${error.message}\n`);
      return 1;
    }
    deps.stderr.write(`fleet-pilot: ${error instanceof Error ? error.message : String(error)}\n`);
    return 3;
  }
}

type Ask = (command: Record<string, unknown>) => Promise<ControlResult>;

async function pause(seconds: number, signal: AbortSignal | undefined): Promise<void> {
  await sleep(seconds * 1000, undefined, signal === undefined ? {} : { signal }).catch(() => undefined);
}

/** `status --watch`: the status again every few seconds, the screen redrawn on a terminal. */
async function watch(
  request: Extract<Request, { kind: 'watch' }>,
  ask: Ask,
  deps: FleetPilotDeps,
  json: boolean,
  render: (result: ControlResult) => string,
): Promise<void> {
  const redraw = deps.stdout.isTTY === true && !json;
  while (deps.signal?.aborted !== true) {
    const result = await ask(request.command);
    if (json) deps.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      const header = `every ${request.everySeconds} s, Ctrl-C to stop; at ${result.at ?? new Date().toISOString()}`;
      deps.stdout.write(
        `${redraw ? '\x1b[H\x1b[2J' : ''}${header}\n\n${render(result)}\n${redraw ? '' : '\n'}`,
      );
    }
    await pause(request.everySeconds, deps.signal);
  }
}

/** `journal --follow`: the entries oldest first, then each new one as it is journaled. */
async function follow(
  request: Extract<Request, { kind: 'follow' }>,
  ask: Ask,
  deps: FleetPilotDeps,
  json: boolean,
  render: (result: ControlResult) => string,
): Promise<void> {
  const seen = new Set<string>();
  const key = (e: JournalLine) => `${e.at}|${e.role}|${e.kind}|${e.summary}`;
  let command = request.command;
  while (deps.signal?.aborted !== true) {
    const result = await ask(command);
    const fresh = (result.journal ?? []).filter((e) => !seen.has(key(e))).reverse();
    for (const entry of fresh) seen.add(key(entry));
    if (json) for (const entry of fresh) deps.stdout.write(`${JSON.stringify(entry)}\n`);
    else if (fresh.length > 0) {
      const lines = render({ ...result, journal: fresh }).split('\n');
      // The header once, then only rows.
      deps.stdout.write(`${(seen.size === fresh.length ? lines : lines.slice(1)).join('\n')}\n`);
    }
    // From now on only the span since the newest entry seen (on the control plane's clock).
    const newest = Math.max(...[...seen].map((k) => Date.parse(k.slice(0, k.indexOf('|')))));
    const now = answerTime(result, Date.now());
    const minutes = Number.isFinite(newest) ? Math.ceil((now - newest) / 60_000) + 1 : undefined;
    if (minutes !== undefined) command = { ...request.command, sinceMinutes: Math.min(minutes, 7 * 24 * 60) };
    await pause(request.everySeconds, deps.signal);
  }
}
