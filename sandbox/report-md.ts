/** The sandbox's report.md: the run for people, its figures, settings and decisions. */
import { DateTime } from 'luxon';
import type { Config } from '../domain/config.js';
import { ownEntry } from '../domain/roles.js';
import { describeWindow } from '../domain/schedule.js';
import { DEFAULT_SPOT_DISCOUNT, DEFAULT_VOLUME_GB, DEFAULT_VOLUME_PER_GB_MONTH } from '../sim/pricing.js';
import { formatDollars, formatDuration } from '../sim/report.js';
import type { LoggedLine } from './decision-log.js';
import { policySummary } from './sandbox-config.js';
import type { SandboxSummary } from './summary.js';

/** The zone the sandbox's workload and its reports run in. */
export const TIME_ZONE = 'America/Toronto';

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
    `| ${summary.jobsArrived} | ${summary.jobsDone} | ${summary.jobsRunningAtEnd} | ${summary.jobsWaitingAtEnd} | ${summary.jobsRetried} | ${formatDuration(summary.waitP50S)} | ${formatDuration(summary.waitP95S)} | ${formatDuration(summary.waitMaxS)} |`,
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

/** A simulated instant as people read it, in {@link TIME_ZONE}. */
export function label(at: number, format = 'ccc yyyy-MM-dd HH:mm'): string {
  return DateTime.fromMillis(at, { zone: TIME_ZONE }).toFormat(format);
}
