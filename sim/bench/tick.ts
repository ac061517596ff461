/**
 * Cost of one steady-state converge tick on the fake cloud as the fleet grows: 10, 1,000 and
 * 10,000 servers in one role, and 50 roles of 200. Per size: the tick's wall and CPU time, the
 * heap after it, AWS calls by API (EC2 and load balancer at the fake cloud, DynamoDB at the ledger
 * port), ledger items read, and the calls one EC2 state-change event makes. Ratios are to the
 * 1,000-server row of the same run.
 */
import { performance } from 'node:perf_hooks';
import { MemoryLedger } from '../../adapters/memory-ledger.js';
import { parseConfig } from '../../domain/config.js';
import { type Ledger, SILENT_OBSERVER } from '../../domain/ports.js';
import type { CloudOp } from '../../fakes/call-faults.js';
import { FakeCloud, ManualClock } from '../../fakes/fake-cloud.js';
import { createApp } from '../../handlers/app.js';

export interface TickBenchRow {
  /** `1 x 10000` or `50 x 200`: roles x servers per role. */
  fleet: string;
  servers: number;
  tickWallMs: number;
  tickCpuMs: number;
  /** Heap in use right after the tick, the largest of the repeats (MB). */
  peakHeapMb: number;
  /** AWS calls of one tick by API; DescribeInstances counted in pages of 1,000 instances. */
  awsCalls: Record<string, number>;
  ledgerItemsRead: number;
  /** Calls one EC2 state-change event for an in-service server makes, by API. */
  eventAwsCalls: Record<string, number>;
  /** RunInstances calls that brought the fleet up from nothing (launches go in batches). */
  bringUpLaunchCalls: number;
  cpuRatioTo1000: number;
}

/** The fake cloud's operations as the AWS APIs they stand for. */
const API: Record<CloudOp, string> = {
  launch: 'RunInstances',
  list: 'DescribeInstances',
  find: 'DescribeInstances',
  terminate: 'TerminateInstances',
  start: 'StartInstances',
  stop: 'StopInstances',
  vcpus: 'DescribeInstanceTypes',
  register: 'RegisterInstancesWithLoadBalancer',
  deregister: 'DeregisterInstancesFromLoadBalancer',
  members: 'DescribeInstanceHealth',
  health: 'health check (HTTP)',
  queue: 'queue probe (HTTP)',
};

/** Ledger methods as the DynamoDB requests they make. */
const DYNAMODB: Record<string, string> = {
  listServers: 'Query',
  samplesSince: 'Query',
  recentJournal: 'Query',
  getServer: 'GetItem',
  getControls: 'GetItem',
  getHold: 'GetItem',
  createIntent: 'PutItem',
  recordSample: 'PutItem',
  journal: 'PutItem',
  putHold: 'PutItem',
  updateServer: 'UpdateItem',
  acquireLease: 'UpdateItem',
  releaseLease: 'DeleteItem',
};

const LAUNCH = {
  imageId: 'ami-0123456789abcdef0',
  instanceTypes: ['c5.large'],
  securityGroupIds: ['sg-0123abcd'],
  subnetIds: ['subnet-0123abcd'],
};

interface LedgerCounts {
  calls: Record<string, number>;
  itemsRead: number;
}

/** Counts every ledger call as its DynamoDB request, and the records it read. */
function counting(ledger: Ledger, counts: LedgerCounts): Ledger {
  return new Proxy(ledger, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const api = DYNAMODB[String(prop)] ?? String(prop);
        counts.calls[api] = (counts.calls[api] ?? 0) + 1;
        const result = await value.apply(target, args);
        if (Array.isArray(result)) counts.itemsRead += result.length;
        else if (result !== undefined && result !== null) counts.itemsRead += 1;
        return result;
      };
    },
  });
}

async function steadyFleet(roles: number, perRole: number) {
  const clock = new ManualClock(Date.parse('2026-03-02T15:00:00Z'));
  const names = Array.from({ length: roles }, (_, i) => (roles === 1 ? 'app' : `web${i}`));
  const config = parseConfig({
    roles: {
      app: null,
      job: null,
      ...Object.fromEntries(
        names.map((name) => [
          name,
          {
            min: 1,
            max: Math.max(10, perRole),
            schedule: { timeZone: 'America/Toronto', baseline: perRole, windows: [] },
            health: {
              urlTemplate: 'http://{privateIp}:80/',
              expectText: 'welcome',
              timeoutMs: 5000,
              bootDeadlineSeconds: 900,
            },
            loadBalancer: { type: 'classic', name: `lb-${name}` },
            lifecycle: {
              minLifetimeMinutes: 0,
              drainSeconds: 0,
              retireOrder: 'newest-first',
              billing: 'per-second',
              retireInLastMinutesOfHour: 10,
            },
            launch: LAUNCH,
            dbHost: 'db.internal',
            workersPerVcpu: 2,
          },
        ]),
      ),
    },
  });
  const cloud = new FakeCloud({ clock, pendingMs: 1000, bootMs: 2000 });
  const counts: LedgerCounts = { calls: {}, itemsRead: 0 };
  const ledger = counting(new MemoryLedger(), counts);
  let id = 0;
  const app = createApp({
    config,
    stack: cloud.stack,
    ledger,
    compute: cloud.compute,
    loadBalancers: Object.fromEntries(names.map((name) => [name, cloud.loadBalancer(`lb-${name}`)])),
    healthProbes: Object.fromEntries(names.map((name) => [name, cloud.healthProbe])),
    queueProbes: {},
    clock,
    observer: SILENT_OBSERVER,
    newId: () => {
      id += 1;
      return `intent-${id}`;
    },
  });
  // Bring the fleet up and let it settle: every server in service.
  for (let i = 0; i < 6; i += 1) {
    await app.fleet.tick();
    clock.advance(60_000);
    cloud.advance();
  }
  const bringUpLaunchCalls = cloud.callCount('launch');
  const inService = cloud.alive().length;
  if (inService !== roles * perRole)
    throw new Error(`fleet of ${roles} x ${perRole} did not settle (${inService} alive)`);
  return { app, cloud, counts, clock, servers: roles * perRole, bringUpLaunchCalls };
}

export const TICK_FLEETS: readonly [roles: number, perRole: number][] = [
  [1, 10],
  [1, 1_000],
  [1, 10_000],
  [50, 200],
];

export async function benchTick(fleets = TICK_FLEETS, repeats = 9): Promise<TickBenchRow[]> {
  const rows: TickBenchRow[] = [];
  for (const [roles, perRole] of fleets) {
    const { app, cloud, counts, clock, servers, bringUpLaunchCalls } = await steadyFleet(roles, perRole);
    const wall: number[] = [];
    const cpu: number[] = [];
    let peakHeap = 0;
    let awsCalls: Record<string, number> = {};
    let itemsRead = 0;
    for (let r = 0; r < repeats; r += 1) {
      clock.advance(60_000);
      cloud.advance();
      const before = cloud.calls.length;
      counts.calls = {};
      counts.itemsRead = 0;
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      await app.fleet.tick();
      wall.push(performance.now() - start);
      const used = process.cpuUsage(cpuStart);
      cpu.push((used.user + used.system) / 1000);
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      awsCalls = byApi(
        cloud.calls.slice(before).map((c) => c.op),
        servers,
      );
      for (const [api, n] of Object.entries(counts.calls)) awsCalls[`dynamodb:${api}`] = n;
      itemsRead = counts.itemsRead;
    }
    const [server] = cloud.alive();
    const eventStart = cloud.calls.length;
    counts.calls = {};
    await app.fleet.instanceChanged(server?.instanceId ?? '', 'running');
    const eventAwsCalls = byApi(
      cloud.calls.slice(eventStart).map((c) => c.op),
      1,
    );
    for (const [api, n] of Object.entries(counts.calls)) eventAwsCalls[`dynamodb:${api}`] = n;
    rows.push({
      fleet: `${roles} x ${perRole}`,
      servers,
      tickWallMs: median(wall),
      tickCpuMs: median(cpu),
      peakHeapMb: round(peakHeap / 1_048_576),
      awsCalls,
      ledgerItemsRead: itemsRead,
      eventAwsCalls,
      bringUpLaunchCalls,
      cpuRatioTo1000: 0,
    });
  }
  const base = rows.find((r) => r.fleet === '1 x 1000')?.tickCpuMs ?? rows[0]?.tickCpuMs ?? 1;
  for (const row of rows) row.cpuRatioTo1000 = round(row.tickCpuMs / Math.max(base, 0.001));
  return rows;
}

/** Calls by API; a fleet listing counts as its DescribeInstances pages (1,000 instances a page). */
function byApi(ops: readonly CloudOp[], servers: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const op of ops) {
    const n = op === 'list' ? Math.max(1, Math.ceil(servers / 1000)) : 1;
    out[API[op]] = (out[API[op]] ?? 0) + n;
  }
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return round(sorted[Math.floor(sorted.length / 2)] ?? 0);
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
