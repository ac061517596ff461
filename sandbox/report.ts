/** The sandbox's outputs: summary.json (figures), report.md (for people) and timeline.svg. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import type { Config } from '../domain/config.js';
import type { FakeInstance } from '../fakes/fake-cloud.js';
import { percentile, round } from '../sim/billing.js';
import { vcpusOf } from '../sim/policies.js';
import {
  costFigures,
  DEFAULT_SPOT_DISCOUNT,
  DEFAULT_VOLUME_GB,
  DEFAULT_VOLUME_PER_GB_MONTH,
  onDemandPerHour,
} from '../sim/pricing.js';
import { renderTimeline, type TimelinePanel } from '../sim/timeline-svg.js';
import type { DecisionLog } from './decision-log.js';
import type { JobStats } from './job-queue.js';
import type { InstanceServer } from './loopback-servers.js';
import { label, renderReport, TIME_ZONE } from './report-md.js';
import type { SandboxCloud } from './sandbox-cloud.js';
import type { PolicyName } from './sandbox-config.js';
import type { SandboxSummary, Timeline } from './summary.js';

export type { RoleSummary, SandboxSummary, Timeline } from './summary.js';

export interface SummaryInput {
  options: { days: number; speed: number; policy: PolicyName; seed: number; start: number };
  interrupted: boolean;
  error?: string;
  endpoints: SandboxSummary['endpoints'];
  endedAt: number;
  realSeconds: number;
  ledgerKind: SandboxSummary['ledger'];
  jobs: JobStats;
  killedJobs: number;
  cloud: SandboxCloud;
  /** Every instance server of the run, stopped and restarted ones each counted. */
  servers: readonly InstanceServer[];
  log: DecisionLog;
  tickMs: readonly number[];
  tickErrors: number;
  tickEveryMs: number;
  clockHeldMs: number;
  queueRequests: number;
}

export function buildSummary(input: SummaryInput): SandboxSummary {
  const { options, jobs, cloud, log, endedAt } = input;
  const roles = [
    ...new Set([...log.roles.keys(), ...[...cloud.instances.values()].map((i) => i.role ?? '?')]),
  ].sort();
  const perRole = <T>(value: (role: string) => T): Record<string, T> =>
    Object.fromEntries(roles.map((role) => [role, value(role)]));
  const waits = [...jobs.waitsS].sort((a, b) => a - b);
  const ticks = [...input.tickMs].sort((a, b) => a - b);
  let welcome = 0;
  let kitOk = 0;
  let booting = 0;
  for (const server of input.servers) {
    welcome += server.served.welcome;
    kitOk += server.served.kitOk;
    booting += server.served.booting;
  }
  return {
    days: options.days,
    speed: options.speed,
    policy: options.policy,
    seed: options.seed,
    ledger: input.ledgerKind,
    startedAt: iso(options.start),
    endedAt: iso(endedAt),
    realSeconds: round(input.realSeconds, 1),
    interrupted: input.interrupted,
    ...(input.error === undefined ? {} : { error: input.error }),
    endpoints: input.endpoints,
    jobsArrived: jobs.arrived,
    jobsDone: jobs.done,
    jobsRunningAtEnd: jobs.runningAtEnd,
    jobsWaitingAtEnd: jobs.waitingAtEnd,
    jobsRetried: jobs.retried,
    waitP50S: round(percentile(waits, 50), 1),
    waitP95S: round(percentile(waits, 95), 1),
    waitMaxS: round(waits.at(-1) ?? 0, 1),
    launches: perRole((role) => log.figures(role).launches),
    warmStarts: perRole((role) => log.figures(role).warmStarts),
    retirements: perRole((role) => log.figures(role).retirements),
    unhealthyReplacements: perRole((role) => log.figures(role).replacements),
    // Running time only: a warm pool server's stopped spans cost its volume, not the instance.
    instanceHours: perRole((role) =>
      round(
        [...cloud.instances.values()]
          .filter((i) => i.role === role)
          .flatMap((i) => runSpans(i, endedAt))
          .reduce((ms, run) => ms + Math.max(0, run.toMs - run.fromMs), 0) / 3_600_000,
        2,
      ),
    ),
    cost: perRole((role) => roleCost(cloud, role, endedAt)),
    finalServers: perRole((role) => ({
      desired: log.figures(role).desired,
      inService: log.figures(role).inService,
      instances: cloud.alive(role).map((i) => ({
        instanceId: i.instanceId,
        address: i.privateIp ?? null,
        state: i.state === 'running' && endedAt >= i.healthyAt ? 'running, serving' : i.state,
      })),
    })),
    controlPlane: {
      ticks: input.tickMs.length,
      tickEveryMinutes: input.tickEveryMs / 60_000,
      tickErrors: input.tickErrors,
      tickMsP50: round(percentile(ticks, 50), 1),
      tickMsMax: round(ticks.at(-1) ?? 0, 1),
      clockHeldSeconds: round(input.clockHeldMs / 1000, 1),
      queueProbeRequests: input.queueRequests,
      healthChecksWelcome: welcome,
      healthChecksKitOk: kitOk,
      healthChecksBooting: booting,
      queueProbeFailures: log.probeFailures,
      actionFailures: log.actionFailures,
      leaseBusySkips: log.busySkips,
    },
  };
}

/** Writes summary.json, report.md and timeline.svg into `dir`; returns their paths. */
export async function writeOutputs(
  dir: string,
  summary: SandboxSummary,
  parts: { timeline: Timeline; config: Config; log: DecisionLog },
): Promise<string[]> {
  const files = {
    'summary.json': `${JSON.stringify(summary, null, 2)}\n`,
    'report.md': renderReport(summary, parts.log.lines, parts.config),
    'timeline.svg': renderTimeline({
      title: `fleet-pilot sandbox: policy ${summary.policy}, seed ${summary.seed}, from ${label(Date.parse(summary.startedAt))}`,
      times: parts.timeline.times,
      panels: timelinePanels(parts.timeline),
    }),
  };
  const paths: string[] = [];
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    await writeFile(path, text);
    paths.push(path);
  }
  return paths;
}

export function timelinePanels(timeline: Timeline): TimelinePanel[] {
  const panels: TimelinePanel[] = [
    { title: 'Job queue', unit: 'jobs waiting', series: [{ name: 'queue length', values: timeline.queue }] },
  ];
  for (const [role, series] of Object.entries(timeline.roles).sort(([a], [b]) => a.localeCompare(b))) {
    panels.push({
      title: `${role} servers`,
      unit: 'servers',
      series: [
        { name: 'desired', values: series.desired },
        { name: 'in service', values: series.inService },
      ],
    });
    // The warm pool as its own band: stopped servers serve nothing, so they are not in the line above.
    if (series.warm.some((v) => v !== null)) {
      panels.push({
        title: `${role} warm pool`,
        unit: 'servers',
        series: [
          { name: 'warm (stopped, ready)', values: series.warm },
          { name: 'warming', values: series.warming },
        ],
      });
    }
  }
  return panels;
}

/** The spans an instance ran until `endedAt`: from a launch or start to a stop or its end. */
function runSpans(
  instance: FakeInstance,
  endedAt: number,
): { fromMs: number; toMs: number; readyMs: number }[] {
  const end = Math.min(instance.terminatedAt ?? endedAt, endedAt);
  return instance.runs
    .filter((run) => run.fromMs < end)
    .map((run) => ({ fromMs: run.fromMs, toMs: Math.min(run.toMs ?? end, end), readyMs: run.readyMs }));
}

/** Dollars one role's instances cost in the run (see `SandboxSummary.cost`). */
function roleCost(cloud: SandboxCloud, role: string, endedAt: number): number {
  let dollars = 0;
  for (const instance of cloud.instances.values()) {
    if (instance.role !== role) continue;
    const toMs = Math.max(instance.createdAt, Math.min(instance.terminatedAt ?? endedAt, endedAt));
    const pricing = {
      onDemandPerHour: onDemandPerHour(instance.instanceType, vcpusOf(instance.instanceType)),
      spotDiscount: DEFAULT_SPOT_DISCOUNT,
      interruptionsPerDay: 0,
      volumeGb: DEFAULT_VOLUME_GB,
      volumePerGbMonth: DEFAULT_VOLUME_PER_GB_MONTH,
    };
    const bill = {
      market: instance.market ?? 'on-demand',
      volumeFromMs: instance.createdAt,
      volumeToMs: toMs,
      runs: runSpans(instance, endedAt),
    };
    dollars += costFigures([bill], pricing).cost;
  }
  return round(dollars, 4);
}

function iso(at: number): string {
  return DateTime.fromMillis(at, { zone: TIME_ZONE }).toISO() ?? new Date(at).toISOString();
}
