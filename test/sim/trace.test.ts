import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatTrace, parseTrace, readTrace, TraceError } from '../../sim/trace.js';

const HEADER = 'arrival_s,service_s';

function thrownBy(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error('expected an error');
}

describe('parseTrace', () => {
  it('reads one job per line, with CRLF, spaces and a trailing newline', () => {
    const text = `${HEADER}\r\n0,30\r\n 12.5 , 90 \r\n12.5,0\r\n1e2,3.25\r\n`;
    expect(parseTrace(text, 'day.csv')).toEqual([
      { arrivalS: 0, serviceS: 30 },
      { arrivalS: 12.5, serviceS: 90 },
      { arrivalS: 12.5, serviceS: 0 },
      { arrivalS: 100, serviceS: 3.25 },
    ]);
  });

  it('round-trips what formatTrace writes', () => {
    const jobs = [
      { arrivalS: 0, serviceS: 30 },
      { arrivalS: 7.25, serviceS: 61 },
    ];
    expect(parseTrace(formatTrace(jobs), 'x.csv')).toEqual(jobs);
  });

  it('reads and writes scheduled jobs in a third column, empty for a job that runs on arrival', () => {
    const jobs = [
      { arrivalS: 0, serviceS: 30 },
      { arrivalS: 7.25, serviceS: 61, runAtS: 1800 },
    ];
    const text = formatTrace(jobs);
    expect(text).toBe('arrival_s,service_s,run_at_s\n0,30,\n7.25,61,1800\n');
    expect(parseTrace(text, 'x.csv')).toEqual(jobs);
  });

  it.each([
    ['an empty file', '', 'trace.csv:1: missing header "arrival_s,service_s" (the file is empty)'],
    [
      'a missing header',
      '0,30\n5,30\n',
      'trace.csv:1: expected the header "arrival_s,service_s" (or "arrival_s,service_s,run_at_s"), found "0,30"',
    ],
    [
      'a wrong header',
      'arrival,service\n0,30\n',
      'trace.csv:1: expected the header "arrival_s,service_s" (or "arrival_s,service_s,run_at_s"), found "arrival,service"',
    ],
    ['no jobs', `${HEADER}\n`, 'trace.csv:1: empty trace: no jobs after the header'],
    ['a non-number', `${HEADER}\n0,30\n5,abc\n`, 'trace.csv:3: service_s "abc" is not a number'],
    ['a hex number', `${HEADER}\n0x10,30\n`, 'trace.csv:2: arrival_s "0x10" is not a number'],
    ['an empty field', `${HEADER}\n,30\n`, 'trace.csv:2: arrival_s is empty'],
    ['an infinite number', `${HEADER}\n0,1e999\n`, 'trace.csv:2: service_s 1e999 is not finite'],
    [
      'too few columns',
      `${HEADER}\n0,30\n5\n`,
      'trace.csv:3: expected 2 columns (arrival_s,service_s), found 1',
    ],
    [
      'too many columns',
      `${HEADER}\n0,30,1\n`,
      'trace.csv:2: expected 2 columns (arrival_s,service_s), found 3',
    ],
    ['a negative arrival', `${HEADER}\n-1,30\n`, 'trace.csv:2: arrival_s -1 is negative'],
    ['a negative service time', `${HEADER}\n0,30\n1,-0.5\n`, 'trace.csv:3: service_s -0.5 is negative'],
    [
      'a decreasing arrival',
      `${HEADER}\n0,30\n10,30\n9.5,30\n`,
      'trace.csv:4: arrival_s 9.5 is earlier than the previous arrival 10 (arrivals must not decrease)',
    ],
    [
      'a scheduled job due before it arrives',
      'arrival_s,service_s,run_at_s\n0,30,\n10,30,9\n',
      'trace.csv:3: run_at_s 9 is before its arrival 10',
    ],
    [
      'a scheduled trace line without its third column',
      'arrival_s,service_s,run_at_s\n0,30\n',
      'trace.csv:2: expected 3 columns (arrival_s,service_s,run_at_s), found 2',
    ],
    [
      'a blank line inside',
      `${HEADER}\n0,30\n\n5,30\n`,
      'trace.csv:3: empty line (expected "arrival_s,service_s")',
    ],
  ])('rejects %s with the line and the problem', (_what, text, message) => {
    const error = thrownBy(() => parseTrace(text, 'trace.csv'));
    expect(error).toBeInstanceOf(TraceError);
    expect(error.message).toBe(message);
  });
});

describe('readTrace', () => {
  it('names the path in errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trace-'));
    const file = join(dir, 'bad.csv');
    await writeFile(file, `${HEADER}\n0,30\n1,x\n`);
    await expect(readTrace(file)).rejects.toThrow(`${file}:3: service_s "x" is not a number`);
    await expect(readTrace(join(dir, 'missing.csv'))).rejects.toThrow(
      `${join(dir, 'missing.csv')}: cannot read`,
    );
  });
});
