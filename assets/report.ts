/**
 * What the sync tells a person: its plan before it acts (what it uploads, marks for deletion, keeps
 * in grace, deletes, un-marks and invalidates; the same lines, with "would", on a dry run) and the
 * closing summary in numbers.
 */
import type { GracePlan } from '../domain/asset-grace.js';

export interface SyncSummary {
  uploaded: number;
  unchanged: number;
  deleted: number;
  /** Gone from the directory since the last sync, marked for deletion after the grace period. */
  marked: number;
  /** Marked earlier, kept until their grace period ends. */
  inGrace: number;
  /** Objects no longer in the directory, left in place (no `--delete`). */
  kept: number;
  bytes: number;
  invalidation: { id: string; paths: string[] } | null;
  dryRun: boolean;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** `a, b, c`, the first ten keys. */
export function someKeys(keys: readonly string[]): string {
  return keys.slice(0, 10).join(', ') + (keys.length > 10 ? `, … (${keys.length - 10} more)` : '');
}

/** `2026-12-03T10:00:00Z` */
function instant(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

/**
 * The lines on objects gone from the directory: with `--delete` what is marked, kept in grace and
 * deleted; without it, the list of what is kept. Un-marked objects either way.
 */
export function describeRemovals(
  orphans: readonly string[],
  grace: GracePlan,
  options: { delete: boolean; dryRun: boolean; graceHours: number },
): string[] {
  const verb = options.dryRun ? 'would ' : '';
  const hours = `${options.graceHours} h`;
  const lines: string[] = [];
  if (!options.delete && orphans.length > 0) {
    lines.push(
      `${orphans.length} objects no longer in the directory (kept; --delete marks them for deletion after ${hours}): ${someKeys(orphans)}`,
    );
  }
  if (grace.mark.length > 0) {
    lines.push(
      `${verb}mark ${grace.mark.length} no longer in the directory for deletion after ${hours}: ${someKeys(grace.mark)}`,
    );
  }
  if (grace.inGrace.length > 0) {
    const first = Math.min(...grace.inGrace.map((g) => g.deletableAt));
    lines.push(
      `keep ${grace.inGrace.length} marked for deletion until the ${hours} grace ends (the first at ${instant(first)}): ${someKeys(grace.inGrace.map((g) => g.key))}`,
    );
  }
  if (grace.due.length > 0) {
    const why =
      options.graceHours === 0
        ? 'no longer in the directory (--grace-hours 0)'
        : `marked at least ${hours} ago`;
    lines.push(`${verb}delete ${grace.due.length} ${why}: ${someKeys(grace.due)}`);
  }
  if (grace.unmark.length > 0) {
    lines.push(`${verb}unmark ${grace.unmark.length} back in the directory: ${someKeys(grace.unmark)}`);
  }
  return lines;
}

/** The closing lines: what was done, in numbers. */
export function describeSummary(summary: SyncSummary): string[] {
  const did = (done: string, verb: string) => (summary.dryRun ? `would ${verb}` : done);
  let line = `${did('uploaded', 'upload')} ${summary.uploaded} (${formatBytes(summary.bytes)}), unchanged ${
    summary.unchanged
  }, ${did('deleted', 'delete')} ${summary.deleted}`;
  if (summary.marked > 0) line += `, ${did('marked', 'mark')} ${summary.marked}`;
  if (summary.inGrace > 0) line += `, in grace ${summary.inGrace}`;
  if (summary.kept > 0) line += `, kept ${summary.kept} not in the directory`;
  const lines = [line];
  if (summary.invalidation) {
    lines.push(`invalidation ${summary.invalidation.id}: ${summary.invalidation.paths.length} paths`);
  }
  if (summary.dryRun) lines.push('dry run: nothing was changed');
  return lines;
}
