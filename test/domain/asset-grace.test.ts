import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DeletionMarks, newlyGone, planGrace, removesTooMuch } from '../../domain/asset-grace.js';

const HOUR = 3_600_000;
const GRACE = 48 * HOUR;
const T0 = Date.UTC(2026, 11, 1, 10);

describe('planGrace', () => {
  it('marks what is newly gone, keeps what is in grace, deletes what is past it, un-marks what came back', () => {
    const marks: DeletionMarks = {
      'old.css': T0 - 48 * HOUR,
      'recent.css': T0 - 47 * HOUR,
      'back.png': T0 - 100 * HOUR,
      'gone-elsewhere.js': T0 - HOUR,
    };
    const plan = planGrace(
      ['new-orphan.js', 'old.css', 'recent.css'],
      ['app.css', 'back.png'],
      marks,
      T0,
      GRACE,
      true,
    );
    expect(plan).toEqual({
      mark: ['new-orphan.js'],
      inGrace: [{ key: 'recent.css', deletableAt: T0 + HOUR }],
      due: ['old.css'],
      unmark: ['back.png'],
      marks: { 'new-orphan.js': T0, 'recent.css': T0 - 47 * HOUR },
    });
  });

  it('deletes at once with no grace', () => {
    expect(planGrace(['a.css'], [], {}, T0, 0, true)).toMatchObject({ mark: [], due: ['a.css'], marks: {} });
  });

  it('without --delete marks and deletes nothing, keeps earlier marks and drops those of keys back', () => {
    const plan = planGrace(
      ['a.css', 'b.css'],
      ['c.css'],
      { 'a.css': T0 - 99 * HOUR, 'c.css': T0 },
      T0,
      GRACE,
      false,
    );
    expect(plan).toEqual({
      mark: [],
      inGrace: [],
      due: [],
      unmark: ['c.css'],
      marks: { 'a.css': T0 - 99 * HOUR },
    });
  });

  const KEYS = ['a', 'b', 'c', 'd', 'e'];
  const step = fc.record({
    hours: fc.integer({ min: 0, max: 60 }),
    present: fc.subarray(KEYS),
    deleting: fc.boolean(),
  });

  it('never deletes a key before it was absent from every sync for the whole grace period', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 25 }), fc.integer({ min: 0, max: 72 }), (steps, graceHours) => {
        const grace = graceHours * HOUR;
        let now = T0;
        let marks: DeletionMarks = {};
        const bucket = new Set(KEYS);
        // When a --delete sync first saw each key gone, since it was last in the directory.
        const firstGoneOnDelete = new Map<string, number>();
        for (const s of steps) {
          now += s.hours * HOUR;
          for (const key of s.present) {
            bucket.add(key);
            firstGoneOnDelete.delete(key);
          }
          const orphans = [...bucket].filter((k) => !s.present.includes(k));
          if (s.deleting)
            for (const k of orphans) if (!firstGoneOnDelete.has(k)) firstGoneOnDelete.set(k, now);
          const plan = planGrace(orphans, s.present, marks, now, grace, s.deleting);
          for (const key of plan.due) {
            expect(s.deleting).toBe(true);
            const since = firstGoneOnDelete.get(key);
            expect(since).toBeDefined();
            expect(now - (since ?? now)).toBeGreaterThanOrEqual(grace);
            bucket.delete(key);
            firstGoneOnDelete.delete(key);
          }
          marks = plan.marks;
        }
      }),
    );
  });

  it('puts every orphan in exactly one of mark, in grace and due on --delete, and nothing present in any', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...KEYS)),
        fc.dictionary(fc.constantFrom(...KEYS), fc.integer({ min: T0 - 200 * HOUR, max: T0 })),
        fc.integer({ min: 0, max: 100 }),
        (orphans, marks, graceHours) => {
          const present = KEYS.filter((k) => !orphans.includes(k));
          const plan = planGrace(orphans, present, marks, T0, graceHours * HOUR, true);
          const sorted = [...plan.mark, ...plan.inGrace.map((g) => g.key), ...plan.due].sort();
          expect(sorted).toEqual([...orphans].sort());
          for (const key of present) expect(plan.marks).not.toHaveProperty(key);
          expect(Object.keys(plan.marks).sort()).toEqual(
            [...plan.mark, ...plan.inGrace.map((g) => g.key)].sort(),
          );
        },
      ),
    );
  });
});

describe('newlyGone', () => {
  it('leaves out the objects already marked, above and below the line', () => {
    expect(newlyGone(['a', 'b', 'c'], 10, {})).toEqual({ gone: 3, of: 10 });
    expect(newlyGone(['a', 'b', 'c'], 10, { a: T0, b: T0 })).toEqual({ gone: 1, of: 8 });
    // A mark on an object back in the directory is dropped: it counts as not marked.
    expect(newlyGone(['a'], 10, { z: T0 })).toEqual({ gone: 1, of: 10 });
  });
});

describe('removesTooMuch', () => {
  it.each([
    [5, 10, 50, false],
    [6, 10, 50, true],
    [0, 0, 50, false],
    [0, 10, 0, false],
    [1, 10, 0, true],
    [1, 1, 100, false],
    [1, 1, 99, true],
    [57, 100, 57, false],
    [58, 100, 57, true],
  ])('%i of %i gone with at most %i%%: refused %s', (gone, total, percent, refused) => {
    expect(removesTooMuch(gone, total, percent)).toBe(refused);
  });
});
