/**
 * Role names: the one rule every role name follows (config keys, control commands, schedule
 * events), the lookup of a per-role value by own property only, and the bounded echo of refused
 * input.
 *
 * Per-role values live in plain objects keyed by role name, so a name like `constructor` or
 * `__proto__` would find Object.prototype's members through `roles[role]`; every lookup by a role
 * name that came from outside goes through {@link ownEntry}.
 */
import { z } from 'zod';

/** A lower-case letter, then lower-case letters, digits or dashes: at most 20 characters. */
export const ROLE_NAME = /^[a-z][a-z0-9-]{0,19}$/;

const ROLE_NAME_RULE =
  'a lower-case letter, then lower-case letters, digits or dashes, at most 20 characters';

/** A role name in a command or event; the refusal quotes at most a short prefix of what came. */
export const RoleNameSchema = z.string().regex(ROLE_NAME, {
  error: (issue) => `expected a role name (${ROLE_NAME_RULE}), not ${echo(issue.input)}`,
});

/** The value stored under `key` itself, never one inherited from Object.prototype. */
export function ownEntry<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * A short, printable copy of untrusted input for refusals, logs and the journal: JSON, cut to
 * `max` characters with the full length said, so a huge value never makes a huge answer.
 * @example echo('a'.repeat(300_000)) // '"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…" (300000 characters)'
 */
export function echo(value: unknown, max = 40): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  if (text.length <= max) return typeof value === 'string' ? JSON.stringify(text) : text;
  const cut = `${text.slice(0, max)}…`;
  return `${typeof value === 'string' ? JSON.stringify(cut) : cut} (${text.length} characters)`;
}
