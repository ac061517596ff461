import { describe, expect, it, vi } from 'vitest';
import { CapacityError, TransientError } from '../../domain/errors.js';
import { type Observer, SILENT_OBSERVER } from '../../domain/ports.js';
import { STACK_JOURNAL } from '../../domain/types.js';
import { testConfig } from '../../fakes/config.js';
import { harness, MONDAY_10AM, runFor } from '../../fakes/harness.js';
import { createApp } from '../../handlers/app.js';

const MINUTE = 60_000;

/** The next RunInstances succeeds, then the process dies before recording it (the hook is one-shot). */
function crashOnceAfterLaunch(h: ReturnType<typeof harness>): void {
  h.cloud.after('launch', () => {
    throw new Error('process died after RunInstances');
  });
}

async function states(h: ReturnType<typeof harness>, role: string) {
  return (await h.ledger.listServers(role)).map((s) => s.state).sort();
}

describe('converge on the fake cloud', () => {
  it('brings up the business-hours floor: 3 app servers registered with the load balancer, 1 job server', async () => {
    const h = harness();
    await h.app.fleet.tick();
    expect(h.cloud.alive('app')).toHaveLength(3);
    expect(h.cloud.alive('job')).toHaveLength(1);
    expect(await states(h, 'app')).toEqual(['pending', 'pending', 'pending']);

    await runFor(h, 3 * MINUTE);
    expect(await states(h, 'app')).toEqual(['in-service', 'in-service', 'in-service']);
    expect(h.cloud.members.get('smallpayroll-http')?.size).toBe(3);
    expect(await states(h, 'job')).toEqual(['in-service']);
    // One RunInstances per role: the 3 app servers in one batch, the job server alone.
    expect(h.cloud.callCount('launch')).toBe(2);
  });

  it('launches ahead of a window so its servers are in service by its start', async () => {
    // Monday 07:50 in Toronto (EST): the 08:00 window wants 3 app servers, the baseline is 2.
    const h = harness({
      start: Date.parse('2026-03-02T12:50:00Z'),
      config: testConfig({ roles: { app: { schedule: { leadMinutes: 5 } } } }),
    });
    await runFor(h, 3 * MINUTE);
    expect(h.cloud.alive('app')).toHaveLength(2);
    await runFor(h, 7 * MINUTE); // to 08:00
    expect(await states(h, 'app')).toEqual(['in-service', 'in-service', 'in-service']);
  });

  it('writes the intents before RunInstances and tags each instance with its own', async () => {
    const h = harness();
    h.cloud.failNext('launch', new TransientError('503'));
    await h.app.fleet.tick();
    const failed = await h.ledger.listServers('app');
    expect(failed.map((r) => [r.state, r.instanceId])).toEqual([
      ['launching', undefined],
      ['launching', undefined],
      ['launching', undefined],
    ]);
    const batchId = failed[0]?.batchId;
    expect(failed.map((r) => r.intentId).sort()).toEqual([0, 1, 2].map((i) => `${batchId}-${i}`));
    // The next tick resumes the batch with the same ClientToken instead of launching another.
    h.advance(MINUTE);
    await h.app.fleet.tick();
    expect(h.cloud.alive('app')).toHaveLength(3);
    const records = await h.ledger.listServers('app');
    for (const instance of h.cloud.alive('app')) {
      expect(
        records.some((r) => r.intentId === instance.intentId && r.instanceId === instance.instanceId),
      ).toBe(true);
    }
    const tokens = h.cloud.calls
      .filter((c) => c.op === 'launch')
      .map((c) => (c.args as { clientToken: string }).clientToken);
    expect(tokens.filter((t) => t === `${batchId}-0`)).toHaveLength(2);
  });

  it('adopts an instance whose launch was never recorded (crash after RunInstances)', async () => {
    const h = harness();
    crashOnceAfterLaunch(h);
    await h.app.fleet.tick();
    // The crash came after the app batch's call: none of its three intents learned its instance.
    const launchingWithoutId = (await h.ledger.listServers('app')).filter((r) => r.instanceId === undefined);
    expect(launchingWithoutId).toHaveLength(3);
    h.advance(MINUTE);
    await h.app.fleet.tick();
    expect(h.cloud.alive('app')).toHaveLength(3);
    expect((await h.ledger.listServers('app')).every((r) => r.instanceId !== undefined)).toBe(true);
  });

  it('does not count a replayed launch whose instance already ended', async () => {
    const h = harness();
    crashOnceAfterLaunch(h);
    await h.app.fleet.tick();
    const lost = (await h.ledger.listServers('app')).find((r) => r.instanceId === undefined);
    const instance = [...h.cloud.instances.values()].find((i) => i.intentId === lost?.intentId);
    if (instance === undefined) throw new Error('no lost launch');
    instance.state = 'terminated';
    h.advance(MINUTE);
    await h.app.fleet.tick();
    const record = (await h.ledger.listServers('app')).find((r) => r.intentId === lost?.intentId);
    expect(record).toMatchObject({ state: 'terminated', instanceId: instance.instanceId });
    expect(h.cloud.alive('app')).toHaveLength(3);
  });

  it('is idempotent: a second tick at the same instant changes nothing', async () => {
    const h = harness();
    await runFor(h, 5 * MINUTE);
    const before = JSON.stringify(await h.ledger.listServers('app'));
    const calls =
      h.cloud.callCount('launch') + h.cloud.callCount('terminate') + h.cloud.callCount('register');
    await h.app.fleet.tick();
    expect(JSON.stringify(await h.ledger.listServers('app'))).toBe(before);
    expect(h.cloud.callCount('launch') + h.cloud.callCount('terminate') + h.cloud.callCount('register')).toBe(
      calls,
    );
  });

  it('scales job servers out at once on a long queue and never above 2 extra', async () => {
    const h = harness();
    await runFor(h, 3 * MINUTE);
    h.cloud.queueLength = 500;
    await runFor(h, 10 * MINUTE);
    expect(h.cloud.alive('job')).toHaveLength(3);
  });

  it('drain-time: scales out on a growing queue, records in-service times and learns the launch delay', async () => {
    const h = harness({
      config: testConfig({
        roles: {
          job: {
            policy: {
              type: 'drain-time',
              maxExtra: 2,
              stabilizationSeconds: 120,
              targetWaitSeconds: 60,
              jobSeconds: 60,
              rateWindowSeconds: 300,
              defaultLaunchDelaySeconds: 300,
            },
            lifecycle: { billing: 'per-second', minLifetimeMinutes: 0 },
          },
        },
      }),
    });
    await runFor(h, 3 * MINUTE);
    for (let minute = 1; minute <= 5; minute += 1) {
      h.cloud.queueLength = 40 * minute;
      await runFor(h, MINUTE);
    }
    expect(h.cloud.alive('job')).toHaveLength(3);
    await runFor(h, 5 * MINUTE);
    const servers = await h.ledger.listServers('job');
    expect(servers.every((s) => s.inServiceAt !== undefined && s.inServiceAt >= (s.launchedAt ?? 0))).toBe(
      true,
    );
    const [plan] = (await h.ledger.recentJournal('job', 20)).filter((e) => e.kind === 'plan');
    expect(JSON.stringify(plan?.detail)).toMatch(/launch-to-serve \d+ s/);
    h.cloud.queueLength = 0;
    await runFor(h, 10 * MINUTE);
    expect(h.cloud.alive('job')).toHaveLength(1);
  });

  it('drain-time: learns how long a job takes from a backlog falling on busy servers, and keeps it in the ledger', async () => {
    const h = harness({
      config: testConfig({
        roles: {
          job: {
            policy: {
              type: 'drain-time',
              maxExtra: 0,
              stabilizationSeconds: 120,
              targetWaitSeconds: 60,
              jobSeconds: 60,
              rateWindowSeconds: 300,
              defaultLaunchDelaySeconds: 300,
            },
            lifecycle: { billing: 'per-second', minLifetimeMinutes: 0 },
          },
        },
      }),
    });
    await runFor(h, 5 * MINUTE);
    const calls: string[] = [];
    const { getJobTime } = h.ledger;
    h.ledger.getJobTime = (role) => {
      calls.push(role);
      return getJobTime.call(h.ledger, role);
    };
    // An empty queue: nothing to learn, and the tick reads no learned job time.
    await runFor(h, MINUTE);
    expect(calls).toEqual([]);
    // One server's 4 workers take 8 jobs a minute off a long queue: 30 s a job, not the configured 60.
    for (let minute = 0; minute < 12; minute += 1) {
      h.cloud.queueLength = 300 - 8 * minute;
      await runFor(h, MINUTE);
    }
    expect(calls.length).toBeGreaterThan(0);
    const learned = await h.ledger.getJobTime('job');
    expect(learned?.jobSeconds).toBeLessThan(45);
    expect(learned?.jobSeconds).toBeGreaterThanOrEqual(30);
  });

  it('holds on an unknown queue length instead of scaling in', async () => {
    const h = harness();
    h.cloud.queueLength = 500;
    await runFor(h, 5 * MINUTE);
    expect(h.cloud.alive('job')).toHaveLength(3);
    h.cloud.queueLength = null;
    await runFor(h, 120 * MINUTE);
    expect(h.cloud.alive('job')).toHaveLength(3);
    const journal = await h.ledger.recentJournal('job', 1);
    expect(journal[0]?.summary).toMatch(/hold: queue length unknown/);
  });

  it('replaces a job server lost while the queue is unknown, instead of holding at what is left', async () => {
    const h = harness();
    h.cloud.queueLength = 500;
    await runFor(h, 5 * MINUTE);
    expect(h.cloud.alive('job')).toHaveLength(3);
    h.cloud.queueLength = null;
    await runFor(h, 3 * MINUTE);
    const [lost] = h.cloud.alive('job');
    if (lost === undefined) throw new Error('no job server');
    lost.state = 'terminated';
    await runFor(h, 8 * MINUTE); // the ghost grace (5 min), then a replacement
    expect(h.cloud.alive('job')).toHaveLength(3);
  });

  it('an EC2 event for an instance the stack does not own reads no ledger and journals nothing: it is counted', async () => {
    const metrics: [string, string, number][] = [];
    const observer: Observer = {
      ...SILENT_OBSERVER,
      metric: (role, name, value) => metrics.push([role, name, value]),
    };
    const h = harness({ observer });
    await runFor(h, 3 * MINUTE);
    const foreign = h.cloud.addForeign({ role: 'app' });
    const listServers = vi.spyOn(h.ledger, 'listServers');
    const journal = vi.spyOn(h.ledger, 'journal');
    const result = await h.app.fleet.instanceChanged(foreign.instanceId, 'running');
    expect(result).toMatchObject({ ignored: expect.stringContaining(foreign.instanceId) });
    expect(listServers).not.toHaveBeenCalled();
    expect(journal).not.toHaveBeenCalled();
    expect(metrics).toContainEqual([STACK_JOURNAL, 'UnlistedInstanceEvents', 1]);
  });

  it.each([3, 40])(
    'an EC2 event among %i servers looks up that instance alone: one DescribeInstances, one ledger read by key',
    async (servers) => {
      const h = harness({
        config: testConfig({ roles: { app: { max: 50, schedule: { baseline: servers, windows: [] } } } }),
      });
      await runFor(h, 4 * MINUTE);
      expect(h.cloud.alive('app')).toHaveLength(servers);
      const [server] = h.cloud.alive('job');
      if (server === undefined) throw new Error('no job server');
      const listServers = vi.spyOn(h.ledger, 'listServers');
      const getServer = vi.spyOn(h.ledger, 'getServer');
      const before = h.cloud.calls.length;
      const result = await h.app.fleet.instanceChanged(server.instanceId, 'running');
      expect(result).toMatchObject({ role: 'job' });
      expect(h.cloud.calls.slice(before).map((c) => c.op)).toEqual(['find']);
      expect(getServer.mock.calls).toEqual([['job', server.intentId]]);
      expect(listServers).not.toHaveBeenCalled();
    },
  );

  it('keeps the hold level when other journal entries crowd out the holding plans', async () => {
    const h = harness();
    h.cloud.queueLength = 500;
    await runFor(h, 5 * MINUTE);
    h.cloud.queueLength = null;
    await runFor(h, 3 * MINUTE);
    const [lost] = h.cloud.alive('job');
    if (lost === undefined) throw new Error('no job server');
    lost.state = 'terminated';
    for (let minute = 0; minute < 8; minute += 1) {
      // Refused commands for the role are journaled between the holding plans.
      for (let i = 0; i < 5; i += 1) await h.app.fleet.journalRefusal('control', 'refused', { role: 'job' });
      await runFor(h, MINUTE);
    }
    expect(h.cloud.alive('job')).toHaveLength(3);
    expect(await h.ledger.getHold('job')).toEqual({ level: 3, at: h.clock.now() });
  });

  it('reads and writes the hold record only on a tick whose demand holds', async () => {
    const h = harness();
    // Long enough for the samples to cover the stabilization window: a known, quiet queue.
    await runFor(h, 6 * MINUTE);
    const calls: string[] = [];
    const { getHold, putHold, recentJournal } = h.ledger;
    h.ledger.getHold = (role) => {
      calls.push(`getHold ${role}`);
      return getHold.call(h.ledger, role);
    };
    h.ledger.putHold = (role, hold) => {
      calls.push(`putHold ${role}`);
      return putHold.call(h.ledger, role, hold);
    };
    h.ledger.recentJournal = (role, limit) => {
      calls.push(`recentJournal ${role}`);
      return recentJournal.call(h.ledger, role, limit);
    };
    await h.app.fleet.tick();
    expect(calls).toEqual([]);
    h.cloud.queueLength = null;
    h.advance(MINUTE);
    await h.app.fleet.tick();
    expect(calls).toEqual(['getHold job', 'putHold job']);
  });

  it('retires extra job servers after the queue drains, only past 45 minutes and near the paid hour end', async () => {
    const h = harness();
    h.cloud.queueLength = 500;
    await runFor(h, 3 * MINUTE);
    expect(h.cloud.alive('job')).toHaveLength(3);
    h.cloud.queueLength = 0;
    await runFor(h, 30 * MINUTE);
    expect(h.cloud.alive('job')).toHaveLength(3);
    const blocked = await h.ledger.recentJournal('job', 1);
    expect(blocked[0]?.summary).toMatch(/retire blocked: job server i-\w+ has run \d+ of 45 minutes/);
    await runFor(h, 40 * MINUTE);
    expect(h.cloud.alive('job')).toHaveLength(1);
    const terminated = h.cloud.calls.filter((c) => c.op === 'terminate').flatMap((c) => c.args as string[]);
    for (const id of terminated) {
      const instance = h.cloud.instances.get(id);
      const minutes = ((instance?.terminatedAt ?? 0) - (instance?.launchedAt ?? 0)) / MINUTE;
      expect(minutes % 60).toBeGreaterThanOrEqual(50);
    }
  });

  it('retires extra job servers after the queue drains when the queue is probed every 5 minutes', async () => {
    const h = harness({ config: testConfig({ roles: { job: { queue: { everyMinutes: 5 } } } }) });
    h.cloud.queueLength = 500;
    await runFor(h, 10 * MINUTE, 5 * MINUTE);
    expect(h.cloud.alive('job')).toHaveLength(3);
    h.cloud.queueLength = 0;
    await runFor(h, 120 * MINUTE, 5 * MINUTE);
    expect(h.cloud.alive('job')).toHaveLength(1);
  });

  it('scales in when ticks come irregularly: the sample before the stabilization window is read too', async () => {
    // Ticks 130 s apart: at each, the newest sample at or before the 300 s window's start is 390 s
    // old, older than the window plus a minute but within the sample age of the next one.
    const job = {
      policy: {
        type: 'threshold',
        stabilizationSeconds: 300,
        maxExtra: 2,
        scaleOutAbove: 20,
        scaleInBelow: 5,
        step: 1,
      },
      queue: { maxSampleAgeSeconds: 180 },
      lifecycle: { billing: 'per-second', minLifetimeMinutes: 0 },
    };
    const h = harness({ config: testConfig({ roles: { job } }) });
    h.cloud.queueLength = 500;
    await runFor(h, 6 * MINUTE);
    expect(h.cloud.alive('job')).toHaveLength(3);
    h.cloud.queueLength = 0;
    await runFor(h, 40 * MINUTE, 130_000);
    expect(h.cloud.alive('job')).toHaveLength(1);
  });

  it('drains an app server from the load balancer before terminating it at the end of the window', async () => {
    const h = harness({ start: Date.parse('2026-03-03T01:50:00Z') }); // Monday 20:50 in Toronto
    await runFor(h, 5 * MINUTE);
    expect(h.cloud.members.get('smallpayroll-http')?.size).toBe(3);
    await runFor(h, 6 * MINUTE); // past 21:00 Toronto
    const draining = (await h.ledger.listServers('app')).filter((s) => s.state === 'draining');
    expect(draining).toHaveLength(1);
    expect(h.cloud.members.get('smallpayroll-http')?.size).toBe(2);
    expect(h.cloud.alive('app')).toHaveLength(3);
    await runFor(h, 6 * MINUTE); // drain time (300 s) over
    expect(h.cloud.alive('app')).toHaveLength(2);
  });

  it('replaces a server that never passes the content health check', async () => {
    const h = harness();
    await h.app.fleet.tick();
    const [first] = h.cloud.alive('app');
    if (first === undefined) throw new Error('no app server');
    first.broken = true;
    await runFor(h, 16 * MINUTE);
    expect(first.state === 'shutting-down' || first.state === 'terminated').toBe(true);
    expect(h.cloud.alive('app')).toHaveLength(3);
    expect(h.cloud.members.get('smallpayroll-http')?.has(first.instanceId)).toBe(false);
  });

  it('falls back to the next instance type or subnet when EC2 has no capacity', async () => {
    const h = harness({ config: testConfig({ roles: { app: { schedule: { baseline: 1, windows: [] } } } }) });
    h.cloud.failNext('launch', new CapacityError('no c5.large here', 'c5.large', 'subnet-0123abcd'));
    await h.app.fleet.converge('app', { trigger: 'test' });
    const launches = h.cloud.calls
      .filter((c) => c.op === 'launch')
      .map((c) => c.args as Record<string, string>);
    expect(launches.map((l) => [l.instanceType, l.subnetId, l.clientToken?.slice(-2)])).toEqual([
      ['c5.large', 'subnet-0123abcd', '-0'],
      ['c5.large', 'subnet-4567cdef', '-1'],
    ]);
    expect(h.cloud.alive('app')).toHaveLength(1);
  });

  it('marks an orphan first and terminates it only after the grace period', async () => {
    const h = harness();
    await runFor(h, 3 * MINUTE);
    const orphan = h.cloud.addForeignTagged('app');
    await runFor(h, 2 * MINUTE);
    expect(orphan.state).toBe('running');
    const mark = (await h.ledger.listServers('app')).find((s) => s.instanceId === orphan.instanceId);
    expect(mark).toMatchObject({ orphan: true, state: 'draining' });
    await runFor(h, 30 * MINUTE);
    expect(orphan.state === 'shutting-down' || orphan.state === 'terminated').toBe(true);
    expect(h.cloud.alive('app')).toHaveLength(3);
  });

  it('reports, and leaves alone, instances of a role that is no longer configured', async () => {
    const warnings: { message: string; fields: Record<string, unknown> }[] = [];
    const h = harness();
    const leftover = h.cloud.addForeignTagged('reports');
    const observed = createApp({
      config: h.config,
      stack: h.cloud.stack,
      ledger: h.ledger,
      compute: h.cloud.compute,
      loadBalancers: {},
      healthProbes: {},
      queueProbes: {},
      clock: h.clock,
      observer: { ...SILENT_OBSERVER, warn: (message, fields) => warnings.push({ message, fields }) },
    });
    await observed.fleet.tick();
    expect(warnings).toContainEqual({
      message: 'instances of an unconfigured role',
      fields: { role: 'reports', instanceIds: [leftover.instanceId] },
    });
    expect(leftover.state).toBe('running');
  });

  it('never touches an instance of another stack', async () => {
    const h = harness();
    const foreign = h.cloud.addForeignTagged('app');
    foreign.stack = 'someone-else';
    await runFor(h, 60 * MINUTE);
    expect(foreign.state).toBe('running');
    expect(
      h.cloud.calls.filter((c) => c.op === 'terminate').flatMap((c) => c.args as string[]),
    ).not.toContain(foreign.instanceId);
  });

  it('skips a role whose lease another invocation holds', async () => {
    const h = harness();
    await h.ledger.acquireLease('app', 'someone', MONDAY_10AM, 60_000);
    const result = await h.app.fleet.converge('app', { trigger: 'test' });
    expect(result.skipped).toMatch(/being converged by someone/);
    expect(h.cloud.callCount('launch')).toBe(0);
  });

  it('keeps a server that one EC2 listing missed: no deregistration, no termination', async () => {
    const h = harness();
    await runFor(h, 5 * MINUTE);
    const [server] = h.cloud.alive('app');
    if (server === undefined) throw new Error('no app server');
    server.stack = 'hidden-for-one-listing';
    await runFor(h, MINUTE);
    server.stack = h.cloud.stack;
    await runFor(h, 3 * MINUTE);
    expect(server.state).toBe('running');
    expect(h.cloud.members.get('smallpayroll-http')?.has(server.instanceId)).toBe(true);
    const record = (await h.ledger.listServers('app')).find((s) => s.instanceId === server.instanceId);
    expect(record).toMatchObject({ state: 'in-service' });
    expect(record?.missingSince).toBeUndefined();
  });

  it('marks a ghost terminated when its instance disappeared', async () => {
    const h = harness();
    await runFor(h, 3 * MINUTE);
    const [victim] = h.cloud.alive('app');
    if (victim === undefined) throw new Error('no app server');
    h.cloud.instances.delete(victim.instanceId);
    await runFor(h, 7 * MINUTE);
    const record = (await h.ledger.listServers('app')).find((s) => s.instanceId === victim.instanceId);
    expect(record?.state).toBe('terminated');
    expect(h.cloud.alive('app')).toHaveLength(3);
  });
});
