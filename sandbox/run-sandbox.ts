/**
 * The whole control plane locally: the real services (`createApp`, as the Lambda handlers wire
 * them) with the real HTTP health and queue probes, on a fake EC2 and load balancer in memory whose
 * instances each run a real HTTP server on their own loopback address, a synthetic payroll workload
 * behind a real `/queue/length`, the ledger on DynamoDB Local (or in memory), and an accelerated
 * clock. `runSandbox` runs it for a number of simulated days and writes summary.json, report.md
 * and timeline.svg.
 */
import { mkdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { DateTime } from 'luxon';
import type { Config } from '../domain/config.js';
import { ownEntry } from '../domain/roles.js';
import { tickRounds } from '../domain/services/tick-rounds.js';
import { freePort } from '../fakes/dynamodb-local.js';
import type { App } from '../handlers/app.js';
import { runInstanceState } from '../handlers/instance-state.js';
import { seededRandom } from '../sim/random.js';
import { serveControl } from './control-server.js';
import { DecisionLog } from './decision-log.js';
import { JobQueue } from './job-queue.js';
import { InstanceServer, type QueueEndpoint, readRoleEnv, startQueueEndpoint } from './loopback-servers.js';
import { PacedClock } from './paced-clock.js';
import { buildSummary, type SandboxSummary, type Timeline, writeOutputs } from './report.js';
import { createSandboxApp, loadBalancerName, SANDBOX_STACK } from './sandbox-app.js';
import { type InstanceTransition, SandboxCloud } from './sandbox-cloud.js';
import { type PolicyName, sandboxConfig } from './sandbox-config.js';
import { type LedgerChoice, type LedgerSetup, setUpLedger } from './sandbox-ledger.js';
import { payrollWorkload } from './workload.js';

export { LEDGER_CHOICES, type LedgerChoice } from './sandbox-ledger.js';

export interface SandboxOptions {
  /** Simulated days (fractions allowed). */
  days: number;
  /** Simulated seconds per real second. */
  speed: number;
  /** Directory for summary.json, report.md and timeline.svg (created). */
  out: string;
  policy: PolicyName;
  seed: number;
  ledger?: LedgerChoice;
  /** Simulated start, epoch ms; default Monday 2026-03-02 00:00 America/Toronto. */
  start?: number;
  /** Where log lines go; default stdout. */
  log?: (line: string) => void;
  /** Aborting stops the run cleanly; what was gathered is still written. */
  signal?: AbortSignal;
  /**
   * Serve the control function on 127.0.0.1:`port` (0: any free one), written to `out/sandbox.json`,
   * and keep serving after the last simulated day (the fleet then stands still) until aborted.
   */
  serve?: { port: number };
  /** The job role's warm pool all day (0: none; absent: the policy's own, the shipped weekday pool). */
  warmPool?: number;
}

export { SANDBOX_STACK } from './sandbox-app.js';
/** Monday 2026-03-02 00:00 in Toronto (EST, UTC-5). */
export const DEFAULT_START = Date.parse('2026-03-02T05:00:00Z');
const DAY_MS = 86_400_000;
/** EC2 pending → running, and running → the app answering, in simulated ms. */
const PENDING_MS: [number, number] = [30_000, 60_000];
const BOOT_MS: [number, number] = [60_000, 180_000];

const SHUTDOWN_MS = 30_000;
/** How often (real ms) instance states and the job queue are moved along between ticks. */
const WATCH_EVERY_MS = 5;
/** Longest wait (real ms) for in-flight work when stopping. */
const STOP_GRACE_MS = 5_000;
/** After this many failed ticks in a row the run stops (DynamoDB Local gone, say). */
const MAX_FAILED_TICKS_IN_A_ROW = 5;

/**
 * Runs the sandbox and returns its summary (also written to `out/summary.json`).
 * @throws on a setup failure (unwritable `out`, `ledger: 'dynamodb'` without Java); everything
 *   started so far is stopped first.
 */
export async function runSandbox(options: SandboxOptions): Promise<SandboxSummary> {
  const write = options.log ?? ((line: string) => console.log(line));
  const start = options.start ?? DEFAULT_START;
  const end = start + Math.round(options.days * DAY_MS);
  const realStart = performance.now();
  const aborted = () => options.signal?.aborted === true;
  const closers: { name: string; close: () => Promise<void> }[] = [];
  const inFlight = new Set<Promise<unknown>>();
  const track = (promise: Promise<unknown>) => {
    const settled = promise.catch(() => undefined).finally(() => inFlight.delete(settled));
    inFlight.add(settled);
  };
  let watcher: NodeJS.Timeout | undefined;
  let failure: unknown;
  let run: RunState | undefined;
  let summary: SandboxSummary | undefined;

  try {
    await mkdir(options.out, { recursive: true }).catch((error: unknown) => {
      throw new Error(`--out ${options.out}: cannot create the directory (${(error as Error).message})`);
    });
    const ledgerSetup = await setUpLedger(options.ledger ?? 'auto', write);
    closers.push({ name: 'ledger', close: ledgerSetup.close });
    write(`ledger: ${ledgerSetup.description}`);

    const clock = new PacedClock(start, options.speed);
    // Time stands at the start until the first tick is due: setting up takes real time.
    clock.setCeiling(start);
    const timeZone = 'America/Toronto';
    const jobs = new JobQueue(payrollWorkload({ start, end, timeZone, seed: options.seed }), start);
    const queueEndpoint: QueueEndpoint = await startQueueEndpoint(() => jobs.waitingAt(clock.now()));
    closers.push({ name: 'queue endpoint', close: queueEndpoint.close });
    const appPort = await freePort();
    const config = sandboxConfig(options.policy, { appPort, queueUrl: queueEndpoint.url }, options.warmPool);
    const log = new DecisionLog({
      clock,
      timeZone,
      write,
      loadBalancerOf: (role) => loadBalancerName(config, role),
    });

    const servers = new Map<string, InstanceServer>();
    // Every server ever listening, those of stopped instances too: the report counts what each answered.
    const everyServer: InstanceServer[] = [];
    closers.push({
      name: 'instance servers',
      close: async () => {
        await Promise.all([...servers.values()].map((s) => s.close()));
      },
    });
    let appRef: App | undefined;
    const stateEvent = (instanceId: string, state: string) => {
      const app = appRef;
      if (app === undefined || aborted()) return;
      // What EventBridge would deliver to the instance-state function.
      const event = {
        source: 'aws.ec2',
        'detail-type': 'EC2 Instance State-change Notification',
        detail: { 'instance-id': instanceId, state },
      };
      track(
        runInstanceState(event, app).catch((error: unknown) =>
          log.note('event', `${state} event for ${instanceId} failed: ${(error as Error).message}`),
        ),
      );
    };
    const onTransition = ({ instance, to, at }: InstanceTransition) => {
      if (to === 'running' && instance.privateIp !== undefined && !servers.has(instance.instanceId)) {
        const server = new InstanceServer({
          instanceId: instance.instanceId,
          address: instance.privateIp,
          port: appPort,
          // A start boots it again without its user data.
          env: readRoleEnv(instance.userData, instance.starts === 0),
          bootedAt: cloud.bootedAt(instance),
          clock,
          jobs,
        });
        servers.set(instance.instanceId, server);
        everyServer.push(server);
        track(
          server.start().catch((error: unknown) => {
            const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
            log.note(
              instance.role ?? 'cloud',
              `${instance.instanceId} cannot listen on ${instance.privateIp}:${appPort} (${code})${
                code === 'EADDRNOTAVAIL' ? ': this system lacks 127.0.0.x loopback aliases' : ''
              }; its health check will fail`,
            );
          }),
        );
      }
      if (to === 'shutting-down' || to === 'terminated' || to === 'stopping' || to === 'stopped') {
        const server = servers.get(instance.instanceId);
        if (server !== undefined) {
          // A stopped server starts again with a fresh boot: a new server then.
          if (to === 'stopping' || to === 'stopped') servers.delete(instance.instanceId);
          track(
            server
              .shutdown(to === 'stopping' || to === 'stopped' ? at : (instance.terminatedAt ?? at))
              .then((killed) => {
                if (run !== undefined) run.killedJobs += killed;
              }),
          );
        }
      }
      if (to === 'running' || to === 'terminated' || to === 'stopped') stateEvent(instance.instanceId, to);
    };
    const cloud = new SandboxCloud({
      clock,
      stack: SANDBOX_STACK,
      random: seededRandom(options.seed ^ 0x5eed),
      pendingMs: PENDING_MS,
      bootMs: BOOT_MS,
      shutdownMs: SHUTDOWN_MS,
      onTransition,
    });
    const app = createSandboxApp({ config, cloud, ledger: ledgerSetup.create(clock), clock, observer: log });
    appRef = app;
    if (options.serve !== undefined) {
      const control = await serveControl(app, {
        port: options.serve.port,
        out: options.out,
        stack: SANDBOX_STACK,
      });
      closers.push({ name: 'control server', close: control.close });
      write(
        `sandbox: control function at ${control.url} (written to ${control.file}); try: npx fleet-pilot status --local`,
      );
    }

    // As the tick function runs: a round every most frequent probe interval (sub-minute rounds too).
    const tickEveryMs = tickRounds(config).everyMs;
    run = {
      clock,
      jobs,
      cloud,
      servers,
      everyServer,
      log,
      config,
      ledgerKind: ledgerSetup.kind,
      queueEndpoint,
      timeline: { start, times: [], queue: [], roles: {} },
      tickMs: [],
      tickErrors: 0,
      tickEveryMs,
      killedJobs: 0,
      heldBeforeStart: 0,
      appPort,
    };
    write(
      `sandbox: policy ${options.policy}, seed ${options.seed}, ${options.days} day(s) from ${DateTime.fromMillis(start, { zone: timeZone }).toFormat('ccc yyyy-MM-dd HH:mm ZZZZ')} at ${options.speed}x; ` +
        `queue at ${queueEndpoint.url}, app servers on 127.0.0.x:${appPort}, a tick every ${tickEveryMs / 1000} simulated s`,
    );

    // Time stands at the start meanwhile: a dry run of each role loads and warms up every code path
    // a tick takes (SDK, ledger, probes), so the first real ticks' probes are not starved by it.
    for (const role of app.fleet.roles) await app.fleet.converge(role, { trigger: 'warm-up', dryRun: true });
    run.heldBeforeStart = clock.heldMs;
    watcher = setInterval(() => {
      cloud.advance();
      jobs.advanceTo(clock.now());
    }, WATCH_EVERY_MS);

    const waitUntil = async (at: number) => {
      while (!aborted() && clock.now() < at) {
        await sleep(Math.max(1, Math.min(50, clock.realMsUntil(at))), undefined, {
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        }).catch(() => undefined);
      }
    };

    let failedInARow = 0;
    for (let due = start; due < end && !aborted(); due += tickEveryMs) {
      // Simulated time may not pass the next tick's due time before this tick is done.
      clock.setCeiling(Math.min(due + tickEveryMs, end));
      await waitUntil(due);
      if (aborted()) break;
      const began = performance.now();
      try {
        // The Lambda tick: probe, converge every role, reconcile. A failed tick is retried by the next.
        await app.fleet.tick();
        failedInARow = 0;
      } catch (error) {
        if (aborted()) break;
        run.tickErrors += 1;
        failedInARow += 1;
        log.note('tick', `tick failed: ${(error as Error).message}`);
        if (failedInARow >= MAX_FAILED_TICKS_IN_A_ROW) {
          throw new Error(`${failedInARow} ticks in a row failed; last: ${(error as Error).message}`, {
            cause: error,
          });
        }
      }
      run.tickMs.push(performance.now() - began);
      recordTimeline(run.timeline, due, jobs.waitingAt(clock.now()), log);
    }
    clock.setCeiling(end);
    await waitUntil(end);
    if (options.serve !== undefined && !aborted()) {
      write('sandbox: the last simulated day is over; still serving the control function until stopped');
      await untilAborted(options.signal);
    }
  } catch (error) {
    failure = error;
  } finally {
    if (watcher !== undefined) clearInterval(watcher);
    await settle(inFlight);
    if (run !== undefined) {
      const endedAt = Math.min(run.clock.now(), end);
      run.cloud.advance();
      await settle(inFlight);
      summary = buildSummary({
        options: { ...options, start },
        interrupted: aborted(),
        ...(failure === undefined ? {} : { error: (failure as Error).message ?? String(failure) }),
        endpoints: { queueUrl: run.queueEndpoint.url, appPort: run.appPort },
        endedAt,
        realSeconds: (performance.now() - realStart) / 1000,
        ledgerKind: run.ledgerKind,
        jobs: run.jobs.stats(endedAt),
        killedJobs: run.killedJobs,
        cloud: run.cloud,
        servers: run.everyServer,
        log: run.log,
        tickMs: run.tickMs,
        tickErrors: run.tickErrors,
        tickEveryMs: run.tickEveryMs,
        clockHeldMs: run.clock.heldMs - run.heldBeforeStart,
        queueRequests: run.queueEndpoint.served(),
      });
    }
    for (const closer of closers.reverse()) {
      await closer.close().catch((error: unknown) => {
        write(`sandbox: stopping the ${closer.name} failed: ${(error as Error).message}`);
      });
    }
  }
  if (summary !== undefined && run !== undefined) {
    await writeOutputs(options.out, summary, { timeline: run.timeline, config: run.config, log: run.log });
  }
  if (failure !== undefined) throw failure;
  if (summary === undefined) throw new Error('the sandbox stopped before it had anything to report');
  return summary;
}

interface RunState {
  clock: PacedClock;
  jobs: JobQueue;
  cloud: SandboxCloud;
  servers: Map<string, InstanceServer>;
  everyServer: InstanceServer[];
  log: DecisionLog;
  config: Config;
  ledgerKind: LedgerSetup['kind'];
  queueEndpoint: QueueEndpoint;
  timeline: Timeline;
  tickMs: number[];
  tickErrors: number;
  tickEveryMs: number;
  killedJobs: number;
  /** Real ms the clock stood at the start while the run was set up (not the control plane's). */
  heldBeforeStart: number;
  appPort: number;
}

function recordTimeline(timeline: Timeline, at: number, queue: number, log: DecisionLog): void {
  timeline.times.push((at - timeline.start) / 1000);
  timeline.queue.push(queue);
  for (const [role, figures] of log.roles) {
    const series = ownEntry(timeline.roles, role) ?? { desired: [], inService: [], warm: [], warming: [] };
    timeline.roles[role] = series;
    // A role first seen late gets gaps before it.
    while (series.desired.length < timeline.times.length - 1) {
      series.desired.push(null);
      series.inService.push(null);
      series.warm.push(null);
      series.warming.push(null);
    }
    series.desired.push(figures.desired);
    series.inService.push(figures.inService);
    series.warm.push(figures.warm);
    series.warming.push(figures.warming);
  }
}

function untilAborted(signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return new Promise(() => {});
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

async function settle(inFlight: Set<Promise<unknown>>): Promise<void> {
  const deadline = performance.now() + STOP_GRACE_MS;
  while (inFlight.size > 0 && performance.now() < deadline) {
    await Promise.race([Promise.allSettled([...inFlight]), sleep(Math.max(1, deadline - performance.now()))]);
  }
}
