/**
 * When the asset sync may delete an object that left the directory, pure. Pages of the previous
 * release are still served while a deploy rolls out (and from caches after it), and they link the
 * previous fingerprinted names: so an object gone from the directory is first marked, and deleted
 * only by a sync at least the grace period later, unless it came back in between. A sync that would
 * newly mark more than a set share of the bucket is refused, since that is what an empty or wrong
 * directory looks like.
 */

/** When each marked key was marked, in ms since the epoch. */
export type DeletionMarks = Readonly<Record<string, number>>;

export interface GracePlan {
  /** Gone from the directory since the last sync: marked now. */
  mark: string[];
  /** Marked earlier, their grace not over yet: kept. `deletableAt` in ms since the epoch. */
  inGrace: { key: string; deletableAt: number }[];
  /** Marked at least the grace period ago (or now, with no grace): deleted by this sync. */
  due: string[];
  /** Marked earlier and back in the directory: the mark is dropped. */
  unmark: string[];
  /** The marks to keep once `due` are deleted: every key of `mark` and `inGrace`. */
  marks: Record<string, number>;
}

function byKey(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Sorts the objects not in the directory (`orphans`) by their marks. `present` are the directory's
 * keys: a mark on one of them is dropped (`unmark`); a mark on a key that is neither an orphan nor
 * present (deleted by other means) is dropped silently. With `deleting` false (a sync without
 * `--delete`) nothing is marked or due, but marks on keys back in the directory are still dropped,
 * so a file that comes back and goes again gets its whole grace again.
 *
 * @example planGrace(['old.css'], ['app.css'], {}, now, 48 * HOUR, true).mark  // ['old.css']
 */
export function planGrace(
  orphans: readonly string[],
  present: readonly string[],
  marks: DeletionMarks,
  now: number,
  graceMs: number,
  deleting: boolean,
): GracePlan {
  const plan: GracePlan = { mark: [], inGrace: [], due: [], unmark: [], marks: {} };
  const orphanSet = new Set(orphans);
  const presentSet = new Set(present);
  for (const key of Object.keys(marks).sort(byKey)) {
    if (presentSet.has(key)) plan.unmark.push(key);
  }
  for (const key of [...orphanSet].sort(byKey)) {
    const markedAt = marks[key];
    if (!deleting) {
      if (markedAt !== undefined) plan.marks[key] = markedAt;
      continue;
    }
    const since = markedAt ?? now;
    if (now - since >= graceMs) plan.due.push(key);
    else {
      plan.marks[key] = since;
      if (markedAt === undefined) plan.mark.push(key);
      else plan.inGrace.push({ key, deletableAt: since + graceMs });
    }
  }
  return plan;
}

/**
 * What a sync with `--delete` takes away from what is served: the objects gone from the directory
 * and not marked yet, of the objects not marked yet. Objects marked earlier were counted by the sync
 * that marked them, so releases that each replace some fingerprinted files are judged one at a time,
 * however many earlier ones are still in grace.
 */
export function newlyGone(
  orphans: readonly string[],
  objects: number,
  marks: DeletionMarks,
): { gone: number; of: number } {
  const marked = orphans.filter((key) => marks[key] !== undefined).length;
  return { gone: orphans.length - marked, of: objects - marked };
}

/**
 * True when removing `gone` of the bucket's `total` objects is more than `maxPercent` (0 to 100) of
 * them: the sync is refused unless forced. Exactly the share is allowed.
 */
export function removesTooMuch(gone: number, total: number, maxPercent: number): boolean {
  return gone * 100 > total * maxPercent;
}
