/**
 * Cost of one steady-state converge tick on the fake cloud at 10, 100 and 1,000 owned instances:
 * AWS calls (EC2, load balancer and DynamoDB, counted at the ports) and milliseconds.
 * The baseline is the same tick at 10 instances, measured in the same run.
 */
import { performance } from 'node:perf_hooks';
import { MemoryLedger } from '../../adapters/memory-ledger.js';
import { parseConfig } from '../../domain/config.js';
import { SILENT_OBSERVER } from '../../domain/ports.js';
import { countingLedger } from '../../fakes/counting-ledger.js';
import { FakeCloud, ManualClock } from '../../fakes/fake-cloud.js';
import { createApp } from '../../handlers/app.js';

export interface TickBenchRow {
  instances: number;
  awsCalls: number;
  /** DescribeInstances pages at 1,000 instances a page (the fake answers in one call). */
  ec2Pages: number;
  byService: Record<string, number>;
  medianMs: number;
  msRatioTo10: number;
  /** Calls one EC2 state-change event for an in-service server makes, by API (ledger calls as `dynamodb`). */
  eventAwsCalls: Record<string, number>;
}

const LAUNCH = {
  imageId: 'ami-0123456789abcdef0',
  instanceTypes: ['c5.large'],
  securityGroupIds: ['sg-0123abcd'],
  subnetIds: ['subnet-0123abcd'],
};

async function steadyFleet(instances: number) {
  const clock = new ManualClock(Date.parse('2026-03-02T15:00:00Z'));
  const config = parseConfig({
    roles: {
      app: {
        max: 1000,
        schedule: { baseline: instances, windows: [] },
        lifecycle: { drainSeconds: 0 },
        launch: LAUNCH,
        dbHost: 'db.internal',
      },
      job: null,
    },
  });
  const cloud = new FakeCloud({ clock, pendingMs: 1000, bootMs: 2000 });
  const { ledger, calls: counts } = countingLedger(new MemoryLedger());
  let id = 0;
  const app = createApp({
    config,
    stack: cloud.stack,
    ledger,
    compute: cloud.compute,
    loadBalancers: { app: cloud.loadBalancer('smallpayroll-http') },
    healthProbes: { app: cloud.healthProbe },
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
  return { app, cloud, counts, clock };
}

export async function benchTick(sizes = [10, 100, 1000], repeats = 7): Promise<TickBenchRow[]> {
  const rows: TickBenchRow[] = [];
  for (const instances of sizes) {
    const { app, cloud, counts, clock } = await steadyFleet(instances);
    const inService = (await app.fleet.converge('app', { trigger: 'bench', dryRun: true })).servers.filter(
      (s) => s.state === 'in-service',
    ).length;
    if (inService !== instances)
      throw new Error(`fleet of ${instances} did not settle (${inService} in service)`);
    const times: number[] = [];
    let byService: Record<string, number> = {};
    for (let r = 0; r < repeats; r += 1) {
      clock.advance(60_000);
      cloud.advance();
      const cloudBefore = cloud.calls.length;
      counts.reset();
      const start = performance.now();
      await app.fleet.tick();
      times.push(performance.now() - start);
      const calls = cloud.calls.slice(cloudBefore);
      byService = {
        ec2: calls.filter((c) => ['launch', 'list', 'find', 'terminate', 'vcpus'].includes(c.op)).length,
        elb: calls.filter((c) => ['register', 'deregister', 'members'].includes(c.op)).length,
        dynamodb: counts.total(),
      };
    }
    times.sort((a, b) => a - b);
    const [server] = cloud.alive('app');
    const eventStart = cloud.calls.length;
    counts.dynamodb = 0;
    await app.fleet.instanceChanged(server?.instanceId ?? '', 'running');
    const eventAwsCalls: Record<string, number> = { dynamodb: counts.dynamodb };
    for (const call of cloud.calls.slice(eventStart))
      eventAwsCalls[call.op] = (eventAwsCalls[call.op] ?? 0) + 1;
    rows.push({
      instances,
      awsCalls: Object.values(byService).reduce((a, b) => a + b, 0),
      ec2Pages: Math.max(1, Math.ceil(instances / 1000)),
      byService,
      medianMs: round(times[Math.floor(times.length / 2)] ?? 0),
      msRatioTo10: 0,
      eventAwsCalls,
    });
  }
  const base = rows[0]?.medianMs ?? 1;
  for (const row of rows) row.msRatioTo10 = round(row.medianMs / Math.max(base, 0.001));
  return rows;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
