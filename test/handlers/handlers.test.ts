/**
 * Handlers end to end: the exported plain functions on the fake cloud, with the ledger on DynamoDB
 * Local. Every handler invoked twice with the same event changes nothing the second time.
 */

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoDbLedger } from '../../adapters/dynamodb-ledger.js';
import { tickRounds } from '../../domain/services/tick-rounds.js';
import { STACK_JOURNAL } from '../../domain/types.js';
import { testConfig } from '../../fakes/config.js';
import { stateEvent } from '../../fakes/events.js';
import { type Harness, harness } from '../../fakes/harness.js';
import { runControl } from '../../handlers/control.js';
import { runInstanceState } from '../../handlers/instance-state.js';
import { runQueueProbe } from '../../handlers/queue-probe.js';
import { runReconcile } from '../../handlers/reconcile.js';
import { runSchedule } from '../../handlers/schedule.js';
import { createTestTable, type LocalTable } from '../support/dynamodb.js';

const MINUTE = 60_000;
let table: LocalTable;
let h: Harness;

beforeEach(async () => {
  table = await createTestTable();
  h = harness({ ledger: new DynamoDbLedger(table.doc, { tableName: table.tableName }) });
});
afterEach(async () => {
  await table.cleanup();
});

/** Ledger and cloud, as one comparable snapshot. */
async function snapshot() {
  const records = [];
  for (const role of Object.keys(h.config.roles)) records.push(...(await h.ledger.listServers(role)));
  const instances = [...h.cloud.instances.values()].map((i) => `${i.instanceId}:${i.state}`);
  return JSON.stringify({
    records,
    instances,
    members: [...(h.cloud.members.get('smallpayroll-http') ?? [])],
  });
}

/** Everything the ledger holds (servers, pause and bounds, holds, journal) and the cloud, as one snapshot. */
async function wholeSnapshot() {
  const roles = Object.keys(h.config.roles);
  const ledger = [];
  for (const role of roles) {
    ledger.push({
      role,
      servers: await h.ledger.listServers(role),
      controls: await h.ledger.getControls(role),
      hold: (await h.ledger.getHold(role)) ?? null,
      journal: await h.ledger.recentJournal(role, 1000),
    });
  }
  const stack = await h.ledger.recentJournal(STACK_JOURNAL, 1000);
  return JSON.stringify({ ledger, stack, cloud: await snapshot() });
}

/** An instant as control messages show it: to the second, in UTC. */
function shown(at: number): string {
  return new Date(at).toISOString().replace('.000Z', 'Z');
}

async function settle(minutes: number) {
  for (let i = 0; i < minutes; i += 1) {
    h.advance(MINUTE);
    await runQueueProbe({}, h.app);
  }
}

describe('handlers on the fake cloud and DynamoDB Local', () => {
  it('queueProbe: probes, records the sample and converges; twice changes nothing', async () => {
    h.cloud.queueLength = 7;
    const first = await runQueueProbe({}, h.app);
    expect(first.roles.map((r) => r.role)).toEqual(['app', 'job']);
    expect(await h.ledger.samplesSince('job', 0)).toEqual([{ at: h.clock.now(), length: 7 }]);
    const before = await snapshot();
    await runQueueProbe({}, h.app);
    expect(await snapshot()).toBe(before);
  });

  it('schedule: converges the role named by the schedule; twice changes nothing', async () => {
    await runSchedule({ role: 'app', edge: 'start' }, h.app);
    expect(h.cloud.alive('app')).toHaveLength(3);
    const before = await snapshot();
    await runSchedule({ role: 'app', edge: 'start' }, h.app);
    expect(await snapshot()).toBe(before);
  });

  it('schedule: refuses an event without a known role, naming the field', async () => {
    await expect(runSchedule({ role: 'db' }, h.app)).resolves.toMatchObject({
      ignored: expect.stringMatching(/role: unknown role "db"/),
    });
    await expect(runSchedule({ edge: 'start' }, h.app)).resolves.toMatchObject({
      ignored: expect.stringMatching(/role/),
    });
    expect(h.cloud.callCount('launch')).toBe(0);
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'schedule: refuses the role %j (an Object.prototype name) before taking any lease',
    async (role) => {
      const acquire = vi.spyOn(h.ledger, 'acquireLease');
      const result = await runSchedule({ role, edge: 'start' }, h.app);
      expect(result).toMatchObject({ ignored: expect.stringMatching(/^invalid schedule event: role: /) });
      expect(acquire).not.toHaveBeenCalled();
      expect(h.cloud.callCount()).toBe(0);
    },
  );

  it('instanceState: "running" leads to a health check and registration without waiting for a tick', async () => {
    await runSchedule({ role: 'app', edge: 'start' }, h.app);
    h.advance(2 * MINUTE); // running and booted
    const [server] = h.cloud.alive('app');
    if (server === undefined) throw new Error('no server');
    const event = stateEvent(server.instanceId, 'running');
    await runInstanceState(event, h.app);
    expect(h.cloud.members.get('smallpayroll-http')?.has(server.instanceId)).toBe(true);
    const before = await snapshot();
    await runInstanceState(event, h.app);
    expect(await snapshot()).toBe(before);
  });

  it('instanceState: a malformed or foreign event is refused and changes nothing', async () => {
    const refused = await runInstanceState({ source: 'aws.ec2', detail: { state: 'running' } }, h.app);
    expect(refused).toMatchObject({ ignored: expect.stringMatching(/detail\.instance-id/) });
    const foreign = await runInstanceState(stateEvent('i-0123456789abcdef0', 'running'), h.app);
    expect(foreign).toMatchObject({
      ignored: expect.stringMatching(/not listed as an instance of this stack/),
    });
    expect(h.cloud.calls.map((c) => c.op)).toEqual(['find']);
  });

  it('reconcile: adopts a launch whose record was lost; twice changes nothing', async () => {
    h.cloud.after('launch', () => {
      throw new Error('process died after RunInstances');
    });
    await runSchedule({ role: 'app', edge: 'start' }, h.app).catch(() => undefined);
    h.advance(MINUTE);
    const first = await runReconcile({}, h.app);
    expect(first.roles.find((r) => r.role === 'app')?.fixes.some((f) => f.reason.includes('adopted'))).toBe(
      true,
    );
    h.advance(MINUTE);
    await runReconcile({}, h.app);
    const before = await snapshot();
    await runReconcile({}, h.app);
    expect(await snapshot()).toBe(before);
    expect(h.cloud.alive('app')).toHaveLength(3);
  });

  it('control status: every owned server per role with state, age, address and in-service flag', async () => {
    await settle(3);
    const status = await runControl({ action: 'status' }, h.app);
    if (!status.ok) throw new Error(status.error);
    const app = status.roles?.find((r) => r.role === 'app');
    expect(app?.servers).toHaveLength(3);
    expect(app?.servers[0]).toMatchObject({
      state: 'in-service',
      inService: true,
      market: 'on-demand',
      address: expect.stringMatching(/^127\./),
    });
    expect(app?.servers[0]?.ageMinutes).toBeGreaterThanOrEqual(2);
    // Monday 10:00 in Toronto: the business-hours window ends at 21:00 EST.
    expect(app?.nextScheduleChange).toBe('2026-03-03T02:00:00.000Z');
    expect(status.messages[0]).toMatch(/^app: 3 in service, 3 counted, desired 3/);
  });

  it('control launch: raises the minimum and launches; the same command again changes nothing', async () => {
    await settle(3);
    const command = { action: 'launch', role: 'app', count: 2 };
    const first = await runControl(command, h.app);
    expect(first).toMatchObject({ ok: true, action: 'launch' });
    expect(h.cloud.alive('app')).toHaveLength(5);
    const before = await snapshot();
    const second = await runControl(command, h.app);
    expect(second).toMatchObject({ ok: true, messages: [expect.stringMatching(/already applied/)] });
    expect(await snapshot()).toBe(before);
  });

  it('control retire by count keeps a launch hold, lowered: it retires count servers, not the hold', async () => {
    await settle(3);
    await runControl({ action: 'launch', role: 'app', count: 2, holdMinutes: 120 }, h.app);
    await settle(5);
    const result = await runControl({ action: 'retire', role: 'app', count: 1 }, h.app);
    expect(result).toMatchObject({
      ok: true,
      messages: [expect.stringMatching(/^app: retiring 1 \(maximum 4 held until \S+, minimum 4 kept until /)],
    });
    expect((await h.ledger.getControls('app')).bounds).toMatchObject({ min: 4, max: 4 });
    // Lifetime and billing rules decide when; while the hold lasts (60 minutes), never fewer than 4.
    for (let minute = 0; minute < 55; minute += 5) {
      await settle(5);
      const serving = (await h.ledger.listServers('app')).filter((r) => r.state === 'in-service');
      expect(serving.length).toBeGreaterThanOrEqual(4);
    }
    expect((await h.ledger.listServers('app')).filter((r) => r.state === 'in-service')).toHaveLength(4);
  });

  it('control retire by count says a kept minimum ending with its own maximum is kept as long', async () => {
    await settle(3);
    await runControl({ action: 'launch', role: 'app', count: 2, holdMinutes: 45 }, h.app);
    const result = await runControl({ action: 'retire', role: 'app', count: 1, holdMinutes: 45 }, h.app);
    expect(result).toMatchObject({
      ok: true,
      messages: [
        expect.stringMatching(
          /^app: retiring 1 \(maximum (\d+) held until \S+, minimum \1 kept as long; lifetime and billing rules still apply\)$/,
        ),
      ],
    });
  });

  it("control retire by count keeps a longer launch hold until the launch's end, not the retire's", async () => {
    await settle(3);
    const launchedAt = h.clock.now();
    await runControl({ action: 'launch', role: 'app', count: 2, holdMinutes: 120 }, h.app);
    await settle(5);
    const retiredAt = h.clock.now();
    const retire = { action: 'retire', role: 'app', count: 1, holdMinutes: 30 };
    const result = await runControl(retire, h.app);
    const minEnd = launchedAt + 120 * MINUTE;
    expect(result).toMatchObject({
      ok: true,
      messages: [
        `app: retiring 1 (maximum 4 held until ${shown(retiredAt + 30 * MINUTE)}, minimum 4 kept until ${shown(minEnd)}; lifetime and billing rules still apply)`,
      ],
    });
    // Each bound keeps its own reason: the minimum is still the launch's.
    const record = (await h.ledger.getControls('app')).bounds;
    expect(record).toMatchObject({
      min: 4,
      max: 4,
      expiresAt: minEnd,
      maxUntil: retiredAt + 30 * MINUTE,
      reason: 'manual retire of 1',
      minReason: 'manual launch of 2',
    });
    expect(record).not.toHaveProperty('maxReason');
    // Past the retire's 30 minutes the launch's minimum still holds: never fewer than 4 in service.
    for (let minute = 0; minute < 40; minute += 5) {
      await settle(5);
      const serving = (await h.ledger.listServers('app')).filter((r) => r.state === 'in-service');
      expect(serving.length).toBeGreaterThanOrEqual(4);
    }
    const status = await runControl({ action: 'status', role: 'app' }, h.app);
    const app = status.ok ? status.roles?.[0] : undefined;
    expect(app).toMatchObject({ desired: 4, bounds: { min: 4, reason: 'manual launch of 2' } });
    expect(app?.bounds).not.toHaveProperty('max');
    expect(app?.bounds).not.toHaveProperty('minReason');
    expect(app?.reasons).toContain(`override min 4 until ${new Date(minEnd).toISOString()}`);
    // The retire's maximum has ended, so the same retire again is a new one; the minimum keeps its end.
    const again = await runControl(retire, h.app);
    expect(again).toMatchObject({
      ok: true,
      messages: [
        expect.stringMatching(
          new RegExp(`^app: retiring 1 \\(maximum 3 held until \\S+, minimum 3 kept until ${shown(minEnd)};`),
        ),
      ],
    });
    expect((await h.ledger.getControls('app')).bounds).toMatchObject({
      reason: 'manual retire of 1',
      minReason: 'manual launch of 2',
    });
    // Once the launch's hold ends, nothing of it is left.
    h.advance(minEnd - h.clock.now() + MINUTE);
    const after = await runControl({ action: 'status', role: 'app' }, h.app);
    expect(after.ok ? after.roles?.[0]?.bounds : undefined).toBeNull();
  });

  it("control launch keeps a longer maximum until the maximum's end, not the launch's", async () => {
    await settle(3);
    const setAt = h.clock.now();
    await runControl({ action: 'override', role: 'app', max: 5, minutes: 120, reason: 'cost cap' }, h.app);
    const launchedAt = h.clock.now();
    const result = await runControl(
      { action: 'launch', role: 'app', count: 1, holdMinutes: 30, reason: 'month-end run' },
      h.app,
    );
    const maxEnd = setAt + 120 * MINUTE;
    expect(result).toMatchObject({
      ok: true,
      messages: [
        `app: launching 1 (minimum 4 held until ${shown(launchedAt + 30 * MINUTE)}; maximum 5 kept until ${shown(maxEnd)})`,
      ],
    });
    // The kept maximum keeps its own reason, the minimum the launch's.
    const record = (await h.ledger.getControls('app')).bounds;
    expect(record).toMatchObject({ reason: 'month-end run', maxReason: 'cost cap' });
    expect(record).not.toHaveProperty('minReason');
    await settle(35);
    const status = await runControl({ action: 'status', role: 'app' }, h.app);
    const app = status.ok ? status.roles?.[0] : undefined;
    expect(app).toMatchObject({ desired: 3, bounds: { max: 5, expiresAt: maxEnd, reason: 'cost cap' } });
    expect(app?.bounds).not.toHaveProperty('min');
    expect(app?.bounds).not.toHaveProperty('maxReason');
  });

  it('control launch on a paused role holds the minimum and says nothing launches until resumed', async () => {
    await settle(3);
    await runControl({ action: 'pause', role: 'app', reason: 'incident' }, h.app);
    const result = await runControl({ action: 'launch', role: 'app', count: 1 }, h.app);
    expect(result).toMatchObject({
      ok: true,
      messages: [expect.stringMatching(/^app: paused: 1 more launched once resumed \(minimum 4 held until/)],
    });
    expect(h.cloud.alive('app')).toHaveLength(3);
  });

  it('control: a requestId reused for another command is another request, not a silent no-op', async () => {
    await settle(3);
    await runControl({ action: 'launch', role: 'app', count: 1, requestId: 'inc-4711' }, h.app);
    const other = await runControl(
      { action: 'override', role: 'app', max: 2, minutes: 30, requestId: 'inc-4711' },
      h.app,
    );
    expect(other).toMatchObject({ ok: true, messages: [expect.stringMatching(/^app: max 2 until/)] });
    expect((await h.ledger.getControls('app')).bounds).toMatchObject({ max: 2 });
  });

  it('control retire by instance while paused: terminates at once, since nothing would finish the drain', async () => {
    await settle(3);
    await runControl({ action: 'pause', role: 'app' }, h.app);
    const [victim] = h.cloud.alive('app');
    if (victim === undefined) throw new Error('no server');
    const result = await runControl({ action: 'retire', role: 'app', instanceId: victim.instanceId }, h.app);
    expect(result).toMatchObject({ ok: true, messages: [expect.stringMatching(/the role is paused/)] });
    expect(victim.state).toBe('shutting-down');
    expect(h.cloud.members.get('smallpayroll-http')?.has(victim.instanceId)).toBe(false);
  });

  it('control override clear: lifts the override without minutes', async () => {
    await settle(3);
    await runControl({ action: 'override', role: 'app', max: 2, minutes: 30 }, h.app);
    const cleared = await runControl({ action: 'override', role: 'app', clear: true }, h.app);
    expect(cleared).toMatchObject({ ok: true, messages: ['app: override cleared'] });
    expect(await h.ledger.getControls('app')).toEqual({});
  });

  it('control dry run: reports what would happen and changes nothing', async () => {
    await settle(3);
    const before = await wholeSnapshot();
    const result = await runControl({ action: 'launch', role: 'app', count: 1, dryRun: true }, h.app);
    expect(result).toMatchObject({
      ok: true,
      dryRun: true,
      converge: { actions: [expect.stringMatching(/^launch 1/)] },
    });
    expect(await wholeSnapshot()).toBe(before);
  });

  it.each([
    { action: 'launch', role: 'app', count: 2 },
    { action: 'retire', role: 'app', count: 1 },
    { action: 'retire', role: 'app', instanceId: '$victim' },
    { action: 'override', role: 'app', min: 4, max: 6, minutes: 30 },
    { action: 'override', role: 'job', clear: true },
    { action: 'pause', role: 'app', reason: 'drill' },
    { action: 'resume', role: 'job' },
  ])('control dry run of %j changes nothing in the ledger or the cloud', async (command) => {
    h.cloud.queueLength = null; // the job role holds, so its hold record exists
    await settle(3);
    await runControl({ action: 'override', role: 'job', max: 1, minutes: 60 }, h.app);
    await runControl({ action: 'pause', role: 'job', reason: 'incident 4711' }, h.app);
    const [victim] = h.cloud.alive('app');
    if (victim === undefined) throw new Error('no server');
    const before = await wholeSnapshot();
    const dry = {
      ...command,
      dryRun: true,
      ...(command.instanceId ? { instanceId: victim.instanceId } : {}),
    };
    const result = await runControl(dry, h.app);
    expect(result).toMatchObject({ ok: true, dryRun: true });
    expect(await wholeSnapshot()).toBe(before);
  });

  it('control retire by instance: deregisters, drains, terminates; again changes nothing', async () => {
    await settle(3);
    const [victim] = h.cloud.alive('app');
    if (victim === undefined) throw new Error('no server');
    const command = { action: 'retire', role: 'app', instanceId: victim.instanceId };
    await runControl(command, h.app);
    expect(h.cloud.members.get('smallpayroll-http')?.has(victim.instanceId)).toBe(false);
    expect(victim.state).toBe('running'); // draining: still serving its last requests
    const before = await snapshot();
    const again = await runControl(command, h.app);
    expect(again).toMatchObject({ ok: true, messages: [expect.stringMatching(/already draining/)] });
    expect(await snapshot()).toBe(before);
    await settle(6); // the app role drains for 300 s
    expect(['shutting-down', 'terminated']).toContain(victim.state);
    expect(h.cloud.calls.filter((c) => c.op === 'terminate').flatMap((c) => c.args as string[])).toContain(
      victim.instanceId,
    );
    const record = (await h.ledger.listServers('app')).find((r) => r.instanceId === victim.instanceId);
    expect(record?.state).toMatch(/^terminat/);
  });

  it('control pause/resume: a paused role plans nothing', async () => {
    await runControl({ action: 'pause', role: 'app', reason: 'incident 42' }, h.app);
    await runQueueProbe({}, h.app);
    expect(h.cloud.alive('app')).toHaveLength(0);
    const again = await runControl({ action: 'pause', role: 'app', reason: 'incident 42' }, h.app);
    expect(again).toMatchObject({ ok: true, messages: ['app is already paused: nothing changed'] });
    await runControl({ action: 'resume', role: 'app' }, h.app);
    await runQueueProbe({}, h.app);
    expect(h.cloud.alive('app')).toHaveLength(3);
  });

  it('control: a pause keeps its own reason through launch, override and clear; status shows pause and bounds', async () => {
    await settle(3);
    await runControl({ action: 'pause', role: 'app', reason: 'incident 4711' }, h.app);
    const blockedReason = async () => {
      const status = await runControl({ action: 'status', role: 'app' }, h.app);
      if (!status.ok) throw new Error(status.error);
      return status.roles?.[0];
    };
    await runControl({ action: 'launch', role: 'app', count: 1 }, h.app);
    const afterLaunch = await blockedReason();
    expect(afterLaunch?.blocked).toEqual(['role app is paused: incident 4711']);
    expect(afterLaunch).toMatchObject({
      paused: true,
      pause: { reason: 'incident 4711', since: h.clock.now() },
      bounds: { min: 4, reason: 'manual launch of 1' },
    });
    await runControl({ action: 'override', role: 'app', max: 2, minutes: 30 }, h.app);
    await runControl({ action: 'override', role: 'app', clear: true }, h.app);
    const afterClear = await blockedReason();
    expect(afterClear?.blocked).toEqual(['role app is paused: incident 4711']);
    expect(afterClear).toMatchObject({ paused: true, pause: { reason: 'incident 4711' }, bounds: null });
    await runControl({ action: 'resume', role: 'app' }, h.app);
    expect(await blockedReason()).toMatchObject({ paused: false, pause: null, blocked: [] });
  });

  it('journals a refused command under its role, or under the stack when the role is unknown', async () => {
    await runControl({ action: 'launch', role: 'app', count: 0 }, h.app);
    await runControl({ action: 'launch', role: 'db', count: 1 }, h.app);
    const [app] = await h.ledger.recentJournal('app', 1);
    expect(app).toMatchObject({ kind: 'control', summary: expect.stringMatching(/^refused: count/) });
    const [stack] = await h.ledger.recentJournal(STACK_JOURNAL, 1);
    expect(stack).toMatchObject({
      kind: 'control',
      summary: expect.stringMatching(/^refused: role: unknown role "db"/),
    });
  });

  it('refuses a 300 KB role name with a small answer and a small journal entry', async () => {
    const role = 'a'.repeat(300_000);
    const result = await runControl({ action: 'launch', role, count: 1 }, h.app);
    expect(result).toMatchObject({ ok: false, issues: [expect.stringMatching(/^role: /)] });
    expect(JSON.stringify(result).length).toBeLessThan(2_000);
    const [entry] = await h.ledger.recentJournal(STACK_JOURNAL, 1);
    expect(entry).toMatchObject({ kind: 'control', summary: expect.stringMatching(/^refused: role: /) });
    expect(JSON.stringify(entry).length).toBeLessThan(8_000);
  });

  it('journals a refused EC2 event under the stack, and not an event for a foreign instance', async () => {
    await runInstanceState({ source: 'aws.ec2', detail: { state: 'running' } }, h.app);
    await runInstanceState(stateEvent('i-0123456789abcdef0', 'running'), h.app);
    const entries = await h.ledger.recentJournal(STACK_JOURNAL, 5);
    expect(entries.map((e) => [e.kind, e.summary])).toEqual([
      ['event', expect.stringMatching(/detail\.instance-id/)],
    ]);
  });

  it.each([
    [{ action: 'explode', role: 'app' }, /action/],
    [{ action: 'launch', role: 'app', count: '2' }, /count: .*expected number/i],
    [{ action: 'launch', count: 2 }, /role/],
    [{ action: 'launch', role: 'db', count: 1 }, /role: unknown role "db"/],
    [{ action: 'launch', role: 'app', count: 0 }, /count/],
    [{ action: 'launch', role: 'app', count: 50 }, /count: .*exceed the role's max 10/],
    [{ action: 'status', verbose: true }, /verbose/],
    [{ action: 'retire', role: 'app' }, /count: expected exactly one of instanceId or count/],
    [
      { action: 'retire', role: 'app', instanceId: 'i-0123456789abcdef0' },
      /instanceId: .*not a app server owned/,
    ],
    [{ action: 'override', role: 'app', minutes: 30 }, /min: expected min, max or clear/],
    ['status', /expected object/],
  ])('control refuses %j naming the field, and changes nothing', async (command, message) => {
    const result = await runControl(command, h.app);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.join('\n')).toMatch(message);
    expect(h.cloud.callCount('launch') + h.cloud.callCount('terminate')).toBe(0);
    expect(await h.ledger.getControls('app')).toEqual({});
  });
});

describe('queueProbe: sub-minute rounds', () => {
  it('runs a round every everySeconds within the minute, each probing and converging', async () => {
    const sub = harness({ config: testConfig({ roles: { job: { queue: { everySeconds: 20 } } } }) });
    sub.cloud.queueLength = 4;
    const list = sub.cloud.compute.list.bind(sub.cloud.compute);
    const listedAt: number[] = [];
    sub.cloud.compute.list = async () => {
      listedAt.push(sub.clock.now());
      return list();
    };
    const start = sub.clock.now();
    const result = await runQueueProbe({}, sub.app);
    expect(result).toMatchObject({ rounds: 3 });
    const samples = await sub.ledger.samplesSince('job', 0);
    expect(samples.map((s) => s.at - start)).toEqual([0, 20_000, 40_000]);
    // One EC2 listing per round: each round converges.
    expect(listedAt.map((at) => at - start)).toEqual([0, 20_000, 40_000]);
  });

  it.each([
    ['one probe a minute', {}, 1, 60_000],
    ['every 30 s', { job: { queue: { everySeconds: 30 } } }, 2, 30_000],
    ['every 10 s', { job: { queue: { everySeconds: 10 } } }, 6, 10_000],
    ['every 5 minutes', { job: { queue: { everyMinutes: 5 } } }, 1, 60_000],
  ])('tickRounds: %s', (_, roles, rounds, everyMs) => {
    expect(tickRounds(testConfig({ roles }))).toEqual({ rounds, everyMs });
  });
});
