import { describe, expect, it } from 'vitest';
import { mergeDocuments } from '../../domain/merge.js';

describe('mergeDocuments', () => {
  it.each<[string, unknown, unknown, unknown]>([
    ['merges objects key by key', { a: 1, b: { c: 2, d: 3 } }, { b: { d: 4 } }, { a: 1, b: { c: 2, d: 4 } }],
    ['replaces arrays whole', { a: [1, 2, 3] }, { a: [9] }, { a: [9] }],
    ['replaces scalars, and objects with scalars', { a: 1, b: { c: 2 } }, { a: 'x', b: 0 }, { a: 'x', b: 0 }],
    ['removes a key set to null', { a: 1, b: { c: 2 } }, { b: null }, { a: 1 }],
    ['keeps the base where over says nothing', { a: 1 }, undefined, { a: 1 }],
    [
      'merges a tagged object of the same type',
      { p: { type: 'threshold', step: 2, scaleInBelow: 5 } },
      { p: { type: 'threshold', step: 1 } },
      { p: { type: 'threshold', step: 1, scaleInBelow: 5 } },
    ],
    [
      'replaces a tagged object whose type changes',
      { lb: { type: 'classic', name: 'web' } },
      { lb: { type: 'target-group', targetGroupArn: 'arn' } },
      { lb: { type: 'target-group', targetGroupArn: 'arn' } },
    ],
    [
      'merges an object without a type over a tagged one',
      { lb: { type: 'classic', name: 'web' } },
      { lb: { name: 'api' } },
      { lb: { type: 'classic', name: 'api' } },
    ],
    [
      'drops nulls inside an object that has nothing to merge with',
      { a: 1 },
      { b: { c: null, d: 2 } },
      { a: 1, b: { d: 2 } },
    ],
  ])('%s', (_name, base, over, expected) => {
    expect(mergeDocuments(base, over)).toEqual(expected);
  });

  it('changes neither document', () => {
    const base = { a: { b: 1 } };
    const over = { a: { c: 2 } };
    mergeDocuments(base, over);
    expect(base).toEqual({ a: { b: 1 } });
    expect(over).toEqual({ a: { c: 2 } });
  });
});
