import { describe, expect, it } from 'vitest';
import { type PolicyBenchRow, policyRatios, withGapClosed } from '../../sim/bench/policies.js';
import { defaultRole, simulate } from '../../sim/index.js';
import { BOUND_POLICY, boundRole } from '../../sim/policies.js';
import { steadyWeekday } from '../../sim/traces/make-traces.js';

const row = (
  policy: string,
  waitP95S: number,
  instanceHours = 10,
  cost = 1,
  coldLaunches = 4,
): PolicyBenchRow => ({
  trace: 't',
  policy,
  waitP50S: 0,
  waitP95S,
  waitMaxS: waitP95S,
  instanceHours,
  instanceHoursHourly: instanceHours,
  cost,
  stoppedVolumeCost: 0,
  launches: coldLaunches,
  coldLaunches,
  warmStarts: 0,
  gapClosed: null,
  simulationMs: 0,
  simulationCpuMs: 0,
});

describe('bench policies: gap closed and ratios', () => {
  it('places each policy between seed-2010 (0) and the bound (1)', () => {
    const rows = withGapClosed([row('seed-2010', 400), row('default', 250), row(BOUND_POLICY, 100)]);
    expect(rows.map((r) => [r.policy, r.gapClosed])).toEqual([
      ['seed-2010', 0],
      ['default', 0.5],
      [BOUND_POLICY, 1],
    ]);
  });

  it('has no gap to close when the bound waits as long as seed-2010', () => {
    const rows = withGapClosed([row('seed-2010', 0), row('default', 0), row(BOUND_POLICY, 0)]);
    expect(rows.map((r) => r.gapClosed)).toEqual([null, null, null]);
  });

  it('gives every policy its ratios to seed-2010 of the same trace: wait, dollars, hours, cold launches', () => {
    const ratios = policyRatios([row('seed-2010', 400, 20, 2, 5), row('default', 100, 15, 1.9, 8)]);
    expect(ratios).toEqual([
      {
        trace: 't',
        policy: 'default',
        p95Ratio: 0.25,
        costRatio: 0.95,
        instanceHoursRatio: 0.75,
        coldLaunchesRatio: 1.6,
      },
    ]);
  });

  it('the bound keeps the maximum in service from the start and waits no longer than the shipped policy', async () => {
    const jobs = steadyWeekday(7).filter((j) => j.arrivalS < 6 * 3600);
    const horizonS = 6 * 3600;
    const bound = await simulate({
      jobs,
      policy: { name: BOUND_POLICY, role: boundRole(defaultRole()) },
      horizonS,
    });
    const shipped = await simulate({ jobs, policy: 'default', horizonS });
    expect(bound.summary.permanentServers).toBe(defaultRole().max);
    expect(bound.summary.launches).toBe(0);
    expect(bound.summary.waitP95S).toBeLessThanOrEqual(shipped.summary.waitP95S);
  });
});
