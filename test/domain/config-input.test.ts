import { describe, expect, it } from 'vitest';
import { parseConfig, parseLocalConfig } from '../../domain/config.js';
import { documentIssues } from '../../domain/config-input.js';
import { ConfigError } from '../../domain/errors.js';
import { mergeDocuments } from '../../domain/merge.js';
import { TEST_CONFIG_INPUT } from '../../fakes/config.js';

const issuesOf = (parse: () => unknown): readonly string[] => {
  try {
    parse();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  return [];
};

describe('documentIssues', () => {
  it('names every refused key and every "${" with its path, and nothing in a clean document', () => {
    const document = JSON.parse(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: serverless variables, on purpose
      '{"roles": {"app": {"__proto__": {"min": 9}, "health": {"expectText": "${env:HOME}"}},' +
        // biome-ignore lint/suspicious/noTemplateCurlyInString: serverless variables, on purpose
        ' "constructor": {}}, "tuning": {"notes": ["ok", "${self:service}"], "${opt:x}": 1, "prototype": 2}}',
    );
    expect(documentIssues(document).map((line) => line.split(': ')[0])).toEqual([
      'roles.app.__proto__',
      'roles.app.health.expectText',
      'roles.constructor',
      'tuning.notes[1]',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a key holding a serverless variable
      'tuning.${opt:x}',
      'tuning.prototype',
    ]);
    expect(documentIssues(TEST_CONFIG_INPUT)).toEqual([]);
    expect(documentIssues({ text: '$ {', price: '$5', version: '$Latest' })).toEqual([]);
  });
});

describe('mergeDocuments and keys that name object machinery', () => {
  it('never sets a prototype or shadows a constructor, whatever the document says', () => {
    const over = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"x": 1}, "a": 1}');
    const merged = mergeDocuments({ b: 2 }, over) as Record<string, unknown>;
    expect(merged).toEqual({ a: 1, b: 2 });
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(merged.polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('parseConfig refuses, parseConfig and parseLocalConfig alike', () => {
  it('a __proto__ key instead of dropping it, together with every other bad key', () => {
    const over = JSON.parse('{"roles": {"app": {"__proto__": {"min": 9}, "min": -1}}}');
    for (const parse of [parseConfig, parseLocalConfig]) {
      const issues = issuesOf(() => parse(TEST_CONFIG_INPUT, over));
      expect(issues.some((line) => line.startsWith('roles.app.__proto__: '))).toBe(true);
      expect(issues.some((line) => line.startsWith('roles.app.min: '))).toBe(true);
    }
  });
});

describe('the queue probe on loopback', () => {
  const loopback = { roles: { job: { queue: { url: 'http://127.0.0.1:40123/queue/length' } } } };

  it('is refused for a deployed config and allowed for the sandbox and the tests', () => {
    expect(issuesOf(() => parseConfig(TEST_CONFIG_INPUT, loopback))).toEqual([
      expect.stringMatching(/^roles\.job\.queue\.url: .*not loopback/),
    ]);
    expect(parseLocalConfig(TEST_CONFIG_INPUT, loopback).roles.job?.queue?.url).toBe(
      'http://127.0.0.1:40123/queue/length',
    );
  });

  it('link-local is refused for both', () => {
    const metadata = { roles: { job: { queue: { url: 'http://169.254.169.254/latest/meta-data/' } } } };
    for (const parse of [parseConfig, parseLocalConfig]) {
      expect(issuesOf(() => parse(TEST_CONFIG_INPUT, metadata))).toEqual([
        expect.stringMatching(/^roles\.job\.queue\.url: .*link-local/),
      ]);
    }
  });
});
