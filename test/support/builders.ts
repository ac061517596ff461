/**
 * Builders for domain test data: sensible defaults, every field overridable.
 * Times default to the pinned instant {@link T0}; nothing here reads the clock.
 */
import { type RoleConfig, roleConfig } from '../../domain/config.js';
import type { ObservedServer, QueueSample, RoleBounds } from '../../domain/types.js';
import { testConfig } from '../../fakes/config.js';

/** A Monday, 09:00 in Toronto (inside the app role's business-hours window). */
export const T0 = Date.parse('2026-03-02T14:00:00Z');

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

export const secondsAgo = (seconds: number, now = T0): number => now - seconds * SECOND;
export const minutesAgo = (minutes: number, now = T0): number => now - minutes * MINUTE;

let serial = 0;

/** A hex suffix for default ids, unique within a test file. */
function nextSerial(): string {
  serial += 1;
  return serial.toString(16).padStart(8, '0');
}

/**
 * A server record as the planner observes it. Defaults: a job server in service for two hours,
 * registered when in service. `launching` records have no instance id or launch time unless given.
 *
 * @example aServer({ intentId: 'extra', state: 'in-service', launchedAt: minutesAgo(38) })
 */
export function aServer(overrides: Partial<ObservedServer> = {}): ObservedServer {
  const id = nextSerial();
  const state = overrides.state ?? 'in-service';
  const launching = state === 'launching';
  const launchedAt =
    'launchedAt' in overrides ? overrides.launchedAt : launching ? undefined : minutesAgo(120);
  const createdAt = overrides.createdAt ?? (launchedAt ?? T0) - 30 * SECOND;
  const server: ObservedServer = {
    role: 'job',
    intentId: `intent-${id}`,
    state,
    createdAt,
    stateSince: launchedAt ?? createdAt,
    registered: state === 'in-service',
    version: 1,
    ...(launching ? {} : { instanceId: `i-${id}`, privateIp: '127.0.0.2', instanceType: 'c5.large' }),
    ...(launchedAt === undefined ? {} : { launchedAt }),
    ...overrides,
  };
  if ('launchedAt' in overrides && overrides.launchedAt === undefined) delete server.launchedAt;
  return server;
}

/** One queue sample; defaults to an empty queue measured at {@link T0}. */
export function aSample(overrides: Partial<QueueSample> = {}): QueueSample {
  return { at: T0, length: 0, ...overrides };
}

/**
 * A regular series of samples, oldest first, the last one taken at `endAt`.
 * `null` is an unknown reading (a failed probe).
 *
 * @example series([30, 4, 3, null, 2]) // five samples, one minute apart, ending at T0
 */
export function series(
  lengths: readonly (number | null)[],
  { endAt = T0, everySeconds = 60 }: { endAt?: number; everySeconds?: number } = {},
): QueueSample[] {
  return lengths.map((length, i) => {
    const at = endAt - (lengths.length - 1 - i) * everySeconds * SECOND;
    return length === null ? { at, length, error: 'probe timed out after 3000 ms' } : { at, length };
  });
}

/** The same reading once a minute for `minutes` minutes (inclusive of both ends), ending at `endAt`. */
export function steady(length: number, minutes: number, endAt = T0): QueueSample[] {
  return series(
    Array.from({ length: minutes + 1 }, () => length),
    { endAt },
  );
}

/** An operator's min/max; defaults to "nothing set, no expiry". */
export function anOverride(overrides: Partial<RoleBounds> = {}): RoleBounds {
  return { setBy: 'operator', reason: 'test', ...overrides };
}

/** The test config's `job` role with `overrides` deep-merged over it (validated). */
export function jobRole(overrides: Record<string, unknown> = {}): RoleConfig {
  return roleConfig(testConfig({ roles: { job: overrides } }), 'job');
}

/** The test config's `app` role with `overrides` deep-merged over it (validated). */
export function appRole(overrides: Record<string, unknown> = {}): RoleConfig {
  return roleConfig(testConfig({ roles: { app: overrides } }), 'app');
}
