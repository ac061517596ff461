import { describe, expect, it } from 'vitest';
import { escapeXml, renderTimeline, ticksEvery, valueTicks } from '../../sim/timeline-svg.js';

/** Every opened tag is closed in order; self-closing tags stand alone. Text must not hold raw `<`. */
function tagsBalance(svg: string): boolean {
  const stack: string[] = [];
  for (const match of svg.matchAll(/<(\/?)([A-Za-z][\w:-]*)([^<>]*?)(\/?)>/g)) {
    const [, closing, name, , selfClosing] = match;
    if (name === undefined) return false;
    if (selfClosing === '/') continue;
    if (closing === '/') {
      if (stack.pop() !== name) return false;
    } else {
      stack.push(name);
    }
  }
  const withoutTags = svg.replace(/<[^<>]*>/g, '');
  return stack.length === 0 && !withoutTags.includes('<') && !withoutTags.includes('>');
}

const times = [0, 60, 120, 180, 240];

describe('renderTimeline', () => {
  it('renders a self-contained SVG document whose tags balance', () => {
    const svg = renderTimeline({
      title: 'steady day',
      times,
      panels: [
        { title: 'Queue', unit: 'jobs', series: [{ name: 'waiting', values: [0, 25, 30, 4, 0] }] },
        {
          title: 'Servers',
          series: [
            { name: 'desired', values: [1, 3, 3, 3, 1] },
            { name: 'in service', values: [1, 1, 3, 3, 3] },
          ],
        },
      ],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(tagsBalance(svg)).toBe(true);
    expect(svg).not.toMatch(/<script|href=|url\(/i);
    expect(svg.match(/<path /g)).toHaveLength(3);
    expect(svg).toContain('#0072B2');
    expect(svg).toContain('#D55E00');
    expect(svg).toContain('>in service<');
  });

  it('escapes markup in titles and series names', () => {
    const svg = renderTimeline({
      title: 'a < b & c',
      times,
      panels: [{ title: '<Queue>', unit: '"jobs"', series: [{ name: 'x & <y>', values: [1, 2, 3, 4, 5] }] }],
    });
    expect(svg).toContain('a &lt; b &amp; c');
    expect(svg).toContain('&lt;Queue&gt; (&quot;jobs&quot;)');
    expect(svg).toContain('x &amp; &lt;y&gt;');
    expect(svg).not.toContain('a < b');
    expect(tagsBalance(svg)).toBe(true);
  });

  it('breaks the line at nulls and draws only value changes', () => {
    const svg = renderTimeline({
      title: 't',
      times,
      panels: [{ title: 'p', series: [{ name: 's', values: [1, 1, null, 2, 2] }] }],
    });
    const d = svg.match(/<path d="([^"]+)"/)?.[1] ?? '';
    expect(d.match(/M/g)).toHaveLength(2);
    expect(d).not.toContain('V');
  });

  it('handles empty series, missing values, no times and no panels', () => {
    for (const input of [
      { title: 'empty', times, panels: [{ title: 'p', series: [] }] },
      { title: 'short', times, panels: [{ title: 'p', series: [{ name: 's', values: [] }] }] },
      { title: 'no times', times: [], panels: [{ title: 'p', series: [{ name: 's', values: [] }] }] },
      { title: 'no panels', times, panels: [] },
    ]) {
      const svg = renderTimeline(input);
      expect(svg.startsWith('<svg')).toBe(true);
      expect(tagsBalance(svg)).toBe(true);
      expect(svg).not.toContain('NaN');
      expect(svg).not.toContain('<path');
    }
  });
});

describe('axis ticks', () => {
  it.each([
    { low: 0, high: 1, step: 0.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] },
    { low: 2.4, high: 2.5, step: 0.02, ticks: [2.4, 2.42, 2.44, 2.46, 2.48, 2.5] },
    { low: 0.1, high: 0.35, step: 0.05, ticks: [0.1, 0.15, 0.2, 0.25, 0.3, 0.35] },
    { low: 0, high: 450, step: 100, ticks: [0, 100, 200, 300, 400] },
  ])(
    'ticksEvery($low, $high, $step) lands on round values, the end included',
    ({ low, high, step, ticks }) => {
      expect(ticksEvery(low, high, step)).toEqual(ticks);
    },
  );

  it.each([
    { low: 0, high: 1, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] },
    { low: 0, high: 2, ticks: [0, 0.5, 1, 1.5, 2] },
    { low: 0, high: 500, ticks: [0, 100, 200, 300, 400, 500] },
  ])('valueTicks($low, $high) takes five or so round steps', ({ low, high, ticks }) => {
    expect(valueTicks(low, high)).toEqual(ticks);
  });
});

describe('escapeXml', () => {
  it('escapes the five XML special characters', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});
