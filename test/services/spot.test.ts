import { describe, expect, it } from 'vitest';
import { LeaseHeldError } from '../../domain/errors.js';
import { type Observer, SILENT_OBSERVER } from '../../domain/ports.js';
import type { LaunchRequest, ServerRecord } from '../../domain/types.js';
import { testConfig } from '../../fakes/config.js';
import { spotEvent } from '../../fakes/events.js';
import { type Harness, harness, runFor } from '../../fakes/harness.js';
import { runControl } from '../../handlers/control.js';
import { runInstanceState } from '../../handlers/instance-state.js';

const MINUTE = 60_000;

/** Three job servers, one of them the On-Demand base; the app role stays On-Demand. */
const SPOT_JOBS = testConfig({
  roles: {
    job: {
      schedule: { baseline: 3 },
      launch: { market: 'spot-then-on-demand', onDemandBase: 1 },
      lifecycle: { billing: 'per-second', minLifetimeMinutes: 0 },
    },
    app: { launch: { market: 'spot' } },
  },
});

function metrics(): { observer: Observer; seen: string[] } {
  const seen: string[] = [];
  return { seen, observer: { ...SILENT_OBSERVER, metric: (role, name) => seen.push(`${role}:${name}`) } };
}

const live = (records: ServerRecord[]) =>
  records.filter((r) => ['launching', 'pending', 'booting', 'in-service'].includes(r.state));

/** Three job servers up; EC2 has just warned one of the Spot ones that it takes it back. */
async function interruptedSpotJob() {
  const h = harness({ config: SPOT_JOBS });
  await runFor(h, 3 * MINUTE);
  const victim = h.cloud.alive('job').find((i) => i.market === 'spot');
  if (victim === undefined) throw new Error('no Spot job server');
  return { h, victim, at: h.cloud.interrupt(victim.instanceId) };
}

describe('Spot servers on the fake cloud', () => {
  it('launches the on-demand base On-Demand and the rest on Spot, and status shows each market', async () => {
    const h = harness({ config: SPOT_JOBS });
    await runFor(h, 3 * MINUTE);
    const markets = h.cloud.alive('job').map((i) => i.market ?? 'on-demand');
    expect(markets.sort()).toEqual(['on-demand', 'spot', 'spot']);
    const status = await runControl({ action: 'status', role: 'job' }, h.app);
    if (!status.ok) throw new Error(status.error);
    expect(status.roles?.[0]?.servers.map((s) => s.market).sort()).toEqual(['on-demand', 'spot', 'spot']);
  });

  it('falls back to On-Demand when EC2 has no Spot capacity, and the ledger says so', async () => {
    const h = harness({ config: SPOT_JOBS });
    h.cloud.spotShortage('capacity');
    await h.app.fleet.tick();
    expect(h.cloud.alive('job').map((i) => i.market ?? 'on-demand')).toEqual([
      'on-demand',
      'on-demand',
      'on-demand',
    ]);
    expect(live(await h.ledger.listServers('job')).map((r) => r.market)).toEqual([
      'on-demand',
      'on-demand',
      'on-demand',
    ]);
    // A Spot-only role launches nothing instead.
    expect(h.cloud.alive('app')).toHaveLength(0);
  });

  it('an interruption warning drains the job server at once and launches its replacement before EC2 takes it', async () => {
    const { h, victim, at } = await interruptedSpotJob();
    const launchesBefore = h.cloud.callCount('launch');

    await runInstanceState(spotEvent(victim.instanceId, 'interruption', at), h.app);

    const record = (await h.ledger.listServers('job')).find((r) => r.instanceId === victim.instanceId);
    expect(record).toMatchObject({ interruptedAt: at });
    // No load balancer: the server is terminated now, so its workers run their drain hook now.
    expect(['terminating', 'terminated']).toContain(record?.state);
    expect(victim.state).toBe('shutting-down');
    // The replacement is on its way while the old server still has its two minutes.
    expect(h.cloud.callCount('launch')).toBe(launchesBefore + 1);
    expect(h.cloud.alive('job')).toHaveLength(3);
    expect(live(await h.ledger.listServers('job'))).toHaveLength(3);
    expect(h.clock.now()).toBe(at);
  });

  it('a warning that finds the role busy retries within the invocation instead of waiting for a redelivery', async () => {
    const { h, victim, at } = await interruptedSpotJob();
    const launchesBefore = h.cloud.callCount('launch');
    // A tick holds the role's lease and lets go while the warning waits to try again.
    await h.ledger.acquireLease('job', 'tick:busy', h.clock.now(), MINUTE);
    const waited: number[] = [];
    const wait = h.app.wait;
    h.app.wait = async (ms) => {
      waited.push(ms);
      if (waited.length === 2) await h.ledger.releaseLease('job', 'tick:busy');
      await wait(ms);
    };

    await runInstanceState(spotEvent(victim.instanceId, 'interruption', at), h.app);

    // 0.5 s, then 1 s, on the app's clock; the third attempt finds the lease free.
    expect(waited).toEqual([500, 1000]);

    const record = (await h.ledger.listServers('job')).find((r) => r.instanceId === victim.instanceId);
    expect(['terminating', 'terminated']).toContain(record?.state);
    expect(h.cloud.callCount('launch')).toBe(launchesBefore + 1);
  });

  it('a warning gives up when the role stays busy, so the event is redelivered', async () => {
    const { h, victim, at } = await interruptedSpotJob();
    await h.ledger.acquireLease('job', 'tick:stuck', h.clock.now(), MINUTE);
    await expect(
      runInstanceState(spotEvent(victim.instanceId, 'interruption', at), h.app),
    ).rejects.toBeInstanceOf(LeaseHeldError);
    const record = (await h.ledger.listServers('job')).find((r) => r.instanceId === victim.instanceId);
    expect(record?.state).toBe('in-service');
    // About 20 s of retries on the app's clock, then the warning fails and is redelivered.
    expect(h.clock.now() - at).toBe(500 + 1000 + 2000 + 4 * 4000);
  });

  it('an app server behind the load balancer is deregistered and replaced at once; a repeated warning changes nothing', async () => {
    const h = harness({ config: SPOT_JOBS });
    await runFor(h, 4 * MINUTE);
    const victim = h.cloud.alive('app')[0];
    if (victim === undefined) throw new Error('no app server');
    expect(h.cloud.members.get('smallpayroll-http')?.has(victim.instanceId)).toBe(true);
    const at = h.cloud.interrupt(victim.instanceId);

    await runInstanceState(spotEvent(victim.instanceId, 'interruption', at), h.app);
    const record = (await h.ledger.listServers('app')).find((r) => r.instanceId === victim.instanceId);
    expect(record).toMatchObject({ state: 'draining', registered: false, interruptedAt: at });
    expect(h.cloud.members.get('smallpayroll-http')?.has(victim.instanceId)).toBe(false);
    expect(live(await h.ledger.listServers('app'))).toHaveLength(3);

    const launches = h.cloud.callCount('launch');
    await runInstanceState(spotEvent(victim.instanceId, 'interruption', at), h.app);
    expect(h.cloud.callCount('launch')).toBe(launches);
    expect(live(await h.ledger.listServers('app'))).toHaveLength(3);
  });

  it("a warning for another stack's instance changes nothing and journals nothing: a metric only", async () => {
    const { observer, seen } = metrics();
    const h = harness({ config: SPOT_JOBS, observer });
    await runFor(h, 2 * MINUTE);
    const foreign = h.cloud.addForeign({ role: 'job' });
    const before = {
      journal: await h.ledger.recentJournal('_stack', 50),
      job: await h.ledger.listServers('job'),
      changes: h.cloud.calls.filter((c) => c.op !== 'find').length,
    };
    const result = await runInstanceState(
      spotEvent(foreign.instanceId, 'interruption', h.clock.now()),
      h.app,
    );
    expect(result).toHaveProperty('ignored');
    expect(await h.ledger.recentJournal('_stack', 50)).toEqual(before.journal);
    expect(await h.ledger.listServers('job')).toEqual(before.job);
    // One lookup of that instance tells it is not this stack's; nothing else is called.
    expect(h.cloud.calls.filter((c) => c.op !== 'find').length).toBe(before.changes);
    expect(seen).toContain('_stack:ForeignSpotWarnings');
  });

  it('keeps the on-demand base when a whole Spot pool is interrupted', async () => {
    const h = harness({ config: SPOT_JOBS });
    await runFor(h, 3 * MINUTE);
    for (const instance of h.cloud.alive('job').filter((i) => i.market === 'spot')) {
      await runInstanceState(
        spotEvent(instance.instanceId, 'interruption', h.cloud.interrupt(instance.instanceId)),
        h.app,
      );
    }
    await runFor(h, 5 * MINUTE);
    const markets = h.cloud.alive('job').map((i) => i.market ?? 'on-demand');
    expect(markets.sort()).toEqual(['on-demand', 'spot', 'spot']);
  });
});

/** The ledger record of an instance. */
async function recordOf(h: Harness, role: string, instanceId: string): Promise<ServerRecord> {
  const found = (await h.ledger.listServers(role)).find((r) => r.instanceId === instanceId);
  if (found === undefined) throw new Error(`no record for ${instanceId}`);
  return found;
}

/** The Spot launches made since call number `since`, as "type in subnet". */
function spotLaunchesSince(h: Harness, since: number): string[] {
  return h.cloud.calls
    .slice(since)
    .filter((c) => c.op === 'launch' && (c.args as LaunchRequest).market === 'spot')
    .map((c) => `${(c.args as LaunchRequest).instanceType} in ${(c.args as LaunchRequest).subnetId}`);
}

describe('a Spot rebalance recommendation', () => {
  it('starts a replacement in another pool, and retires the warned job server only once that is in service', async () => {
    const h = harness({ config: SPOT_JOBS });
    await runFor(h, 3 * MINUTE);
    const victim = h.cloud.alive('job').find((i) => i.market === 'spot');
    if (victim === undefined) throw new Error('no Spot job server');
    const warned = await recordOf(h, 'job', victim.instanceId);
    const pool = `${warned.instanceType} in ${warned.subnetId}`;
    const since = h.cloud.calls.length;
    const at = h.cloud.interrupt(victim.instanceId, 'rebalance');

    await runInstanceState(spotEvent(victim.instanceId, 'rebalance', at), h.app);

    // A risk, not a notice: the server serves on; its replacement starts on Spot in another pool.
    expect(await recordOf(h, 'job', victim.instanceId)).toMatchObject({
      state: 'in-service',
      rebalanceAt: at,
    });
    expect(victim.state).toBe('running');
    const started = spotLaunchesSince(h, since);
    expect(started).toHaveLength(1);
    expect(started[0]).not.toBe(pool);
    expect(live(await h.ledger.listServers('job'))).toHaveLength(4);

    // Minute by minute: the warned server leaves only after its replacement is in service.
    for (let minute = 0; minute < 5; minute += 1) {
      await runFor(h, MINUTE);
      const records = await h.ledger.listServers('job');
      const replacement = records.find((r) => r.createdAt >= at);
      const old = records.find((r) => r.intentId === warned.intentId);
      if (old?.state !== 'in-service') expect(replacement?.state).toBe('in-service');
    }
    const old = await recordOf(h, 'job', victim.instanceId);
    expect(['terminating', 'terminated']).toContain(old.state);
    const journal = (await h.ledger.recentJournal('job', 50)).map((e) => e.summary).join('\n');
    expect(journal).toContain(`drain ${victim.instanceId}: EC2 rebalance recommendation: replaced`);
    expect(h.cloud.alive('job')).toHaveLength(3);
    expect(live(await h.ledger.listServers('job'))).toHaveLength(3);
  });

  it('keeps an app server registered until its replacement is, and an interruption notice then retires it without a second launch', async () => {
    const h = harness({ config: SPOT_JOBS });
    await runFor(h, 4 * MINUTE);
    const victim = h.cloud.alive('app')[0];
    if (victim === undefined) throw new Error('no app server');
    const at = h.cloud.interrupt(victim.instanceId, 'rebalance');

    await runInstanceState(spotEvent(victim.instanceId, 'rebalance', at), h.app);
    await runInstanceState(spotEvent(victim.instanceId, 'rebalance', at), h.app);
    expect(await recordOf(h, 'app', victim.instanceId)).toMatchObject({
      state: 'in-service',
      registered: true,
    });
    expect(h.cloud.members.get('smallpayroll-http')?.has(victim.instanceId)).toBe(true);
    // One replacement for the repeated recommendation.
    expect(live(await h.ledger.listServers('app'))).toHaveLength(4);

    const launches = h.cloud.callCount('launch');
    await runInstanceState(
      spotEvent(victim.instanceId, 'interruption', h.cloud.interrupt(victim.instanceId)),
      h.app,
    );
    expect(await recordOf(h, 'app', victim.instanceId)).toMatchObject({
      state: 'draining',
      registered: false,
    });
    expect(h.cloud.members.get('smallpayroll-http')?.has(victim.instanceId)).toBe(false);
    expect(h.cloud.callCount('launch')).toBe(launches);
    expect(live(await h.ledger.listServers('app'))).toHaveLength(3);
  });

  it('keeps the warned server serving while no replacement can start, never trying its own pool, until the interruption notice', async () => {
    const spotOnly = testConfig({
      roles: {
        job: {
          schedule: { baseline: 2 },
          launch: { market: 'spot', onDemandBase: 1 },
          lifecycle: { billing: 'per-second', minLifetimeMinutes: 0 },
        },
      },
    });
    const h = harness({ config: spotOnly });
    await runFor(h, 3 * MINUTE);
    const victim = h.cloud.alive('job').find((i) => i.market === 'spot');
    if (victim === undefined) throw new Error('no Spot job server');
    const warned = await recordOf(h, 'job', victim.instanceId);
    const since = h.cloud.calls.length;
    h.cloud.spotShortage('capacity');

    await runInstanceState(
      spotEvent(victim.instanceId, 'rebalance', h.cloud.interrupt(victim.instanceId, 'rebalance')),
      h.app,
    );
    await runFor(h, 5 * MINUTE);

    expect(await recordOf(h, 'job', victim.instanceId)).toMatchObject({ state: 'in-service' });
    expect(victim.state).toBe('running');
    // Every other pool was tried, each minute; the warned server's own pool never.
    const tried = spotLaunchesSince(h, since);
    expect(new Set(tried).size).toBe(3);
    expect(tried).not.toContain(`${warned.instanceType} in ${warned.subnetId}`);

    h.cloud.clearFaults();
    await runInstanceState(
      spotEvent(victim.instanceId, 'interruption', h.cloud.interrupt(victim.instanceId)),
      h.app,
    );
    expect(['terminating', 'terminated']).toContain((await recordOf(h, 'job', victim.instanceId)).state);
  });
});
