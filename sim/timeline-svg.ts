/**
 * A self-contained SVG timeline chart: stacked panels that share one time axis (hours), one step
 * line per series, a legend per panel. No scripts, no external references, no fonts to fetch, so the
 * file can be committed next to a README and opened anywhere.
 *
 * Values are step functions: `values[i]` holds from `times[i]` until `times[i + 1]`. A `null` value
 * (or a missing one, when a series is shorter than `times`) is a gap in the line.
 *
 * @example
 * renderTimeline({
 *   title: 'spiky-day, policy default',
 *   times: [0, 60, 120],
 *   panels: [{ title: 'Queue', unit: 'jobs', series: [{ name: 'waiting', values: [0, 25, 3] }] }],
 * });
 */

export interface TimelineSeries {
  name: string;
  values: (number | null)[];
}

export interface TimelinePanel {
  title: string;
  unit?: string;
  series: TimelineSeries[];
}

const WIDTH = 1000;
const LEFT = 64;
const RIGHT = 180;
const TOP = 58;
const PANEL_HEIGHT = 150;
const PANEL_GAP = 46;
const BOTTOM = 46;
const PLOT_WIDTH = WIDTH - LEFT - RIGHT;

/** Distinct on white and for the common kinds of colour blindness (Okabe-Ito, minus yellow). */
const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#56B4E9', '#E69F00', '#000000'];

/** Renders the chart as an SVG document (a string starting with `<svg`). */
export function renderTimeline(input: { title: string; times: number[]; panels: TimelinePanel[] }): string {
  const { times, panels } = input;
  const first = times[0] ?? 0;
  const last = times.length > 0 ? (times[times.length - 1] ?? first) : first;
  const startH = first / 3600;
  const endH = last > first ? last / 3600 : startH + 1;
  const x = (seconds: number) => LEFT + ((seconds / 3600 - startH) / (endH - startH)) * PLOT_WIDTH;
  const height = TOP + panels.length * (PANEL_HEIGHT + PANEL_GAP) - PANEL_GAP + BOTTOM;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(input.title)}</title>`,
    `<rect x="0" y="0" width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="22" font-size="15" font-weight="bold">${escapeXml(input.title)}</text>`,
  ];
  const xTicks = hourTicks(startH, endH);
  panels.forEach((panel, index) => {
    const top = TOP + index * (PANEL_HEIGHT + PANEL_GAP);
    out.push(renderPanel(panel, top, times, x, xTicks, index === panels.length - 1));
  });
  if (panels.length === 0) {
    out.push(`<text x="${LEFT}" y="${TOP + 16}" fill="#666666">no panels</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function renderPanel(
  panel: TimelinePanel,
  top: number,
  times: number[],
  x: (seconds: number) => number,
  xTicks: number[],
  isLast: boolean,
): string {
  const bottom = top + PANEL_HEIGHT;
  let low = 0;
  let peak = 1;
  let known = 0;
  for (const series of panel.series) {
    for (const value of series.values) {
      if (value === null || !Number.isFinite(value)) continue;
      known += 1;
      if (value < low) low = value;
      if (value > peak) peak = value;
    }
  }
  // Negative values get a symmetric nice bound so the ticks stay round.
  if (low < 0) low = -niceCeiling(-low);
  const high = niceCeiling(peak);
  const y = (value: number) => bottom - ((value - low) / (high - low)) * PANEL_HEIGHT;
  const parts: string[] = ['<g>'];
  const heading = panel.unit === undefined ? panel.title : `${panel.title} (${panel.unit})`;
  parts.push(
    `<text x="${LEFT}" y="${top - 8}" font-size="12" font-weight="bold">${escapeXml(heading)}</text>`,
  );
  parts.push(
    `<rect x="${LEFT}" y="${top}" width="${PLOT_WIDTH}" height="${PANEL_HEIGHT}" fill="#fafafa" stroke="#999999"/>`,
  );
  for (const value of valueTicks(low, high)) {
    const ty = fmt(y(value));
    parts.push(`<line x1="${LEFT}" y1="${ty}" x2="${LEFT + PLOT_WIDTH}" y2="${ty}" stroke="#e4e4e4"/>`);
    parts.push(
      `<text x="${LEFT - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">${fmtValue(value)}</text>`,
    );
  }
  for (const hour of xTicks) {
    const tx = fmt(x(hour * 3600));
    parts.push(`<line x1="${tx}" y1="${top}" x2="${tx}" y2="${bottom}" stroke="#eeeeee"/>`);
    parts.push(`<line x1="${tx}" y1="${bottom}" x2="${tx}" y2="${bottom + 4}" stroke="#666666"/>`);
    parts.push(`<text x="${tx}" y="${bottom + 15}" text-anchor="middle">${fmtValue(hour)}</text>`);
  }
  if (isLast) {
    parts.push(
      `<text x="${LEFT + PLOT_WIDTH / 2}" y="${bottom + 33}" text-anchor="middle">time (hours from start)</text>`,
    );
  }
  panel.series.forEach((series, index) => {
    const color = COLORS[index % COLORS.length] ?? '#000000';
    const d = stepPath(series.values, times, x, y);
    if (d !== '') {
      // Earlier series are drawn wider, so a later one on the same values leaves them visible.
      const width = Math.max(1.25, 3 - index * 0.75);
      parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="${width}"/>`);
    }
    const ly = top + 12 + index * 18;
    const lx = LEFT + PLOT_WIDTH + 14;
    parts.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 18}" y2="${ly}" stroke="${color}" stroke-width="3"/>`);
    parts.push(`<text x="${lx + 24}" y="${ly}" dominant-baseline="middle">${escapeXml(series.name)}</text>`);
  });
  if (known === 0) {
    parts.push(
      `<text x="${LEFT + PLOT_WIDTH / 2}" y="${top + PANEL_HEIGHT / 2}" text-anchor="middle" fill="#666666">no data</text>`,
    );
  }
  parts.push('</g>');
  return parts.join('\n');
}

/**
 * Path of a step line: horizontal while the value holds, vertical where it changes, broken at
 * gaps. Repeated values add no points, so a long run of samples stays a short path.
 */
function stepPath(
  values: (number | null)[],
  times: number[],
  x: (seconds: number) => number,
  y: (value: number) => number,
): string {
  const parts: string[] = [];
  let current: number | null = null;
  for (let i = 0; i < times.length; i += 1) {
    const raw = values[i];
    const value = raw === undefined || raw === null || !Number.isFinite(raw) ? null : raw;
    const at = x(times[i] ?? 0);
    if (value === null) {
      if (current !== null) parts.push(`H${fmt(at)}`);
      current = null;
      continue;
    }
    if (current === null) {
      parts.push(`M${fmt(at)} ${fmt(y(value))}`);
    } else if (value !== current) {
      parts.push(`H${fmt(at)}V${fmt(y(value))}`);
    }
    current = value;
  }
  // The last value holds to the end of the axis (the last time), drawn as a point-width segment.
  if (current !== null && times.length > 0) parts.push(`H${fmt(x(times[times.length - 1] ?? 0))}`);
  return parts.join('');
}

/** Hour ticks at a round step that gives at most ~12 labels. */
function hourTicks(startH: number, endH: number): number[] {
  const span = endH - startH;
  const steps = [0.25, 0.5, 1, 2, 3, 4, 6, 12, 24, 48, 168];
  const step = steps.find((s) => span / s <= 12) ?? Math.ceil(span / 12 / 24) * 24;
  const ticks: number[] = [];
  for (let h = Math.ceil(startH / step) * step; h <= endH + 1e-9; h += step) ticks.push(h);
  return ticks;
}

/** 1, 2, 2.5, 5 or 10 times a power of ten, at or above `value`. */
export function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  const nice = [1, 2, 2.5, 5, 10].find((m) => m * power >= value) ?? 10;
  return nice * power;
}

/** Five or so round ticks from `low` to `high` (both nice numbers). */
export function valueTicks(low: number, high: number): number[] {
  const span = high - low;
  const power = 10 ** Math.floor(Math.log10(span));
  const mantissa = span / power;
  return ticksEvery(low, high, (mantissa <= 1 ? 0.2 : mantissa <= 2.5 ? 0.5 : 1) * power);
}

/** `low`, `low + step`, … up to `high` (within float error of it), each rounded to 1e-6. */
export function ticksEvery(low: number, high: number, step: number): number[] {
  const ticks: number[] = [];
  for (let i = 0; low + i * step <= high + step / 1e6; i += 1)
    ticks.push(Math.round((low + i * step) * 1e6) / 1e6);
  return ticks;
}

function fmt(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

function fmtValue(n: number): string {
  return Number.isInteger(n) ? n.toString() : (Math.round(n * 100) / 100).toString();
}

/** Escapes text for XML element content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}
