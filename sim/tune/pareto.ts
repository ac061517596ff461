/**
 * Pareto frontier of points that cost (dollars) and wait (p95): a point is on the frontier when no
 * other point is at least as good on both and better on one.
 */

export interface Figures {
  waitP95S: number;
  /** Dollars. */
  cost: number;
}

/** Whether `a` dominates `b`: no worse on both figures, better on at least one. */
export function dominates(a: Figures, b: Figures): boolean {
  return a.waitP95S <= b.waitP95S && a.cost <= b.cost && (a.waitP95S < b.waitP95S || a.cost < b.cost);
}

/**
 * The non-dominated points, cheapest first (so p95 falls along the list). Of points with equal
 * figures, the first one given stands for them all.
 */
export function frontier<T extends Figures>(points: readonly T[]): T[] {
  const sorted = [...points].sort((a, b) => a.cost - b.cost || a.waitP95S - b.waitP95S);
  const out: T[] = [];
  let best = Number.POSITIVE_INFINITY;
  for (const point of sorted) {
    if (point.waitP95S < best) {
      out.push(point);
      best = point.waitP95S;
    }
  }
  return out;
}
