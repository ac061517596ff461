/** The sandbox's outputs: summary.json (figures), report.md (for people) and timeline.svg. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import type { Config } from '../domain/config.js';
import { ownEntry } from '../domain/roles.js';
import { describeWindow } from '../domain/schedule.js';
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
import { formatDollars, formatDuration } from '../sim/report.js';
import { renderTimeline, type TimelinePanel } from '../sim/timeline-svg.js';
import type { DecisionLog, LoggedLine } from './decision-log.js';
import type { JobStats } from './job-queue.js';
import type { InstanceServer } from './loopback-servers.js';
import type { SandboxCloud } from './sandbox-cloud.js';
import { type PolicyName, policySummary } from './sandbox-config.js';

const TIME_ZONE = 'America/Toronto';

export interface Timeline {
  /** Epoch ms of time 0. */
  start: number;
  /** Seconds from start, one entry per tick. */
  times: number[];
  queue: number[];
  roles: Record<
    string,
    {
      desired: (number | null)[];
      inService: (number | null)[];
      /** Warm pool servers ready, and on their way into it (null without a pool). */
      warm: (number | null)[];
      warming: (number | null)[];
    }
  >;
}

export interface RoleSummary {
  desired: number | null;
  inService: number | null;
  instances: { instanceId: string; address: string | null; state: string }[];
}

export interface SandboxSummary {
  days: number;
  speed: number;
  policy: PolicyName;
  seed: number;
  ledger: 'dynamodb-local' | 'memory';
  /** Simulated start and end, ISO 8601 in America/Toronto. */
  startedAt: string;
  endedAt: string;
  realSeconds: number;
  /** Stopped by a signal before the end. */
  interrupted: boolean;
  error?: string;
  /** The loopback servers it ran: the queue endpoint, and the port every instance's server used. */
  endpoints: { queueUrl: string; appPort: number };
  jobsArrived: number;
  jobsDone: number;
  jobsRunningAtEnd: number;
  jobsWaitingAtEnd: number;
  /** Job runs killed by a shutdown's drain deadline and retried from the queue. */
  jobsRetried: number;
  /** Arrival to start, simulated seconds; a job still waiting at the end counts its wait so far. */
  waitP50S: number;
  waitP95S: number;
  waitMaxS: number;
  launches: Record<string, number>;
  /** Servers started from the warm pool, per role. */
  warmStarts: Record<string, number>;
  retirements: Record<string, number>;
  unhealthyReplacements: Record<string, number>;
  instanceHours: Record<string, number>;
  /**
   * Dollars: each instance's running time at its type's On-Demand price (Spot at the simulator's
   * default discount), plus a 30 GB gp3 root volume for as long as it existed.
   */
  cost: Record<string, number>;
  finalServers: Record<string, RoleSummary>;
  controlPlane: {
    ticks: number;
    tickEveryMinutes: number;
    tickErrors: number;
    tickMsP50: number;
    tickMsMax: number;
    /** Real seconds simulated time stood still waiting for a tick to finish. */
    clockHeldSeconds: number;
    queueProbeRequests: number;
    healthChecksWelcome: number;
    /** Answers "fleet-pilot health: ok" of the server kit's health endpoint (the job role's check). */
    healthChecksKitOk: number;
    healthChecksBooting: number;
    queueProbeFailures: number;
    actionFailures: number;
    /** Converges skipped because another trigger (tick or EC2 event) held the role's lease. */
    leaseBusySkips: number;
  };
}

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

const REPORTED_KINDS: ReadonlySet<LoggedLine['kind']> = new Set([
  'scale',
  'register',
  'terminate',
  'replace',
  'blocked',
  'hold',
  'failure',
  'note',
  'pool',
]);
const MAX_REPORTED_LINES = 150;

export function renderReport(summary: SandboxSummary, lines: readonly LoggedLine[], config: Config): string {
  const roles = Object.keys(summary.launches);
  const cp = summary.controlPlane;
  const decisions = lines.filter((l) => REPORTED_KINDS.has(l.kind));
  const shown = decisions.slice(0, MAX_REPORTED_LINES);
  const out = [
    '# fleet-pilot sandbox run',
    '',
    `Simulated **${label(Date.parse(summary.startedAt))} → ${label(Date.parse(summary.endedAt))}** (${TIME_ZONE}), ` +
      `${summary.days} day(s) at ${summary.speed}× in ${summary.realSeconds} s real.`,
    `Policy \`${summary.policy}\`: ${policySummary(summary.policy)}. Workload seed ${summary.seed}. ` +
      `Ledger: ${summary.ledger === 'dynamodb-local' ? 'DynamoDB Local' : 'in memory'}.`,
    '',
  ];
  if (summary.interrupted) out.push('**Interrupted** before the end: the figures cover the run so far.', '');
  if (summary.error !== undefined) out.push(`**Stopped by an error:** ${summary.error}`, '');
  out.push(
    '## Jobs',
    '',
    '| arrived | done | running at end | waiting at end | retried after a shutdown | wait p50 | wait p95 | wait max |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${summary.jobsArrived} | ${summary.jobsDone} | ${summary.jobsRunningAtEnd} | ${summary.jobsWaitingAtEnd} | ${summary.jobsRetried} | ${seconds(summary.waitP50S)} | ${seconds(summary.waitP95S)} | ${seconds(summary.waitMaxS)} |`,
    '',
    'Waits are simulated time from arrival to a worker starting the job; a job still waiting at the end counts its wait so far.',
    '',
    '## Servers',
    '',
    '| role | cold launches | warm starts | retirements (to the pool or terminated) | replaced (unhealthy) | instance-hours | cost | desired at end | in service at end |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...roles.map(
      (role) =>
        `| ${role} | ${ownEntry(summary.launches, role) ?? 0} | ${ownEntry(summary.warmStarts, role) ?? 0} | ${ownEntry(summary.retirements, role) ?? 0} | ${ownEntry(summary.unhealthyReplacements, role) ?? 0} | ${ownEntry(summary.instanceHours, role) ?? 0} | ${formatDollars(ownEntry(summary.cost, role) ?? 0)} | ${ownEntry(summary.finalServers, role)?.desired ?? '-'} | ${ownEntry(summary.finalServers, role)?.inService ?? '-'} |`,
    ),
    '',
    `Cost ${formatDollars(Object.values(summary.cost).reduce((a, b) => a + b, 0))} in all: every second an instance ran at its type's On-Demand price in us-east-1 (Spot ${Math.round(DEFAULT_SPOT_DISCOUNT * 100)}% off), plus a ${DEFAULT_VOLUME_GB} GB gp3 root volume each at $${DEFAULT_VOLUME_PER_GB_MONTH} per GB-month while it existed.`,
    '',
    ...roles.map((role) => `- \`${role}\`: ${describeRole(config, role)}`),
    '',
    '## Control plane',
    '',
    `- ${cp.ticks} ticks, one every ${cp.tickEveryMinutes} simulated minute(s); a tick took ${cp.tickMsP50} ms (median), ${cp.tickMsMax} ms at most (real).` +
      (cp.clockHeldSeconds > 0
        ? ` Simulated time waited ${cp.clockHeldSeconds} s (real) in all for ticks to finish.`
        : ''),
    `- Real HTTP on loopback: ${cp.queueProbeRequests} queue-length probes; ${cp.healthChecksWelcome + cp.healthChecksKitOk + cp.healthChecksBooting} content health checks (${cp.healthChecksWelcome} answered "Welcome", ${cp.healthChecksKitOk} "fleet-pilot health: ok", ${cp.healthChecksBooting} "booting").`,
    `- Failures: ${cp.queueProbeFailures} queue probes, ${cp.actionFailures} actions, ${cp.tickErrors} ticks. ` +
      `${cp.leaseBusySkips} converges skipped because another trigger held the role's lease.`,
    '',
    '## Decisions',
    '',
    `Launches, retirements, registrations, blocked actions and holds, as the live log printed them${
      decisions.length > shown.length ? ` (the first ${shown.length} of ${decisions.length})` : ''
    }:`,
    '',
    '```',
    ...shown.map((l) => `${label(l.at, 'ccc HH:mm')}  ${l.role.padEnd(5)} ${l.text}`),
    '```',
    '',
    '![timeline: queue length, desired and in-service servers per role](timeline.svg)',
    '',
  );
  return out.join('\n');
}

function describeRole(config: Config, role: string): string {
  const c = ownEntry(config.roles, role);
  if (c === undefined) return 'not in the config';
  const windows = c.schedule.windows.map(
    (w) =>
      `${describeWindow(w)} → ${w.servers ?? 'baseline'}${w.warmPool === undefined ? '' : `, pool ${w.warmPool}`}`,
  );
  const parts = [
    `baseline ${c.schedule.baseline}${windows.length > 0 ? `, ${windows.join('; ')}` : ''}`,
    `min ${c.min}, max ${c.max}`,
  ];
  if (c.policy !== undefined) parts.push(`policy ${c.policy.type}, at most ${c.policy.maxExtra} extra`);
  parts.push(
    `retire ${c.lifecycle.retireOrder}, drain ${c.lifecycle.drainSeconds} s, min lifetime ${c.lifecycle.minLifetimeMinutes} min, billing ${c.lifecycle.billing}`,
  );
  return parts.join('; ');
}

function seconds(value: number): string {
  return formatDuration(value);
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

function label(at: number, format = 'ccc yyyy-MM-dd HH:mm'): string {
  return DateTime.fromMillis(at, { zone: TIME_ZONE }).toFormat(format);
}
