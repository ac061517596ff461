/**
 * The read-only control commands `journal` and `history`: the decision journal since a time, and
 * what the fleet looked like since then, from the ledger alone: queue samples as recorded, the
 * desired count as each journaled decision had it, and servers in service from the server
 * records (kept a while after termination) and the journaled drains.
 */
import type { Compute, Ledger } from '../ports.js';
import { type JournalEntry, type ServerRecord, STACK_JOURNAL } from '../types.js';
import { roleStatus } from './control-status.js';
import type { Fleet } from './fleet.js';

/** Journal entries read per role at most: a day of a busy role's decisions. */
const JOURNAL_SCAN = 2000;

export interface JournalLine {
  role: string;
  at: string;
  kind: JournalEntry['kind'];
  summary: string;
}

export interface RoleHistory {
  role: string;
  /** Queue lengths as probed; `null` where the reading was unknown. */
  queue: { at: string; length: number | null }[];
  /** The desired count at each journaled decision, and now. */
  desired: { at: string; count: number }[];
  /** Servers in service: the count from `since` and at every change after it. */
  inService: { at: string; count: number }[];
}

/** The journal of `roles` (and the stack's own entries) at or after `since`, newest first, at most `limit`. */
export async function journalSince(
  ledger: Ledger,
  roles: readonly string[],
  since: number,
  limit: number,
): Promise<JournalLine[]> {
  const entries: JournalEntry[] = [];
  for (const role of roles) {
    entries.push(...(await ledger.recentJournal(role, limit)).filter((e) => e.at >= since));
  }
  return entries
    .sort((a, b) => b.at - a.at)
    .slice(0, limit)
    .map(({ role, at, kind, summary }) => ({ role, at: iso(at), kind, summary }));
}

/** Which journal partitions a `journal` command reads: one role's, or every role's and the stack's. */
export function journalRoles(roles: readonly string[], only: string | undefined): string[] {
  return only === undefined ? [...roles, STACK_JOURNAL] : [only];
}

/** Every role's history from `since` to `now`, with a line per role saying what it was made of. */
export async function fleetHistory(
  fleet: Fleet,
  deps: { ledger: Ledger; compute: Compute },
  roles: readonly string[],
  since: number,
  now: number,
): Promise<{ messages: string[]; history: { since: string; roles: RoleHistory[] } }> {
  const instances = await deps.compute.list();
  const histories: RoleHistory[] = [];
  for (const role of roles) {
    const current = await roleStatus(fleet, deps.ledger, role, now, instances, 0);
    histories.push(await roleHistory(deps.ledger, role, since, now, current.desired));
  }
  const messages = histories.map(
    (r) =>
      `${r.role}: ${r.queue.length} queue samples, ${r.desired.length - 1} journaled decisions since ${iso(since)}`,
  );
  return { messages, history: { since: iso(since), roles: histories } };
}

/** One role's history from `since` to `now`; `desiredNow` is what a converge would want now. */
export async function roleHistory(
  ledger: Ledger,
  role: string,
  since: number,
  now: number,
  desiredNow: number,
): Promise<RoleHistory> {
  const samples = await ledger.samplesSince(role, since);
  const journal = (await ledger.recentJournal(role, JOURNAL_SCAN)).filter(
    (e) => e.at >= since && e.at <= now,
  );
  const servers = await ledger.listServers(role);
  const plans = journal.filter((e) => e.kind === 'plan').sort((a, b) => a.at - b.at);
  const desired = plans.flatMap((e) => {
    const count = (e.detail.desired as { count?: unknown } | undefined)?.count;
    return typeof count === 'number' ? [{ at: iso(e.at), count }] : [];
  });
  desired.push({ at: iso(now), count: desiredNow });
  return {
    role,
    queue: samples.filter((s) => s.at <= now).map((s) => ({ at: iso(s.at), length: s.length })),
    desired,
    inService: inServiceSteps(servers, drainTimes(plans), since, now),
  };
}

/** When each server (by intent id) was journaled leaving service: drained, terminated or replaced. */
function drainTimes(plans: readonly JournalEntry[]): Map<string, number> {
  const left = new Map<string, number>();
  for (const entry of plans) {
    const outcomes = Array.isArray(entry.detail.actions) ? entry.detail.actions : [];
    for (const outcome of outcomes as { action?: { kind?: unknown; serverId?: unknown }; ok?: unknown }[]) {
      const { kind, serverId } = outcome.action ?? {};
      if (outcome.ok !== true || typeof serverId !== 'string') continue;
      if (kind !== 'drain' && kind !== 'terminate' && kind !== 'replace') continue;
      if (!left.has(serverId)) left.set(serverId, entry.at);
    }
  }
  return left;
}

/**
 * The in-service count as steps: each server counts from `inServiceAt` until it was journaled
 * leaving service, else until its record left the in-service state, else until now.
 */
function inServiceSteps(
  servers: readonly ServerRecord[],
  left: ReadonlyMap<string, number>,
  since: number,
  now: number,
): { at: string; count: number }[] {
  const changes: { at: number; delta: number }[] = [];
  for (const server of servers) {
    if (server.inServiceAt === undefined) continue;
    const end = server.state === 'in-service' ? now : (left.get(server.intentId) ?? server.stateSince);
    if (end <= since || server.inServiceAt >= now || end <= server.inServiceAt) continue;
    changes.push({ at: Math.max(server.inServiceAt, since), delta: 1 });
    if (end < now) changes.push({ at: end, delta: -1 });
  }
  changes.sort((a, b) => a.at - b.at);
  const steps: { at: string; count: number }[] = [{ at: iso(since), count: 0 }];
  let count = 0;
  for (const { at, delta } of changes) {
    count += delta;
    const last = steps[steps.length - 1];
    if (last !== undefined && last.at === iso(at)) last.count = count;
    else steps.push({ at: iso(at), count });
  }
  steps.push({ at: iso(now), count });
  return steps;
}

function iso(at: number): string {
  return new Date(at).toISOString();
}
