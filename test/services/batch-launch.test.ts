import { describe, expect, it } from 'vitest';
import { testConfig } from '../../fakes/config.js';
import { type Harness, harness, runFor } from '../../fakes/harness.js';

const MINUTE = 60_000;

/** One app role of `baseline` servers (the job role kept at zero), no queue. */
function fleetOf(baseline: number, extra: Record<string, unknown> = {}) {
  return testConfig({
    roles: {
      app: { max: 1000, schedule: { baseline, windows: [] }, ...extra },
      job: { min: 0, schedule: { baseline: 0, windows: [] }, policy: null, queue: null },
    },
  });
}

function launchCalls(h: Harness): { count?: number; instanceType?: string; clientToken: string }[] {
  return h.cloud.calls
    .filter((c) => c.op === 'launch')
    .map((c) => c.args as { count?: number; instanceType?: string; clientToken: string });
}

async function owned(h: Harness) {
  const records = await h.ledger.listServers('app');
  return h.cloud
    .alive('app')
    .every((i) =>
      records.some(
        (r) => r.instanceId === i.instanceId && r.intentId === i.intentId && r.state !== 'terminated',
      ),
    );
}

describe('launches in batches, with EC2 per-call limits and request throttling modelled', () => {
  it('asks for a step of 300 servers in at most 10 RunInstances calls, one intent per server', async () => {
    const h = harness({ config: fleetOf(300) });
    h.cloud.useApiLimits();
    await h.app.fleet.tick();
    expect(h.cloud.alive('app')).toHaveLength(300);
    const calls = launchCalls(h);
    expect(calls.length).toBeLessThanOrEqual(10);
    expect(calls.reduce((n, c) => n + (c.count ?? 1), 0)).toBe(300);
    expect(h.cloud.limits.throttled.get('launch') ?? 0).toBe(0);
    const records = await h.ledger.listServers('app');
    expect(records).toHaveLength(300);
    expect(new Set(records.map((r) => r.intentId)).size).toBe(300);
    expect(await owned(h)).toBe(true);
  });

  it('a step past RunInstances’ request bucket backs off and still launches every server', async () => {
    // Seven batches of 100 against a bucket of 5 calls refilled at 2 a second.
    const h = harness({ config: fleetOf(700) });
    h.cloud.useApiLimits();
    await h.app.fleet.tick();
    expect(h.cloud.limits.throttled.get('launch') ?? 0).toBeGreaterThan(0);
    expect(h.cloud.alive('app')).toHaveLength(700);
    expect(new Set(launchCalls(h).map((c) => c.clientToken)).size).toBe(7);
    expect(await owned(h)).toBe(true);
  });

  it('partial fulfilment: the intents EC2 gave nothing are closed and the shortfall goes to the next type', async () => {
    const h = harness({ config: fleetOf(100) });
    h.cloud.useApiLimits();
    h.cloud.limits.limitCapacity('c5.large', 40);
    await h.app.fleet.tick();
    const alive = h.cloud.alive('app');
    expect(alive).toHaveLength(100);
    expect(alive.filter((i) => i.instanceType === 'c5.large')).toHaveLength(40);
    expect(alive.filter((i) => i.instanceType === 'm5.large')).toHaveLength(60);
    const records = await h.ledger.listServers('app');
    const closed = records.filter((r) => r.state === 'terminated');
    expect(closed).toHaveLength(60);
    for (const r of closed) {
      expect(r.instanceId).toBeUndefined();
      expect(r.reason).toMatch(/EC2 launched 40 of the 100 servers asked in one call/);
    }
    expect(await owned(h)).toBe(true);
    // Nothing more to do: the role is at its count, nothing launched again.
    const before = launchCalls(h).length;
    await runFor(h, 5 * MINUTE);
    expect(launchCalls(h).length).toBe(before);
  });

  it('terminates the servers a scale-in retires in one TerminateInstances call', async () => {
    const h = harness({
      config: fleetOf(30, { lifecycle: { drainSeconds: 0, minLifetimeMinutes: 0, billing: 'per-second' } }),
    });
    h.cloud.useApiLimits();
    await runFor(h, 5 * MINUTE);
    expect((await h.ledger.listServers('app')).filter((r) => r.state === 'in-service')).toHaveLength(30);
    h.redeploy(fleetOf(5, { lifecycle: { drainSeconds: 0, minLifetimeMinutes: 0, billing: 'per-second' } }));
    const before = h.cloud.callCount('terminate');
    await runFor(h, 3 * MINUTE);
    expect(h.cloud.alive('app')).toHaveLength(5);
    const terminations = h.cloud.calls
      .slice()
      .filter((c) => c.op === 'terminate')
      .slice(before);
    expect(terminations.flatMap((c) => c.args as string[])).toHaveLength(25);
    expect(terminations).toHaveLength(1);
  });
});
