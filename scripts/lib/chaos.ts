/**
 * The randomized chaos run: fast-check generates scenarios (a start time, a config variant and a
 * list of steps: time jumps, ticks, schedule edges, queue readings, EC2 events, manual commands,
 * injected faults, changes to the world and pairs of triggers at once); each scenario runs on a
 * fresh fake cloud and a fault-injecting in-memory ledger through the real handler functions. Then
 * every fault stops, overrides are cleared, and ticks run until the fleet settles, and the run is
 * checked:
 *
 * - leaked: alive instances tagged for the stack with no non-terminated ledger record (must be 0);
 * - doubleLaunch: launch intents with more than one instance (must be 0);
 * - unownedTerminations: TerminateInstances naming an instance not tagged for the stack, not in
 *   the ledger at that instant, or an orphan before its grace (must be 0), with instances of
 *   another stack and hand-launched orphans in the world to make this bite;
 * - converged: alive capacity per role equals the desired count of a dry-run converge.
 *
 * Each run's scenario comes from its own seed (`runSeed(seed, index)`), so a failing run replays
 * alone, and `replayChaos` shrinks it to a smaller failing scenario.
 */

import fc from 'fast-check';
import { MemoryLedger } from '../../adapters/memory-ledger.js';
import type { Config } from '../../domain/config.js';
import {
  CapacityError,
  ConflictError,
  FleetError,
  InvalidRequestError,
  NotFoundError,
  ThrottlingError,
  TransientError,
} from '../../domain/errors.js';
import { DEFAULT_RECONCILE_SETTINGS } from '../../domain/reconcile.js';
import type { CloudInstance } from '../../domain/types.js';
import { testConfig } from '../../fakes/config.js';
import { stateEvent } from '../../fakes/events.js';
import type { CloudOp, FakeInstance } from '../../fakes/fake-cloud.js';
import { FaultyLedger, type LedgerMethod, Lifeline, ProcessDied } from '../../fakes/faulty-ledger.js';
import { type Harness, harness } from '../../fakes/harness.js';
import { runControl } from '../../handlers/control.js';
import { runInstanceState } from '../../handlers/instance-state.js';
import { runQueueProbe } from '../../handlers/queue-probe.js';
import { runReconcile } from '../../handlers/reconcile.js';
import { runSchedule } from '../../handlers/schedule.js';

const MINUTE = 60_000;
/** Longest the fleet may take to settle once faults stop (orphan grace, hourly billing, leases). */
const SETTLE_LIMIT_MINUTES = 240;
const ROLES = ['app', 'job'] as const;
type Role = (typeof ROLES)[number];
const OTHER_STACK = 'someone-else';

// ---------------------------------------------------------------------------------------------
// Scenarios as data

export type CloudError = 'throttle' | 'capacity' | 'invalid' | 'transient' | 'not-found';
export type LedgerError = 'conflict' | 'throttle';
export type DeathPoint =
  | 'createIntent'
  | 'launch'
  | 'updateServer'
  | 'register'
  | 'deregister'
  | 'terminate'
  | 'acquireLease'
  | 'journal';

export type Fault =
  | { kind: 'cloud-once'; op: CloudOp; error: CloudError }
  | { kind: 'cloud-rate'; op: CloudOp; error: CloudError; probability: number }
  /** EC2 has no capacity for this instance type (in every subnet) until the faults stop. */
  | { kind: 'no-capacity'; instanceType: string }
  /** RunInstances creates the instance, then the caller sees a timeout. */
  | { kind: 'ambiguous-launch' }
  | { kind: 'ledger-once'; method: LedgerMethod; error: LedgerError }
  | { kind: 'ledger-rate'; method: LedgerMethod; error: LedgerError; probability: number }
  /** The write commits, then the caller sees a timeout. */
  | { kind: 'ledger-ambiguous'; method: 'createIntent' | 'updateServer' }
  /** The process dies right after the next such call; its lease stays held until it expires. */
  | { kind: 'death'; after: DeathPoint }
  /** DescribeInstances lags RunInstances by this much. */
  | { kind: 'list-lag'; seconds: number }
  /** Every fault stops (for a while). */
  | { kind: 'calm' };

export type WorldChange =
  /** Someone launches an instance tagged for this stack by hand (an orphan). */
  | { kind: 'orphan'; role: Role }
  /** Another stack launches an instance with the same role tag. */
  | { kind: 'other-stack'; role: Role }
  /** Someone stops, terminates or loses (gone from EC2) one of the stack's instances. */
  | { kind: 'stop' | 'kill' | 'vanish'; pick: number }
  /** Someone hands one of the stack's instances to another stack (re-tags it): no longer ours. */
  | { kind: 'retag'; pick: number }
  /** A server that never passes the content health check. */
  | { kind: 'break'; pick: number };

export type Trigger =
  | { kind: 'tick' }
  | { kind: 'reconcile' }
  | { kind: 'schedule'; role: Role; edge: 'start' | 'end' }
  /** An EC2 state-change event for an instance picked at run time, possibly stale, possibly repeated. */
  | { kind: 'event'; pick: number; state: CloudInstance['state']; repeat: number }
  /** A manual command; `instanceId: PICK` is replaced by an instance picked at run time. */
  | { kind: 'control'; command: unknown; pick: number };

export type Step =
  | Trigger
  | { kind: 'advance'; minutes: number; tick: boolean }
  | { kind: 'queue'; length: number | null }
  | { kind: 'fault'; fault: Fault }
  | { kind: 'world'; change: WorldChange }
  | { kind: 'concurrent'; a: Trigger; b: Trigger };

export interface Variant {
  jobBilling: 'hourly' | 'per-second';
  appDrainSeconds: number;
  appLoadBalancer: 'classic' | 'target-group';
}

export interface Scenario {
  /** Seeds the fake cloud's and the ledger's random numbers (probabilistic faults). */
  seed: number;
  start: number;
  variant: Variant;
  steps: Step[];
}

/** Placeholder for an instance id picked when the command runs. */
export const PICK = '$pick';

/** Start times (Toronto) around the schedule's edges, weekends and the March DST change. */
const STARTS = [
  '2026-03-02T12:45:00Z', // Mon 07:45 EST, before the 08:00 window start
  '2026-03-02T15:00:00Z', // Mon 10:00 EST, inside the window
  '2026-03-03T01:40:00Z', // Mon 20:40 EST, before the 21:00 window end
  '2026-03-07T01:30:00Z', // Fri 20:30 EST, into the weekend
  '2026-03-07T17:00:00Z', // Sat 12:00 EST
  '2026-03-08T06:30:00Z', // Sun 01:30 EST, across the 02:00 → 03:00 DST jump
  '2026-03-09T11:30:00Z', // Mon 07:30 EDT, the first window start after DST
].map((iso) => Date.parse(iso));

const role = fc.constantFrom<Role>(...ROLES);
const ec2State = fc.constantFrom<CloudInstance['state']>(
  'pending',
  'running',
  'shutting-down',
  'terminated',
  'stopping',
  'stopped',
);
const probability = fc.constantFrom(0.1, 0.25, 0.5);

const validCommand: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({ action: fc.constant('status') }),
  fc.record({
    action: fc.constant('launch'),
    role,
    count: fc.integer({ min: 1, max: 3 }),
    holdMinutes: fc.integer({ min: 5, max: 90 }),
  }),
  fc.record({
    action: fc.constant('retire'),
    role,
    count: fc.integer({ min: 1, max: 2 }),
    holdMinutes: fc.integer({ min: 5, max: 90 }),
  }),
  fc.record({ action: fc.constant('retire'), role, instanceId: fc.constant(PICK) }),
  fc.record({ action: fc.constant('pause'), role }),
  fc.record({ action: fc.constant('resume'), role }),
  fc.record(
    {
      action: fc.constant('override'),
      role,
      min: fc.integer({ min: 0, max: 4 }),
      max: fc.integer({ min: 1, max: 6 }),
      minutes: fc.integer({ min: 5, max: 120 }),
    },
    { requiredKeys: ['action', 'role', 'minutes'] },
  ),
  fc.record({ action: fc.constant('override'), role, clear: fc.constant(true), minutes: fc.constant(1) }),
);

/** Commands that must be refused (and change nothing). */
const invalidCommand: fc.Arbitrary<unknown> = fc.constantFrom<unknown>(
  { action: 'explode', role: 'app' },
  { action: 'launch', role: 'app', count: 0 },
  { action: 'launch', role: 'app', count: '2' },
  { action: 'launch', role: 'db', count: 1 },
  { action: 'launch', count: 1 },
  { action: 'launch', role: 'app', count: 99 },
  { action: 'retire', role: 'job', count: 50 },
  { action: 'retire', role: 'app', instanceId: 'not-an-instance' },
  { action: 'pause', role: 'app', force: true },
  { action: 'override', role: 'job', min: 3, max: 1, minutes: 10 },
  { action: 'override', role: 'app', min: 500, minutes: 10 },
  null,
  'status',
  [],
);

const trigger: fc.Arbitrary<Trigger> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Trigger>({ kind: 'tick' }) },
  { weight: 1, arbitrary: fc.constant<Trigger>({ kind: 'reconcile' }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('schedule' as const),
      role,
      edge: fc.constantFrom('start' as const, 'end' as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('event' as const),
      pick: fc.nat(63),
      state: ec2State,
      repeat: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('control' as const),
      command: fc.oneof({ weight: 4, arbitrary: validCommand }, { weight: 1, arbitrary: invalidCommand }),
      pick: fc.nat(63),
    }),
  },
);

const cloudFault: fc.Arbitrary<{ op: CloudOp; error: CloudError }> = fc.oneof(
  fc.record({
    op: fc.constant<CloudOp>('launch'),
    error: fc.constantFrom<CloudError>('throttle', 'capacity', 'invalid', 'transient'),
  }),
  fc.record({
    op: fc.constantFrom<CloudOp>('list', 'terminate', 'vcpus'),
    error: fc.constantFrom<CloudError>('throttle', 'transient'),
  }),
  fc.record({
    op: fc.constantFrom<CloudOp>('register', 'deregister', 'members'),
    error: fc.constantFrom<CloudError>('throttle', 'not-found', 'invalid', 'transient'),
  }),
  fc.record({ op: fc.constantFrom<CloudOp>('health', 'queue'), error: fc.constant<CloudError>('transient') }),
);

const ledgerMethod = fc.constantFrom<LedgerMethod>(
  'listServers',
  'createIntent',
  'updateServer',
  'acquireLease',
  'recordSample',
  'samplesSince',
  'journal',
  'getOverride',
  'setOverride',
);

const fault: fc.Arbitrary<Fault> = fc.oneof(
  { weight: 4, arbitrary: cloudFault.map((f): Fault => ({ kind: 'cloud-once', ...f })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(cloudFault, probability)
      .map(([f, p]): Fault => ({ kind: 'cloud-rate', ...f, probability: p })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('c5.large', 'm5.large')
      .map((instanceType): Fault => ({ kind: 'no-capacity', instanceType })),
  },
  { weight: 1, arbitrary: fc.constant<Fault>({ kind: 'ambiguous-launch' }) },
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc.record({
        kind: fc.constant('ledger-once' as const),
        method: fc.constantFrom<LedgerMethod>('createIntent', 'updateServer'),
        error: fc.constantFrom<LedgerError>('conflict', 'throttle'),
      }),
      fc.record({
        kind: fc.constant('ledger-once' as const),
        method: ledgerMethod,
        error: fc.constant<LedgerError>('throttle'),
      }),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('ledger-rate' as const),
      method: ledgerMethod,
      error: fc.constantFrom<LedgerError>('conflict', 'throttle'),
      probability,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('ledger-ambiguous' as const),
      method: fc.constantFrom('createIntent' as const, 'updateServer' as const),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('death' as const),
      after: fc.constantFrom<DeathPoint>(
        'createIntent',
        'launch',
        'updateServer',
        'register',
        'deregister',
        'terminate',
        'acquireLease',
        'journal',
      ),
    }),
  },
  {
    weight: 1,
    // Usually seconds; now and then longer than the ghost grace and the launch deadline.
    arbitrary: fc
      .oneof(
        { weight: 3, arbitrary: fc.integer({ min: 10, max: 120 }) },
        { weight: 1, arbitrary: fc.integer({ min: 300, max: 720 }) },
      )
      .map((seconds): Fault => ({ kind: 'list-lag', seconds })),
  },
  { weight: 1, arbitrary: fc.constant<Fault>({ kind: 'calm' }) },
);

const worldChange: fc.Arbitrary<WorldChange> = fc.oneof(
  fc.record({ kind: fc.constantFrom('orphan' as const, 'other-stack' as const), role }),
  fc.record({
    kind: fc.constantFrom('stop' as const, 'kill' as const, 'vanish' as const, 'retag' as const),
    pick: fc.nat(63),
  }),
  fc.record({ kind: fc.constant('break' as const), pick: fc.nat(63) }),
);

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      minutes: fc.oneof(
        { weight: 5, arbitrary: fc.integer({ min: 1, max: 3 }) },
        { weight: 2, arbitrary: fc.integer({ min: 4, max: 45 }) },
      ),
      tick: fc.oneof(
        { weight: 4, arbitrary: fc.constant(true) },
        { weight: 1, arbitrary: fc.constant(false) },
      ),
    }),
  },
  { weight: 7, arbitrary: trigger },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('queue' as const),
      length: fc.oneof(
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 5, max: 20 }),
        fc.integer({ min: 21, max: 500 }),
        fc.constant(null),
      ),
    }),
  },
  { weight: 4, arbitrary: fault.map((f): Step => ({ kind: 'fault', fault: f })) },
  { weight: 1, arbitrary: worldChange.map((change): Step => ({ kind: 'world', change })) },
  {
    weight: 1,
    arbitrary: fc.tuple(trigger, trigger).map(([a, b]): Step => ({ kind: 'concurrent', a, b })),
  },
);

export const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.record({
  seed: fc.integer(),
  start: fc
    .tuple(fc.constantFrom(...STARTS), fc.integer({ min: 0, max: 20 }))
    .map(([at, minutes]) => at + minutes * MINUTE),
  variant: fc.record({
    jobBilling: fc.constantFrom('hourly' as const, 'per-second' as const),
    appDrainSeconds: fc.constantFrom(0, 300),
    appLoadBalancer: fc.constantFrom('classic' as const, 'target-group' as const),
  }),
  steps: fc.array(step, { minLength: 20, maxLength: 60, size: 'max' }),
});

/** The seed of run `index` of a chaos run seeded with `seed` (non-negative, for command lines). */
export function runSeed(seed: number, index: number): number {
  return (seed + Math.imul(index + 1, 0x9e3779b1)) & 0x7fffffff;
}

/** The scenario a run seed stands for (the first value fast-check generates with that seed). */
export function scenarioFor(seed: number): Scenario {
  const [scenario] = fc.sample(scenarioArbitrary, { seed, numRuns: 1 });
  if (scenario === undefined) throw new Error(`no scenario for seed ${seed}`);
  return scenario;
}

// ---------------------------------------------------------------------------------------------
// Running one scenario

export interface RunReport {
  faults: number;
  leaked: string[];
  doubleLaunch: string[];
  unownedTerminations: string[];
  converged: boolean;
  /** Why the run did not converge, or errors no port contract allows (e.g. a TypeError). */
  problems: string[];
  settleMinutes: number;
}

/** A world: the app on the fake cloud, the faulty ledger, and what the checks saw along the way. */
export interface ChaosWorld {
  h: Harness;
  ledger: FaultyLedger;
  lifeline: Lifeline;
  faults: number;
  unowned: string[];
  unexpected: string[];
}

/**
 * A fresh world: MemoryLedger wrapped by FaultyLedger, a seeded fake cloud, a dead process's calls
 * refused, and the ownership and intent-first checks watching every launch and termination.
 */
export function chaosWorld(
  options: Partial<Pick<Scenario, 'seed' | 'start' | 'variant'>> & { config?: Config } = {},
): ChaosWorld {
  const random = mulberry32(options.seed ?? 1);
  const lifeline = new Lifeline();
  const ledger = new FaultyLedger(new MemoryLedger(), { random, lifeline });
  const config =
    options.config ?? (options.variant === undefined ? undefined : variantConfig(options.variant));
  const h = harness({
    ...(config === undefined ? {} : { config }),
    ...(options.start === undefined ? {} : { start: options.start }),
    ledger,
    cloud: { random },
  });
  const world: ChaosWorld = { h, ledger, lifeline, faults: 0, unowned: [], unexpected: [] };
  // A dead process makes no calls: this watcher comes first, so nothing below sees them.
  h.cloud.watch('*', () => lifeline.check());
  h.cloud.watch('launch', (_op, args) => {
    const { intentId, role: launchRole } = args as { intentId: string; role: string };
    const intent = ledger.records().find((r) => r.intentId === intentId && r.role === launchRole);
    if (intent === undefined || intent.state !== 'launching') {
      world.unexpected.push(
        `RunInstances for intent ${intentId} before its intent was written (ledger: ${intent?.state ?? 'none'})`,
      );
    }
  });
  h.cloud.watch('terminate', (_op, args) => {
    for (const id of args as string[]) {
      const problem = ownershipProblem(world, id);
      if (problem !== undefined) world.unowned.push(problem);
    }
  });
  return world;
}

function variantConfig(variant: Variant): Config {
  return testConfig({
    roles: {
      app: {
        lifecycle: { drainSeconds: variant.appDrainSeconds },
        loadBalancer:
          variant.appLoadBalancer === 'classic'
            ? { type: 'classic', name: 'smallpayroll-http' }
            : {
                type: 'target-group',
                // null removes the default's classic name when the documents merge.
                name: null,
                targetGroupArn:
                  'arn:aws:elasticloadbalancing:ca-central-1:123456789012:targetgroup/app/0123456789abcdef',
              },
      },
      job: { lifecycle: { billing: variant.jobBilling } },
    },
  });
}

/** Why terminating `instanceId` now would not be ours to do, or undefined when it is. */
function ownershipProblem(world: ChaosWorld, instanceId: string): string | undefined {
  const { cloud, clock } = world.h;
  const instance = cloud.instances.get(instanceId);
  if (instance === undefined) return `${instanceId}: no such instance`;
  if (instance.stack !== cloud.stack) return `${instanceId}: tagged for stack ${instance.stack}`;
  const naming = world.ledger.records().filter((r) => r.instanceId === instanceId);
  const [record] = naming;
  if (record === undefined) return `${instanceId}: not in the ledger`;
  if (naming.length > 1) {
    return `${instanceId}: named by ${naming.length} ledger records (${naming.map((r) => r.intentId).join(', ')})`;
  }
  if (record.role !== instance.role)
    return `${instanceId}: a ${instance.role} instance, ledger says ${record.role}`;
  if (!record.orphan && instance.intentId !== undefined && instance.intentId !== record.intentId) {
    return `${instanceId}: launched for intent ${instance.intentId}, ledger record ${record.intentId}`;
  }
  // Measured from when the orphan was marked, not from the record's own deadline (which a bug
  // could set as easily as it could skip the grace).
  if (record.orphan && clock.now() < record.createdAt + DEFAULT_RECONCILE_SETTINGS.orphanGraceMs) {
    return `${instanceId}: orphan terminated before its grace ended`;
  }
  return undefined;
}

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
    converged: settled.converged,
    problems,
    settleMinutes: settled.minutes,
  };
}

/** Whether a run broke any invariant. */
export function failed(report: RunReport): boolean {
  return (
    report.leaked.length > 0 ||
    report.doubleLaunch.length > 0 ||
    report.unownedTerminations.length > 0 ||
    !report.converged ||
    report.problems.length > 0
  );
}

/**
 * Runs one invocation; its errors are the invocation failing (Lambda would retry), not the run's,
 * unless no port contract allows them (a TypeError). The caller revives the process afterwards.
 */
export async function invoke(world: ChaosWorld, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (error instanceof ProcessDied) return;
    if (error instanceof FleetError) {
      // A handler's summary of per-role failures: a programming error inside must not hide there.
      if (/\b(TypeError|ReferenceError|RangeError|SyntaxError)\b/.test(error.message)) {
        world.unexpected.push(error.message);
      }
      return;
    }
    world.unexpected.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  }
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

function cloudError(kind: CloudError, op: CloudOp): Error {
  switch (kind) {
    case 'throttle':
      return new ThrottlingError(`chaos: ${op} throttled (RequestLimitExceeded)`);
    case 'capacity':
      return new CapacityError('chaos: InsufficientInstanceCapacity');
    case 'invalid':
      return new InvalidRequestError(`chaos: ${op} invalid parameter`);
    case 'transient':
      return new TransientError(`chaos: ${op} 503`);
    case 'not-found':
      return new NotFoundError(`chaos: ${op} load balancer not found`);
  }
}

function ledgerError(kind: LedgerError, method: LedgerMethod): Error {
  return kind === 'conflict'
    ? new ConflictError(`chaos: ${method} ConditionalCheckFailed`)
    : new ThrottlingError(`chaos: ${method} ProvisionedThroughputExceeded`);
}

const CLOUD_DEATHS: Partial<Record<DeathPoint, CloudOp>> = {
  launch: 'launch',
  register: 'register',
  deregister: 'deregister',
  terminate: 'terminate',
};

function inject(world: ChaosWorld, f: Fault): void {
  const { cloud } = world.h;
  const { ledger, lifeline } = world;
  switch (f.kind) {
    case 'cloud-once':
      cloud.failNext(f.op, cloudError(f.error, f.op));
      return;
    case 'cloud-rate':
      cloud.failRate(f.op, f.probability, () => cloudError(f.error, f.op));
      return;
    case 'no-capacity':
      cloud.failWhen(
        'launch',
        (args) => (args as { instanceType?: string }).instanceType === f.instanceType,
        () => new CapacityError(`chaos: no ${f.instanceType} capacity`, f.instanceType),
      );
      return;
    case 'ambiguous-launch':
      cloud.after('launch', () => {
        world.faults += 1;
        throw new TransientError('chaos: RunInstances timed out after creating the instance');
      });
      return;
    case 'ledger-once':
      ledger.failNext(f.method, ledgerError(f.error, f.method));
      return;
    case 'ledger-rate':
      ledger.failRate(f.method, f.probability, () => ledgerError(f.error, f.method));
      return;
    case 'ledger-ambiguous':
      ledger.failAfterWrite(f.method, new TransientError(`chaos: ${f.method} timed out after the commit`));
      return;
    case 'death': {
      const op = CLOUD_DEATHS[f.after];
      if (op !== undefined) cloud.after(op, () => lifeline.die(`after ${op}`));
      else ledger.dieAfter(f.after as LedgerMethod);
      return;
    }
    case 'list-lag':
      cloud.listLagMs = f.seconds * 1000;
      return;
    case 'calm':
      cloud.clearFaults();
      ledger.clearFaults();
      return;
  }
}

function changeWorld(world: ChaosWorld, change: WorldChange): void {
  const { cloud, clock } = world.h;
  world.faults += 1;
  if (change.kind === 'orphan') {
    cloud.addForeignTagged(change.role);
    return;
  }
  if (change.kind === 'other-stack') {
    cloud.addForeign({ stack: OTHER_STACK, role: change.role });
    return;
  }
  const alive = [...cloud.instances.values()].filter(
    (i) => i.stack === cloud.stack && (i.state === 'pending' || i.state === 'running'),
  );
  const victim = alive[change.pick % Math.max(1, alive.length)];
  if (victim === undefined) return;
  switch (change.kind) {
    case 'stop':
      victim.state = 'stopped';
      return;
    case 'kill':
      victim.state = 'shutting-down';
      victim.terminatedAt = clock.now();
      return;
    case 'vanish':
      victim.state = 'terminated';
      for (const members of cloud.members.values()) members.delete(victim.instanceId);
      return;
    case 'break':
      victim.broken = true;
      return;
    case 'retag':
      victim.stack = OTHER_STACK;
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Settling and the invariants

/** Stops every fault, lifts overrides and pauses, then ticks until the fleet is at rest. */
export async function settle(
  world: ChaosWorld,
): Promise<{ converged: boolean; minutes: number; why: string }> {
  const { h, ledger, lifeline } = world;
  lifeline.revive();
  h.cloud.clearFaults();
  ledger.clearFaults();
  if (h.cloud.queueLength === null) h.cloud.queueLength = 0;
  for (const r of ROLES) await ledger.setOverride(r, undefined);
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

/** Why the fleet is not at rest, or '' when every role has exactly its desired servers in service. */
export async function unsettled(world: ChaosWorld): Promise<string> {
  const { h, ledger } = world;
  const alive = [...h.cloud.instances.values()].filter((i) => i.stack === h.cloud.stack && isAlive(i));
  for (const r of ROLES) {
    const records = (await ledger.inner.listServers(r)).filter((s) => s.state !== 'terminated');
    const moving = records.filter((s) => s.state !== 'in-service');
    if (moving.length > 0)
      return `${r}: ${moving.map((s) => `${s.instanceId ?? s.intentId} ${s.state}`).join(', ')}`;
    const instances = alive.filter((i) => i.role === r);
    if (instances.length !== records.length) {
      return `${r}: ${instances.length} alive instances, ${records.length} in-service records`;
    }
  }
  for (const r of ROLES) {
    const dry = await h.app.fleet.converge(r, { trigger: 'chaos:check', dryRun: true });
    const desired = dry.plan?.desired;
    const inService = alive.filter((i) => i.role === r).length;
    if (desired === undefined) return `${r}: no plan`;
    if (desired.hold !== undefined) return `${r}: holding (${desired.hold})`;
    if (inService !== desired.count) return `${r}: ${inService} alive, ${desired.count} desired`;
    if (dry.fixes.length > 0 || (dry.plan?.actions.length ?? 0) > 0) {
      return `${r}: still to do: ${[...dry.fixes.map((f) => f.action.reason), ...(dry.plan?.actions ?? []).map((a) => a.reason)].join('; ')}`;
    }
  }
  return '';
}

function isAlive(instance: FakeInstance): boolean {
  return (
    instance.state === 'pending' ||
    instance.state === 'running' ||
    instance.state === 'stopping' ||
    instance.state === 'stopped'
  );
}

/** Alive instances tagged for the stack that no non-terminated ledger record names. */
export async function leakedInstances(world: ChaosWorld): Promise<string[]> {
  const { h, ledger } = world;
  const owned = new Set<string>();
  for (const r of ROLES) {
    for (const record of await ledger.inner.listServers(r)) {
      if (record.state !== 'terminated' && record.instanceId !== undefined) owned.add(record.instanceId);
    }
  }
  return [...h.cloud.instances.values()]
    .filter((i) => i.stack === h.cloud.stack && isAlive(i) && !owned.has(i.instanceId))
    .map((i) => `${i.instanceId} (${i.role ?? 'no role'}, intent ${i.intentId ?? 'none'}, ${i.state})`);
}

/** Launch intents with more than one instance. */
export function doubleLaunches(h: Harness): string[] {
  const byIntent = new Map<string, string[]>();
  for (const instance of h.cloud.instances.values()) {
    if (instance.intentId === undefined || instance.stack !== h.cloud.stack) continue;
    byIntent.set(instance.intentId, [...(byIntent.get(instance.intentId) ?? []), instance.instanceId]);
  }
  return [...byIntent.entries()]
    .filter(([, ids]) => ids.length > 1)
    .map(([intent, ids]) => `${intent}: ${ids.join(', ')}`);
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
    summary.unownedTerminations += report.unownedTerminations.length;
    if (report.converged) summary.converged += 1;
    if (failed(report)) summary.failures.push({ run, seed, report });
    options.onRun?.(run + 1, summary);
  }
  return summary;
}

/** The summary line. */
export function summaryLine(summary: ChaosSummary): string {
  return `chaos: runs=${summary.runs} faults=${summary.faults} leaked=${summary.leaked} doubleLaunch=${summary.doubleLaunch} unownedTerminations=${summary.unownedTerminations} converged=${summary.converged}`;
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

/** A small, fast, seeded PRNG (mulberry32): numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
