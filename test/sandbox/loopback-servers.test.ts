import { describe, expect, it } from 'vitest';
import { renderUserData } from '../../domain/user-data.js';
import { readRoleEnv } from '../../sandbox/loopback-servers.js';

/** The user data the control plane renders for a job server, as the sandbox's servers read it. */
const input = {
  role: 'job',
  dbHost: 'db.internal',
  vcpus: 2,
  workersPerVcpu: 2,
  stack: 'fleet-pilot-sandbox',
  intentId: '01JAB2CD3EF4GH5JK6MN7PQ8RS',
  drainSeconds: 600,
};

describe('the sandbox servers read the rendered user data', () => {
  it('a server launched into the service runs its workers from its first boot', () => {
    expect(readRoleEnv(renderUserData(input))).toEqual({
      role: 'job',
      workers: 4,
      drainSeconds: 600,
      warming: false,
    });
  });

  it('a server launched for the warm pool runs none at its first boot, and runs them once started again', () => {
    const userData = renderUserData({ ...input, warming: true });
    expect(readRoleEnv(userData)).toMatchObject({ workers: 4, warming: true });
    // The boot's tmpfiles rule removes the marker, and the user data does not run again.
    expect(userData).toMatch(/^r \/etc\/fleet-pilot\/warming$/m);
    expect(readRoleEnv(userData, false)).toMatchObject({ workers: 4, warming: false });
  });
});
