/**
 * `fleet-pilot timeline`: the real fleet drawn as the sandbox draws its own (sim/timeline-svg.ts):
 * the job queue, then per role the desired count and the servers in service, as step lines from
 * the ledger's history (the `history` control command).
 */
import type { RoleHistory } from '../../domain/services/control.js';
import { renderTimeline, type TimelinePanel } from '../../sim/timeline-svg.js';

type Point = { at: string; value: number | null };

/** The SVG of `history` (from `since` to `now`), titled `title`. */
export function fleetTimelineSvg(
  history: { since: string; roles: RoleHistory[] },
  now: number,
  title: string,
): string {
  const since = Date.parse(history.since);
  const series = history.roles.flatMap((r) => [
    r.queue.map((q) => ({ at: q.at, value: q.length })),
    r.desired.map((d) => ({ at: d.at, value: d.count })),
    r.inService.map((s) => ({ at: s.at, value: s.count })),
  ]);
  const stamps = new Set<number>([since, now]);
  for (const points of series) for (const p of points) stamps.add(Date.parse(p.at));
  const times = [...stamps].filter((t) => t >= since && t <= now).sort((a, b) => a - b);
  const steps = (points: Point[]) => stepValues(points, times);
  const queued = history.roles.filter((r) => r.queue.length > 0);
  const panels: TimelinePanel[] = [
    {
      title: 'Job queue',
      unit: 'jobs waiting',
      series: queued.map((r) => ({
        name: queued.length === 1 ? 'queue length' : `${r.role} queue`,
        values: steps(r.queue.map((q) => ({ at: q.at, value: q.length }))),
      })),
    },
    ...[...history.roles]
      .sort((a, b) => a.role.localeCompare(b.role))
      .map((r) => ({
        title: `${r.role} servers`,
        unit: 'servers',
        series: [
          { name: 'desired', values: steps(r.desired.map((d) => ({ at: d.at, value: d.count }))) },
          { name: 'in service', values: steps(r.inService.map((s) => ({ at: s.at, value: s.count }))) },
        ],
      })),
  ];
  return renderTimeline({ title, times: times.map((t) => (t - since) / 1000), panels });
}

/** Each time's value: the last point at or before it (a step line); `null` before the first. */
function stepValues(points: Point[], times: number[]): (number | null)[] {
  const sorted = points.map((p) => ({ at: Date.parse(p.at), value: p.value })).sort((a, b) => a.at - b.at);
  const values: (number | null)[] = [];
  let index = 0;
  let current: number | null = null;
  for (const time of times) {
    while (index < sorted.length && (sorted[index]?.at ?? Number.POSITIVE_INFINITY) <= time) {
      current = sorted[index]?.value ?? null;
      index += 1;
    }
    values.push(current);
  }
  return values;
}
