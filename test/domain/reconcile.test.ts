/**
 * The pure reconcile function, table by table: each row is a ledger record and what EC2 (and the
 * load balancer) report, and the one fix expected, or none.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RECONCILE_SETTINGS, type Fix, reconcile } from '../../domain/reconcile.js';
import { DEFAULT_POOL_RECONCILE_SETTINGS } from '../../domain/reconcile-pool.js';
import type { CloudInstance, LoadBalancerMember, ServerRecord } from '../../domain/types.js';

const T0 = Date.parse('2026-03-02T15:00:00Z');
const MINUTE = 60_000;
const { launchDeadlineMs, ghostGraceMs, orphanGraceMs } = DEFAULT_RECONCILE_SETTINGS;

function aRecord(overrides: Partial<ServerRecord> = {}): ServerRecord {
  return {
    role: 'app',
    intentId: 'intent-a',
    instanceId: 'i-0000000000000000a',
    state: 'in-service',
    createdAt: T0 - 60 * MINUTE,
    launchedAt: T0 - 59 * MINUTE,
    stateSince: T0 - 55 * MINUTE,
    privateIp: '127.0.0.2',
    instanceType: 'c5.large',
    registered: true,
    version: 3,
    ...overrides,
  };
}

/** A launch intent with no instance recorded yet. */
function anIntent(overrides: Partial<ServerRecord> = {}): ServerRecord {
  const {
    instanceId: _i,
    launchedAt: _l,
    privateIp: _p,
    instanceType: _t,
    ...rest
  } = aRecord({
    state: 'launching',
    registered: false,
    createdAt: T0 - MINUTE,
    stateSince: T0 - MINUTE,
    ...overrides,
  });
  return { ...rest, ...overrides };
}

function anInstance(overrides: Partial<CloudInstance> = {}): CloudInstance {
  return {
    instanceId: 'i-0000000000000000a',
    role: 'app',
    intentId: 'intent-a',
    state: 'running',
    privateIp: '127.0.0.2',
    launchedAt: T0 - 59 * MINUTE,
    instanceType: 'c5.large',
    ...overrides,
  };
}

function fixesFor(
  records: ServerRecord[],
  instances: CloudInstance[],
  members?: LoadBalancerMember[],
): Fix[] {
  return reconcile({
    role: 'app',
    records,
    instances,
    ...(members === undefined ? {} : { members }),
    now: T0,
    settings: DEFAULT_RECONCILE_SETTINGS,
  });
}

/** A fix as `kind serverId: patch state` for compact tables. */
function short(fix: Fix): string {
  switch (fix.kind) {
    case 'update':
      return `update ${fix.serverId} -> ${fix.patch.state ?? '(facts)'}`;
    case 'mark-orphan':
      return `mark-orphan ${fix.instance.instanceId}`;
    case 'resume-launch':
      return `resume-launch ${fix.serverId}`;
    default:
      return `${fix.kind} ${fix.serverId} ${fix.instanceId}`;
  }
}

const member = (state: LoadBalancerMember['state'] = 'in-service'): LoadBalancerMember => ({
  instanceId: 'i-0000000000000000a',
  state,
});

describe('reconcile: launch intents', () => {
  it.each<[string, ServerRecord, CloudInstance[], string[]]>([
    [
      'adopts a running instance launched for the intent but never recorded (booting)',
      anIntent(),
      [anInstance()],
      ['update intent-a -> booting'],
    ],
    [
      'adopts a pending instance launched for the intent (pending)',
      anIntent(),
      [anInstance({ state: 'pending' })],
      ['update intent-a -> pending'],
    ],
    [
      'adopts a late instance even past the launch deadline',
      anIntent({ createdAt: T0 - launchDeadlineMs - MINUTE }),
      [anInstance()],
      ['update intent-a -> booting'],
    ],
    ['retries the launch of an intent with no instance yet', anIntent(), [], ['resume-launch intent-a']],
    [
      'retries the launch of a warming intent with no instance yet',
      anIntent({ state: 'warming' }),
      [],
      ['resume-launch intent-a'],
    ],
    [
      'never launches again an intent given up before EC2 reported its instance',
      anIntent({ state: 'terminating' }),
      [],
      [],
    ],
    [
      'ends an intent given up without an instance at the launch deadline',
      anIntent({ state: 'terminating', createdAt: T0 - launchDeadlineMs - 1 }),
      [],
      ['update intent-a -> terminated'],
    ],
    [
      'expires an intent stuck in launching past its deadline with no instance',
      anIntent({ createdAt: T0 - launchDeadlineMs - 1 }),
      [],
      ['update intent-a -> terminated'],
    ],
    [
      'does not adopt an instance launched for another role',
      anIntent(),
      [anInstance({ role: 'job' })],
      ['resume-launch intent-a'],
    ],
  ])('%s', (_name, record, instances, expected) => {
    expect(fixesFor([record], instances).map(short)).toEqual(expected);
  });

  it('adopts with the instance facts: id, address, type and launch time', () => {
    const [fix] = fixesFor([anIntent()], [anInstance({ privateIp: '127.0.0.9' })]);
    expect(fix).toMatchObject({
      kind: 'update',
      patch: {
        instanceId: 'i-0000000000000000a',
        privateIp: '127.0.0.9',
        instanceType: 'c5.large',
        launchedAt: T0 - 59 * MINUTE,
      },
      reason: expect.stringMatching(/adopted/),
    });
  });
});

describe('reconcile: orphans', () => {
  it('marks a tagged instance with no intent and no record, terminating only after the grace', () => {
    const fixes = fixesFor([], [anInstance({ intentId: undefined })]);
    expect(fixes).toEqual([expect.objectContaining({ kind: 'mark-orphan', graceMs: orphanGraceMs })]);
  });

  it('marks a tagged instance whose intent has no record', () => {
    expect(fixesFor([], [anInstance({ intentId: 'intent-lost' })]).map(short)).toEqual([
      'mark-orphan i-0000000000000000a',
    ]);
  });

  it.each<CloudInstance['state']>(['shutting-down', 'terminated'])(
    'leaves an unclaimed instance that is already %s alone',
    (state) => {
      expect(fixesFor([], [anInstance({ intentId: undefined, state })])).toEqual([]);
    },
  );

  it("leaves another role's instances to that role", () => {
    expect(fixesFor([], [anInstance({ intentId: undefined, role: 'job' })])).toEqual([]);
  });

  it.each<CloudInstance['state']>(['stopping', 'stopped'])(
    'keeps a marked orphan that is %s marked until its grace ends (never terminated early)',
    (state) => {
      const orphan = aRecord({
        intentId: 'orphan-i-0000000000000000a',
        state: 'draining',
        orphan: true,
        registered: false,
        drainUntil: T0 + 10 * MINUTE,
      });
      expect(fixesFor([orphan], [anInstance({ intentId: undefined, state })])).toEqual([]);
    },
  );

  it('does not mark an instance a record already names', () => {
    const orphan = aRecord({ intentId: 'orphan-i-0000000000000000a', state: 'draining', orphan: true });
    expect(fixesFor([orphan], [anInstance({ intentId: undefined })])).toEqual([]);
  });
});

describe('reconcile: records whose instance changed or vanished', () => {
  it.each<[string, ServerRecord, CloudInstance[], string[]]>([
    [
      'a ghost (missing past the grace) is marked terminated',
      aRecord({ missingSince: T0 - ghostGraceMs - 1 }),
      [],
      ['update intent-a -> terminated'],
    ],
    [
      'an instance missing for the first time is only noted, however old the record (EC2 lists lag)',
      aRecord({ stateSince: T0 - 10 * ghostGraceMs }),
      [],
      ['update intent-a -> (facts)'],
    ],
    [
      'a missing instance within the grace is left alone',
      aRecord({ state: 'pending', missingSince: T0 - MINUTE }),
      [],
      [],
    ],
    [
      'an instance listed again clears its missing mark',
      aRecord({ missingSince: T0 - MINUTE }),
      [anInstance()],
      ['update intent-a -> (facts)'],
    ],
    [
      'a terminating record whose instance is gone is terminated at once',
      aRecord({ state: 'terminating', stateSince: T0 - MINUTE }),
      [],
      ['update intent-a -> terminated'],
    ],
    [
      'an in-service server terminated by someone else becomes terminating',
      aRecord(),
      [anInstance({ state: 'shutting-down' })],
      ['update intent-a -> terminating'],
    ],
    [
      'a terminating record whose instance is shutting down needs nothing',
      aRecord({ state: 'terminating' }),
      [anInstance({ state: 'shutting-down' })],
      [],
    ],
    [
      'a stopped server is replaced (terminating)',
      aRecord(),
      [anInstance({ state: 'stopped' })],
      ['update intent-a -> terminating'],
    ],
    [
      'a pending record whose instance runs moves to booting',
      aRecord({ state: 'pending', registered: false }),
      [anInstance()],
      ['update intent-a -> booting'],
    ],
    [
      'a record missing its private address learns it',
      aRecord({ state: 'booting', privateIp: undefined, registered: false }),
      [anInstance({ privateIp: '127.0.0.7' })],
      ['update intent-a -> (facts)'],
    ],
    ['a steady in-service server needs nothing', aRecord(), [anInstance()], []],
  ])('%s', (_name, record, instances, expected) => {
    expect(fixesFor([record], instances).map(short)).toEqual(expected);
  });
});

describe('reconcile: termination retries', () => {
  it.each<[string, ServerRecord, CloudInstance]>([
    [
      'terminating, instance still running (TerminateInstances failed or never ran)',
      aRecord({ state: 'terminating', registered: false }),
      anInstance(),
    ],
    [
      'terminating, instance stopped',
      aRecord({ state: 'terminating', registered: false }),
      anInstance({ state: 'stopped' }),
    ],
    [
      'terminated in the ledger but the instance is alive',
      aRecord({ state: 'terminated', registered: false }),
      anInstance(),
    ],
    [
      'an expired intent whose instance showed up late (found by its intent tag)',
      anIntent({ state: 'terminated' }),
      anInstance(),
    ],
  ])('%s: terminate it again', (_name, record, instance) => {
    expect(fixesFor([record], [instance]).map(short)).toEqual([`terminate intent-a ${instance.instanceId}`]);
  });

  it('a terminated record whose instance is gone or shutting down needs nothing', () => {
    const record = aRecord({ state: 'terminated', registered: false });
    expect(fixesFor([record], [])).toEqual([]);
    expect(fixesFor([record], [anInstance({ state: 'shutting-down' })])).toEqual([]);
  });
});

describe('reconcile: load-balancer registration', () => {
  it.each<[string, ServerRecord, CloudInstance, LoadBalancerMember[], string[]]>([
    [
      'in service but not registered: registered',
      aRecord(),
      anInstance(),
      [],
      ['register intent-a i-0000000000000000a'],
    ],
    [
      'in service, not registered, instance not running: left alone',
      aRecord(),
      anInstance({ state: 'pending' }),
      [],
      [],
    ],
    [
      'registered while draining: deregistered',
      aRecord({ state: 'draining', registered: false }),
      anInstance(),
      [member()],
      ['deregister intent-a i-0000000000000000a'],
    ],
    [
      'registered before passing the health check (pending): deregistered',
      aRecord({ state: 'pending', registered: false }),
      anInstance({ state: 'pending' }),
      [member('out-of-service')],
      ['deregister intent-a i-0000000000000000a'],
    ],
    [
      'registered and booting (register in flight): left alone',
      aRecord({ state: 'booting', registered: false }),
      anInstance(),
      [member()],
      [],
    ],
    ['registered and in service: nothing', aRecord(), anInstance(), [member()], []],
  ])('%s', (_name, record, instance, members, expected) => {
    expect(fixesFor([record], [instance], members).map(short)).toEqual(expected);
  });

  it('a ghost still registered is marked terminated (the load balancer drops it by itself)', () => {
    const record = aRecord({ missingSince: T0 - ghostGraceMs - 1 });
    expect(fixesFor([record], [], [member('out-of-service')]).map(short)).toEqual([
      'update intent-a -> terminated',
    ]);
  });

  it('without a load balancer, membership is not checked', () => {
    expect(fixesFor([aRecord({ registered: false })], [anInstance()])).toEqual([]);
  });
});

describe('reconcile: the warm pool', () => {
  const pooled = (state: ServerRecord['state'], held = 5 * MINUTE) =>
    aRecord({ state, registered: false, stateSince: T0 - held });
  const { stopGraceMs, startGraceMs } = DEFAULT_POOL_RECONCILE_SETTINGS;

  it.each<[string, ServerRecord, CloudInstance[], string[]]>([
    ['keeps a warm server whose instance is stopped', pooled('warm'), [anInstance({ state: 'stopped' })], []],
    [
      'puts a stopping server into the pool once EC2 lists it stopped',
      pooled('stopping'),
      [anInstance({ state: 'stopped' })],
      ['update intent-a -> warm'],
    ],
    ['waits for a stopping server to stop', pooled('stopping'), [anInstance({ state: 'stopping' })], []],
    [
      'terminates a server stuck in stopping past its drain time and the grace',
      pooled('stopping', 300_000 + stopGraceMs + MINUTE),
      [anInstance({ state: 'stopping' })],
      ['update intent-a -> terminating'],
    ],
    [
      'asks again to stop a stopping server EC2 still lists as running',
      pooled('stopping'),
      [anInstance()],
      ['stop intent-a i-0000000000000000a'],
    ],
    [
      'stops a warm server found running (started from outside, or a start it could not tell about)',
      pooled('warm'),
      [anInstance()],
      ['stop intent-a i-0000000000000000a'],
    ],
    [
      'moves a started server on to booting once EC2 lists it running',
      pooled('starting', 30_000),
      [anInstance({ launchedAt: T0 - 20_000 })],
      ['update intent-a -> booting'],
    ],
    [
      'puts a start that did not take back in the pool',
      pooled('starting', startGraceMs + 1),
      [anInstance({ state: 'stopped' })],
      ['update intent-a -> warm'],
    ],
    [
      'waits a moment for a start to show',
      pooled('starting', 30_000),
      [anInstance({ state: 'stopped' })],
      [],
    ],
    [
      'puts a start EC2 accepted but that went back to stopped in the pool, not to be replaced',
      aRecord({
        state: 'pending',
        registered: false,
        startedAt: T0 - 3 * MINUTE,
        stateSince: T0 - startGraceMs - 1,
      }),
      [anInstance({ state: 'stopped' })],
      ['update intent-a -> warm'],
    ],
    [
      'waits a moment for an accepted start to show in the listing',
      aRecord({ state: 'pending', registered: false, startedAt: T0 - 20_000, stateSince: T0 - 20_000 }),
      [anInstance({ state: 'stopped' })],
      [],
    ],
    [
      'follows an accepted start that EC2 is stopping again into the pool',
      aRecord({ state: 'pending', registered: false, startedAt: T0 - 20_000, stateSince: T0 - 20_000 }),
      [anInstance({ state: 'stopping' })],
      ['update intent-a -> stopping'],
    ],
    [
      'replaces a launched (never pooled) server stopped while pending',
      aRecord({ state: 'pending', registered: false, stateSince: T0 - 20_000 }),
      [anInstance({ state: 'stopped' })],
      ['update intent-a -> terminating'],
    ],
    [
      'marks a pool server terminated from outside as terminating',
      pooled('warm'),
      [anInstance({ state: 'shutting-down' })],
      ['update intent-a -> terminating'],
    ],
    [
      'replaces a warming server someone else stopped',
      pooled('warming'),
      [anInstance({ state: 'stopped' })],
      ['update intent-a -> terminating'],
    ],
    [
      'marks a stopped instance of this stack with no intent as an orphan, never adopting it',
      pooled('warm'),
      [
        anInstance({ state: 'stopped' }),
        anInstance({ instanceId: 'i-0000000000000000f', intentId: undefined, state: 'stopped' }),
      ],
      ['mark-orphan i-0000000000000000f'],
    ],
  ])('%s', (_name, record, instances, expected) => {
    const fixes = reconcile({
      role: 'app',
      records: [record],
      instances,
      now: T0,
      settings: DEFAULT_RECONCILE_SETTINGS,
      drainSeconds: 300,
    });
    expect(fixes.map(short)).toEqual(expected);
  });

  it('judges no record by a listing taken before the record last changed state', () => {
    // Listed, then another converge started the warm server: the listing still shows it stopped.
    const listedAt = T0 - 10_000;
    const started = aRecord({
      state: 'pending',
      registered: false,
      startedAt: T0 - 5_000,
      stateSince: T0 - 5_000,
    });
    const input = {
      role: 'app',
      records: [started],
      instances: [anInstance({ state: 'stopped' as const })],
      now: T0,
    };
    const settings = { ...DEFAULT_RECONCILE_SETTINGS };
    expect(reconcile({ ...input, settings, listedAt }).map(short)).toEqual([]);
    // Its instance is still the record's: no orphan. Listed after the change, the rules apply.
    const pending = aRecord({ state: 'pending', registered: false, stateSince: T0 - 5_000 });
    expect(reconcile({ ...input, records: [pending], settings, listedAt }).map(short)).toEqual([]);
    expect(reconcile({ ...input, records: [pending], settings, listedAt: T0 }).map(short)).toEqual([
      'update intent-a -> terminating',
    ]);
  });

  it('learns the new launch time of a started server (EC2 resets it at each start)', () => {
    const [fix] = reconcile({
      role: 'app',
      records: [pooled('starting', 30_000)],
      instances: [anInstance({ launchedAt: T0 - 20_000 })],
      now: T0,
      settings: DEFAULT_RECONCILE_SETTINGS,
    });
    expect(fix).toMatchObject({ kind: 'update', patch: { state: 'booting', launchedAt: T0 - 20_000 } });
  });
});
