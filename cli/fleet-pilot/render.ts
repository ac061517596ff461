/**
 * What fleet-pilot prints for each answer of the control function, for people (`-o table`, the
 * default, 80 columns; `-o wide`, every column and nothing cut). `-o json` prints the answer as is.
 */
import { boundEnd, boundReason } from '../../domain/planner.js';
import type { ControlResult, JournalLine, RoleStatus } from '../../domain/services/control.js';
import { type Paint, relative, shortId, span, table, truncate, WIDTH, wrap } from './terminal.js';

export type OutputFormat = 'table' | 'wide' | 'json';

export interface RenderContext {
  wide: boolean;
  paint: Paint;
  /** The control plane's clock when it answered, epoch ms. */
  now: number;
}

/** The answer's own time (the sandbox's clock is simulated), else the caller's. */
export function answerTime(result: { at?: string }, fallback: number): number {
  const at = result.at === undefined ? Number.NaN : Date.parse(result.at);
  return Number.isFinite(at) ? at : fallback;
}

export function renderStatus(result: ControlResult, ctx: RenderContext): string {
  const blocks = (result.roles ?? []).map((role) => renderRole(role, ctx));
  if (result.cdn !== undefined)
    blocks.push(`cdn: ${result.cdn.domain} assets on ${result.cdn.aliases.join(', ')}`);
  return blocks.join('\n\n');
}

function renderRole(r: RoleStatus, ctx: RenderContext): string {
  const { paint, now, wide } = ctx;
  const width = wide ? Number.POSITIVE_INFINITY : WIDTH;
  const inService = r.servers.filter((s) => s.inService).length;
  const state = r.paused ? paint('red', 'PAUSED') : paint('green', 'running');
  const lines = [
    `${paint('bold', r.role)}  ${state}  desired ${paint('bold', String(r.desired))}  in service ${inService}  servers ${r.servers.length}  (floor ${r.floor}, demand ${r.demand ?? '-'})`,
  ];
  const say = (label: string, text: string) => lines.push(...wrapOrNot(`${label}: ${text}`, width));
  say('why', r.reasons.join('; ') || 'no reason given');
  if (r.hold !== null) say('hold', r.hold);
  if (r.pause !== null) {
    say(
      'pause',
      `${r.pause.reason}${r.pause.since === undefined ? '' : `, since ${relative(r.pause.since, now)}`}`,
    );
  }
  say('bounds', r.bounds === null ? 'none' : boundsLine(r.bounds, now));
  if (r.pool !== null) say('warm pool', poolLine(r.pool));
  const next = [...r.nextActions, ...r.blocked.map((x) => `blocked: ${x}`)];
  say('next converge', next.length === 0 ? 'nothing to do' : next.join('; '));
  if (r.scheduleChange != null) {
    const c = r.scheduleChange;
    // What changes then: the floor, the warm pool's size, or both.
    const pool =
      c.warmPool === undefined || c.warmPool === r.pool?.size
        ? undefined
        : `warm pool to ${c.warmPool} (${c.warmPoolReason ?? ''})`;
    const floor = c.servers === r.floor && pool !== undefined ? undefined : `to ${c.servers} (${c.reason})`;
    say(
      'schedule changes',
      `${relative(c.at, now)} ${[floor, pool].filter((p) => p !== undefined).join(', ')}`,
    );
  } else if (r.nextScheduleChange !== null) say('schedule changes', relative(r.nextScheduleChange, now));
  if (r.forecast != null) say('forecast', forecastLine(r.forecast));
  lines.push('');
  if (r.servers.length === 0) {
    lines.push('  no servers');
  } else {
    const head = ['SERVER', 'STATE', 'AGE', 'ADDRESS', 'IN SERVICE', 'MARKET'];
    const rows = r.servers.map((s) => [
      s.instanceId === null ? '(launching)' : wide ? s.instanceId : shortId(s.instanceId),
      colourState(s.state, paint),
      span(s.ageMinutes * 60_000),
      s.address ?? '-',
      s.inService ? 'yes' : 'no',
      s.market,
    ]);
    if (wide) {
      head.push('REGISTERED', 'INTENT', 'REASON');
      r.servers.forEach((s, i) => {
        rows[i]?.push(s.registered ? 'yes' : 'no', s.intentId, s.reason ?? '-');
      });
    }
    lines.push(table(head, rows));
  }
  if (r.journal.length > 0) {
    lines.push(
      '',
      renderJournalTable(
        r.journal.map((j) => ({ ...j, role: r.role })),
        ctx,
        false,
      ),
    );
  }
  return lines.join('\n');
}

/** The forecast in a few words: its mode, whether it acts, and the next hours' peaks. */
function forecastLine(f: NonNullable<RoleStatus['forecast']>): string {
  const hours = f.hours.map((h) => (h.servers === null ? '-' : String(h.servers))).join(' ');
  const state = f.usable ? 'in use' : `NOT USED: ${f.reason}`;
  return `${f.mode}, ${state}; servers per hour from now: ${hours}`;
}

/** The warm pool in a few words: ready of its size, on the way in, stale, drained. */
function poolLine(pool: NonNullable<RoleStatus['pool']>): string {
  const parts = [`${pool.warm} of ${pool.size} ready (${pool.waitsAs}; ${pool.reason})`];
  if (pool.warming + pool.stopping > 0) parts.push(`${pool.warming + pool.stopping} on the way in`);
  const stale = pool.servers.filter((s) => s.stale.length > 0);
  if (stale.length > 0) parts.push(`${stale.length} stale: ${stale[0]?.stale.join(', ')}`);
  if (pool.control?.drained === true) parts.push(`DRAINED: ${pool.control.reason}`);
  return parts.join('; ');
}

function colourState(state: string, paint: Paint): string {
  if (state === 'in-service') return paint('green', state);
  if (state === 'draining' || state === 'terminating') return paint('yellow', state);
  if (state === 'terminated') return paint('dim', state);
  return paint('cyan', state);
}

function wrapOrNot(text: string, width: number): string[] {
  // Continuation lines are indented twice: wrap for that, so none passes the width.
  return Number.isFinite(width)
    ? wrap(text, width - 2, '  ').map((l, i) => (i === 0 ? l : `  ${l}`))
    : [`  ${text}`];
}

/** Journal entries, newest first, as a table. */
export function renderJournal(result: ControlResult, ctx: RenderContext): string {
  const entries = result.journal ?? [];
  if (entries.length === 0) return 'no journal entries in that span';
  return renderJournalTable(entries, ctx, true);
}

function renderJournalTable(entries: JournalLine[], ctx: RenderContext, withRole: boolean): string {
  const head = [ctx.wide ? 'AT' : 'WHEN', ...(withRole ? ['ROLE'] : []), 'KIND', 'SUMMARY'];
  const when = entries.map((e) => (ctx.wide ? e.at : relative(e.at, ctx.now)));
  const fixed =
    Math.max(4, ...when.map((w) => w.length)) +
    (withRole ? Math.max(4, ...entries.map((e) => e.role.length)) + 2 : 0) +
    Math.max(4, ...entries.map((e) => e.kind.length)) +
    4;
  const rows = entries.map((e, i) => [
    when[i] ?? '',
    ...(withRole ? [e.role] : []),
    e.kind,
    ctx.wide ? e.summary : truncate(e.summary, WIDTH - fixed),
  ]);
  return table(head, rows);
}

/** The operator's min and max, with when they expire: once when alike, else each its own. */
function boundsLine(b: NonNullable<RoleStatus['bounds']>, now: number): string {
  const expires = (end: number | undefined) => (end === undefined ? '' : `, expires ${relative(end, now)}`);
  const why = (reason: string | undefined) => (reason === undefined ? '' : ` (${reason})`);
  const held = (['min', 'max'] as const).flatMap((bound) =>
    b[bound] === undefined
      ? []
      : [{ text: `${bound} ${b[bound]}`, end: boundEnd(b, bound), reason: boundReason(b, bound) }],
  );
  // Bounds held for different reasons (one kept from an earlier command) each say their own.
  if (held.some((h) => h.reason !== held[0]?.reason)) {
    return held.map((h) => `${h.text}${expires(h.end)}${why(h.reason)}`).join('; ');
  }
  const alike = held.every((h) => h.end === held[0]?.end);
  const text = alike
    ? `${held.map((h) => h.text).join(', ')}${expires(held[0]?.end)}`
    : held.map((h) => `${h.text}${expires(h.end)}`).join('; ');
  return `${text}${why(held[0]?.reason ?? b.reason)}`;
}

/** A changing command's answer: what was done (or, in a dry run, would be) and what the converge did. */
export function renderChange(result: ControlResult, ctx: RenderContext): string {
  const width = ctx.wide ? Number.POSITIVE_INFINITY : WIDTH;
  const lines: string[] = [];
  if (result.dryRun) lines.push(ctx.paint('yellow', 'dry run: nothing was changed'));
  for (const message of result.messages) lines.push(...wrapOrNot(message, width).map((l) => l.slice(2)));
  const c = result.converge;
  if (c !== undefined) {
    const verb = result.dryRun ? 'would' : 'then';
    const items = [
      ...c.actions.map((a) => `${verb}: ${a}`),
      ...c.blocked.map((b) => `blocked: ${b}`),
      ...c.failed.map((f) => ctx.paint('red', `failed: ${f}`)),
    ];
    if (items.length === 0) items.push(`${verb}: nothing else to do`);
    for (const item of items) lines.push(...wrapOrNot(item, width));
  }
  return lines.join('\n');
}

/** A refusal of the control function: every bad field, and that nothing changed. */
export function renderRefusal(answer: { error?: unknown; issues?: unknown }): string {
  const issues = Array.isArray(answer.issues) ? answer.issues.map(String) : [];
  const reasons = issues.length > 0 ? issues.join('; ') : String(answer.error ?? 'refused');
  return `fleet-pilot: refused: ${reasons}; nothing changed`;
}
