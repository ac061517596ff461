import { describe, expect, it } from 'vitest';
import { readWindow } from '../../domain/policies/queue-window.js';
import { series, T0 } from '../support/builders.js';

describe('readWindow', () => {
  it.each([
    // name, lengths (one a minute, newest last), workers, job seconds, busy, unserved, stalled
    ['a backlog draining on busy workers', [40, 36, 32, 28, 24, 20], 4, 60, true, 0, false],
    ['a queue held above the workers, moving with arrivals', [10, 8, 11, 9, 12, 10], 8, 60, true, 0, false],
    ['a job for every worker that nobody takes: it never moves', [4, 4, 4, 4, 4, 4], 4, 60, false, 0, true],
    ['a queue that barely moves at a job for every worker', [4, 4, 4, 4, 5, 5], 4, 90, false, 0, true],
    [
      'fewer jobs than workers, standing still: the least sat unserved',
      [3, 3, 3, 4, 3, 3],
      8,
      60,
      false,
      3,
      false,
    ],
    [
      'fewer jobs than workers, moving as busy workers move it: none unserved',
      [3, 4, 3, 5, 3, 4],
      8,
      60,
      false,
      0,
      false,
    ],
    [
      'a few waiting on long jobs, every worker busy: none unserved',
      [7, 5, 8, 6, 9, 7],
      12,
      210,
      false,
      0,
      false,
    ],
    [
      'the same few standing still on long jobs: they sat unserved',
      [7, 7, 7, 8, 7, 7],
      12,
      210,
      false,
      7,
      false,
    ],
    ['the queue emptied at a probe', [3, 4, 0, 5, 3, 4], 8, 60, false, 0, false],
    ['one probe with a job for every worker, still otherwise', [7, 7, 8, 7, 7, 7], 8, 60, false, 7, false],
    ['one sample covers nothing', [9], 8, 60, false, 0, false],
  ])('%s', (_name, lengths, workers, jobSeconds, busy, unserved, stalled) => {
    expect(readWindow(series(lengths), T0, 300, workers, jobSeconds)).toEqual({ busy, unserved, stalled });
  });
});
