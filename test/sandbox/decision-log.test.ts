import { describe, expect, it } from 'vitest';
import { STACK_JOURNAL } from '../../domain/types.js';
import { ManualClock } from '../../fakes/fake-cloud.js';
import { DecisionLog } from '../../sandbox/decision-log.js';

function log(): DecisionLog {
  return new DecisionLog({
    clock: new ManualClock(Date.parse('2026-03-02T15:00:00Z')),
    timeZone: 'America/Toronto',
    write: () => undefined,
    loadBalancerOf: () => undefined,
  });
}

describe('sandbox decision log', () => {
  it('keeps stack-wide counters out of the per-role figures', () => {
    const decisions = log();
    decisions.metric(STACK_JOURNAL, 'UnlistedInstanceEvents', 1);
    decisions.metric(STACK_JOURNAL, 'ForeignSpotWarnings', 1);
    decisions.metric('job', 'Launches', 2);
    expect([...decisions.roles.keys()]).toEqual(['job']);
    expect(decisions.roles.get('job')?.launches).toBe(2);
  });

  it('records the queue length without making up a role', () => {
    const decisions = log();
    decisions.metric('job', 'QueueLength', 7);
    expect(decisions.queueLength).toBe(7);
    expect(decisions.roles.size).toBe(0);
  });
});
