/**
 * The tuner's chart: every swept point (p95 wait against dollars, coloured by policy
 * family), the Pareto frontier as a line through numbered points listed on the right, and labelled
 * markers for the 2010 rule, the current config, `bound` and the recommendation. Plain SVG text,
 * self-contained like the timeline chart. The dollar axis spans the candidates: a `bound` far
 * dearer than all of them sits at the right edge with its dollars written out, so the candidates
 * are not squeezed into the left third. The chart widens to fit the frontier's list.
 */
import { escapeXml, niceCeiling, ticksEvery, valueTicks } from '../timeline-svg.js';
import type { TunedPoint, TuneResult } from './run.js';

const MIN_WIDTH = 1100;
/** About the width of one character of the 11 px sans-serif text, for sizing the list. */
const CHAR_W = 6.4;
/** `bound` past this multiple of the dearest other point is drawn at the edge, off the scale. */
const OFF_SCALE = 1.25;
const HEIGHT = 620;
const LEFT = 80;
const TOP = 56;
const PLOT_W = 620;
const PLOT_H = 480;
const LIST_X = LEFT + PLOT_W + 30;

const FAMILY_COLORS: Record<string, string> = {
  threshold: '#56B4E9',
  'backlog-per-server': '#E69F00',
  'drain-time': '#009E73',
};
const MARKERS: { key: 'seed' | 'current' | 'bound' | 'recommended'; text: string; color: string }[] = [
  { key: 'seed', text: 'seed-2010', color: '#D55E00' },
  { key: 'current', text: 'current config', color: '#0072B2' },
  { key: 'bound', text: 'bound (max servers all day)', color: '#000000' },
  { key: 'recommended', text: 'recommended', color: '#CC79A7' },
];

/** Label of the i-th frontier point (0-based) as it appears on the chart and in its list. */
export function frontierLabel(index: number): string {
  return `F${index + 1}`;
}

export function renderFrontier(result: TuneResult, title: string): string {
  const all = [...result.points, result.seed, result.current, result.bound];
  const others = [...result.points, result.seed, result.current].map((p) => p.cost);
  const offScale = result.bound.cost > Math.max(...others) * OFF_SCALE;
  const xs = offScale ? others : [...others, result.bound.cost];
  const ys = all.map((p) => p.waitP95S);
  const { low: xLow, high: xHigh, ticks: xTicks } = axis(Math.min(...xs), Math.max(...xs));
  const yHigh = niceCeiling(Math.max(1, ...ys) * 1.05);
  const x = (v: number) => (v > xHigh ? LEFT + PLOT_W : LEFT + ((v - xLow) / (xHigh - xLow)) * PLOT_W);
  const y = (v: number) => TOP + PLOT_H - (v / yHigh) * PLOT_H;
  const list = result.frontier.map((p, i) => `${frontierLabel(i)} ${describe(p)}`);
  const width = Math.max(
    MIN_WIDTH,
    Math.ceil(LIST_X + Math.max(0, ...list.map((l) => l.length)) * CHAR_W + 20),
  );
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEIGHT}" viewBox="0 0 ${width} ${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="24" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${LEFT}" y="42" fill="#555">lower left is better: less waiting for fewer dollars; ${result.points.length} candidates swept</text>`,
  ];
  for (const tick of valueTicks(0, yHigh)) {
    out.push(
      `<line x1="${LEFT}" y1="${fmt(y(tick))}" x2="${LEFT + PLOT_W}" y2="${fmt(y(tick))}" stroke="#eee"/>`,
      `<text x="${LEFT - 6}" y="${fmt(y(tick) + 4)}" text-anchor="end">${tick}</text>`,
    );
  }
  for (const tick of xTicks) {
    out.push(
      `<line x1="${fmt(x(tick))}" y1="${TOP}" x2="${fmt(x(tick))}" y2="${TOP + PLOT_H}" stroke="#eee"/>`,
      `<text x="${fmt(x(tick))}" y="${TOP + PLOT_H + 16}" text-anchor="middle">$${tick.toFixed(2)}</text>`,
    );
  }
  out.push(
    `<rect x="${LEFT}" y="${TOP}" width="${PLOT_W}" height="${PLOT_H}" fill="none" stroke="#333"/>`,
    `<text x="${LEFT + PLOT_W / 2}" y="${TOP + PLOT_H + 38}" text-anchor="middle">cost in dollars (running time per second at the type's price, root volumes, boots)</text>`,
    `<text transform="translate(${LEFT - 52} ${TOP + PLOT_H / 2}) rotate(-90)" text-anchor="middle">p95 job wait (seconds)</text>`,
  );
  for (const p of result.points) {
    out.push(
      `<circle cx="${fmt(x(p.cost))}" cy="${fmt(y(p.waitP95S))}" r="3" fill="${FAMILY_COLORS[p.family] ?? '#999'}" fill-opacity="0.6"><title>${escapeXml(describe(p))}</title></circle>`,
    );
  }
  const line = result.frontier.map((p) => `${fmt(x(p.cost))},${fmt(y(p.waitP95S))}`).join(' ');
  out.push(`<polyline points="${line}" fill="none" stroke="#333" stroke-width="1.5"/>`);
  // The markers' labels first (below, above, or further below: the first clear of the others), then
  // each frontier label above its point, else below, else left off the chart (the list on the right
  // still names it): no frontier label covers another label.
  const placed: Box[] = [];
  for (const marker of MARKERS) {
    const p = result[marker.key];
    const cx = x(p.cost);
    const cy = y(p.waitP95S);
    // Off the scale: at the right edge, its dollars written out, below it inside the plot.
    const edge = p.cost > xHigh;
    const text = edge ? `${marker.text}, $${p.cost.toFixed(2)} →` : marker.text;
    const tx = edge ? cx - 8 - text.length * CHAR_W : cx + 8;
    const boxes = [cy + (edge ? 20 : 14), cy - 8, cy + 28].map((ty) => textBox(tx, ty, text));
    const box = firstClear(boxes, placed) ?? (boxes[0] as Box);
    placed.push(box);
    out.push(
      `<rect x="${fmt(cx - 5)}" y="${fmt(cy - 5)}" width="10" height="10" fill="none" stroke="${marker.color}" stroke-width="2"/>`,
      `<text x="${fmt(box.x1)}" y="${fmt(box.y2)}" fill="${marker.color}">${escapeXml(text)}</text>`,
    );
  }
  result.frontier.forEach((p, i) => {
    const label = frontierLabel(i);
    const spot = firstClear(
      [y(p.waitP95S) - 5, y(p.waitP95S) + 14].map((ty) => textBox(x(p.cost) + 5, ty, label)),
      placed,
    );
    if (spot === undefined) return;
    placed.push(spot);
    out.push(`<text x="${fmt(spot.x1)}" y="${fmt(spot.y2)}" font-weight="bold">${label}</text>`);
  });
  let row = TOP;
  out.push(`<text x="${LIST_X}" y="${row}" font-weight="bold">Pareto frontier (cheapest first)</text>`);
  for (const line of list) {
    row += 15;
    out.push(`<text x="${LIST_X}" y="${row}">${escapeXml(line)}</text>`);
  }
  row += 28;
  for (const [family, color] of Object.entries(FAMILY_COLORS)) {
    out.push(
      `<circle cx="${LIST_X + 4}" cy="${row - 4}" r="4" fill="${color}"/>`,
      `<text x="${LIST_X + 14}" y="${row}">${family}</text>`,
    );
    row += 15;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** A text's extent on the chart: `x`, `y` its start and baseline. */
interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

function textBox(x: number, y: number, text: string): Box {
  return { x1: x, y1: y - 10, x2: x + text.length * CHAR_W, y2: y };
}

/** The first of `boxes` that overlaps none of `placed`. */
function firstClear(boxes: readonly Box[], placed: readonly Box[]): Box | undefined {
  const overlaps = (a: Box, b: Box) => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
  return boxes.find((box) => !placed.some((other) => overlaps(box, other)));
}

/**
 * Round ends and ticks around `min`..`max`: about five steps of a round size (`niceCeiling`, so a
 * dollar range of a few cents gets cent steps, where `valueTicks` would pick from 0.2, 0.5 or 1 of
 * the span's power), the data clear of the right end.
 */
function axis(min: number, max: number): { low: number; high: number; ticks: number[] } {
  const step = niceCeiling(Math.max(max - min, 0.01) / 5);
  const low = Math.max(0, Math.floor(min / step) * step);
  const high = Math.ceil((max + step * 0.05) / step) * step;
  return { low, high, ticks: ticksEvery(low, high, step) };
}

function describe(p: TunedPoint): string {
  return `${p.label}: p95 ${fmt(p.waitP95S)} s, $${p.cost.toFixed(2)}`;
}

function fmt(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}
