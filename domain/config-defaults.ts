/**
 * The config's defaults: the 2010 setup's numbers, and the drain-time policy, probe interval and
 * warm pool chosen on traces for the job role. parseConfig (config.ts) merges every document over
 * these.
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
      // Two warm servers on weekdays 08:00-18:00, none outside: the pool the families bench found
      // best (docs/benchmark.md "The warm pool"). The window sets no floor, only the pool's size;
      // a config's own `windows` replace this list, so they keep the pool only by sizing it too.
      // config/presets/no-pool.json turns the pool off.
      schedule: {
        timeZone: 'America/Toronto',
        baseline: 1,
        windows: [{ name: 'warm-pool', days: weekdays, start: '08:00', end: '18:00', warmPool: 2 }],
      },
      warmPool: { size: 0 },
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
        // Four rounds a minute: with the warm pool a burst is served 15-45 s after the probe that
        // sees it, so seeing it 7.5 s sooner on average than at 30 s is what month-end fan-outs need
        // (docs/benchmark.md "The warm pool"). The price is Lambda time: each later round is its own
        // short invocation, queued as a delayed message (about $0.04 a day).
        everySeconds: 15,
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
