/**
 * The config's defaults: the 2010 setup's numbers, and the drain-time policy chosen on traces for
 * the job role. parseConfig (config.ts) merges every document over these.
 */
import { POLICY_DEFAULTS } from './policies/common-schema.js';
import { DRAIN_TIME_DEFAULTS } from './policies/drain-time-schema.js';

const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri'] as const;

/** The 2010 setup's numbers. Launch settings and DB host have no sensible default. */
export const DEFAULT_CONFIG = {
  roles: {
    app: {
      min: 1,
      max: 10,
      schedule: {
        timeZone: 'America/Toronto',
        baseline: 2,
        windows: [{ days: weekdays, start: '08:00', end: '21:00', servers: 3 }],
      },
      health: {
        urlTemplate: 'http://{privateIp}:80/',
        expectText: 'welcome',
        timeoutMs: 5000,
        bootDeadlineSeconds: 900,
      },
      loadBalancer: { type: 'classic', name: 'smallpayroll-http' },
      lifecycle: {
        minLifetimeMinutes: 0,
        drainSeconds: 300,
        retireOrder: 'newest-first',
        billing: 'per-second',
        retireInLastMinutesOfHour: 10,
      },
      launch: { instanceTypes: [], securityGroupIds: [], subnetIds: [] },
      workersPerVcpu: 2,
    },
    job: {
      min: 1,
      max: 3,
      schedule: { timeZone: 'America/Toronto', baseline: 1, windows: [] },
      // Chosen on fresh traces of every generator, then the reference traces (docs/benchmark.md
      // "Choosing the defaults"); the 2010 rule is config/presets/seed-2010.json. A policy of
      // another type takes the same defaults for the keys it shares.
      policy: { type: 'drain-time', ...POLICY_DEFAULTS, ...DRAIN_TIME_DEFAULTS },
      queue: {
        url: 'http://smallpayroll-http.internal/queue/length',
        timeoutMs: 3000,
        maxBodyBytes: 64,
        maxSaneLength: 1_000_000,
        everyMinutes: 1,
        // Twice a minute: a burst is seen 15 s sooner on average (docs/benchmark.md).
        everySeconds: 30,
      },
      // A job server runs no web server: the server kit's own endpoint (server/, docs/server-kit.md)
      // says whether its workers run.
      health: {
        urlTemplate: 'http://{privateIp}:9180/health',
        expectText: 'fleet-pilot health: ok',
        timeoutMs: 5000,
        bootDeadlineSeconds: 900,
      },
      loadBalancer: { type: 'none' },
      lifecycle: {
        // Per-second billing: a server costs only while it runs, so it may go as soon as it is idle.
        minLifetimeMinutes: 0,
        drainSeconds: 600,
        retireOrder: 'newest-first',
        // EC2 bills Linux on-demand instances per second (60 s minimum); set 'hourly' for hourly-billed AMIs.
        billing: 'per-second',
        retireInLastMinutesOfHour: 10,
      },
      launch: { instanceTypes: [], securityGroupIds: [], subnetIds: [] },
      workersPerVcpu: 2,
    },
  },
} as const;
