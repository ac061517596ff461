/**
 * How a simulation reads: the short text summary `npm run simulate` prints, and the timeline chart
 * (queue length; desired, in-service and billed servers).
 */

import type { LaunchDelay } from './policies.js';
import type { SimulationResult, SimulationSummary } from './simulate.js';
import { renderTimeline } from './timeline-svg.js';

export function describeDelay(delay: LaunchDelay): string {
  return delay.kind === 'fixed' ? `${delay.seconds} s` : `${delay.minS}-${delay.maxS} s uniform`;
}

/** A duration to the second: `42 s`, `3 min 07 s`, `1 h 02 min 05 s`. */
export function formatDuration(seconds: number): string {
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (h > 0) return `${h} h ${two(m)} min ${two(s)} s`;
  if (m > 0) return `${m} min ${two(s)} s`;
  return `${s} s`;
}

/** Dollars to the cent, or to the tenth of a cent under a dollar. */
export function formatDollars(dollars: number): string {
  return Math.abs(dollars) < 1 ? `$${dollars.toFixed(3)}` : `$${dollars.toFixed(2)}`;
}

/** A few lines a person can read: waits to the second, dollars, launches. */
export function formatSummary(trace: string, s: SimulationSummary): string {
  const spot = s.spotHours > 0 ? `, ${s.spotHours.toFixed(2)} of them Spot` : '';
  const allOnDemand =
    s.spotHours > 0
      ? ` (${formatDollars(s.instanceCostAllOnDemand)} all On-Demand; ${s.interruptions} interruption(s))`
      : '';
  const stopped =
    s.stoppedVolumeCost > 0 ? `, ${formatDollars(s.stoppedVolumeCost)} of it while stopped` : '';
  return [
    `${trace} with policy ${s.policy} (seed ${s.seed}, launch delay ${describeDelay(s.launchDelay)})`,
    `  jobs ${s.jobs} over ${formatDuration(s.simulatedHours * 3600)}; ${s.permanentServers} permanent server(s), at most ${s.maxServers}, ${s.workersPerServer} workers each`,
    `  wait p50 ${formatDuration(s.waitP50S)}, p95 ${formatDuration(s.waitP95S)}, max ${formatDuration(s.waitMaxS)}`,
    `  cost ${formatDollars(s.cost)}: running ${formatDollars(s.instanceCost)}${allOnDemand} (${formatDollars(s.bootCost)} of it booting), volumes ${formatDollars(s.volumeCost)}${stopped}`,
    `  instance-hours ${s.instanceHours.toFixed(2)} per-second (${s.instanceHoursHourly} hourly)${spot}, at $${s.pricing.onDemandPerHour}/h On-Demand`,
    `  launches ${s.launches} (${s.coldLaunches} cold, ${s.warmStarts} warm starts), retirements ${s.retirements}${s.requeuedJobs > 0 ? `, jobs cut off and re-run ${s.requeuedJobs}` : ''}${s.failedBoots > 0 ? `, failed boots ${s.failedBoots}` : ''}`,
  ].join('\n');
}

/** On-Demand only and with Spot, side by side: cost and wait. */
export function compareMarkets(onDemand: SimulationSummary, spot: SimulationSummary): string {
  const saving = onDemand.cost === 0 ? 0 : 1 - spot.cost / onDemand.cost;
  const line = (name: string, s: SimulationSummary) =>
    `  ${name.padEnd(14)} ${formatDollars(s.cost).padEnd(10)} ${formatDuration(s.waitP95S).padEnd(13)} ${formatDuration(s.waitMaxS).padEnd(13)} ${String(s.interruptions).padEnd(14)} ${s.requeuedJobs}`;
  return [
    '                 cost       wait p95      wait max      interruptions  jobs re-run',
    line('On-Demand', onDemand),
    line('with Spot', spot),
    `  Spot saves ${(saving * 100).toFixed(1)}% of the cost`,
  ].join('\n');
}

/** The simulation's timeline chart: queue length, desired, in-service and billed servers. */
export function timelineSvg(result: SimulationResult, title: string): string {
  const { timeline } = result;
  return renderTimeline({
    title,
    times: timeline.times,
    panels: [
      { title: 'Job queue', unit: 'jobs waiting', series: [{ name: 'waiting', values: timeline.queue }] },
      {
        title: 'Job servers',
        series: [
          { name: 'desired', values: timeline.desired },
          { name: 'in service', values: timeline.inService },
          { name: 'billed', values: timeline.billed },
        ],
      },
    ],
  });
}
