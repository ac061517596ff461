/**
 * The chaos runner: runs one scenario through the real handler functions in a fresh faulty world,
 * then stops every fault and ticks until the fleet settles, and checks the invariants; runs many
 * (one seed each) and sums them into the summary line
 *
 *   chaos: runs=N faults=F leaked=L doubleLaunch=D doubleStart=S unownedTerminations=U converged=C
 *
 * and replays one run's seed, which fast-check shrinks to a smaller failing scenario.
 */

import fc from 'fast-check';
import { spotEvent, stateEvent } from '../../fakes/events.js';
import { runControl } from '../../handlers/control.js';
import { runInstanceState } from '../../handlers/instance-state.js';
import { runQueueProbe } from '../../handlers/queue-probe.js';
import { runReconcile } from '../../handlers/reconcile.js';
import { runSchedule } from '../../handlers/schedule.js';
import type { ChaosWorld } from './chaos-world.js';
import { doubleLaunches, failed, leakedInstances, type RunReport, unsettled } from './invariants.js';
import {
  MINUTE,
  PICK,
  ROLES,
  runSeed,
  type Scenario,
  type Step,
  scenarioArbitrary,
  scenarioFor,
  type Trigger,
} from './scenario.js';
import { changeWorld, chaosWorld, inject, invoke } from './world.js';

/** Longest the fleet may take to settle once faults stop (orphan grace, hourly billing, leases). */
const SETTLE_LIMIT_MINUTES = 240;

/** Runs one scenario, settles it, and checks every invariant. */
export async function runScenario(scenario: Scenario): Promise<RunReport> {
  const world = chaosWorld(scenario);
  for (const s of scenario.steps) {
    await runStep(world, s);
    world.lifeline.revive();
  }
  const settled = await settle(world);
  await invoke(world, () => runReconcile({}, world.h.app));
  const { h, ledger, lifeline } = world;
  const leaked = await leakedInstances(world);
  const doubleLaunch = doubleLaunches(h);
  const problems = [...world.unexpected];
  if (!settled.converged)
    problems.push(`not converged after ${SETTLE_LIMIT_MINUTES} minutes: ${settled.why}`);
  return {
    faults: world.faults + h.cloud.faultsFired + ledger.faultsFired + lifeline.deaths,
    leaked,
    doubleLaunch,
    unownedTerminations: world.unowned,
    doubleStart: world.doubleStarts,
    converged: settled.converged,
    problems,
    settleMinutes: settled.minutes,
  };
}

async function runStep(world: ChaosWorld, s: Step): Promise<void> {
  const { h } = world;
  switch (s.kind) {
    case 'advance':
      h.advance(s.minutes * MINUTE);
      if (s.tick) await invoke(world, () => runQueueProbe({}, h.app));
      return;
    case 'queue':
      h.cloud.queueLength = s.length;
      return;
    case 'fault':
      inject(world, s.fault);
      return;
    case 'world':
      changeWorld(world, s.change);
      return;
    case 'concurrent':
      world.faults += 1;
      await Promise.all([runTrigger(world, s.a), runTrigger(world, s.b)]);
      return;
    default:
      await runTrigger(world, s);
  }
}

async function runTrigger(world: ChaosWorld, t: Trigger): Promise<void> {
  const { app } = world.h;
  switch (t.kind) {
    case 'tick':
      return invoke(world, () => runQueueProbe({}, app));
    case 'reconcile':
      return invoke(world, () => runReconcile({}, app));
    case 'schedule':
      return invoke(world, () => runSchedule({ role: t.role, edge: t.edge }, app));
    case 'event': {
      const instances = [...world.h.cloud.instances.values()];
      const instance = instances[t.pick % Math.max(1, instances.length)];
      const instanceId = instance?.instanceId ?? 'i-00000000deadbeef0';
      if (t.repeat > 1 || instance === undefined || instance.state !== t.state) world.faults += 1;
      for (let i = 0; i < t.repeat; i += 1) {
        await invoke(world, () => runInstanceState(stateEvent(instanceId, t.state), app));
      }
      return;
    }
    case 'control':
      return invoke(world, () => runControl(resolvePick(world, t.command, t.pick), app));
    case 'spot-warning': {
      // Mostly one of the Spot instances; now and then any (On-Demand, another stack's, long gone).
      const all = [...world.h.cloud.instances.values()];
      const spot = all.filter((i) => i.market === 'spot');
      const pool = t.pick % 4 === 0 || spot.length === 0 ? all : spot;
      const instanceId = pool[t.pick % Math.max(1, pool.length)]?.instanceId ?? 'i-00000000deadbeef0';
      world.faults += 1;
      const at = t.warning === 'interruption' ? world.h.cloud.interrupt(instanceId) : world.h.clock.now();
      for (let i = 0; i < t.repeat; i += 1) {
        await invoke(world, () => runInstanceState(spotEvent(instanceId, t.warning, at), app));
      }
      return;
    }
  }
}

/**
 * Replaces `instanceId: PICK` with a real instance: one the stack launched for an intent, or one
 * of another stack (which must be refused). Hand-launched orphans are left out: an operator may
 * retire those, which the ownership check would count as terminating an orphan before its grace.
 */
function resolvePick(world: ChaosWorld, command: unknown, pick: number): unknown {
  if (
    typeof command !== 'object' ||
    command === null ||
    (command as { instanceId?: unknown }).instanceId !== PICK
  )
    return command;
  const candidates = [...world.h.cloud.instances.values()].filter(
    (i) => i.intentId !== undefined || i.stack !== world.h.cloud.stack,
  );
  const chosen = candidates[pick % Math.max(1, candidates.length)];
  return { ...command, instanceId: chosen?.instanceId ?? 'i-00000000deadbeef0' };
}

/** Stops every fault, lifts overrides and pauses, then ticks until the fleet is at rest. */
export async function settle(
  world: ChaosWorld,
): Promise<{ converged: boolean; minutes: number; why: string }> {
  const { h, ledger, lifeline } = world;
  lifeline.revive();
  h.cloud.clearFaults();
  ledger.clearFaults();
  if (h.cloud.queueLength === null) h.cloud.queueLength = 0;
  for (const r of ROLES) {
    await ledger.setPause(r, undefined);
    await ledger.setBounds(r, undefined);
    await ledger.setPoolControl(r, undefined);
  }
  let why = 'never checked';
  for (let minute = 1; minute <= SETTLE_LIMIT_MINUTES; minute += 1) {
    h.advance(MINUTE);
    await invoke(world, () => runQueueProbe({}, h.app));
    if (minute % 15 === 0) await invoke(world, () => runReconcile({}, h.app));
    why = await unsettled(world);
    if (why === '') return { converged: true, minutes: minute, why };
  }
  return { converged: false, minutes: SETTLE_LIMIT_MINUTES, why };
}

// ---------------------------------------------------------------------------------------------
// Many runs

export interface ChaosFailure {
  run: number;
  seed: number;
  report: RunReport;
}

export interface ChaosSummary {
  runs: number;
  faults: number;
  leaked: number;
  doubleLaunch: number;
  doubleStart: number;
  unownedTerminations: number;
  converged: number;
  failures: ChaosFailure[];
}

export interface ChaosOptions {
  runs: number;
  seed: number;
  /** Called after every run. */
  onRun?: (done: number, summary: ChaosSummary) => void;
}

/** Runs `runs` independent scenarios, each from `runSeed(seed, index)`, and sums the invariants. */
export async function runChaos(options: ChaosOptions): Promise<ChaosSummary> {
  const summary: ChaosSummary = {
    runs: 0,
    faults: 0,
    leaked: 0,
    doubleLaunch: 0,
    doubleStart: 0,
    unownedTerminations: 0,
    converged: 0,
    failures: [],
  };
  for (let run = 0; run < options.runs; run += 1) {
    const seed = runSeed(options.seed, run);
    const report = await runScenario(scenarioFor(seed));
    summary.runs += 1;
    summary.faults += report.faults;
    summary.leaked += report.leaked.length;
    summary.doubleLaunch += report.doubleLaunch.length;
    summary.doubleStart += report.doubleStart.length;
    summary.unownedTerminations += report.unownedTerminations.length;
    if (report.converged) summary.converged += 1;
    if (failed(report)) summary.failures.push({ run, seed, report });
    options.onRun?.(run + 1, summary);
  }
  return summary;
}

/** The summary line. */
export function summaryLine(summary: ChaosSummary): string {
  return `chaos: runs=${summary.runs} faults=${summary.faults} leaked=${summary.leaked} doubleLaunch=${summary.doubleLaunch} doubleStart=${summary.doubleStart} unownedTerminations=${summary.unownedTerminations} converged=${summary.converged}`;
}

/**
 * Replays the run with this seed through fast-check, which shrinks a failing scenario to a smaller
 * one that still fails. Returns undefined when the run passes.
 */
export async function replayChaos(
  seed: number,
): Promise<{ scenario: Scenario; report: RunReport } | undefined> {
  let last: { scenario: Scenario; report: RunReport } | undefined;
  const details = await fc.check(
    fc.asyncProperty(scenarioArbitrary, async (scenario) => {
      const report = await runScenario(scenario);
      if (failed(report)) last = { scenario, report };
      return !failed(report);
    }),
    { seed, numRuns: 1 },
  );
  if (!details.failed || details.counterexample === null) return undefined;
  const [scenario] = details.counterexample;
  return { scenario, report: last?.scenario === scenario ? last.report : await runScenario(scenario) };
}
