/**
 * The faulty world a chaos scenario runs in: the app on a seeded fake cloud (fakes/) and a
 * fault-injecting in-memory ledger, a process that can die mid-invocation, the faults a scenario
 * injects and the changes it makes to the world behind the system's back. The checks of
 * invariants.ts watch every RunInstances (intent first) and TerminateInstances (owned).
 */

import { MemoryLedger } from '../../adapters/memory-ledger.js';
import type { Config } from '../../domain/config.js';
import {
  CapacityError,
  ConflictError,
  FleetError,
  IncorrectStateError,
  InvalidRequestError,
  NotFoundError,
  ThrottlingError,
  TransientError,
} from '../../domain/errors.js';
import { testConfig } from '../../fakes/config.js';
import type { CloudOp } from '../../fakes/fake-cloud.js';
import { FaultyLedger, type LedgerMethod, Lifeline, ProcessDied } from '../../fakes/faulty-ledger.js';
import { harness } from '../../fakes/harness.js';
import { seededRandom } from '../../sim/random.js';
import type { ChaosWorld } from './chaos-world.js';
import { launchWithoutIntent, ownershipProblem, poolCallProblem } from './invariants.js';
import type {
  CloudError,
  DeathPoint,
  Fault,
  LedgerError,
  Scenario,
  Variant,
  WorldChange,
} from './scenario.js';
import { STORM_CALLS } from './scenario.js';

const OTHER_STACK = 'someone-else';

/**
 * A fresh world: MemoryLedger wrapped by FaultyLedger, a seeded fake cloud, a dead process's calls
 * refused, and the ownership and intent-first checks watching every launch and termination.
 */
export function chaosWorld(
  options: Partial<Pick<Scenario, 'seed' | 'start' | 'variant'>> & { config?: Config } = {},
): ChaosWorld {
  const random = seededRandom(options.seed ?? 1);
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
  const world: ChaosWorld = {
    h,
    ledger,
    lifeline,
    faults: 0,
    unowned: [],
    doubleStarts: [],
    unexpected: [],
  };
  // A dead process makes no calls: this watcher comes first, so nothing below sees them.
  h.cloud.watch('*', () => lifeline.check());
  h.cloud.watch('launch', (_op, args) => {
    const problem = launchWithoutIntent(world, args as Parameters<typeof launchWithoutIntent>[1]);
    if (problem !== undefined) world.unexpected.push(problem);
  });
  h.cloud.watch('terminate', (_op, args) => {
    for (const id of args as string[]) {
      const problem = ownershipProblem(world, id);
      if (problem !== undefined) world.unowned.push(problem);
    }
  });
  // Start and stop: only owned instances, and only once the ledger says `starting` or `stopping`.
  h.cloud.watch('start', (_op, id) => {
    const problem = poolCallProblem(world, id as string, 'starting');
    if (problem !== undefined) world.doubleStarts.push(problem);
  });
  h.cloud.watch('stop', (_op, args) => {
    const problem = poolCallProblem(world, (args as { id: string }).id, 'stopping');
    if (problem !== undefined) world.unowned.push(problem);
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
                targetGroupArn:
                  'arn:aws:elasticloadbalancing:ca-central-1:123456789012:targetgroup/app/0123456789abcdef',
              },
      },
      job: {
        lifecycle: { billing: variant.jobBilling },
        launch: { market: variant.jobMarket, onDemandBase: variant.jobMarket === 'on-demand' ? 0 : 1 },
        ...(variant.jobWarmPool === 0
          ? {}
          : {
              warmPool: {
                size: variant.jobWarmPool,
                state: variant.jobPoolState,
                // c5.large and m5.large can hibernate; the test image is said to be encrypted.
                rootVolumeEncrypted: true,
              },
            }),
      },
    },
  });
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
      return new NotFoundError(
        op === 'start' ? 'chaos: InvalidVolume.NotFound' : `chaos: ${op} load balancer not found`,
      );
    case 'incorrect-state':
      return new IncorrectStateError(`chaos: ${op} IncorrectInstanceState`);
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
  start: 'start',
  stop: 'stop',
};

/** Injects one fault into the fake cloud, the ledger or the process; `calm` stops them all. */
export function inject(world: ChaosWorld, f: Fault): void {
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
    case 'spot-shortage':
      cloud.spotShortage(f.shortage);
      return;
    case 'ami-gone':
      cloud.failWhen(
        'launch',
        () => true,
        () => new InvalidRequestError('chaos: InvalidAMIID.NotFound: the image is deregistered'),
      );
      return;
    case 'throttle-storm':
      cloud.limits.storm(STORM_CALLS[f.calls], f.minutes * 60_000);
      return;
    case 'calm':
      cloud.clearFaults();
      ledger.clearFaults();
      return;
  }
}

/** Changes the world behind the system's back (an orphan, another stack, a lost or broken server). */
export function changeWorld(world: ChaosWorld, change: WorldChange): void {
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
  // Stopped and stopping instances too: a warm pool server may be the one.
  const alive = [...cloud.instances.values()].filter(
    (i) => i.stack === cloud.stack && i.state !== 'shutting-down' && i.state !== 'terminated',
  );
  const victim = alive[change.pick % Math.max(1, alive.length)];
  if (victim === undefined) return;
  switch (change.kind) {
    case 'stop':
      victim.state = 'stopped';
      return;
    case 'start':
      if (victim.state === 'stopped') {
        victim.state = 'pending';
        victim.launchedAt = clock.now();
        victim.healthyAt = clock.now() + 30_000;
      }
      return;
    case 'stuck-stopping':
      victim.stuckStopping = true;
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
