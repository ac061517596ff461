import { describe, expect, it } from 'vitest';
import type { Fix } from '../../domain/reconcile.js';
import { describeAction, instanceNames } from '../../domain/services/reporting.js';
import type { Action } from '../../domain/types.js';
import { aServer } from '../support/builders.js';

const names = instanceNames([
  aServer({ intentId: 'intent-a', instanceId: 'i-0aaaaaaaaaaaaaaa1' }),
  aServer({ intentId: 'intent-b', instanceId: 'i-0bbbbbbbbbbbbbbb2' }),
  aServer({ intentId: 'intent-c', instanceId: undefined }),
]);

describe('describeAction: servers named as an operator knows them', () => {
  it.each<[string, Action | Fix, string]>([
    [
      'a drain, by instance id',
      { kind: 'drain', serverId: 'intent-a', reason: '3 servers, 2 desired (newest-first)' },
      'drain i-0aaaaaaaaaaaaaaa1: 3 servers, 2 desired (newest-first)',
    ],
    [
      'a launch EC2 has not answered yet, by its intent id',
      { kind: 'terminate', serverId: 'intent-c', reason: 'not needed' },
      'terminate intent-c: not needed',
    ],
    [
      'a start, each candidate by instance id',
      { kind: 'start', count: 1, candidates: ['intent-b', 'intent-a'], reason: 'burst', fallback: 'launch' },
      'start 1 of i-0bbbbbbbbbbbbbbb2, i-0aaaaaaaaaaaaaaa1: burst',
    ],
    [
      'a fix whose reason names the instance already, once',
      { kind: 'update', serverId: 'intent-a', patch: {}, reason: 'i-0aaaaaaaaaaaaaaa1 is running' },
      'update: i-0aaaaaaaaaaaaaaa1 is running',
    ],
  ])('%s', (_name, action, text) => {
    expect(describeAction(action, names)).toBe(text);
  });

  it('keeps intent ids without names to go by', () => {
    expect(describeAction({ kind: 'drain', serverId: 'intent-a', reason: 'why' })).toBe(
      'drain intent-a: why',
    );
  });
});
