/**
 * The tick function with its later rounds on the round queue, end to end on the fake cloud: the
 * scheduled invocation queues rounds 1..n-1 with their delays and runs round 0 without waiting;
 * each queued message runs one round; a late one is dropped; a failed send runs the rounds here.
 */
import { describe, expect, it } from 'vitest';
import { STACK_JOURNAL } from '../../domain/types.js';
import { testConfig } from '../../fakes/config.js';
import { FakeRoundQueue } from '../../fakes/fake-round-queue.js';
import { harness } from '../../fakes/harness.js';
import { runQueueProbe, runTickRound } from '../../handlers/queue-probe.js';
import { recording } from '../support/recording-observer.js';

const TIMEOUT_MS = 90_000;

function setup(seconds: number | null) {
  const log = recording();
  const queue = new FakeRoundQueue();
  const config = testConfig({ roles: { job: { queue: { everySeconds: seconds } } } });
  const h = harness({ config, roundQueue: queue, observer: log.observer });
  return { h, queue, ...log };
}

describe('the scheduled tick with a round queue', () => {
  it('queues rounds 1..3 of 4, 15 s apart, and runs round 0 at once without waiting', async () => {
    const { h, queue } = setup(15);
    const start = h.clock.now();

    const result = await runQueueProbe({}, h.app, h.invocation(TIMEOUT_MS));

    expect(result).toMatchObject({ rounds: 4, ran: 1, queued: 3 });
    expect(result.roles.map((r) => r.role)).toEqual(['app', 'job']);
    expect(h.cloud.callCount('list')).toBe(1);
    expect(h.clock.now()).toBe(start);
    expect(queue.sent.map((m) => m.delaySeconds)).toEqual([15, 30, 45]);
    expect(queue.sent.map((m) => JSON.parse(m.body))).toEqual(
      [1, 2, 3].map((round) => ({
        tick: start,
        round,
        rounds: 4,
        dueAt: start + round * 15_000,
        everyMs: 15_000,
      })),
    );
  });

  it('has queued the later rounds before a round 0 that fails', async () => {
    const { h, queue } = setup(20);
    h.cloud.failNext('list', new Error('InternalError'));

    await expect(runQueueProbe({}, h.app, h.invocation(TIMEOUT_MS))).rejects.toThrow(
      /in every round that ran \(1 of 1\)/,
    );
    expect(queue.sent.map((m) => m.round.round)).toEqual([1, 2]);
  });

  it('sends nothing with one round a minute', async () => {
    const { h, queue, warnings } = setup(null);
    // Any send at all would fail and be reported.
    queue.failing = new Error('unexpected send');
    const result = await runQueueProbe({}, h.app, h.invocation(TIMEOUT_MS));
    expect(result).not.toHaveProperty('rounds');
    expect(queue.sent).toEqual([]);
    expect(warnings).toEqual([]);
    expect(h.cloud.callCount('list')).toBe(1);
  });

  it('runs every round here, warns and counts, when the rounds cannot be sent', async () => {
    const { h, queue, warnings, metrics } = setup(15);
    queue.failing = new Error('AWS.SimpleQueueService.NonExistentQueue');
    const start = h.clock.now();

    const result = await runQueueProbe({}, h.app, h.invocation(TIMEOUT_MS));

    expect(result).toMatchObject({ rounds: 4, ran: 4, queued: 0 });
    expect(h.cloud.callCount('list')).toBe(4);
    expect(h.clock.now() - start).toBeGreaterThanOrEqual(45_000);
    expect(warnings.map(([m]) => m)).toContain('tick rounds not queued, running them here');
    expect(metrics).toContain(`${STACK_JOURNAL}:TickRoundsNotQueued:3`);
  });
});

describe('a round from the round queue', () => {
  it('runs exactly one round per message, each when it is due: four rounds a minute in all', async () => {
    const { h, queue } = setup(15);
    const start = h.clock.now();
    const began: number[] = [];
    h.cloud.watch('list', () => began.push(h.clock.now() - start));
    await runQueueProbe({}, h.app, h.invocation(TIMEOUT_MS));

    const results = [];
    for (let second = 1; second < 60; second += 1) {
      h.advance(1000);
      for (const event of queue.receive(h.clock.now()))
        results.push(...(await runTickRound(event, h.app, h.invocation(TIMEOUT_MS))));
    }

    expect(began).toEqual([0, 15_000, 30_000, 45_000]);
    expect(results.map((r) => [r.round, r.rounds])).toEqual([
      [2, 4],
      [3, 4],
      [4, 4],
    ]);
    for (const r of results)
      expect(r).toHaveProperty('roles', expect.arrayContaining([expect.objectContaining({ role: 'job' })]));
  });

  it('still runs a round delivered late within one interval of its due time', async () => {
    const { h, queue } = setup(15);
    await runQueueProbe({}, h.app);
    h.advance(15_000 + 15_000);
    const [first] = queue.receive(h.clock.now());
    if (first === undefined) throw new Error('round 1 was not delivered');
    const [result] = await runTickRound(first, h.app);
    expect(result).toMatchObject({ round: 2, rounds: 4 });
    expect(result).not.toHaveProperty('dropped');
    expect(h.cloud.callCount('list')).toBe(2);
  });

  it('drops a round that arrives later than its due time plus one interval, logged and counted', async () => {
    const { h, queue, warnings, metrics } = setup(15);
    await runQueueProbe({}, h.app);
    h.advance(15_000 + 15_001);
    const [first] = queue.receive(h.clock.now());
    if (first === undefined) throw new Error('round 1 was not delivered');

    const [result] = await runTickRound(first, h.app);

    expect(result).toMatchObject({ round: 2, rounds: 4, dropped: 'late', lateMs: 1 });
    expect(h.cloud.callCount('list')).toBe(1);
    expect(warnings).toContainEqual([
      'tick round dropped late',
      expect.objectContaining({ round: 2, lateMs: 1 }),
    ]);
    expect(metrics).toContain(`${STACK_JOURNAL}:TickRoundsLate:1`);
  });

  it('fails the invocation when the round failed for some role, so the message is not taken as done', async () => {
    const { h, queue } = setup(30);
    await runQueueProbe({}, h.app);
    h.advance(30_000);
    const [event] = queue.receive(h.clock.now());
    if (event === undefined) throw new Error('round 1 was not delivered');
    h.cloud.failNext('list', new Error('InternalError'));
    await expect(runTickRound(event, h.app)).rejects.toThrow(/round 2 of 2/);
  });

  it('refuses a message that is not a round, naming the field', async () => {
    const { h, queue } = setup(30);
    await runQueueProbe({}, h.app);
    h.advance(30_000);
    const [event] = queue.receive(h.clock.now());
    const record = event?.Records[0];
    if (record === undefined) throw new Error('round 1 was not delivered');
    const body = { ...JSON.parse(record.body), round: 2 };
    await expect(
      runTickRound({ Records: [{ ...record, body: JSON.stringify(body) }] }, h.app),
    ).rejects.toThrow(/tick round message: round: round must be below rounds/);
    await expect(runTickRound({ Records: [{ ...record, body: 'x' }] }, h.app)).rejects.toThrow(/not JSON/);
    expect(h.cloud.callCount('list')).toBe(1);
  });
});
