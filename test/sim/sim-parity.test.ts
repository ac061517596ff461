import { describe, expect, it } from 'vitest';
import { MemoryLedger } from '../../adapters/memory-ledger.js';
import { SILENT_OBSERVER } from '../../domain/ports.js';
import type { Action } from '../../domain/types.js';
import { ManualClock } from '../../fakes/fake-cloud.js';
import { createSandboxApp, SANDBOX_STACK } from '../../sandbox/sandbox-app.js';
import { SandboxCloud } from '../../sandbox/sandbox-cloud.js';
import { type PolicyName, sandboxConfig } from '../../sandbox/sandbox-config.js';
import { JobModel } from '../../sim/model.js';
import { ServiceDriver } from '../../sim/service-driver.js';

/** Monday 2026-03-02 07:00 in Toronto. */
const START = Date.parse('2026-03-02T12:00:00Z');
const MINUTE = 60_000;
/** pending 20 s + boot 70 s in the sandbox's cloud; the simulator's launch-to-healthy delay. */
const PENDING_MS = 20_000;
const BOOT_MS = 70_000;
/** A start from the warm pool: pending 10 s + resume 20 s in the sandbox's cloud; the simulator's start delay. */
const START_PENDING_MS = 10_000;
const START_BOOT_MS = 20_000;

/** Queue lengths, one per minute: quiet, a burst over the threshold, a slow drain, a second burst. */
const SAMPLES = [
  ...[0, 0, 0, 3, 25, 40, 38, 33, 27, 21, 16, 12, 9, 6, 4, 3],
  ...new Array(40).fill(2),
  ...[30, 45, 44, 30, 18, 8, 4],
  ...new Array(60).fill(0),
];

const ENDPOINTS = { appPort: 8080, queueUrl: 'http://127.0.0.1:9/queue/length' };

interface Decision {
  desired: number;
  actions: Omit<Action, 'serverId'>[];
}

/** Actions without server ids: the two paths mint their own intent ids. */
function comparable(actions: readonly Action[]): Omit<Action, 'serverId'>[] {
  return actions.map((action) => {
    const { serverId: _id, ...rest } = action as Action & { serverId?: string };
    return rest;
  });
}

/**
 * Warm servers a start may take, named in the order each path first offers them: the two paths
 * mint their own intent ids, and what must agree is which of the pool's servers are candidates.
 */
function namedInOrder(decisions: readonly Decision[]): Decision[] {
  const names = new Map<string, string>();
  const name = (id: string) => names.get(id) ?? names.set(id, `warm-${names.size + 1}`).get(id) ?? id;
  return decisions.map((d) => ({
    ...d,
    actions: d.actions.map((a) =>
      'candidates' in a && Array.isArray(a.candidates) ? { ...a, candidates: a.candidates.map(name) } : a,
    ),
  }));
}

/** The sandbox's services (as `npm start` wires them), a scripted queue probe instead of HTTP. */
async function sandboxDecisions(policy: PolicyName, warmPool?: number): Promise<Decision[]> {
  const config = sandboxConfig(policy, ENDPOINTS, warmPool);
  const clock = new ManualClock(START);
  const cloud = new SandboxCloud({
    clock,
    stack: SANDBOX_STACK,
    random: () => 0.5,
    pendingMs: [PENDING_MS, PENDING_MS],
    bootMs: [BOOT_MS, BOOT_MS],
    startPendingMs: [START_PENDING_MS, START_PENDING_MS],
    startBootMs: [START_BOOT_MS, START_BOOT_MS],
    shutdownMs: 30_000,
    onTransition: () => undefined,
  });
  let minute = 0;
  const app = createSandboxApp({
    config,
    cloud,
    ledger: new MemoryLedger(),
    clock,
    observer: SILENT_OBSERVER,
    healthProbes: { app: cloud.healthProbe, job: cloud.healthProbe },
    queueProbes: { job: { read: async (at) => ({ at, length: SAMPLES[minute] ?? 0 }) } },
  });
  const every = (config.roles.job?.queue?.intervalSeconds ?? 60) * 1000;
  const decisions: Decision[] = [];
  for (let at = 0; at < SAMPLES.length * MINUTE; at += every) {
    minute = Math.floor(at / MINUTE);
    clock.set(START + at);
    cloud.advance();
    const { results, errors } = await app.fleet.tick();
    expect(errors).toEqual([]);
    const job = results.find((r) => r.role === 'job');
    decisions.push({
      desired: job?.plan?.desired.count ?? -1,
      actions: comparable(job?.plan?.actions ?? []),
    });
  }
  return decisions;
}

/** The simulator's real-service driver on the same samples, from the same empty fleet. */
async function simulatorDecisions(policy: PolicyName, warmPool?: number): Promise<Decision[]> {
  const config = sandboxConfig(policy, ENDPOINTS, warmPool);
  const role = config.roles.job;
  if (role === undefined) throw new Error('no job role');
  const model = new JobModel([], 4);
  const decisions: Decision[] = [];
  const driver = new ServiceDriver({
    model,
    role,
    startAt: START,
    nextDelay: () => PENDING_MS + BOOT_MS,
    nextStartDelay: () => START_PENDING_MS + START_BOOT_MS,
    queueLength: () => SAMPLES[Math.floor(model.now / MINUTE)] ?? 0,
    onDecision: ({ desired, actions }) => decisions.push({ desired, actions: comparable(actions) }),
  });
  for (let at = 0; at < SAMPLES.length * MINUTE; at += driver.everyMs) {
    model.now = at;
    await driver.tick();
  }
  return decisions;
}

describe('the simulator and the sandbox decide alike', () => {
  // The shipped default with its weekday warm pool (filled from 07:55, started for the bursts),
  // and both policies without a pool (`--warm-pool 0`).
  it.each<[PolicyName, string, number | undefined, boolean]>([
    ['default', 'the shipped pool', undefined, false],
    ['default', 'no pool', 0, false],
    ['backlog-per-server', 'no pool', 0, false],
    // Its bursts reach the pool's hours: servers started, stopped and started again (in both, a
    // server EC2 is still stopping is not offered to a start).
    ['backlog-per-server', 'the shipped pool', undefined, true],
  ])(
    '%s (%s): the same desired count and actions on every tick of one sample sequence',
    async (policy, _pool, warmPool, starts) => {
      const sandbox = await sandboxDecisions(policy, warmPool);
      const simulator = await simulatorDecisions(policy, warmPool);
      expect(namedInOrder(simulator)).toEqual(namedInOrder(sandbox));
      // The sequence exercises scaling both ways, not just the floor.
      const kinds = new Set(sandbox.flatMap((d) => d.actions.map((a) => a.kind)));
      expect([...kinds].sort()).toEqual(expect.arrayContaining(['drain', 'launch', 'register', 'terminate']));
      expect(Math.max(...sandbox.map((d) => d.desired))).toBeGreaterThan(1);
      if (starts) expect([...kinds]).toEqual(expect.arrayContaining(['start', 'stop']));
    },
  );
});
