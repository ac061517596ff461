/** What `fleet-pilot status` and `journal` print for people: 80 columns, times from the control plane's clock. */
import { describe, expect, it } from 'vitest';
import { renderChange, renderJournal, renderStatus } from '../../cli/fleet-pilot/render.js';
import { paintFor, relative, shortId, span } from '../../cli/fleet-pilot/terminal.js';
import type { ControlResult, RoleStatus } from '../../domain/services/control.js';
import type { RoleBounds } from '../../domain/types.js';

const NOW = Date.parse('2026-03-02T14:12:00Z');

/** A role's warm pool in status: empty and of size 0 unless told otherwise. */
function aPool(overrides: Partial<NonNullable<RoleStatus['pool']>> = {}): NonNullable<RoleStatus['pool']> {
  return {
    size: 0,
    reason: 'warmPool.size',
    waitsAs: 'stopped',
    control: null,
    warm: 0,
    warming: 0,
    stopping: 0,
    servers: [],
    ...overrides,
  };
}
const plain = paintFor({ isTTY: false }, {});

const job: RoleStatus = {
  role: 'job',
  desired: 3,
  floor: 1,
  demand: 3,
  hold: null,
  reasons: [
    'schedule: weekdays 08:00-21:00 → 1',
    'demand: queue 42, draining 5.2/min, 2.7/min per server, launch-to-serve 300 s: 3',
  ],
  nextScheduleChange: '2026-03-03T02:00:00.000Z',
  paused: true,
  pause: { reason: 'incident 4711', since: NOW - 12 * 60_000, setBy: 'control' },
  bounds: { min: 3, expiresAt: NOW + 108 * 60_000, reason: 'manual launch of 2', setBy: 'control' },
  pool: null,
  servers: [
    {
      intentId: '26c82983-258b-4220-8951-8f6765838fb9',
      instanceId: 'i-0a1b2c3d4e5f60718',
      state: 'in-service',
      ageMinutes: 184,
      address: '10.20.30.40',
      inService: true,
      registered: true,
      market: 'on-demand',
      reason: 'content health check passed',
    },
    {
      intentId: '31f20208-58d3-45ff-9f6d-e6fac59ed5cd',
      instanceId: 'i-0ffee1234567890ab',
      state: 'booting',
      ageMinutes: 3,
      address: '10.20.31.7',
      inService: false,
      registered: false,
      market: 'spot',
      reason: null,
    },
    {
      intentId: '9c9914c1-208a-4c47-bb06-3f662bbcba31',
      instanceId: null,
      state: 'launching',
      ageMinutes: 0,
      address: null,
      inService: false,
      registered: false,
      market: 'spot',
      reason: null,
    },
  ],
  nextActions: [],
  blocked: ['launch: the role is paused'],
  journal: [
    {
      at: '2026-03-02T14:00:00.000Z',
      kind: 'control',
      summary: 'job: paused: no launches or retirements until resumed',
    },
    {
      at: '2026-03-02T13:55:10.000Z',
      kind: 'plan',
      summary: 'desired 3; launch 2: 1 of 3 desired servers; the queue is growing faster than it drains',
    },
  ],
};

const status: ControlResult = {
  ok: true,
  action: 'status',
  dryRun: true,
  messages: [],
  roles: [job],
  at: new Date(NOW).toISOString(),
};

describe('fleet-pilot status', () => {
  it('fits 80 columns, ids cut to their distinguishing tail', () => {
    const text = renderStatus(status, { wide: false, paint: plain, now: NOW });
    expect(text).toMatchInlineSnapshot(`
      "job  PAUSED  desired 3  in service 1  servers 3  (floor 1, demand 3)
        why: schedule: weekdays 08:00-21:00 → 1; demand: queue 42, draining 5.2/min,
          2.7/min per server, launch-to-serve 300 s: 3
        pause: incident 4711, since 12 min ago
        bounds: min 3, expires in 1 h 48 min (manual launch of 2)
        next converge: blocked: launch: the role is paused
        schedule changes: in 11 h 48 min

      SERVER          STATE       AGE         ADDRESS      IN SERVICE  MARKET
      i-…3d4e5f60718  in-service  3 h 04 min  10.20.30.40  yes         on-demand
      i-…234567890ab  booting     3 min       10.20.31.7   no          spot
      (launching)     launching   0 s         -            no          spot

      WHEN        KIND     SUMMARY
      12 min ago  control  job: paused: no launches or retirements until resumed
      16 min ago  plan     desired 3; launch 2: 1 of 3 desired servers; the queue is …"
    `);
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);
  });

  describe('bounds', () => {
    /** Status of the job role with these bounds, min 3 for 2 h and max 5 for 30 min unless given. */
    const withBounds = (bounds: Partial<RoleBounds>, wide = true) =>
      renderStatus(
        {
          ...status,
          roles: [
            {
              ...job,
              bounds: {
                min: 3,
                max: 5,
                expiresAt: NOW + 120 * 60_000,
                maxUntil: NOW + 30 * 60_000,
                ...bounds,
              },
            },
          ],
        },
        { wide, paint: plain, now: NOW },
      );

    it('says when each bound expires when they differ', () => {
      const text = withBounds(
        {
          min: 4,
          max: 4,
          expiresAt: NOW + 108 * 60_000,
          maxUntil: NOW + 20 * 60_000,
          reason: 'manual retire of 1',
        },
        false,
      );
      expect(text).toContain('bounds: min 4, expires in 1 h 48 min; max 4, expires in 20 min');
    });

    it('says why each bound is held when their reasons differ', () => {
      const text = withBounds({ reason: 'cost cap', minReason: 'month-end run' });
      expect(text).toContain(
        'bounds: min 3, expires in 2 h (month-end run); max 5, expires in 30 min (cost cap)\n',
      );
    });

    it('keeps one reason for both bounds when they are held for the same one', () => {
      const text = withBounds({ reason: 'month-end run', maxReason: 'month-end run' });
      expect(text).toContain('bounds: min 3, expires in 2 h; max 5, expires in 30 min (month-end run)\n');
    });
  });

  it('keeps a wrapped line within 80 columns, its continuation indented', () => {
    // Words that fill each line to the last column, where the continuation's indent would push it over.
    const reasons = [Array.from({ length: 24 }, (_, i) => `w${String(i).padStart(11, '0')}`).join(' ')];
    const text = renderStatus(
      { ...status, roles: [{ ...job, reasons }] },
      { wide: false, paint: plain, now: NOW },
    );
    const lines = text.split('\n');
    expect(lines.filter((l) => l.startsWith('    w')).length).toBeGreaterThan(1);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
  });

  it('says how ready the warm pool is, what is on its way in and what is stale', () => {
    const pool = aPool({
      size: 2,
      warm: 1,
      warming: 1,
      servers: [
        {
          intentId: 'a',
          instanceId: 'i-0a',
          state: 'warm',
          ageHours: 70,
          stale: ['70 h old (maxAgeHours 48)'],
        },
        { intentId: 'b', instanceId: 'i-0b', state: 'warming', ageHours: 0, stale: [] },
      ],
    });
    const roles = [{ ...job, pool }];
    const text = renderStatus({ ...status, roles }, { wide: false, paint: plain, now: NOW });
    expect(text.replace(/\n\s+/g, ' ')).toContain(
      'warm pool: 1 of 2 ready (stopped; warmPool.size); 1 on the way in; 1 stale: 70 h old (maxAgeHours 48)',
    );
  });

  it('shows the next schedule change with its floor, and the forecast hour by hour', () => {
    const roles: RoleStatus[] = [
      {
        ...job,
        scheduleChange: {
          at: '2026-03-03T02:00:00.000Z',
          servers: 1,
          reason: 'outside every window → baseline 1',
        },
        forecast: {
          mode: 'floor',
          usable: true,
          reason: 'learned from history',
          hours: [3, 3, null].map((servers, i) => ({
            from: new Date(NOW + i * 3_600_000).toISOString(),
            servers,
            basis: 'weekly median of 4 mon',
          })),
        },
      },
      {
        ...job,
        role: 'app',
        forecast: { mode: 'warm', usable: false, reason: 'no forecast now: too little history', hours: [] },
      },
    ];
    const text = renderStatus({ ...status, roles }, { wide: false, paint: plain, now: NOW }).replace(
      /\n\s+/g,
      ' ',
    );
    expect(text).toContain('schedule changes: in 11 h 48 min to 1 (outside every window → baseline 1)');
    expect(text).toContain('forecast: floor, in use; servers per hour from now: 3 3 -');
    expect(text).toContain('forecast: warm, NOT USED: no forecast now: too little history');
  });

  it('says what a schedule change changes: the warm pool only, or the floor and the pool', () => {
    const pool = aPool();
    const at = '2026-03-03T02:00:00.000Z';
    const change = (servers: number, warmPool: number) => ({
      ...job,
      pool,
      scheduleChange: { at, servers, reason: 'the reason', warmPool, warmPoolReason: 'window warm-pool' },
    });
    const render = (role: RoleStatus) =>
      renderStatus({ ...status, roles: [role] }, { wide: false, paint: plain, now: NOW }).replace(
        /\n\s+/g,
        ' ',
      );
    expect(render(change(job.floor, 2))).toContain(
      'schedule changes: in 11 h 48 min warm pool to 2 (window warm-pool)',
    );
    expect(render(change(job.floor + 1, 2))).toContain(
      `schedule changes: in 11 h 48 min to ${job.floor + 1} (the reason), warm pool to 2 (window warm-pool)`,
    );
    expect(render(change(job.floor + 1, 0))).toContain(
      `schedule changes: in 11 h 48 min to ${job.floor + 1} (the reason)`,
    );
  });

  it('shows every column and whole ids with -o wide', () => {
    const text = renderStatus(status, { wide: true, paint: plain, now: NOW });
    expect(text).toContain('i-0a1b2c3d4e5f60718');
    expect(text).toContain('26c82983-258b-4220-8951-8f6765838fb9');
    expect(text).toContain('content health check passed');
    expect(text).toContain('the queue is growing faster than it drains');
  });

  it('colours only on a terminal, and never with NO_COLOR', () => {
    const tty = { isTTY: true };
    expect(paintFor(tty, {})('green', 'x')).not.toBe('x');
    expect(paintFor(tty, { NO_COLOR: '' })('green', 'x')).toBe('x');
    expect(paintFor({ isTTY: false }, {})('green', 'x')).toBe('x');
  });
});

describe('fleet-pilot journal and changes', () => {
  it('prints the journal newest first with times as "ago"', () => {
    const text = renderJournal(
      { ...status, action: 'journal', journal: job.journal.map((j) => ({ ...j, role: 'job' })) },
      { wide: false, paint: plain, now: NOW },
    );
    expect(text.split('\n')).toEqual([
      'WHEN        ROLE  KIND     SUMMARY',
      '12 min ago  job   control  job: paused: no launches or retirements until resumed',
      '16 min ago  job   plan     desired 3; launch 2: 1 of 3 desired servers; the que…',
    ]);
  });

  it('says a dry run changed nothing and what the converge would do', () => {
    const text = renderChange(
      {
        ok: true,
        action: 'launch',
        dryRun: true,
        messages: ['app: launching 2 (minimum 5 held until 2026-03-02T16:12:00.000Z)'],
        converge: { actions: ['launch 2: 3 of 5 desired servers'], blocked: [], failed: [] },
      },
      { wide: false, paint: plain, now: NOW },
    );
    expect(text.split('\n')).toEqual([
      'dry run: nothing was changed',
      'app: launching 2 (minimum 5 held until 2026-03-02T16:12:00.000Z)',
      '  would: launch 2: 3 of 5 desired servers',
    ]);
  });

  it.each([
    [30_000, '30 s'],
    [12 * 60_000, '12 min'],
    [3 * 3_600_000, '3 h'],
    [3 * 3_600_000 + 5 * 60_000, '3 h 05 min'],
    [50 * 3_600_000, '2 d 2 h'],
  ])('says a span of %s ms as %s', (ms, text) => {
    expect(span(ms)).toBe(text);
    expect(relative(NOW - ms, NOW)).toBe(`${text} ago`);
    expect(relative(NOW + ms, NOW)).toBe(`in ${text}`);
  });

  it('keeps short ids whole and cuts long ones to their tail', () => {
    expect(shortId('i-0123abcd')).toBe('i-0123abcd');
    expect(shortId('i-0a1b2c3d4e5f60718')).toBe('i-…3d4e5f60718');
  });
});
