/**
 * A demand policy given with only its type and the keys that have no default validates, and
 * every other key takes the default docs/configuration.md lists for it: switching a role to
 * another policy type needs only what that type cannot do without.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type PolicyConfig, parseConfig, roleConfig } from '../../domain/config.js';
import { ConfigError } from '../../domain/errors.js';
import { TEST_CONFIG_INPUT, TEST_LAUNCH } from '../../fakes/config.js';

const TYPES = ['threshold', 'backlog-per-server', 'drain-time'] as const;
type PolicyType = (typeof TYPES)[number];

interface DocumentedKey {
  key: string;
  /** The policy types the key belongs to. */
  types: readonly PolicyType[];
  /** The documented default, or undefined for a key documented without one (`—`). */
  default: number | undefined;
}

/** The `.policy.*` rows of the configuration reference, as the reader sees them. */
function documentedPolicyKeys(): DocumentedKey[] {
  const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  const keys: DocumentedKey[] = [];
  for (const line of doc.split('\n')) {
    const row = /^\|\s*`\.policy\.(\w+)`\s*\|([^|]*)\|([^|]*)\|/.exec(line);
    if (row === null) continue;
    const [, key = '', rawDefault = '', meaning = ''] = row;
    if (key === 'type') continue;
    const owner = /^\s*(threshold|backlog-per-server|drain-time):/.exec(meaning)?.[1] as
      | PolicyType
      | undefined;
    const value = rawDefault.trim();
    expect(value, `.policy.${key}: a number or "—"`).toMatch(/^(\d+|—.*)$/);
    keys.push({
      key,
      types: owner === undefined ? TYPES : [owner],
      default: /^\d+$/.test(value) ? Number(value) : undefined,
    });
  }
  return keys;
}

/** A valid value for each key documented without a default. */
const REQUIRED_VALUES: Record<string, number> = {
  scaleOutAbove: 20,
  scaleInBelow: 5,
  step: 1,
  targetPerServer: 10,
};

const SITE = { launch: TEST_LAUNCH, dbHost: 'db.internal' };
/** The shipped defaults (job: drain-time), with only the site-specific settings added. */
const SHIPPED = { roles: { app: SITE, job: SITE } };

function minimalPolicy(type: PolicyType): Record<string, unknown> {
  const required = documentedPolicyKeys().filter((k) => k.types.includes(type) && k.default === undefined);
  return { type, ...Object.fromEntries(required.map((k) => [k.key, REQUIRED_VALUES[k.key]])) };
}

function jobPolicy(...documents: unknown[]): PolicyConfig | undefined {
  return roleConfig(parseConfig(...documents), 'job').policy;
}

describe('a policy switch with only its own keys', () => {
  it('reads a default or "—" for every policy key of the reference', () => {
    const keys = documentedPolicyKeys().map((k) => k.key);
    expect(keys).toEqual(expect.arrayContaining(['maxExtra', 'stabilizationSeconds', 'targetPerServer']));
    expect(Object.keys(REQUIRED_VALUES).sort()).toEqual(
      documentedPolicyKeys()
        .filter((k) => k.default === undefined)
        .map((k) => k.key)
        .sort(),
    );
  });

  it('validates the switch from the shipped drain-time policy to backlog-per-server', () => {
    const policy = jobPolicy(SHIPPED, {
      roles: { job: { policy: { type: 'backlog-per-server', targetPerServer: 10 } } },
    });
    expect(policy).toEqual({
      type: 'backlog-per-server',
      targetPerServer: 10,
      maxExtra: 2,
      stabilizationSeconds: 180,
    });
  });

  // Over the shipped config (job: drain-time) and the test config (job: threshold), so that
  // every type is a switch from another type, whose keys do not carry over.
  const bases: [string, unknown][] = [
    ['the shipped config', SHIPPED],
    ['the test config', TEST_CONFIG_INPUT],
  ];
  for (const type of TYPES) {
    for (const [name, base] of bases) {
      const from = jobPolicy(base)?.type;
      if (from === type) continue;
      it(`${type} over ${name} (${from}): every other key takes its documented default`, () => {
        const given = minimalPolicy(type);
        const policy = jobPolicy(base, { roles: { job: { policy: given } } }) as Record<string, unknown>;
        const expected = Object.fromEntries(
          documentedPolicyKeys()
            .filter((k) => k.types.includes(type) && k.default !== undefined)
            .map((k) => [k.key, k.default]),
        );
        // Nothing beyond the given keys and the documented defaults: no key of the old type, no
        // undocumented default.
        expect(policy).toEqual({ ...expected, ...given });
      });
    }
  }

  it.each(
    documentedPolicyKeys()
      .filter((k) => k.default === undefined)
      .flatMap((k) => k.types.map((type) => [type, k.key] as const)),
  )('%s without %s is refused, naming the key', (type, key) => {
    const { [key]: _left, ...policy } = minimalPolicy(type);
    try {
      jobPolicy(SHIPPED, { roles: { job: { policy } } });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.join('\n')).toContain(`roles.job.policy.${key}:`);
      return;
    }
    throw new Error(`${type} without ${key} was accepted`);
  });
});
