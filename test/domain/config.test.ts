import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, parseConfig, roleConfig } from '../../domain/config.js';
import { ConfigError } from '../../domain/errors.js';
import { shippedConfig, TEST_CONFIG_INPUT, TEST_THRESHOLD_POLICY, testConfig } from '../../fakes/config.js';

function issuesOf(...documents: unknown[]): string[] {
  try {
    parseConfig(...documents);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config defaults', () => {
  const config = testConfig();

  it('keeps the 2010 schedule: weekdays 08:00-21:00 three app servers, otherwise two', () => {
    const app = roleConfig(config, 'app');
    expect(app.schedule.timeZone).toBe('America/Toronto');
    expect(app.schedule.baseline).toBe(2);
    expect(app.schedule.windows).toEqual([
      { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '21:00', servers: 3 },
    ]);
    expect(app.health.expectText).toBe('welcome');
    expect(app.loadBalancer).toEqual({ type: 'classic', name: 'smallpayroll-http' });
  });

  it('keeps the 2010 job rule: one permanent server, +2 over 20, in under 5 after 45 minutes', () => {
    const job = roleConfig(config, 'job');
    expect(job.schedule.baseline).toBe(1);
    expect(job.policy).toMatchObject({ type: 'threshold', scaleOutAbove: 20, scaleInBelow: 5, maxExtra: 2 });
    expect(job.lifecycle.minLifetimeMinutes).toBe(45);
    expect(job.lifecycle.billing).toBe('hourly');
    expect(DEFAULT_CONFIG.roles.job.lifecycle.billing).toBe('per-second');
    expect(job.workersPerVcpu).toBe(2);
    expect(job.queue?.url).toMatch(/\/queue\/length$/);
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(roleConfig(config, 'app').schedule.windows)).toBe(true);
  });

  it('names an unknown role', () => {
    expect(() => roleConfig(config, 'db')).toThrow(/roles\.db: unknown role \(known: app, job\)/);
  });

  it('replaces the default load balancer when its type changes, instead of merging with it', () => {
    const targetGroupArn =
      'arn:aws:elasticloadbalancing:ca-central-1:123456789012:targetgroup/app/0123456789abcdef';
    const app = roleConfig(
      testConfig({ roles: { app: { loadBalancer: { type: 'target-group', targetGroupArn } } } }),
      'app',
    );
    expect(app.loadBalancer).toEqual({ type: 'target-group', targetGroupArn });
  });

  it('replaces the default policy when its type changes, instead of merging with it', () => {
    const policy = {
      type: 'backlog-per-server',
      targetPerServer: 10,
      maxExtra: 2,
      stabilizationSeconds: 300,
    };
    expect(roleConfig(testConfig({ roles: { job: { policy } } }), 'job').policy).toEqual(policy);
  });

  it('merges a policy of the same type key by key', () => {
    const job = roleConfig(testConfig({ roles: { job: { policy: { type: 'threshold', step: 1 } } } }), 'job');
    expect(job.policy).toMatchObject({ type: 'threshold', step: 1, scaleOutAbove: 20 });
  });

  it('lets a role be removed with null', () => {
    const only = parseConfig({
      ...TEST_CONFIG_INPUT,
      roles: { app: TEST_CONFIG_INPUT.roles.app, job: null },
    });
    expect(Object.keys(only.roles)).toEqual(['app']);
  });
});

describe('bad config', () => {
  it.each([
    [
      'a bad time zone',
      { roles: { app: { schedule: { timeZone: 'Mars/Olympus' } } } },
      'roles.app.schedule.timeZone: expected an IANA time zone',
    ],
    [
      'a window time out of range',
      {
        roles: {
          app: { schedule: { windows: [{ days: ['mon'], start: '25:00', end: '26:00', servers: 1 }] } },
        },
      },
      'roles.app.schedule.windows[0].start: expected a time of day',
    ],
    [
      'a window that ends before it starts',
      {
        roles: {
          app: { schedule: { windows: [{ days: ['mon'], start: '21:00', end: '08:00', servers: 1 }] } },
        },
      },
      'roles.app.schedule.windows[0].end: expected start before end',
    ],
    [
      'a window that sets neither the floor nor the pool',
      {
        roles: { app: { schedule: { windows: [{ days: ['mon'], start: '08:00', end: '09:00' }] } } },
      },
      'roles.app.schedule.windows[0].servers: expected servers (the floor while the window runs), or warmPool',
    ],
    [
      'an unknown weekday',
      {
        roles: {
          app: { schedule: { windows: [{ days: ['funday'], start: '08:00', end: '09:00', servers: 1 }] } },
        },
      },
      'roles.app.schedule.windows[0].days[0]',
    ],
    ['min above max', { roles: { job: { min: 5, max: 3 } } }, 'roles.job.min: expected min <= max'],
    [
      'thresholds crossed',
      {
        roles: {
          job: {
            policy: { ...TEST_THRESHOLD_POLICY, scaleInBelow: 30 },
          },
        },
      },
      'roles.job.policy.scaleInBelow: expected scaleInBelow <= scaleOutAbove',
    ],
    ['an unknown policy', { roles: { job: { policy: { type: 'magic' } } } }, 'roles.job.policy.type'],
    ['a negative count', { roles: { app: { schedule: { baseline: -1 } } } }, 'roles.app.schedule.baseline'],
    [
      'a queue URL that is not http',
      { roles: { job: { queue: { url: 'ftp://x/queue/length' } } } },
      'roles.job.queue.url: expected an http(s) URL',
    ],
    ['an unknown key', { roles: { app: { colour: 'blue' } } }, 'roles.app'],
    [
      'a bad security group id',
      { roles: { app: { launch: { securityGroupIds: ['default'] } } } },
      'roles.app.launch.securityGroupIds[0]: expected an id like "sg-0123abcd"',
    ],
    [
      'a health URL without the address placeholder',
      { roles: { app: { health: { urlTemplate: 'http://x/' } } } },
      'roles.app.health.urlTemplate: expected the placeholder {privateIp}',
    ],
    [
      'a load balancer of unknown type',
      { roles: { app: { loadBalancer: { type: 'nlb' } } } },
      'roles.app.loadBalancer.type',
    ],
    ['a root that is not an object', 'roles: app', '(root): expected an object'],
  ])('fails on %s, naming the key', (_name, override, expected) => {
    const issues = typeof override === 'string' ? issuesOf(override) : issuesOf(TEST_CONFIG_INPUT, override);
    expect(issues.some((line) => line.startsWith(expected) || line.includes(expected))).toBe(true);
  });

  it('fails on missing launch settings, naming the key', () => {
    const issues = issuesOf({ roles: { app: { dbHost: 'db' }, job: { dbHost: 'db' } } });
    expect(issues).toContain('roles.app.launch.imageId: expected launchTemplate or imageId');
  });

  it('reports every bad key at once', () => {
    const issues = issuesOf(TEST_CONFIG_INPUT, {
      roles: { app: { min: -1, dbHost: '' }, job: { workersPerVcpu: 0 } },
    });
    expect(issues.length).toBeGreaterThanOrEqual(3);
    expect(issues.join('\n')).toMatch(/roles\.app\.min/);
    expect(issues.join('\n')).toMatch(/roles\.app\.dbHost/);
    expect(issues.join('\n')).toMatch(/roles\.job\.workersPerVcpu/);
  });

  it('has defaults that are only missing the site-specific launch settings and DB host', () => {
    const issues = issuesOf({});
    expect(issues.every((line) => /\.(launch\.\w+|dbHost): /.test(line))).toBe(true);
    expect(DEFAULT_CONFIG.roles.app.schedule.baseline).toBe(2);
  });
});

describe('config/presets/seed-2010.json', () => {
  it('brings back the 2010 rule over the shipped drain-time default', async () => {
    const preset = JSON.parse(
      await readFile(new URL('../../config/presets/seed-2010.json', import.meta.url), 'utf8'),
    );
    const job = testConfig(preset).roles.job;
    expect(job?.policy).toEqual({
      type: 'threshold',
      scaleOutAbove: 20,
      scaleInBelow: 5,
      maxExtra: 2,
      step: 1,
      stabilizationSeconds: 0,
    });
    expect(job?.lifecycle.minLifetimeMinutes).toBe(45);
    expect(job?.queue?.everyMinutes).toBe(5);
    expect(DEFAULT_CONFIG.roles.job.policy.type).toBe('drain-time');
  });

  it('merges over the shipped defaults too: one probe every 5 minutes, not the sub-minute rounds', async () => {
    const preset = JSON.parse(
      await readFile(new URL('../../config/presets/seed-2010.json', import.meta.url), 'utf8'),
    );
    const launch = {
      imageId: 'ami-0123456789abcdef0',
      instanceTypes: ['c5.large'],
      securityGroupIds: ['sg-0123abcd'],
      subnetIds: ['subnet-0123abcd'],
    };
    const job = parseConfig(
      { roles: { app: { launch, dbHost: 'db.internal' }, job: { launch, dbHost: 'db.internal' } } },
      preset,
    ).roles.job;
    expect(job?.queue).toMatchObject({ everyMinutes: 5, intervalSeconds: 300, maxSampleAgeSeconds: 600 });
    expect(job?.queue?.everySeconds).toBeUndefined();
  });
});

describe('the shipped warm pool', () => {
  const preset = async (name: string) =>
    JSON.parse(await readFile(new URL(`../../config/presets/${name}.json`, import.meta.url), 'utf8'));
  const POOL_WINDOW = {
    name: 'warm-pool',
    days: ['mon', 'tue', 'wed', 'thu', 'fri'],
    start: '08:00',
    end: '18:00',
    warmPool: 2,
  };

  it('is on for the job role: 2 warm servers on weekdays 08:00-18:00, none outside, no floor of its own', () => {
    const job = shippedConfig().roles.job;
    expect(job?.warmPool).toMatchObject({ size: 0, state: 'stopped', returnOnScaleIn: true });
    expect(job?.schedule.windows).toEqual([POOL_WINDOW]);
    expect(shippedConfig().roles.app?.warmPool).toBeUndefined();
  });

  it('goes with the default window when a config sets its own windows, and stays where they size it', () => {
    const month = { name: 'month-end', businessDaysOfMonth: [-1], start: '06:00', end: '22:00', servers: 2 };
    const own = shippedConfig({ roles: { job: { schedule: { windows: [month] } } } }).roles.job;
    expect(own?.schedule.windows).toEqual([month]);
    expect(own?.warmPool?.size).toBe(0);
    const kept = shippedConfig({ roles: { job: { schedule: { windows: [month, POOL_WINDOW] } } } }).roles.job;
    expect(kept?.schedule.windows).toEqual([month, POOL_WINDOW]);
  });

  it('is off with config/presets/no-pool.json, and with the 2010 preset', async () => {
    for (const name of ['no-pool', 'seed-2010']) {
      const job = shippedConfig(await preset(name)).roles.job;
      expect(job?.warmPool, name).toBeUndefined();
      expect(job?.schedule.windows, name).toEqual([]);
    }
  });

  it('refuses warmPool null alone, saying the default window sizes it', () => {
    expect(() => shippedConfig({ roles: { job: { warmPool: null } } })).toThrow(
      /roles\.job\.schedule\.windows\[0\]\.warmPool: expected the role to have a warmPool.*to turn the pool off, leave warmPool out of every window/,
    );
  });
});

describe('queue probe interval', () => {
  it('ships the job role probing every 15 s, a sample useful for three probes', () => {
    expect(shippedConfig().roles.job?.queue).toMatchObject({
      everyMinutes: 1,
      everySeconds: 15,
      intervalSeconds: 15,
      maxSampleAgeSeconds: 45,
    });
    expect(DEFAULT_CONFIG.roles.job.queue.everySeconds).toBe(15);
  });

  it('probes every everyMinutes without everySeconds', () => {
    expect(testConfig().roles.job?.queue).toMatchObject({
      everyMinutes: 1,
      intervalSeconds: 60,
      maxSampleAgeSeconds: 180,
    });
  });
});
