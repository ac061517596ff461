/**
 * The tuner's chart: every swept point (p95 wait against dollars, coloured by policy
 * family), the Pareto frontier as a line through numbered points listed on the right, and labelled
 * markers for the 2010 rule, the current config, `bound` and the recommendation. Plain SVG text,
 * self-contained like the timeline chart.
 */
import { escapeXml, niceCeiling, valueTicks } from '../timeline-svg.js';
import type { TunedPoint, TuneResult } from './run.js';

const WIDTH = 1100;
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
  const xs = all.map((p) => p.cost);
  const ys = all.map((p) => p.waitP95S);
  const xLow = Math.floor(Math.min(...xs) * 0.95 * 10) / 10;
  const xHigh = niceCeiling(Math.max(...xs) * 1.02);
  const yHigh = niceCeiling(Math.max(1, ...ys) * 1.05);
  const x = (v: number) => LEFT + ((v - xLow) / (xHigh - xLow)) * PLOT_W;
  const y = (v: number) => TOP + PLOT_H - (v / yHigh) * PLOT_H;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="24" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${LEFT}" y="42" fill="#555">lower left is better: less waiting for fewer dollars; ${result.points.length} candidates swept</text>`,
  ];
  for (const tick of valueTicks(0, yHigh)) {
    out.push(
      `<line x1="${LEFT}" y1="${fmt(y(tick))}" x2="${LEFT + PLOT_W}" y2="${fmt(y(tick))}" stroke="#eee"/>`,
      `<text x="${LEFT - 6}" y="${fmt(y(tick) + 4)}" text-anchor="end">${tick}</text>`,
    );
  }
  for (const tick of valueTicks(xLow, xHigh).filter((t) => t >= xLow)) {
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
  result.frontier.forEach((p, i) => {
    out.push(
      `<text x="${fmt(x(p.cost) + 5)}" y="${fmt(y(p.waitP95S) - 5)}" font-weight="bold">${frontierLabel(i)}</text>`,
    );
  });
  for (const marker of MARKERS) {
    const p = result[marker.key];
    const cx = x(p.cost);
    const cy = y(p.waitP95S);
    out.push(
      `<rect x="${fmt(cx - 5)}" y="${fmt(cy - 5)}" width="10" height="10" fill="none" stroke="${marker.color}" stroke-width="2"/>`,
      `<text x="${fmt(cx + 8)}" y="${fmt(cy + 14)}" fill="${marker.color}">${escapeXml(marker.text)}</text>`,
    );
  }
  let row = TOP;
  out.push(`<text x="${LIST_X}" y="${row}" font-weight="bold">Pareto frontier (cheapest first)</text>`);
  result.frontier.forEach((p, i) => {
    row += 15;
    out.push(`<text x="${LIST_X}" y="${row}">${frontierLabel(i)} ${escapeXml(describe(p))}</text>`);
  });
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

function describe(p: TunedPoint): string {
  return `${p.label}: p95 ${fmt(p.waitP95S)} s, $${p.cost.toFixed(2)}`;
}

function fmt(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}
