/**
 * How a simulation reads: the short text summary `npm run simulate` prints, and the timeline chart
 * (queue length; desired, in-service and billed servers).
 */

import type { LaunchDelay } from './policies.js';
import type { SimulationResult, SimulationSummary } from './simulate.js';
import { renderTimeline } from './timeline-svg.js';
import { wrapLine } from './wrap.js';

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

/**
 * A few lines a person can read: waits to the second, dollars, launches. Each fits 80 columns; a
 * line with more to say goes on, indented, on the next (broken between phrases, never in one).
 */
export function formatSummary(trace: string, s: SimulationSummary): string {
  const spot = s.spotHours > 0 ? [`${s.spotHours.toFixed(2)} of them Spot,`] : [];
  const allOnDemand =
    s.spotHours > 0
      ? [`(${formatDollars(s.instanceCostAllOnDemand)} all On-Demand; ${s.interruptions} interruption(s))`]
      : [];
  const stopped =
    s.stoppedVolumeCost > 0 ? [`${formatDollars(s.stoppedVolumeCost)} of it while stopped`] : [];
  const extras = [
    ...(s.requeuedJobs > 0 ? [`jobs cut off and re-run ${s.requeuedJobs}`] : []),
    ...(s.failedBoots > 0 ? [`failed boots ${s.failedBoots}`] : []),
  ];
  const lines: (string | string[])[] = [
    [`${trace} with policy ${s.policy}`, `(seed ${s.seed}, launch delay ${describeDelay(s.launchDelay)})`],
    [
      `  jobs ${s.jobs} over ${formatDuration(s.simulatedHours * 3600)};`,
      `${s.permanentServers} permanent server(s), at most ${s.maxServers}, ${s.workersPerServer} workers each`,
    ],
    `  wait p50 ${formatDuration(s.waitP50S)}, p95 ${formatDuration(s.waitP95S)}, max ${formatDuration(s.waitMaxS)}`,
    [
      `  cost ${formatDollars(s.cost)}: running ${formatDollars(s.instanceCost)}`,
      ...allOnDemand,
      `(${formatDollars(s.bootCost)} of it booting),`,
      `volumes ${formatDollars(s.volumeCost)}${stopped.length > 0 ? ',' : ''}`,
      ...stopped,
    ],
    [
      `  instance-hours ${s.instanceHours.toFixed(2)} per-second (${s.instanceHoursHourly} hourly),`,
      ...spot,
      `at $${s.pricing.onDemandPerHour}/h On-Demand`,
    ],
    [
      `  launches ${s.launches} (${s.coldLaunches} cold, ${s.warmStarts} warm starts),`,
      `retirements ${s.retirements}${extras.length > 0 ? ',' : ''}`,
      ...extras.map((extra, i) => (i < extras.length - 1 ? `${extra},` : extra)),
    ],
  ];
  return lines.flatMap((line) => wrapLine(line)).join('\n');
}

/** On-Demand only and with Spot, side by side: cost and wait, within 80 columns. */
export function compareMarkets(onDemand: SimulationSummary, spot: SimulationSummary): string {
  const saving = onDemand.cost === 0 ? 0 : 1 - spot.cost / onDemand.cost;
  // A wait takes up to 15 characters: "1 h 02 min 05 s".
  const columns = (name: string, cost: string, p95: string, max: string, cut: string, rerun: string) =>
    `  ${name.padEnd(10)} ${cost.padEnd(8)} ${p95.padEnd(15)} ${max.padEnd(15)} ${cut.padEnd(14)} ${rerun}`.trimEnd();
  const line = (name: string, s: SimulationSummary) =>
    columns(
      name,
      formatDollars(s.cost),
      formatDuration(s.waitP95S),
      formatDuration(s.waitMaxS),
      String(s.interruptions),
      String(s.requeuedJobs),
    );
  return [
    columns('', 'cost', 'wait p95', 'wait max', 'interruptions', 'jobs re-run'),
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
