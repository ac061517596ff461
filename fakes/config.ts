/** A complete, valid config for tests: the defaults plus launch settings and DB hosts. */
import { type Config, parseLocalConfig } from '../domain/config.js';

export const TEST_LAUNCH = {
  imageId: 'ami-0123456789abcdef0',
  instanceTypes: ['c5.large', 'm5.large'],
  keyName: 'payroll',
  securityGroupIds: ['sg-0123abcd'],
  subnetIds: ['subnet-0123abcd', 'subnet-4567cdef'],
};

/** The 2010 numbers as a threshold policy, launching both extras at once, with a 5-minute window. */
export const TEST_THRESHOLD_POLICY = {
  type: 'threshold',
  scaleOutAbove: 20,
  scaleInBelow: 5,
  maxExtra: 2,
  step: 2,
  stabilizationSeconds: 300,
} as const;

export const TEST_CONFIG_INPUT = {
  roles: {
    app: { launch: TEST_LAUNCH, dbHost: 'db.internal' },
    // The 2010 rule on hourly billing: the tests exercise thresholds, the minimum lifetime and the
    // paid-hour rule on the job role (the shipped drain-time default has tests of its own).
    job: {
      launch: TEST_LAUNCH,
      dbHost: 'db.internal',
      policy: TEST_THRESHOLD_POLICY,
      lifecycle: { billing: 'hourly', minLifetimeMinutes: 45 },
      // One probe a minute, as in 2010 (the shipped role probes four times a minute).
      queue: { everySeconds: null },
      // No warm pool, as in 2010 (config/presets/no-pool.json): a test that needs one says so;
      // the shipped role keeps 2 warm servers on weekdays 08:00-18:00.
      warmPool: null,
      schedule: { windows: [] },
    },
  },
};

/** The test config, with `overrides` merged over it (see domain/merge.ts; `null` removes a key); its queue probe may go to loopback. */
export function testConfig(overrides: unknown = {}): Config {
  return parseLocalConfig(TEST_CONFIG_INPUT, overrides);
}

/**
 * The shipped defaults (drain-time job role, its warm pool, 15 s probes) with only the settings a
 * site must add (launch settings and DB hosts), and `overrides` merged over them.
 */
export function shippedConfig(...overrides: unknown[]): Config {
  const site = { launch: TEST_LAUNCH, dbHost: 'db.internal' };
  return parseLocalConfig({ roles: { app: site, job: site } }, ...overrides);
}
