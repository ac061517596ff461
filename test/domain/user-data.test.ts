import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../domain/errors.js';
import {
  encodeUserData,
  renderUserData,
  USER_DATA_LIMIT_BYTES,
  type UserDataInput,
  workerCount,
} from '../../domain/user-data.js';

const INPUT: UserDataInput = {
  role: 'job',
  dbHost: 'db.internal',
  vcpus: 2,
  workersPerVcpu: 2,
  stack: 'fleet-pilot-prod',
  intentId: '01JAB2CD3EF4GH5JK6MN7PQ8RS',
  drainSeconds: 600,
};

function validationIssues(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return [...error.issues];
    throw error;
  }
  throw new Error('expected a ValidationError');
}

function bashSyntaxCheck(script: string): { status: number | null; stderr: string } {
  const result = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr };
}

describe('renderUserData', () => {
  const script = renderUserData(INPUT);

  it('is a bash script', () => {
    expect(script.startsWith('#!/bin/bash\n')).toBe(true);
  });

  it('hands the server its role, DB host, worker count, stack, intent and drain time in role.env', () => {
    const env = script.match(
      /cat > \/etc\/fleet-pilot\/role\.env <<'FLEET_ROLE_ENV'\n([\s\S]*?)\nFLEET_ROLE_ENV\n/,
    );
    expect(env?.[1]?.split('\n')).toEqual([
      'FLEET_ROLE=job',
      'FLEET_DB_HOST=db.internal',
      'FLEET_WORKERS=4',
      'FLEET_STACK=fleet-pilot-prod',
      'FLEET_INTENT_ID=01JAB2CD3EF4GH5JK6MN7PQ8RS',
      'FLEET_DRAIN_SECONDS=600',
    ]);
    expect(script).toContain('systemctl restart fleet-pilot-role.target || true');
  });

  it('installs a drain hook that marks the server draining and stops workers with SIGTERM', () => {
    const hook = script.match(
      /cat > \/usr\/local\/sbin\/fleet-pilot-drain <<'FLEET_DRAIN'\n([\s\S]*?)\nFLEET_DRAIN\n/,
    );
    expect(hook?.[1]).toContain('touch /etc/fleet-pilot/draining');
    expect(hook?.[1]).toContain("systemctl kill --signal=SIGTERM 'fleet-pilot-worker@*'");
    expect(hook?.[1]).toContain('deadline=$((SECONDS + 600))');
    expect(script).toContain('chmod 0755 /usr/local/sbin/fleet-pilot-drain');
  });

  it('runs the drain hook on shutdown, giving it longer than the drain time', () => {
    const unit = script.match(/<<'FLEET_DRAIN_UNIT'\n([\s\S]*?)\nFLEET_DRAIN_UNIT\n/)?.[1] ?? '';
    expect(unit).toContain('ExecStop=/usr/local/sbin/fleet-pilot-drain');
    expect(unit).toContain('After=network-online.target fleet-pilot-role.target');
    expect(unit).toMatch(/^TimeoutStopSec=630$/m);
    expect(script).toContain('systemctl enable --now fleet-pilot-drain.service');
  });

  it('clears the draining marker on every boot', () => {
    expect(script).toContain('r /etc/fleet-pilot/draining');
  });

  it('never waits forever when the drain time is zero', () => {
    const noGrace = renderUserData({ ...INPUT, drainSeconds: 0 });
    expect(noGrace).toMatch(/^TimeoutStopSec=30$/m);
    expect(noGrace).toContain('deadline=$((SECONDS + 0))');
  });

  it('carries no secrets', () => {
    expect(script).not.toMatch(/password|secret|AWS_SECRET|AWS_ACCESS_KEY|token/i);
  });

  it('reads no instance metadata (everything is passed in)', () => {
    expect(script).not.toMatch(/169\.254\.169\.254|fd00:ec2::254|ec2-metadata|instance-data/);
  });

  it('passes bash -n', () => {
    expect(bashSyntaxCheck(script)).toEqual({ status: 0, stderr: '' });
  });

  it('fails bash -n for a broken script, so the syntax check can catch one', () => {
    expect(bashSyntaxCheck(`${script}\nif true; then\n`).status).not.toBe(0);
  });

  it.each([
    ['role', 'job; rm -rf /'],
    ['role', 'Job'],
    ['role', ''],
    ['role', 'job\nFLEET_DB_HOST=evil'],
    ['role', 'a'.repeat(21)],
    ['dbHost', '$(curl evil)'],
    ['dbHost', 'db internal'],
    ['dbHost', 'db`id`'],
    ['dbHost', "db'"],
    ['dbHost', '-db'],
    ['dbHost', ''],
    ['vcpus', 0],
    ['vcpus', 1.5],
    ['vcpus', Number.NaN],
    ['workersPerVcpu', -2],
    ['workersPerVcpu', 65],
    ['stack', 'prod stack'],
    ['stack', 'prod\nFLEET_DRAIN'],
    ['intentId', 'a$b'],
    ['intentId', "x'; reboot; '"],
    ['drainSeconds', -1],
    ['drainSeconds', 3601],
  ])('rejects %s = %j, naming the field', (field, value) => {
    const issues = validationIssues(() => renderUserData({ ...INPUT, [field]: value }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(new RegExp(`^${field}: expected `));
  });

  it('names every bad field at once', () => {
    const issues = validationIssues(() => renderUserData({ ...INPUT, role: 'a;b', dbHost: 'a b', vcpus: 0 }));
    expect(issues.map((issue) => issue.split(':')[0])).toEqual(['role', 'dbHost', 'vcpus']);
  });

  it('accepts IPv4 and IPv6 addresses as the DB host', () => {
    expect(renderUserData({ ...INPUT, dbHost: '10.0.1.25' })).toContain('FLEET_DB_HOST=10.0.1.25\n');
    expect(renderUserData({ ...INPUT, dbHost: 'fd00::25' })).toContain('FLEET_DB_HOST=fd00::25\n');
  });
});

describe('workerCount', () => {
  it.each([
    [1, 1, 1],
    [2, 2, 4],
    [4, 2, 8],
    [96, 3, 288],
  ])('%i vCPUs × %i per vCPU = %i workers', (vcpus, perVcpu, workers) => {
    expect(workerCount(vcpus, perVcpu)).toBe(workers);
  });

  it('rejects zero vCPUs, naming the field', () => {
    expect(validationIssues(() => workerCount(0, 2))).toEqual(['vcpus: expected an integer from 1 to 4096']);
  });
});

describe('user data size', () => {
  it('allows exactly the limit and rejects one byte more, counting UTF-8 bytes', () => {
    expect(encodeUserData('x'.repeat(USER_DATA_LIMIT_BYTES))).toHaveLength(21_848);
    expect(validationIssues(() => encodeUserData('x'.repeat(USER_DATA_LIMIT_BYTES + 1)))).toEqual([
      "size: 16385 bytes, over EC2's limit of 16384 bytes before base64 encoding",
    ]);
    // 8192 two-byte characters fit; one more does not.
    expect(() => encodeUserData('é'.repeat(8192))).not.toThrow();
    expect(() => encodeUserData('é'.repeat(8193))).toThrow(ValidationError);
  });

  const name = (first: string, rest: string, max: number) =>
    fc
      .tuple(fc.constantFrom(...first), fc.string({ unit: fc.constantFrom(...rest), maxLength: max - 1 }))
      .map(([head, tail]) => head + tail);
  const lower = 'abcdefghijklmnopqrstuvwxyz';
  const upper = lower.toUpperCase();
  const digits = '0123456789';
  const inputArb: fc.Arbitrary<UserDataInput> = fc.record({
    role: name(lower, `${lower}${digits}-`, 20),
    dbHost: name(`${lower}${upper}${digits}.:`, `${lower}${upper}${digits}.:-`, 253),
    vcpus: fc.integer({ min: 1, max: 4096 }),
    workersPerVcpu: fc.integer({ min: 1, max: 64 }),
    stack: name(`${lower}${upper}${digits}`, `${lower}${upper}${digits}-`, 128),
    intentId: name(`${lower}${upper}${digits}`, `${lower}${upper}${digits}._:-`, 128),
    drainSeconds: fc.integer({ min: 0, max: 3600 }),
  });

  it('stays within the limit for every valid input and base64-decodes back to the script', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const script = renderUserData(input);
        expect(Buffer.byteLength(script, 'utf8')).toBeLessThanOrEqual(USER_DATA_LIMIT_BYTES);
        expect(Buffer.from(encodeUserData(script), 'base64').toString('utf8')).toBe(script);
        expect(script).toContain(`FLEET_WORKERS=${input.vcpus * input.workersPerVcpu}\n`);
      }),
    );
  });

  it('passes bash -n for any valid input', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        expect(bashSyntaxCheck(renderUserData(input)).status).toBe(0);
      }),
      { numRuns: 25 },
    );
  });
});
