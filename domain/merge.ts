/**
 * The one deep merge of config documents: the defaults, then each document over what came before
 * (the test config, the sandbox's, an operator's file).
 *
 * - Objects merge key by key; arrays and scalars in `over` replace `base`.
 * - `null` removes a key (a default role, an optional setting).
 * - An object whose `type` differs from the base's replaces it whole: the keys of the old variant
 *   of a tagged union (a threshold policy's `step`, a classic load balancer's `name`) do not apply
 *   to the new one.
 *
 * @example mergeDocuments({ lb: { type: 'classic', name: 'web' } }, { lb: { type: 'none' } }) // { lb: { type: 'none' } }
 */

/**
 * Keys never merged: `__proto__` would set the merged object's prototype, `constructor` and
 * `prototype` would shadow its machinery. parseConfig refuses documents that hold them
 * (config-input.ts); merging skips them so no caller can be reached through one.
 */
export const REFUSED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `over` merged over `base`; neither is changed. */
export function mergeDocuments(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlainObject(over)) return over;
  const keep = isPlainObject(base) && !('type' in over && 'type' in base && over.type !== base.type);
  const out: Record<string, unknown> = keep ? { ...base } : {};
  for (const [key, value] of Object.entries(over)) {
    if (REFUSED_KEYS.has(key)) continue;
    if (value === null) delete out[key];
    else out[key] = mergeDocuments(out[key], value);
  }
  return out;
}
