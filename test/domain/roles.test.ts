import { describe, expect, it } from 'vitest';
import { echo, ownEntry, RoleNameSchema } from '../../domain/roles.js';

describe('role names', () => {
  it.each(['app', 'job', 'a', 'web-2', 'constructor'])('accepts %j as a role name', (name) => {
    expect(RoleNameSchema.safeParse(name).success).toBe(true);
  });

  it.each(['', 'App', '__proto__', 'toString', '2web', 'a'.repeat(21), 'a b'])(
    'refuses %j as a role name',
    (name) => {
      expect(RoleNameSchema.safeParse(name).success).toBe(false);
    },
  );

  it('finds only own entries, never what Object.prototype carries', () => {
    const byRole: Record<string, number> = { app: 1 };
    expect(ownEntry(byRole, 'app')).toBe(1);
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(ownEntry(byRole, name)).toBeUndefined();
    }
  });

  it('echoes a huge refused value as a short prefix and its length', () => {
    const echoed = echo('a'.repeat(300_000));
    expect(echoed.length).toBeLessThan(80);
    expect(echoed).toMatch(/^"a+…" \(300000 characters\)$/);
    expect(echo('app')).toBe('"app"');
    expect(echo({ big: 'x'.repeat(100) })).toMatch(/characters\)$/);
  });
});
