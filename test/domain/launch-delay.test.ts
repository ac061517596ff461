import { describe, expect, it } from 'vitest';
import {
  learnedLaunchDelaySeconds,
  learnedStartDelaySeconds,
  scheduleLeadMs,
} from '../../domain/policies/launch-delay.js';
import { T0 } from '../support/builders.js';

const launch = (minutesBefore: number, delayS: number | undefined) => ({
  launchedAt: T0 - minutesBefore * 60_000,
  ...(delayS === undefined ? {} : { inServiceAt: T0 - minutesBefore * 60_000 + delayS * 1000 }),
});

describe('learnedLaunchDelaySeconds', () => {
  it('is unknown with fewer than three launches that reached service', () => {
    expect(
      learnedLaunchDelaySeconds([launch(10, 90), launch(20, 100), launch(30, undefined)]),
    ).toBeUndefined();
  });

  it('is the p90 (nearest rank) of launch to in-service', () => {
    const delays = [60, 70, 80, 90, 100, 110, 120, 130, 140, 400];
    expect(learnedLaunchDelaySeconds(delays.map((d, i) => launch(i, d)))).toBe(140);
  });

  it('leaves out launches that took longer than the boot deadline: a server held back is not a boot time', () => {
    const history = [launch(10, 120), launch(20, 120), launch(30, 180), launch(40, 3 * 3600)];
    expect(learnedLaunchDelaySeconds(history, 900)).toBe(180);
    expect(
      learnedLaunchDelaySeconds([launch(10, 120), launch(20, 3 * 3600), launch(30, 3 * 3600)], 900),
    ).toBeUndefined();
  });

  it('looks only at the 20 newest launches', () => {
    const old = Array.from({ length: 10 }, (_, i) => launch(1000 + i, 900));
    const recent = Array.from({ length: 20 }, (_, i) => launch(i, 60));
    expect(learnedLaunchDelaySeconds([...old, ...recent])).toBe(60);
  });
});

describe('learnedStartDelaySeconds', () => {
  const start = (minutesAgo: number, seconds: number | undefined) => ({
    stateSince: T0 - minutesAgo * 60_000,
    ...(seconds === undefined ? {} : { startSeconds: seconds }),
  });

  it.each([
    ['unknown before two servers have been started', [start(1, 30), start(2, undefined)], undefined],
    ['the slower of two starts', [start(1, 30), start(2, 40)], 40],
    [
      'the p90 (nearest rank) of many',
      [20, 25, 30, 35, 40, 45, 50, 55, 60, 300].map((s, i) => start(i, s)),
      60,
    ],
  ])('%s', (_name, records, seconds) => {
    expect(learnedStartDelaySeconds(records)).toBe(seconds);
  });

  it('leaves out starts slower than the boot deadline and looks only at the 20 newest', () => {
    expect(learnedStartDelaySeconds([start(1, 30), start(2, 30), start(3, 2000)], 900)).toBe(30);
    const old = Array.from({ length: 10 }, (_, i) => start(100 + i, 600));
    const recent = Array.from({ length: 20 }, (_, i) => start(i, 35));
    expect(learnedStartDelaySeconds([...old, ...recent])).toBe(35);
  });
});

describe('scheduleLeadMs', () => {
  const history = [launch(10, 200), launch(20, 220), launch(30, 240)];
  it.each([
    ['a configured lead wins', 2, history, 120_000],
    ['else the learned p90', undefined, history, 240_000],
    ['else 5 minutes', undefined, [launch(10, 90)], 300_000],
  ])('%s', (_name, leadMinutes, records, ms) => {
    expect(scheduleLeadMs(leadMinutes, records)).toBe(ms);
  });
});
