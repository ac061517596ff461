/**
 * The tick function's rounds on the fake cloud, with a clock that takes time: AWS calls that take
 * simulated time, a Lambda context whose remaining time runs on the same clock. The rounds stop
 * before the function's timeout, a failed round does not fail the invocation, and the role's lease
 * is free once a round that threw is over.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SUB_MINUTE_PROBES } from '../../domain/config.js';
import { ThrottlingError } from '../../domain/errors.js';
import { STACK_JOURNAL } from '../../domain/types.js';
import { testConfig } from '../../fakes/config.js';
import { harness } from '../../fakes/harness.js';
import { runQueueProbe } from '../../handlers/queue-probe.js';
import { recording } from '../support/recording-observer.js';

const TIMEOUT_MS = 90_000;

/** The job role probing every `seconds` (null: once a minute). */
const everySeconds = (seconds: number | null) =>
  testConfig({ roles: { job: { queue: { everySeconds: seconds } } } });

describe('tick rounds within the function timeout', () => {
  it('does not start a round that would not finish in time, and journals and counts the cut', async () => {
    const { observer, warnings, metrics } = recording();
    const h = harness({ config: everySeconds(30), observer });
    // An EC2 listing that takes 50 s: the second round, due 30 s in, could only start at 50 s.
    h.takesTime('list', 50_000);
    const start = h.clock.now();

    const result = await runQueueProbe({}, h.app, h.invocation(TIMEOUT_MS));

    expect(result).toMatchObject({ rounds: 2, ran: 1 });
    expect(h.cloud.callCount('list')).toBe(1);
    expect(h.clock.now() - start).toBeLessThanOrEqual(TIMEOUT_MS);
    expect(warnings.map(([m]) => m)).toContain('tick rounds cut short');
    expect(metrics).toContain(`${STACK_JOURNAL}:TickRoundsSkipped:1`);
    const [entry] = await h.ledger.recentJournal(STACK_JOURNAL, 5);
    expect(entry).toMatchObject({ kind: 'tick', detail: { ran: 1, rounds: 2, skipped: 1 } });
    expect(entry?.summary).toMatch(/ran 1 of 2 rounds/);
    // Both roles converged in the round that ran, and left their leases free.
    for (const role of ['app', 'job']) {
      await expect(h.ledger.acquireLease(role, 'next-tick', h.clock.now(), 1000)).resolves.toBeDefined();
    }
  });

  it('ends within the timeout whatever the rounds take, up to one stalled call each', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<number | null>(...SUB_MINUTE_PROBES, null),
        fc.array(fc.integer({ min: 0, max: 13_000 }), { minLength: 6, maxLength: 6 }),
        async (seconds, takes) => {
          const h = harness({ config: everySeconds(seconds) });
          const start = h.clock.now();
          const began: number[] = [];
          h.cloud.watch('list', () => {
            began.push(h.clock.now() - start);
            h.advance(takes[began.length - 1] ?? 0);
          });

          const result = await runQueueProbe({}, h.app, h.invocation(TIMEOUT_MS));

          expect(h.clock.now() - start).toBeLessThanOrEqual(TIMEOUT_MS);
          expect(result).not.toHaveProperty('ran', 0);
          // Each round starts no earlier than its slot, in order, one EC2 listing each.
          began.forEach((at, round) => {
            expect(at).toBeGreaterThanOrEqual(round * (seconds ?? 60) * 1000);
          });
          expect(began.length).toBe('ran' in result ? result.ran : 1);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('runs every round when no context is given (the sandbox and scripts)', async () => {
    const h = harness({ config: everySeconds(10) });
    h.takesTime('list', 20_000);
    const result = await runQueueProbe({}, h.app);
    expect(result).toMatchObject({ rounds: 6, ran: 6 });
  });
});

describe('tick rounds under failure', () => {
  it('does not fail the invocation for one failed round: the later rounds run, the failure is logged and counted', async () => {
    const { observer, warnings, metrics } = recording();
    const h = harness({ config: everySeconds(30), observer });
    h.cloud.failNext('list', new Error('RequestLimitExceeded'));

    const result = await runQueueProbe({}, h.app, h.invocation(TIMEOUT_MS));

    expect(result).toMatchObject({ rounds: 2, ran: 2 });
    expect(result.roles.map((r) => r.role)).toEqual(['app', 'job']);
    expect(h.cloud.callCount('list')).toBe(2);
    const failed = warnings.filter(([m]) => m === 'tick round failed').map(([, f]) => [f.role, f.round]);
    expect(failed).toEqual([
      ['app', 1],
      ['job', 1],
    ]);
    expect(metrics).toEqual(expect.arrayContaining(['app:TickRoundFailures:1', 'job:TickRoundFailures:1']));
  });

  it('fails, naming the role, when a role failed in every round that ran; the other role converged', async () => {
    const h = harness({ config: everySeconds(30) });
    const list = h.ledger.listServers.bind(h.ledger);
    h.ledger.listServers = async (role) => {
      if (role === 'job') throw new Error('ProvisionedThroughputExceededException');
      return list(role);
    };

    await expect(runQueueProbe({}, h.app, h.invocation(TIMEOUT_MS))).rejects.toThrow(
      /tick failed for job in every round that ran \(2 of 2\)/,
    );
    expect(h.cloud.alive('app').length).toBeGreaterThan(0);
  });

  it('fails a one-round tick whose round failed, as before', async () => {
    const h = harness();
    h.cloud.failNext('list', new Error('RequestLimitExceeded'));
    await expect(runQueueProbe({}, h.app, h.invocation(TIMEOUT_MS))).rejects.toThrow(
      /tick failed for app, job in every round that ran \(1 of 1\).*RequestLimitExceeded/,
    );
  });

  it('frees the role lease when a round throws mid-converge, so the next round converges the role', async () => {
    const h = harness({ config: everySeconds(30) });
    const list = h.ledger.listServers.bind(h.ledger);
    let failures = 1;
    h.ledger.listServers = async (role) => {
      if (role === 'job' && failures > 0) {
        failures -= 1;
        throw new Error('ProvisionedThroughputExceededException');
      }
      return list(role);
    };

    const result = await runQueueProbe({}, h.app, h.invocation(TIMEOUT_MS));

    // The second round converged the job role rather than finding it busy.
    expect(result.roles.find((r) => r.role === 'job')).toMatchObject({ skipped: null, desired: 1 });
    expect(h.cloud.alive('job')).toHaveLength(1);
  });
});

describe('throttling within the tick', () => {
  it('backs off a throttled listing only within the budget: the invocation ends in time, the round is journaled', async () => {
    const { observer, metrics } = recording();
    const h = harness({ config: everySeconds(30), observer });
    h.cloud.failRate('list', 1, () => new ThrottlingError('RequestLimitExceeded'));
    const start = h.clock.now();
    await expect(runQueueProbe({}, h.app, h.invocation(TIMEOUT_MS))).rejects.toThrow(/every round/);
    expect(h.clock.now() - start).toBeLessThanOrEqual(TIMEOUT_MS);
    // Backed off at least once before giving each round up.
    expect(h.cloud.callCount('list')).toBeGreaterThan(1);
    expect(metrics.filter((m) => m === `${STACK_JOURNAL}:ThrottledCalls:1`).length).toBeGreaterThan(0);
    expect(metrics).toContain(`${STACK_JOURNAL}:ThrottledRounds:1`);
    const journal = await h.ledger.recentJournal(STACK_JOURNAL, 5);
    expect(journal.some((e) => /EC2 listing stayed throttled/.test(e.summary))).toBe(true);
    expect(h.cloud.alive()).toHaveLength(0);
  });

  it('a throttled listing once is backed off and the round runs in full', async () => {
    const h = harness({ config: everySeconds(null) });
    h.cloud.failNext('list', new ThrottlingError('RequestLimitExceeded'));
    const result = await runQueueProbe({}, h.app, h.invocation(TIMEOUT_MS));
    expect(result.roles.map((r) => [r.role, r.skipped, r.failed])).toEqual([
      ['app', null, 0],
      ['job', null, 0],
    ]);
    expect(h.cloud.callCount('list')).toBe(2);
    expect(h.cloud.alive('app')).toHaveLength(3);
  });

  it("one role's throttled load balancer fails that role alone; the other converges", async () => {
    const h = harness({ config: everySeconds(null) });
    h.cloud.failWhen(
      'members',
      (name) => name === 'smallpayroll-http',
      () => new ThrottlingError('Throttling: Rate exceeded'),
    );
    const result = await runQueueProbe({}, h.app, h.invocation(TIMEOUT_MS)).catch((error: Error) => error);
    expect(String(result)).toMatch(/tick failed for app in every round/);
    expect(h.cloud.alive('app')).toHaveLength(0);
    expect(h.cloud.alive('job')).toHaveLength(1);
  });
});
