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

/** A few lines a person can read: waits in minutes, instance-hours, launches. */
export function formatSummary(trace: string, s: SimulationSummary): string {
  const minutes = (seconds: number) => `${(seconds / 60).toFixed(1)} min`;
  return [
    `${trace} with policy ${s.policy} (seed ${s.seed}, launch delay ${describeDelay(s.launchDelay)})`,
    `  jobs ${s.jobs} over ${s.simulatedHours.toFixed(1)} h; ${s.permanentServers} permanent server(s), at most ${s.maxServers}, ${s.workersPerServer} workers each`,
    `  wait p50 ${minutes(s.waitP50S)}, p95 ${minutes(s.waitP95S)}, max ${minutes(s.waitMaxS)}`,
    `  instance-hours ${s.instanceHours.toFixed(2)} per-second (${s.instanceHoursHourly} hourly)${s.spotHours > 0 ? `, ${s.spotHours.toFixed(2)} of them Spot` : ''}`,
    `  instance cost $${s.instanceCost.toFixed(2)}${s.spotHours > 0 ? ` ($${s.instanceCostAllOnDemand.toFixed(2)} all On-Demand; ${s.interruptions} interruption(s))` : ''}`,
    `  launches ${s.launches}, retirements ${s.retirements}${s.requeuedJobs > 0 ? `, jobs cut off and re-run ${s.requeuedJobs}` : ''}${s.failedBoots > 0 ? `, failed boots ${s.failedBoots}` : ''}`,
  ].join('\n');
}

/** On-Demand only and with Spot, side by side: cost and wait. */
export function compareMarkets(onDemand: SimulationSummary, spot: SimulationSummary): string {
  const minutes = (seconds: number) => `${(seconds / 60).toFixed(1)} min`;
  const saving = onDemand.instanceCost === 0 ? 0 : 1 - spot.instanceCost / onDemand.instanceCost;
  return [
    '                 cost       wait p95    wait max    interruptions  jobs re-run',
    `  On-Demand      $${onDemand.instanceCost.toFixed(2).padEnd(9)} ${minutes(onDemand.waitP95S).padEnd(11)} ${minutes(onDemand.waitMaxS).padEnd(11)} ${'0'.padEnd(14)} ${onDemand.requeuedJobs}`,
    `  with Spot      $${spot.instanceCost.toFixed(2).padEnd(9)} ${minutes(spot.waitP95S).padEnd(11)} ${minutes(spot.waitMaxS).padEnd(11)} ${String(spot.interruptions).padEnd(14)} ${spot.requeuedJobs}`,
    `  Spot saves ${(saving * 100).toFixed(1)}% of the instance cost`,
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
