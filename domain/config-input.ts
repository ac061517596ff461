/**
 * What no config document may hold, whatever key it is under: keys that name Object.prototype's
 * machinery, and `${`. A document is checked as it came, before it is merged (merging would drop
 * such a key silently) and before serverless sees it: serverless resolves `${…}` in every value a
 * variable returns, so a `${env:…}` or `${file(…)}` in any string would be filled in at packaging
 * and shipped in the functions' environment. No config value takes one.
 */
import { REFUSED_KEYS } from './merge.js';

/** `roles.app.launch.subnetIds[0]`: how issues name a key. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    return acc === '' ? String(key) : `${acc}.${String(key)}`;
  }, '');
}

const VARIABLE = '${';

/**
 * "path: what is wrong" for every refused key and every string or key holding `${` in `document`.
 * @example documentIssues(JSON.parse('{"roles":{"__proto__":{}}}')) // ['roles.__proto__: …']
 */
export function documentIssues(document: unknown): string[] {
  const issues: string[] = [];
  const visit = (value: unknown, path: PropertyKey[]): void => {
    if (typeof value === 'string') {
      if (value.includes(VARIABLE)) {
        issues.push(
          `${formatPath(path) || '(root)'}: expected no "\${" (no config value takes a variable; serverless would resolve it into the functions' environment)`,
        );
      }
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        visit(item, [...path, index]);
      });
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    for (const key of Object.keys(value)) {
      const at = formatPath([...path, key]);
      if (REFUSED_KEYS.has(key)) {
        issues.push(
          `${at}: the key "${key}" is refused (it names JavaScript's object machinery, not a setting)`,
        );
        continue;
      }
      if (key.includes(VARIABLE)) {
        issues.push(`${at}: expected no "\${" in a key (serverless would resolve it as a variable)`);
        continue;
      }
      visit((value as Record<string, unknown>)[key], [...path, key]);
    }
  };
  visit(document, []);
  return issues;
}
