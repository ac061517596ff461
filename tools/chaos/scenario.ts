/**
 * Chaos scenarios as data: what a run does (time jumps, ticks, schedule edges, queue readings, EC2
 * events, manual commands, injected faults, changes to the world, pairs of triggers at once), the
 * fast-check arbitraries that generate them, and the seeds they come from. Each run's scenario
 * comes from its own seed (`runSeed(seed, index)`), so a failing run replays alone.
 */

import fc from 'fast-check';
import type { MarketSetting } from '../../domain/market.js';
import type { CloudInstance } from '../../domain/types.js';
import type { CloudOp, SpotShortage } from '../../fakes/fake-cloud.js';
import type { LedgerMethod } from '../../fakes/faulty-ledger.js';

export * from './scenario-types.js';

import {
  type CloudError,
  type DeathPoint,
  type Fault,
  type LedgerError,
  MINUTE,
  PICK,
  ROLES,
  type Role,
  type Scenario,
  type Step,
  type StormCalls,
  type Trigger,
  type WorldChange,
} from './scenario-types.js';

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
  fc.record({ action: fc.constant('override'), role, clear: fc.constant(true) }),
  // The app role has no pool: refused, changing nothing.
  fc.record({ action: fc.constantFrom('drain-pool', 'refill-pool'), role }),
);

/** Commands that must be refused (and change nothing). */
const invalidCommand: fc.Arbitrary<unknown> = fc.constantFrom<unknown>(
  { action: 'explode', role: 'app' },
  { action: 'launch', role: 'app', count: 0 },
  { action: 'launch', role: 'app', count: '2' },
  { action: 'launch', role: 'db', count: 1 },
  { action: 'launch', role: 'constructor', count: 1 },
  { action: 'pause', role: '__proto__' },
  { action: 'launch', count: 1 },
  { action: 'launch', role: 'app', count: 99 },
  { action: 'retire', role: 'job', count: 50 },
  { action: 'retire', role: 'app', instanceId: 'not-an-instance' },
  { action: 'pause', role: 'app', force: true },
  { action: 'override', role: 'job', min: 3, max: 1, minutes: 10 },
  { action: 'override', role: 'app', min: 500, minutes: 10 },
  { action: 'drain-pool', role: 'job', size: 0 },
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
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('spot-warning' as const),
      pick: fc.nat(63),
      warning: fc.constantFrom('interruption' as const, 'rebalance' as const),
      repeat: fc.integer({ min: 1, max: 2 }),
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
  fc.record({
    op: fc.constant<CloudOp>('start'),
    error: fc.constantFrom<CloudError>('throttle', 'capacity', 'incorrect-state', 'not-found', 'transient'),
  }),
  fc.record({
    op: fc.constant<CloudOp>('stop'),
    error: fc.constantFrom<CloudError>('throttle', 'incorrect-state', 'invalid', 'transient'),
  }),
);

const ledgerMethod = fc.constantFrom<LedgerMethod>(
  'listServers',
  'getServer',
  'createIntent',
  'updateServer',
  'acquireLease',
  'recordSample',
  'samplesSince',
  'journal',
  'getControls',
  'setPause',
  'setBounds',
  'getHold',
  'putHold',
  'getJobTime',
  'putJobTime',
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
  { weight: 1, arbitrary: fc.constant<Fault>({ kind: 'ami-gone' }) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<SpotShortage>('capacity', 'price', 'limit')
      .map((shortage): Fault => ({ kind: 'spot-shortage', shortage })),
  },
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
        'start',
        'stop',
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
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('throttle-storm' as const),
      calls: fc.constantFrom<StormCalls>('launches', 'listings', 'mutations', 'ec2'),
      minutes: fc.integer({ min: 1, max: 15 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant<Fault>({ kind: 'calm' }) },
);

const worldChange: fc.Arbitrary<WorldChange> = fc.oneof(
  fc.record({ kind: fc.constantFrom('orphan' as const, 'other-stack' as const), role }),
  fc.record({
    kind: fc.constantFrom('stop' as const, 'kill' as const, 'vanish' as const, 'retag' as const),
    pick: fc.nat(63),
  }),
  fc.record({ kind: fc.constantFrom('start' as const, 'stuck-stopping' as const), pick: fc.nat(63) }),
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
    jobMarket: fc.constantFrom<MarketSetting>('on-demand', 'spot', 'spot-then-on-demand'),
    appDrainSeconds: fc.constantFrom(0, 300),
    appLoadBalancer: fc.constantFrom('classic' as const, 'target-group' as const),
    jobWarmPool: fc.constantFrom(0, 1, 2, 2),
    jobPoolState: fc.constantFrom('stopped' as const, 'hibernated' as const),
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
