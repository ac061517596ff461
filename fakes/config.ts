/** A complete, valid config for tests: the defaults plus launch settings and DB hosts. */
import { type Config, parseConfig } from '../domain/config.js';

export const TEST_LAUNCH = {
  imageId: 'ami-0123456789abcdef0',
  instanceTypes: ['c5.large', 'm5.large'],
  keyName: 'payroll',
  securityGroupIds: ['sg-0123abcd'],
  subnetIds: ['subnet-0123abcd', 'subnet-4567cdef'],
};

export const TEST_CONFIG_INPUT = {
  roles: {
    app: { launch: TEST_LAUNCH, dbHost: 'db.internal' },
    // The 2010 rule on hourly billing: the tests exercise thresholds, the minimum lifetime and the
    // paid-hour rule on the job role (the shipped drain-time default has tests of its own).
    job: {
      launch: TEST_LAUNCH,
      dbHost: 'db.internal',
      policy: {
        type: 'threshold',
        scaleOutAbove: 20,
        scaleInBelow: 5,
        maxExtra: 2,
        step: 2,
        stabilizationSeconds: 300,
      },
      lifecycle: { billing: 'hourly', minLifetimeMinutes: 45 },
    },
  },
};

/** The test config, with `overrides` merged over it (see domain/merge.ts; `null` removes a key). */
export function testConfig(overrides: unknown = {}): Config {
  return parseConfig(TEST_CONFIG_INPUT, overrides);
}
