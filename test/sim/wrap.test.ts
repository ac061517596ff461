/** Report lines within 80 columns: broken at spaces, continuation lines indented, nothing lost. */
import { describe, expect, it } from 'vitest';
import { wrapLine, wrapLines } from '../../sim/wrap.js';

describe('wrapLine', () => {
  it('leaves a line that fits as it is, runs of spaces included', () => {
    expect(wrapLine('F1    p95   192 s', undefined, 20)).toEqual(['F1    p95   192 s']);
  });

  it("breaks at spaces, continuation lines after the line's indentation and two more", () => {
    expect(wrapLine('  cost $2.43: running $2.28, volumes $0.145', undefined, 24)).toEqual([
      '  cost $2.43: running',
      '    $2.28, volumes',
      '    $0.145',
    ]);
  });

  it('keeps the runs of spaces it does not break at, and takes an indent', () => {
    const lines = wrapLine('F1    192 s  threshold >20 <5 step1', '             ', 26);
    expect(lines).toEqual(['F1    192 s  threshold >20', '             <5 step1']);
  });

  it('breaks a line given as pieces only between them', () => {
    const pieces = ['  cost $2.33: running $2.18', '($2.32 all On-Demand)', '($0.026 of it booting)'];
    expect(wrapLine(pieces, undefined, 50)).toEqual([
      '  cost $2.33: running $2.18 ($2.32 all On-Demand)',
      '    ($0.026 of it booting)',
    ]);
    expect(wrapLine(pieces, undefined, 80)).toEqual([pieces.join(' ')]);
  });

  it('keeps a word wider than the room whole', () => {
    expect(wrapLine('wrote /a/very/long/path/frontier.svg', undefined, 10)).toEqual([
      'wrote',
      '  /a/very/long/path/frontier.svg',
    ]);
  });

  it('holds every line of a text to the width, and loses no word', () => {
    const text = `head\n  ${'word '.repeat(40).trim()}\n\n  tail`;
    const out = wrapLines(text);
    expect(Math.max(...out.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(out.split(/\s+/).filter(Boolean)).toEqual(text.split(/\s+/).filter(Boolean));
    expect(out.split('\n')[0]).toBe('head');
    expect(out.endsWith('\n\n  tail')).toBe(true);
  });
});
