import { describe, expect, it } from 'vitest';
import { CapacityError, IncorrectStateError, NotFoundError, TransientError } from '../../domain/errors.js';
import type { ServerRecord } from '../../domain/types.js';
import { testConfig } from '../../fakes/config.js';
import { type Harness, harness, MONDAY_10AM, runFor } from '../../fakes/harness.js';
import { runControl } from '../../handlers/control.js';

const MINUTE = 60_000;

/** A job role with a pool of 2, per-second billing and no minimum lifetime (nothing blocks a retire). */
function poolConfig(pool: Record<string, unknown> = {}, job: Record<string, unknown> = {}) {
  return testConfig({
    roles: {
      job: {
        warmPool: { size: 2, ...pool },
        lifecycle: { billing: 'per-second', minLifetimeMinutes: 0 },
        ...job,
      },
    },
  });
}

async function records(h: Harness, role = 'job'): Promise<ServerRecord[]> {
  return (await h.ledger.listServers(role)).filter((r) => r.state !== 'terminated');
}

async function count(h: Harness, state: ServerRecord['state'], role = 'job'): Promise<number> {
  return (await records(h, role)).filter((r) => r.state === state).length;
}

/** The job role's permanent server in service and a full pool (2 warm servers by default). */
async function warmed(config = poolConfig()): Promise<Harness> {
  const h = harness({ config });
  await runFor(h, 6 * MINUTE);
  expect(await count(h, 'warm')).toBe(config.roles.job?.warmPool?.size);
  expect(await count(h, 'in-service')).toBe(1);
  return h;
}

/** A queue over the threshold for a tick: the job role wants its two extras at once. */
async function burst(h: Harness): Promise<void> {
  h.cloud.queueLength = 60;
  h.advance(MINUTE);
  await h.app.fleet.tick();
}

const ops = (h: Harness, op: string) => h.cloud.calls.filter((c) => c.op === op);

describe('filling the warm pool', () => {
  it('launches, readies and stops its servers without registering them, counting them, or starting workers', async () => {
    const h = harness({ config: testConfig({ roles: { app: { warmPool: { size: 1 } } } }) });
    await h.app.fleet.tick();
    const warming = (await records(h, 'app')).filter((r) => r.state === 'warming');
    expect(warming).toHaveLength(1);
    const instance = h.cloud.instances.get(warming[0]?.instanceId ?? '');
    expect(instance?.userData).toContain('touch /etc/fleet-pilot/warming');
    expect(instance?.market).toBeUndefined();
    // The business-hours floor of 3 is launched in full: the warming server is not capacity.
    expect(h.cloud.alive('app')).toHaveLength(4);

    await runFor(h, 5 * MINUTE);
    const pooled = (await records(h, 'app')).find((r) => r.intentId === warming[0]?.intentId);
    expect(pooled?.state).toBe('warm');
    expect(h.cloud.instances.get(pooled?.instanceId ?? '')?.state).toBe('stopped');
    expect(h.cloud.members.get('smallpayroll-http')?.has(pooled?.instanceId ?? '')).toBe(false);
    const registered = ops(h, 'register').flatMap((c) => (c.args as { ids: string[] }).ids);
    expect(registered).not.toContain(pooled?.instanceId);
    expect(await count(h, 'in-service', 'app')).toBe(3);
  });

  it('stops into a hibernated pool with hibernation enabled at launch', async () => {
    const h = harness({
      config: poolConfig({ state: 'hibernated', rootVolumeEncrypted: true }),
    });
    await runFor(h, 6 * MINUTE);
    const launches = ops(h, 'launch').map(
      (c) => c.args as { hibernate?: boolean; intentId?: string; batchId?: string; count?: number },
    );
    const pool = (await records(h)).filter((r) => r.state === 'warm');
    expect(pool).toHaveLength(2);
    for (const server of pool) {
      const launch = launches.find((l) => l.intentId === server.intentId || l.batchId === server.batchId);
      expect(launch?.hibernate).toBe(true);
      expect(h.cloud.instances.get(server.instanceId ?? '')?.hibernated).toBe(true);
    }
    // The permanent server is launched like any other.
    const hibernating = launches.filter((l) => l.hibernate === true);
    expect(hibernating.reduce((n, l) => n + (l.count ?? 1), 0)).toBe(2);
  });

  it('terminates a warming server that never passes its readiness check, and warms another', async () => {
    const h = harness({ config: poolConfig({ size: 1 }) });
    await h.app.fleet.tick();
    const first = (await records(h)).find((r) => r.state === 'warming');
    const instance = h.cloud.instances.get(first?.instanceId ?? '');
    if (instance === undefined) throw new Error('no warming instance');
    instance.broken = true;
    await runFor(h, 20 * MINUTE);
    const gone = (await h.ledger.listServers('job')).find((r) => r.intentId === first?.intentId);
    expect(gone?.state).toBe('terminated');
    const journal = (await h.ledger.recentJournal('job', 50)).map((e) => e.summary).join('\n');
    expect(journal).toMatch(new RegExp(`terminate ${first?.instanceId}: not ready \\d+ s after launch`));
    expect(await count(h, 'warm')).toBe(1);
  });
});

describe('using the warm pool', () => {
  it('starts warm servers before any cold launch, and they go into service through the same check', async () => {
    const h = await warmed();
    const launchesBefore = ops(h, 'launch').length;
    await burst(h);
    expect(ops(h, 'start')).toHaveLength(2);
    // Nothing launched: the burst's servers come back to the pool once it is over.
    expect(ops(h, 'launch').slice(launchesBefore)).toHaveLength(0);

    await runFor(h, 2 * MINUTE);
    expect(await count(h, 'in-service')).toBe(3);
    const journal = await h.ledger.recentJournal('job', 20);
    expect(journal.map((e) => e.summary).join('\n')).toMatch(
      /warm start: in service \d+ s after StartInstances/,
    );
  });

  it('records how long each start took, and keeps it while the server waits in the pool again', async () => {
    const h = await warmed();
    await burst(h);
    await runFor(h, 3 * MINUTE);
    const started = (await records(h)).filter((r) => r.startedAt !== undefined);
    expect(started).toHaveLength(2);
    for (const r of started) {
      expect(r.state).toBe('in-service');
      expect(r.startSeconds).toBe(Math.round((r.stateSince - (r.startedAt ?? 0)) / 1000));
    }
    h.cloud.queueLength = 0;
    await runFor(h, 15 * MINUTE);
    const back = (await records(h)).filter((r) => started.some((s) => s.intentId === r.intentId));
    expect(back.map((r) => [r.state, r.startedAt, r.startSeconds])).toEqual(
      started.map((r) => ['warm', undefined, r.startSeconds]),
    );
  });

  it('a burst over the schedule floor churns nothing: no launch, no termination, the same servers back in the pool', async () => {
    const h = await warmed();
    const pool = (await records(h)).filter((r) => r.state === 'warm').map((r) => r.instanceId);
    const launchesBefore = ops(h, 'launch').length;
    await burst(h);
    await runFor(h, 3 * MINUTE);
    h.cloud.queueLength = 0;
    await runFor(h, 15 * MINUTE);
    expect(await count(h, 'in-service')).toBe(1);
    expect(ops(h, 'launch').length).toBe(launchesBefore);
    expect(ops(h, 'terminate')).toHaveLength(0);
    const back = (await records(h)).filter((r) => r.state === 'warm').map((r) => r.instanceId);
    expect(back.sort()).toEqual(pool.sort());
  });

  it('falls back to the next warm server, then to a cold launch, within the same converge', async () => {
    const h = await warmed();
    h.cloud.failNext('start', new CapacityError('InsufficientInstanceCapacity'));
    h.cloud.failNext('start', new IncorrectStateError('IncorrectInstanceState'));
    const launchesBefore = ops(h, 'launch').length;
    await burst(h);
    const cold = ops(h, 'launch')
      .slice(launchesBefore)
      .filter((c) => !(c.args as { userData: string }).userData.includes('touch /etc/fleet-pilot/warming'));
    // Both in one call.
    expect(cold.map((c) => (c.args as { count?: number }).count ?? 1)).toEqual([2]);
    // Both warm servers are back in the pool, unharmed.
    expect(await count(h, 'warm')).toBe(2);
    const journal = await h.ledger.recentJournal('job', 5);
    expect(journal.map((e) => e.summary).join('\n')).toMatch(
      /0 of 2 started; failed: .*2 launched cold instead/,
    );
  });

  it('terminates a warm server whose volume is gone and starts the next one instead', async () => {
    const h = await warmed();
    h.cloud.failNext('start', new NotFoundError('InvalidVolume.NotFound'));
    await burst(h);
    const all = await h.ledger.listServers('job');
    expect(all.filter((r) => r.reason?.startsWith('start failed, cannot serve'))).toHaveLength(1);
    expect(all.filter((r) => r.state === 'pending' && r.startedAt !== undefined)).toHaveLength(1);
    expect((await count(h, 'launching')) + (await count(h, 'pending'))).toBe(2);
  });

  it('leaves a start it cannot tell about in starting, and reconcile settles it from EC2', async () => {
    const h = await warmed();
    h.cloud.failNext('start', new TransientError('RequestTimeout'));
    await burst(h);
    expect(await count(h, 'starting')).toBe(1);
    await runFor(h, 4 * MINUTE);
    expect(await count(h, 'starting')).toBe(0);
    expect(await count(h, 'in-service')).toBe(3);
  });
});

const isWarming = (args: unknown) =>
  (args as { userData: string }).userData.includes('touch /etc/fleet-pilot/warming');

describe('scale-in without churn', () => {
  it('stops a drained server back into the pool while the pool is below its size, and terminates the rest', async () => {
    const h = await warmed(poolConfig({ size: 1 }, { policy: { step: 2 } }));
    // No capacity for the pool's refills: the pool stays empty after the burst.
    h.cloud.failWhen('launch', isWarming, () => new CapacityError('InsufficientInstanceCapacity'));
    await burst(h);
    await runFor(h, 3 * MINUTE);
    // The burst started the one warm server and launched the other extra cold.
    const serving = (await records(h)).filter((r) => r.state === 'in-service');
    const warmStarted = serving.find((r) => r.startedAt !== undefined);
    const coldExtra = serving.find(
      (r) => r.startedAt === undefined && r.createdAt > MONDAY_10AM + 5 * MINUTE,
    );
    expect(await count(h, 'in-service')).toBe(3);
    expect(await count(h, 'warm')).toBe(0);
    const stopsBefore = ops(h, 'stop').length;

    h.cloud.queueLength = 0;
    await runFor(h, 10 * MINUTE);
    expect(await count(h, 'in-service')).toBe(1);
    const stoppedNow = ops(h, 'stop')
      .slice(stopsBefore)
      .map((c) => (c.args as { id: string }).id);
    // The first drained goes back into the pool; the pool is then full and the other terminated.
    const extras = [warmStarted, coldExtra];
    const all = await h.ledger.listServers('job');
    const stateOf = (id: string | undefined) => all.find((r) => r.instanceId === id)?.state;
    expect(stoppedNow).toHaveLength(1);
    expect(stateOf(stoppedNow[0])).toBe('warm');
    const other = extras.find((r) => r?.instanceId !== stoppedNow[0]);
    expect(extras.map((r) => r?.instanceId)).toContain(stoppedNow[0]);
    expect(stateOf(other?.instanceId)).toBe('terminated');
    expect(await count(h, 'warm')).toBe(1);
  });

  it('terminates drained servers when the pool returns none (returnOnScaleIn false)', async () => {
    const h = await warmed(poolConfig({ size: 1, returnOnScaleIn: false }));
    h.cloud.failWhen('launch', isWarming, () => new CapacityError('InsufficientInstanceCapacity'));
    await burst(h);
    await runFor(h, 3 * MINUTE);
    const stopsBefore = ops(h, 'stop').length;
    h.cloud.queueLength = 0;
    await runFor(h, 10 * MINUTE);
    expect(ops(h, 'stop').length).toBe(stopsBefore);
    expect(await count(h, 'warm')).toBe(0);
  });
});

describe('never stale', () => {
  it('replaces warm servers of an old image gradually, never with fewer ready than the size', async () => {
    const h = await warmed();
    const old = (await records(h)).filter((r) => r.state === 'warm').map((r) => r.intentId);
    h.redeploy(poolConfig({ refreshPerTick: 1 }, { launch: { imageId: 'ami-0fedcba9876543210' } }));
    let fewest = Number.POSITIVE_INFINITY;
    for (let minute = 0; minute < 20; minute += 1) {
      await runFor(h, MINUTE);
      fewest = Math.min(fewest, await count(h, 'warm'));
    }
    const pool = (await records(h)).filter((r) => r.state === 'warm');
    expect(pool).toHaveLength(2);
    expect(pool.every((r) => r.image === 'ami-0fedcba9876543210' && !old.includes(r.intentId))).toBe(true);
    expect(fewest).toBeGreaterThanOrEqual(2);
    // Never more than one replacement on its way at a time (refreshPerTick 1).
    const launchesPerTick = new Map<number, number>();
    for (const r of await h.ledger.listServers('job')) {
      if (r.image === 'ami-0fedcba9876543210')
        launchesPerTick.set(r.createdAt, (launchesPerTick.get(r.createdAt) ?? 0) + 1);
    }
    expect(Math.max(...launchesPerTick.values())).toBe(1);
  });

  it('replaces a warm server past its maximum age', async () => {
    const h = await warmed(poolConfig({ maxAgeHours: 1 }));
    const first = (await records(h)).filter((r) => r.state === 'warm').map((r) => r.intentId);
    await runFor(h, 70 * MINUTE);
    const now = (await records(h)).filter((r) => r.state === 'warm').map((r) => r.intentId);
    expect(now).toHaveLength(2);
    expect(now.some((id) => first.includes(id))).toBe(false);
  });
});

describe('ownership of stopped servers', () => {
  it('keeps a stopped pool server as its own: no orphan, no replacement, no termination', async () => {
    const h = await warmed();
    await runFor(h, 60 * MINUTE);
    expect(await count(h, 'warm')).toBe(2);
    expect(ops(h, 'terminate')).toHaveLength(0);
    const journal = (await h.ledger.recentJournal('job', 50)).map((e) => e.summary).join('\n');
    expect(journal).not.toMatch(/orphan/);
  });

  it('refills the pool when one of its servers is terminated from outside', async () => {
    const h = await warmed();
    const victim = (await records(h)).find((r) => r.state === 'warm');
    const instance = h.cloud.instances.get(victim?.instanceId ?? '');
    if (instance === undefined) throw new Error('no warm instance');
    instance.state = 'shutting-down';
    instance.terminatedAt = h.clock.now();
    // Gone from EC2's listing: confirmed after the ghost grace (5 minutes), then refilled.
    await runFor(h, 12 * MINUTE);
    expect(await count(h, 'warm')).toBe(2);
    expect((await h.ledger.listServers('job')).find((r) => r.intentId === victim?.intentId)?.state).toBe(
      'terminated',
    );
  });

  it('terminates a server stuck in stopping and warms another', async () => {
    const h = harness({ config: poolConfig({ size: 1 }) });
    await h.app.fleet.tick();
    const warming = (await records(h)).find((r) => r.state === 'warming');
    h.cloud.stuckStopping(warming?.instanceId ?? '');
    // The job role drains for 600 s before a stop may count as stuck, then 10 minutes more.
    await runFor(h, 30 * MINUTE);
    const stuck = (await h.ledger.listServers('job')).find((r) => r.intentId === warming?.intentId);
    expect(stuck?.state).toBe('terminated');
    expect(ops(h, 'terminate').flatMap((c) => c.args as string[])).toContain(warming?.instanceId);
    expect(await count(h, 'warm')).toBe(1);
  });

  it('gives a stopping server its drain time on the event path too, before calling it stuck', async () => {
    const h = harness({ config: poolConfig({ size: 1 }) });
    await h.app.fleet.tick();
    const warming = (await records(h)).find((r) => r.state === 'warming');
    const id = warming?.instanceId ?? '';
    h.cloud.stuckStopping(id);
    await runFor(h, 3 * MINUTE);
    expect((await records(h)).find((r) => r.instanceId === id)?.state).toBe('stopping');
    // A late EC2 event 12 minutes on: within the 600 s drain and the 10 minutes after it.
    h.advance(12 * MINUTE);
    await h.app.fleet.instanceChanged(id, 'stopping');
    expect((await records(h)).find((r) => r.instanceId === id)?.state).toBe('stopping');
  });

  it('terminates a stopped instance of this stack that no record names, only after the orphan grace', async () => {
    const h = await warmed();
    const lost = h.cloud.addForeignTagged('job', 'stopped');
    await runFor(h, 20 * MINUTE);
    expect(h.cloud.instances.get(lost.instanceId)?.state).toBe('stopped');
    await runFor(h, 15 * MINUTE);
    expect(['shutting-down', 'terminated']).toContain(h.cloud.instances.get(lost.instanceId)?.state);
    expect(ops(h, 'start').map((c) => c.args)).not.toContain(lost.instanceId);
  });

  it('never touches a stopped instance of another stack', async () => {
    const h = await warmed();
    const foreign = h.cloud.addForeign({ role: 'job', state: 'stopped' });
    await burst(h);
    await runFor(h, 40 * MINUTE);
    expect(h.cloud.instances.get(foreign.instanceId)?.state).toBe('stopped');
    const named = h.cloud.calls.flatMap((c) => JSON.stringify(c.args ?? ''));
    expect(named.some((args) => args.includes(foreign.instanceId))).toBe(false);
  });

  it('stops a warm server found running again', async () => {
    const h = await warmed();
    const server = (await records(h)).find((r) => r.state === 'warm');
    await h.cloud.compute.start(server?.instanceId ?? '');
    await runFor(h, 3 * MINUTE);
    expect(h.cloud.instances.get(server?.instanceId ?? '')?.state).toBe('stopped');
    expect(await count(h, 'warm')).toBe(2);
  });
});

describe('drain-pool, refill-pool and status', () => {
  const control = async (h: Harness, command: Record<string, unknown>) => {
    const answer = await runControl(command, h.app);
    if (!answer.ok) throw new Error(answer.error);
    return answer;
  };

  it('drain-pool terminates the warm servers and keeps the pool empty until refill-pool', async () => {
    const h = await warmed();
    const drained = await control(h, { action: 'drain-pool', role: 'job', reason: 'AMI rollout' });
    expect(drained.messages[0]).toMatch(/warm pool drained/);
    expect(await count(h, 'warm')).toBe(0);
    await runFor(h, 10 * MINUTE);
    expect(await count(h, 'warm')).toBe(0);
    expect(await count(h, 'warming')).toBe(0);

    await control(h, { action: 'refill-pool', role: 'job' });
    await runFor(h, 5 * MINUTE);
    expect(await count(h, 'warm')).toBe(2);
  });

  it('refill-pool replaces the servers launched before it, never with fewer ready than the size', async () => {
    const h = await warmed();
    const before = (await records(h)).filter((r) => r.state === 'warm').map((r) => r.intentId);
    await control(h, { action: 'refill-pool', role: 'job', reason: 'release v43' });
    let fewest = Number.POSITIVE_INFINITY;
    for (let minute = 0; minute < 10; minute += 1) {
      await runFor(h, MINUTE);
      fewest = Math.min(fewest, await count(h, 'warm'));
    }
    const after = (await records(h)).filter((r) => r.state === 'warm').map((r) => r.intentId);
    expect(after).toHaveLength(2);
    expect(after.some((id) => before.includes(id))).toBe(false);
    expect(fewest).toBe(2);
  });

  it('a dry run changes nothing, and a repeated request changes nothing more', async () => {
    const h = await warmed();
    const dry = await control(h, { action: 'drain-pool', role: 'job', dryRun: true });
    expect(dry.converge?.actions.filter((a) => a.startsWith('terminate'))).toHaveLength(2);
    expect(await count(h, 'warm')).toBe(2);
    expect((await h.ledger.getControls('job')).pool).toBeUndefined();

    await control(h, { action: 'drain-pool', role: 'job', requestId: 'change-42' });
    const journal = (await h.ledger.recentJournal('job', 50)).length;
    const again = await control(h, { action: 'drain-pool', role: 'job', requestId: 'change-42' });
    expect(again.messages[0]).toMatch(/already applied: nothing changed/);
    expect((await h.ledger.recentJournal('job', 50)).length).toBe(journal);
  });

  it('refuses drain-pool for a role without a pool, naming it, and changes nothing', async () => {
    const h = await warmed();
    const answer = await runControl({ action: 'drain-pool', role: 'app' }, h.app);
    expect(answer).toMatchObject({
      ok: false,
      issues: ['role: app has no warm pool (set roles.app.warmPool to have one)'],
    });
    expect((await h.ledger.getControls('app')).pool).toBeUndefined();
  });

  it('status shows the pool per role: size, ages and staleness', async () => {
    const h = await warmed(poolConfig({ maxAgeHours: 1 }));
    h.advance(50 * MINUTE);
    h.redeploy(poolConfig({ maxAgeHours: 1 }, { launch: { imageId: 'ami-0fedcba9876543210' } }));
    const status = await control(h, { action: 'status', role: 'job' });
    const pool = status.roles?.[0]?.pool;
    expect(pool).toMatchObject({
      size: 2,
      reason: 'warmPool.size',
      waitsAs: 'stopped',
      warm: 2,
      control: null,
    });
    expect(pool?.servers.map((s) => s.ageHours)).toEqual([0.9, 0.9]);
    expect(pool?.servers[0]?.stale.join('; ')).toMatch(
      /image ami-0123456789abcdef0 is no longer ami-0fedcba9876543210/,
    );
    expect(status.messages[0]).toMatch(/warm pool 2 of 2 ready, 2 stale$/);
    const app = await control(h, { action: 'status', role: 'app' });
    expect(app.roles?.[0]?.pool).toBeNull();
  });
});

describe('starts that do not take, and listings that predate them', () => {
  it('puts a server EC2 accepted the start of, then stopped again, back in the pool', async () => {
    const h = await warmed();
    await burst(h);
    const [id] = ops(h, 'start').map((c) => c.args as string);
    // EC2 answered StartInstances, then the instance went back to stopped (an asynchronous
    // Server.InsufficientInstanceCapacity).
    const instance = h.cloud.instances.get(id ?? '');
    if (instance === undefined) throw new Error('no started instance');
    instance.state = 'stopped';
    h.advance(MINUTE);
    await h.app.fleet.tick();
    expect((await records(h)).find((r) => r.instanceId === id)?.state).toBe('pending');
    await runFor(h, 3 * MINUTE);
    expect(ops(h, 'terminate').flatMap((c) => c.args as string[])).not.toContain(id);
    const record = (await records(h)).find((r) => r.instanceId === id);
    expect(['warm', 'starting', 'pending', 'booting', 'in-service']).toContain(record?.state);
  });

  it('does not judge a server started under another lease by the older listing of the tick', async () => {
    const h = await warmed();
    // The tick lists EC2 once for all roles, before taking each role's lease.
    const listedAt = h.clock.now();
    const listing = (await h.cloud.compute.list()).filter((i) => i.role === 'job');
    // Meanwhile another invocation (a control command, a schedule edge) starts warm servers.
    h.advance(1_000);
    h.cloud.queueLength = 60;
    await h.app.fleet.probe('job');
    await h.app.fleet.converge('job', { trigger: 'control:test' });
    const started = ops(h, 'start').map((c) => c.args as string);
    expect(started).toHaveLength(2);
    h.advance(5_000);
    await h.app.fleet.converge('job', { trigger: 'tick', instances: listing, listedAt });
    const states = (await records(h)).filter((r) => started.includes(r.instanceId ?? '')).map((r) => r.state);
    expect(states).toEqual(['pending', 'pending']);
  });

  it('never falls back to a warm server the same plan trims from the pool', async () => {
    const h = await warmed(poolConfig({ size: 3 }));
    // The pool shrinks to 0 (its window ends) in the tick a burst wants 2 servers, and a start fails.
    h.redeploy(poolConfig({ size: 0 }));
    h.cloud.failNext('start', new CapacityError('InsufficientInstanceCapacity'));
    await burst(h);
    const started = ops(h, 'start').map((c) => c.args as string);
    const terminated = ops(h, 'terminate').flatMap((c) => c.args as string[]);
    expect(started.filter((id) => terminated.includes(id))).toEqual([]);
    // The permanent server and the two extras on their way: one started, one launched cold.
    const capacity = (await records(h)).filter((r) =>
      ['launching', 'pending', 'booting', 'in-service', 'starting'].includes(r.state),
    );
    expect(capacity).toHaveLength(3);
  });
});
