/**
 * Job traces for the simulator: a CSV with the header `arrival_s,service_s` and one job per line,
 * the arrival in seconds from the trace start and the service time in seconds on one worker.
 * Arrivals never decrease. A bad file fails with `FILE:LINE: what was wrong`.
 *
 * A third column, `run_at_s`, is optional (header `arrival_s,service_s,run_at_s`): a job
 * scheduled to run later (a reminder, a retry after a failure) is in the queue from its arrival,
 * as a queue-length endpoint counting every job shows it, but no worker takes it before `run_at_s`.
 * An empty cell runs at arrival.
 *
 * @example
 * parseTrace('arrival_s,service_s\n0,30\n12.5,90\n', 'day.csv');
 * // => [{ arrivalS: 0, serviceS: 30 }, { arrivalS: 12.5, serviceS: 90 }]
 */
import { readFile } from 'node:fs/promises';

export const TRACE_HEADER = 'arrival_s,service_s';
/** The header of a trace with scheduled jobs. */
export const TRACE_HEADER_SCHEDULED = 'arrival_s,service_s,run_at_s';

export interface TraceJob {
  arrivalS: number;
  serviceS: number;
  /** Not before this (seconds from the trace start, at or after the arrival): a scheduled job. */
  runAtS?: number;
}

/** A trace file that cannot be used; the message names the file and the line. */
export class TraceError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    // Line 0: the problem is the file itself (unreadable), not one of its lines.
    super(line > 0 ? `${file}:${line}: ${problem}` : `${file}: ${problem}`);
    this.name = 'TraceError';
  }
}

/**
 * Parses a trace's text; `file` only names it in errors.
 * @throws TraceError on a missing or wrong header, a line without the header's columns, a value that
 *   is not a finite non-negative number, an arrival earlier than the one before, a `run_at_s`
 *   before its arrival, or no jobs.
 */
export function parseTrace(text: string, file: string): TraceJob[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  // One trailing newline (or several) is normal; blank lines elsewhere are not.
  while (lines.length > 1 && lines[lines.length - 1]?.trim() === '') lines.pop();
  const header = lines[0]?.trim() ?? '';
  if (header === '') throw new TraceError(file, 1, `missing header "${TRACE_HEADER}" (the file is empty)`);
  const compact = header.replace(/\s+/g, '');
  if (compact !== TRACE_HEADER && compact !== TRACE_HEADER_SCHEDULED) {
    throw new TraceError(
      file,
      1,
      `expected the header "${TRACE_HEADER}" (or "${TRACE_HEADER_SCHEDULED}"), found "${clip(header)}"`,
    );
  }
  const columns = compact.split(',').length;
  const jobs: TraceJob[] = [];
  let previous = 0;
  for (let i = 1; i < lines.length; i += 1) {
    const lineNo = i + 1;
    const line = lines[i] ?? '';
    if (line.trim() === '') throw new TraceError(file, lineNo, `empty line (expected "${compact}")`);
    const fields = line.split(',');
    if (fields.length !== columns) {
      throw new TraceError(file, lineNo, `expected ${columns} columns (${compact}), found ${fields.length}`);
    }
    const arrivalS = number(fields[0] ?? '', 'arrival_s', file, lineNo);
    const serviceS = number(fields[1] ?? '', 'service_s', file, lineNo);
    if (arrivalS < previous) {
      throw new TraceError(
        file,
        lineNo,
        `arrival_s ${arrivalS} is earlier than the previous arrival ${previous} (arrivals must not decrease)`,
      );
    }
    previous = arrivalS;
    const runAt = fields[2]?.trim() ?? '';
    if (runAt === '') {
      jobs.push({ arrivalS, serviceS });
      continue;
    }
    const runAtS = number(runAt, 'run_at_s', file, lineNo);
    if (runAtS < arrivalS) {
      throw new TraceError(file, lineNo, `run_at_s ${runAtS} is before its arrival ${arrivalS}`);
    }
    jobs.push({ arrivalS, serviceS, runAtS });
  }
  if (jobs.length === 0) throw new TraceError(file, 1, 'empty trace: no jobs after the header');
  return jobs;
}

/** Reads and parses a trace file; errors name the path as given. */
export async function readTrace(path: string): Promise<TraceJob[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TraceError(path, 0, `cannot read the trace (${reason})`);
  }
  return parseTrace(text, path);
}

/** Writes jobs as trace CSV text (arrivals must already be sorted); `run_at_s` only when a job has one. */
export function formatTrace(jobs: readonly TraceJob[]): string {
  if (!jobs.some((j) => j.runAtS !== undefined)) {
    return `${TRACE_HEADER}\n${jobs.map((j) => `${j.arrivalS},${j.serviceS}`).join('\n')}\n`;
  }
  const line = (j: TraceJob) => `${j.arrivalS},${j.serviceS},${j.runAtS ?? ''}`;
  return `${TRACE_HEADER_SCHEDULED}\n${jobs.map(line).join('\n')}\n`;
}

function number(raw: string, column: string, file: string, line: number): number {
  const text = raw.trim();
  // Number('') is 0 and Number('0x1f') is 31: accept plain decimal notation only.
  if (text === '') throw new TraceError(file, line, `${column} is empty`);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    throw new TraceError(file, line, `${column} "${clip(text)}" is not a number`);
  }
  const value = Number(text);
  if (!Number.isFinite(value)) throw new TraceError(file, line, `${column} ${clip(text)} is not finite`);
  if (value < 0) throw new TraceError(file, line, `${column} ${text} is negative`);
  return value;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
