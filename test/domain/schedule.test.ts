import fc from 'fast-check';
import { DateTime, IANAZone } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { ScheduleConfig, ScheduleWindow, Weekday } from '../../domain/config.js';
import { nextScheduleEdge, scheduleFloor, scheduleFloorAhead } from '../../domain/schedule.js';
import { scheduleEdges } from '../../domain/schedule-edges.js';

const WEEKDAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri'];
const ALL_DAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

function schedule(timeZone: string, baseline: number, windows: ScheduleWindow[]): ScheduleConfig {
  return { timeZone, baseline, windows };
}

/** The 2010 scripts: weekdays 08:00-21:00 three app servers, otherwise two. */
const TORONTO = schedule('America/Toronto', 2, [
  { days: WEEKDAYS, start: '08:00', end: '21:00', servers: 3 },
]);
const LONDON = schedule('Europe/London', 0, [{ days: WEEKDAYS, start: '09:00', end: '17:30', servers: 5 }]);
const SYDNEY = schedule('Australia/Sydney', 1, [
  { days: WEEKDAYS, start: '07:00', end: '19:00', servers: 2 },
]);
/** Toronto springs forward on Sunday 2026-03-08: 02:00 EST (07:00Z) becomes 03:00 EDT. */
const IN_THE_GAP = schedule('America/Toronto', 1, [
  { days: ['sun'], start: '02:30', end: '04:00', servers: 4 },
]);
/** Toronto falls back on Sunday 2026-11-01: 02:00 EDT (06:00Z) becomes 01:00 EST. */
const STARTS_IN_OVERLAP = schedule('America/Toronto', 1, [
  { days: ['sun'], start: '01:30', end: '03:00', servers: 4 },
]);
const ENDS_IN_OVERLAP = schedule('America/Toronto', 1, [
  { days: ['sun'], start: '00:00', end: '01:30', servers: 2 },
]);
const OVERLAPPING = schedule('America/Toronto', 2, [
  { days: WEEKDAYS, start: '08:00', end: '21:00', servers: 3 },
  { days: ['mon'], start: '12:00', end: '14:00', servers: 5 },
  { days: WEEKDAYS, start: '10:00', end: '11:00', servers: 1 },
  { days: ['sat', 'sun'], start: '00:00', end: '06:00', servers: 0 },
]);
const TO_MIDNIGHT = schedule('America/Toronto', 1, [
  { days: ['fri'], start: '18:00', end: '24:00', servers: 4 },
]);

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('scheduleFloor', () => {
  it.each([
    // The 2010 schedule in America/Toronto (EST = UTC-5 until 2026-03-08, EDT = UTC-4 after).
    ['Monday 08:00 EDT: the window starts (inclusive)', TORONTO, '2026-03-09T12:00:00.000Z', 3],
    ['Monday 07:59:59.999 EDT: not yet', TORONTO, '2026-03-09T11:59:59.999Z', 2],
    ['Monday 20:59:59.999 EDT: still in', TORONTO, '2026-03-10T00:59:59.999Z', 3],
    ['Monday 21:00 EDT: the window ends (exclusive)', TORONTO, '2026-03-10T01:00:00.000Z', 2],
    ['Friday 08:00 EST, before DST', TORONTO, '2026-03-06T13:00:00.000Z', 3],
    ['Friday 07:59:59.999 EST', TORONTO, '2026-03-06T12:59:59.999Z', 2],
    ['Friday 20:30 EST, already Saturday in UTC', TORONTO, '2026-03-07T01:30:00.000Z', 3],
    ['Saturday 12:00 EST', TORONTO, '2026-03-07T17:00:00.000Z', 2],
    ['Sunday 12:00 EDT', TORONTO, '2026-03-08T16:00:00.000Z', 2],
    ['Sunday 23:00 EDT, already Monday in UTC', TORONTO, '2026-03-09T03:00:00.000Z', 2],
    ['Monday after fall-back 08:00 EST', TORONTO, '2026-11-02T13:00:00.000Z', 3],
    ['Monday after fall-back 07:00 EST (would be 08:00 EDT)', TORONTO, '2026-11-02T12:00:00.000Z', 2],
    // Spring forward: 02:30 does not exist on 2026-03-08; the window starts when the gap ends.
    ['DST day 01:59:59.999 EST, just before the gap', IN_THE_GAP, '2026-03-08T06:59:59.999Z', 1],
    ['DST day 03:00 EDT, first instant after the gap', IN_THE_GAP, '2026-03-08T07:00:00.000Z', 4],
    ['DST day 03:59:59.999 EDT', IN_THE_GAP, '2026-03-08T07:59:59.999Z', 4],
    ['DST day 04:00 EDT, the window ends', IN_THE_GAP, '2026-03-08T08:00:00.000Z', 1],
    ['the Sunday after, 02:30 EDT', IN_THE_GAP, '2026-03-15T06:30:00.000Z', 4],
    // Fall back: 01:00-01:59 happens twice on 2026-11-01; edges fire at the first occurrence.
    ['fall-back 01:29:59.999 EDT', STARTS_IN_OVERLAP, '2026-11-01T05:29:59.999Z', 1],
    ['fall-back 01:30 EDT, first occurrence: starts', STARTS_IN_OVERLAP, '2026-11-01T05:30:00.000Z', 4],
    ['fall-back 01:15 EST, repeated hour: stays on', STARTS_IN_OVERLAP, '2026-11-01T06:15:00.000Z', 4],
    ['fall-back 01:30 EST, second occurrence', STARTS_IN_OVERLAP, '2026-11-01T06:30:00.000Z', 4],
    ['fall-back 02:59:59.999 EST', STARTS_IN_OVERLAP, '2026-11-01T07:59:59.999Z', 4],
    ['fall-back 03:00 EST, the window ends', STARTS_IN_OVERLAP, '2026-11-01T08:00:00.000Z', 1],
    ['fall-back 01:29:59.999 EDT, before the end', ENDS_IN_OVERLAP, '2026-11-01T05:29:59.999Z', 2],
    ['fall-back 01:30 EDT, first occurrence: ends', ENDS_IN_OVERLAP, '2026-11-01T05:30:00.000Z', 1],
    ['fall-back 01:15 EST, repeated hour: stays off', ENDS_IN_OVERLAP, '2026-11-01T06:15:00.000Z', 1],
    // Europe/London: GMT = UTC in January, BST = UTC+1 in July.
    ['London Monday 09:00 GMT', LONDON, '2026-01-12T09:00:00.000Z', 5],
    ['London Monday 08:59:59.999 GMT', LONDON, '2026-01-12T08:59:59.999Z', 0],
    ['London Monday 17:29:59.999 GMT', LONDON, '2026-01-12T17:29:59.999Z', 5],
    ['London Monday 17:30 GMT', LONDON, '2026-01-12T17:30:00.000Z', 0],
    ['London Monday 09:00 BST', LONDON, '2026-07-13T08:00:00.000Z', 5],
    ['London Monday 08:59:59.999 BST', LONDON, '2026-07-13T07:59:59.999Z', 0],
    ['London Monday 17:30 BST', LONDON, '2026-07-13T16:30:00.000Z', 0],
    ['London Saturday 12:00 BST', LONDON, '2026-07-11T11:00:00.000Z', 0],
    // Australia/Sydney: AEDT = UTC+11 in January, AEST = UTC+10 in July.
    ['Sydney Monday 07:00 AEDT, still Sunday in UTC', SYDNEY, '2026-01-11T20:00:00.000Z', 2],
    ['Sydney Monday 06:59:59.999 AEDT', SYDNEY, '2026-01-11T19:59:59.999Z', 1],
    ['Sydney Monday 19:00 AEDT', SYDNEY, '2026-01-12T08:00:00.000Z', 1],
    ['Sydney Friday 18:00 AEDT', SYDNEY, '2026-01-16T07:00:00.000Z', 2],
    ['Sydney Saturday 07:00 AEDT, Friday in UTC', SYDNEY, '2026-01-16T20:00:00.000Z', 1],
    ['Sydney Monday 07:00 AEST', SYDNEY, '2026-07-12T21:00:00.000Z', 2],
    ['Sydney Monday 18:59:59.999 AEST', SYDNEY, '2026-07-13T08:59:59.999Z', 2],
    // Overlapping windows: the largest active one wins, even over a smaller one inside it.
    ['overlap Monday 12:30 EDT: 3 and 5 active', OVERLAPPING, '2026-03-09T16:30:00.000Z', 5],
    ['overlap Monday 10:30 EDT: 3 and 1 active', OVERLAPPING, '2026-03-09T14:30:00.000Z', 3],
    ['overlap Tuesday 12:30 EDT: only 3 active', OVERLAPPING, '2026-03-10T16:30:00.000Z', 3],
    ['a night window below the baseline sets the floor', OVERLAPPING, '2026-03-07T08:00:00.000Z', 0],
    // '24:00' ends at the next midnight.
    ['Friday 23:59:59.999 EST, in a window to 24:00', TO_MIDNIGHT, '2026-03-07T04:59:59.999Z', 4],
    ['Saturday 00:00 EST, the window has ended', TO_MIDNIGHT, '2026-03-07T05:00:00.000Z', 1],
    ['Friday 17:59:59.999 EST', TO_MIDNIGHT, '2026-03-06T22:59:59.999Z', 1],
  ])('%s', (_name, config, instant, servers) => {
    expect(scheduleFloor(config, at(instant)).servers).toBe(servers);
  });

  it('says which window set the floor, in the reason and the result', () => {
    const floor = scheduleFloor(TORONTO, at('2026-03-09T12:00:00Z'));
    expect(floor.window).toBe(TORONTO.windows[0]);
    expect(floor.reason).toBe('window mon-fri 08:00-21:00 America/Toronto → 3');
  });

  it('names the baseline outside every window', () => {
    const floor = scheduleFloor(TORONTO, at('2026-03-07T17:00:00Z'));
    expect(floor).toEqual({ servers: 2, reason: 'outside every window → baseline 2' });
  });

  it('says when several windows were active', () => {
    const floor = scheduleFloor(OVERLAPPING, at('2026-03-09T16:30:00Z'));
    expect(floor.window).toBe(OVERLAPPING.windows[1]);
    expect(floor.reason).toBe('window mon 12:00-14:00 America/Toronto → 5 (largest of 2 active windows)');
  });

  it('leaves the floor to the baseline and the other windows in a window that only sizes the pool', () => {
    const poolOnly = schedule('America/Toronto', 2, [
      { name: 'warm-pool', days: WEEKDAYS, start: '08:00', end: '18:00', warmPool: 2 },
      { days: ['mon'], start: '12:00', end: '14:00', servers: 4 },
    ]);
    // Monday 10:00 and 12:30 EDT: the pool window alone, then with the floor window.
    expect(scheduleFloor(poolOnly, at('2026-03-09T14:00:00Z'))).toEqual({
      servers: 2,
      reason: 'outside every window → baseline 2',
    });
    const noon = scheduleFloor(poolOnly, at('2026-03-09T16:30:00Z'));
    expect(noon.servers).toBe(4);
    expect(noon.window).toBe(poolOnly.windows[1]);
  });

  it('never turns on a window that lies entirely in the spring-forward gap', () => {
    const gap = schedule('America/Toronto', 1, [{ days: ['sun'], start: '02:00', end: '02:45', servers: 9 }]);
    for (const instant of [
      '2026-03-08T06:59:59.999Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-08T07:30:00.000Z',
    ]) {
      expect(scheduleFloor(gap, at(instant)).servers).toBe(1);
    }
    expect(scheduleFloor(gap, at('2026-03-15T06:30:00Z')).servers).toBe(9);
  });
});

describe('nextScheduleEdge', () => {
  it.each([
    [
      'from Friday 21:00 EST across a weekend',
      TORONTO,
      '2026-01-10T02:00:00.000Z',
      '2026-01-12T13:00:00.000Z',
    ],
    [
      'from Friday 21:00 EST across the weekend DST starts',
      TORONTO,
      '2026-03-07T02:00:00.000Z',
      '2026-03-09T12:00:00.000Z',
    ],
    [
      'from Friday 21:00 EDT across the weekend DST ends',
      TORONTO,
      '2026-10-31T01:00:00.000Z',
      '2026-11-02T13:00:00.000Z',
    ],
    ['strictly after an edge it is on', TORONTO, '2026-03-09T12:00:00.000Z', '2026-03-10T01:00:00.000Z'],
    ['from just before a start', TORONTO, '2026-03-09T11:59:59.999Z', '2026-03-09T12:00:00.000Z'],
    [
      'to the end of the spring-forward gap',
      IN_THE_GAP,
      '2026-03-08T06:00:00.000Z',
      '2026-03-08T07:00:00.000Z',
    ],
    [
      'to the first occurrence of 01:30',
      STARTS_IN_OVERLAP,
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T05:30:00.000Z',
    ],
    [
      'over the repeated hour to 03:00 EST',
      STARTS_IN_OVERLAP,
      '2026-11-01T05:30:00.000Z',
      '2026-11-01T08:00:00.000Z',
    ],
    ['to a 24:00 end', TO_MIDNIGHT, '2026-03-07T01:00:00.000Z', '2026-03-07T05:00:00.000Z'],
    [
      'Sydney Friday 19:00 AEDT to Monday 07:00',
      SYDNEY,
      '2026-01-16T08:00:00.000Z',
      '2026-01-18T20:00:00.000Z',
    ],
    [
      'Sydney across DST ending Sunday 2026-04-05',
      SYDNEY,
      '2026-04-03T08:00:00.000Z',
      '2026-04-05T21:00:00.000Z',
    ],
    [
      'London Friday 17:30 BST to Monday 09:00 BST',
      LONDON,
      '2026-07-10T16:30:00.000Z',
      '2026-07-13T08:00:00.000Z',
    ],
  ])('%s', (_name, config, from, expected) => {
    expect(iso(nextScheduleEdge(config, at(from)))).toBe(expected);
  });

  it('is undefined without windows', () => {
    expect(nextScheduleEdge(schedule('America/Toronto', 1, []), at('2026-03-09T12:00:00Z'))).toBeUndefined();
  });
});

describe('scheduleEdges', () => {
  const edge = (expression: string, kind: 'start' | 'end', window: number, timeZone = 'America/Toronto') => ({
    expression,
    timeZone,
    edge: kind,
    window,
  });

  it.each([
    [
      'the 2010 weekday window',
      TORONTO,
      [edge('cron(0 8 ? * MON-FRI *)', 'start', 0), edge('cron(0 21 ? * MON-FRI *)', 'end', 0)],
    ],
    [
      'a weekend window (EventBridge weeks start on Sunday, so no wrapping range)',
      schedule('Europe/London', 1, [{ days: ['sat', 'sun'], start: '10:00', end: '16:00', servers: 2 }]),
      [
        edge('cron(0 10 ? * SUN,SAT *)', 'start', 0, 'Europe/London'),
        edge('cron(0 16 ? * SUN,SAT *)', 'end', 0, 'Europe/London'),
      ],
    ],
    [
      'scattered days and minutes',
      schedule('America/Toronto', 1, [
        { days: ['fri', 'mon', 'wed'], start: '09:15', end: '17:45', servers: 2 },
      ]),
      [edge('cron(15 9 ? * MON,WED,FRI *)', 'start', 0), edge('cron(45 17 ? * MON,WED,FRI *)', 'end', 0)],
    ],
    [
      'a range and a stray day as a plain list',
      schedule('America/Toronto', 1, [
        { days: ['mon', 'tue', 'wed', 'sat'], start: '06:00', end: '07:00', servers: 2 },
      ]),
      [
        edge('cron(0 6 ? * MON,TUE,WED,SAT *)', 'start', 0),
        edge('cron(0 7 ? * MON,TUE,WED,SAT *)', 'end', 0),
      ],
    ],
    [
      'every day to 24:00',
      schedule('America/Toronto', 1, [{ days: ALL_DAYS, start: '00:30', end: '24:00', servers: 2 }]),
      [edge('cron(30 0 ? * * *)', 'start', 0), edge('cron(0 0 ? * * *)', 'end', 0)],
    ],
    [
      "24:00 on Friday and Sunday ends at Saturday's and Monday's midnight",
      schedule('America/Toronto', 1, [{ days: ['fri', 'sun'], start: '20:00', end: '24:00', servers: 2 }]),
      [edge('cron(0 20 ? * SUN,FRI *)', 'start', 0), edge('cron(0 0 ? * MON,SAT *)', 'end', 0)],
    ],
    [
      'back-to-back windows share an edge once',
      schedule('America/Toronto', 1, [
        { days: WEEKDAYS, start: '08:00', end: '12:00', servers: 2 },
        { days: WEEKDAYS, start: '12:00', end: '21:00', servers: 3 },
      ]),
      [
        edge('cron(0 8 ? * MON-FRI *)', 'start', 0),
        edge('cron(0 12 ? * MON-FRI *)', 'end', 0),
        edge('cron(0 21 ? * MON-FRI *)', 'end', 1),
      ],
    ],
  ])('%s', (_name, config, expected) => {
    expect(scheduleEdges(config)).toEqual(expected);
  });

  it('has no edges without windows', () => {
    expect(scheduleEdges(schedule('America/Toronto', 1, []))).toEqual([]);
  });
});

// ---- properties ----

/** Zones with ordinary, half-hour, 45-minute, midnight and southern-hemisphere DST rules. */
const ZONES = [
  'America/Toronto',
  'Europe/London',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  'America/Santiago',
  'America/St_Johns',
  'Pacific/Chatham',
  'Asia/Kolkata',
  'UTC',
];
const FROM = at('2025-01-01T00:00:00Z');
const TO = at('2028-01-01T00:00:00Z');
const HOUR = 3_600_000;

const windowArb: fc.Arbitrary<ScheduleWindow> = fc
  .record({
    days: fc.subarray(ALL_DAYS, { minLength: 1 }),
    start: fc.integer({ min: 0, max: 1439 }),
    length: fc.integer({ min: 1, max: 1440 }),
    servers: fc.integer({ min: 0, max: 10 }),
  })
  .map(({ days, start, length, servers }) => ({
    days,
    start: clock(start),
    end: clock(Math.min(1440, start + length)),
    servers,
  }));

const scheduleArb: fc.Arbitrary<ScheduleConfig> = fc.record({
  timeZone: fc.constantFrom(...ZONES),
  baseline: fc.integer({ min: 0, max: 10 }),
  windows: fc.array(windowArb, { maxLength: 4 }),
});

/** Instants anywhere in three years, or within a few hours of one of the zone's offset changes. */
function instantArb(timeZone: string): fc.Arbitrary<number> {
  const changes = offsetChanges(timeZone);
  const anywhere = fc.integer({ min: FROM, max: TO });
  if (changes.length === 0) return anywhere;
  return fc.oneof(
    anywhere,
    fc
      .tuple(fc.constantFrom(...changes), fc.integer({ min: -3 * HOUR, max: 3 * HOUR }))
      .map(([change, delta]) => change + delta),
  );
}

const caseArb = scheduleArb.chain((config) => fc.tuple(fc.constant(config), instantArb(config.timeZone)));

function clock(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

const changesByZone = new Map<string, number[]>();

/** Instants (to the minute) at which the zone's UTC offset changes between FROM and TO. */
function offsetChanges(timeZone: string): number[] {
  const known = changesByZone.get(timeZone);
  if (known !== undefined) return known;
  const zone = IANAZone.create(timeZone);
  const step = 6 * HOUR;
  const changes: number[] = [];
  for (let t = FROM; t < TO; t += step) {
    if (zone.offset(t) === zone.offset(t + step)) continue;
    let low = t;
    let high = t + step;
    while (high - low > 60_000) {
      const middle = low + Math.floor((high - low) / 120_000) * 60_000;
      if (zone.offset(middle) === zone.offset(t)) low = middle;
      else high = middle;
    }
    changes.push(high);
  }
  changesByZone.set(timeZone, changes);
  return changes;
}

/** The plain wall-clock reading of "active", which is unambiguous away from offset changes. */
function naivelyActive(config: ScheduleConfig, instant: number): ScheduleWindow[] {
  const local = DateTime.fromMillis(instant, { zone: config.timeZone });
  const day = ALL_DAYS[local.weekday - 1];
  const minute = local.hour * 60 + local.minute;
  const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3));
  return config.windows.filter(
    (w) =>
      day !== undefined &&
      w.servers !== undefined &&
      w.days?.includes(day) === true &&
      minutesOf(w.start) <= minute &&
      minute < minutesOf(w.end),
  );
}

function farFromOffsetChange(timeZone: string, instant: number): boolean {
  const zone = IANAZone.create(timeZone);
  const offset = zone.offset(instant);
  return [-4, -2, 2, 4].every((hours) => zone.offset(instant + hours * HOUR) === offset);
}

describe('schedule properties', () => {
  it('gives either the baseline or one window’s servers', () => {
    fc.assert(
      fc.property(caseArb, ([config, instant]) => {
        const floor = scheduleFloor(config, instant);
        if (floor.window === undefined) {
          expect(floor.servers).toBe(config.baseline);
        } else {
          expect(config.windows).toContain(floor.window);
          expect(floor.servers).toBe(floor.window.servers);
        }
      }),
    );
  });

  it('is at least every active window, and the baseline only outside them all', () => {
    fc.assert(
      fc.property(caseArb, ([config, instant]) => {
        fc.pre(farFromOffsetChange(config.timeZone, instant));
        const active = naivelyActive(config, instant);
        const floor = scheduleFloor(config, instant);
        if (active.length === 0) {
          expect(floor.window).toBeUndefined();
          expect(floor.servers).toBe(config.baseline);
        } else {
          expect(floor.window).toBeDefined();
          expect(floor.servers).toBe(Math.max(...active.flatMap((w) => w.servers ?? [])));
        }
      }),
    );
  });

  it('finds the next edge strictly after the instant, within eight days, unless there are no windows', () => {
    fc.assert(
      fc.property(caseArb, ([config, instant]) => {
        const next = nextScheduleEdge(config, instant);
        if (config.windows.length === 0) {
          expect(next).toBeUndefined();
          return;
        }
        expect(next).toBeGreaterThan(instant);
        expect(next).toBeLessThanOrEqual(instant + 8 * 24 * HOUR);
      }),
    );
  });

  it('keeps the floor constant from an instant until the next edge', () => {
    fc.assert(
      fc.property(
        caseArb,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 5 }),
        (c, picks) => {
          const [config, instant] = c;
          const next = nextScheduleEdge(config, instant);
          const floor = scheduleFloor(config, instant).servers;
          const horizon = next ?? instant + 8 * 24 * HOUR;
          const samples = [
            horizon - 1,
            ...picks.map((p) => instant + Math.floor(p * (horizon - instant - 1))),
          ];
          for (const sample of samples) expect(scheduleFloor(config, sample).servers).toBe(floor);
          if (next !== undefined) expect(nextScheduleEdge(config, next - 1)).toBe(next);
        },
      ),
    );
  });

  it('writes one well-formed cron expression per distinct edge', () => {
    fc.assert(
      fc.property(scheduleArb, (config) => {
        const edges = scheduleEdges(config);
        const expressions = edges.map((e) => e.expression);
        expect(new Set(expressions).size).toBe(expressions.length);
        expect(scheduleEdges(config)).toEqual(edges);
        for (const e of edges) {
          expect(e.expression).toMatch(
            /^cron\((?:[0-9]|[1-5][0-9]) (?:[0-9]|1[0-9]|2[0-3]) \? \* (?:\*|[A-Z]{3}-[A-Z]{3}|[A-Z]{3}(?:,[A-Z]{3})*) \*\)$/,
          );
          expect(e.timeZone).toBe(config.timeZone);
        }
        config.windows.forEach((w, index) => {
          const [hours, minutes] = w.start.split(':').map(Number);
          const start = `cron(${minutes} ${hours} ?`;
          const covering = edges.filter((e) => e.expression.startsWith(start));
          expect(covering.length, `window ${index} start`).toBeGreaterThan(0);
        });
      }),
    );
  });
});

describe('scheduleFloorAhead: servers in service by the window start', () => {
  const business: ScheduleConfig = {
    timeZone: 'America/Toronto',
    baseline: 2,
    windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '21:00', servers: 3 }],
  };
  // Monday 2026-03-09 is EDT (UTC-4).
  const local = (time: string) => Date.parse(`2026-03-09T${time}:00-04:00`);
  const FIVE_MIN = 300_000;

  it.each([
    ['07:54', 2, 'before the lead: still the baseline'],
    ['07:55', 3, "with lead 5 min, at 07:55 the floor is already the window's"],
    ['08:00', 3, 'at the start'],
    ['20:58', 3, 'the window still ends on time, not a lead early'],
    ['21:00', 2, 'after the end'],
  ])('%s → %i (%s)', (time, servers) => {
    expect(scheduleFloorAhead(business, local(time), FIVE_MIN).servers).toBe(servers);
  });

  it('says it launches ahead', () => {
    expect(scheduleFloorAhead(business, local('07:57'), FIVE_MIN).reason).toMatch(/launching ahead/);
  });

  it("keeps a short window's servers through the whole lead: the floor never dips between launch and start", () => {
    const short: ScheduleConfig = {
      timeZone: 'America/Toronto',
      baseline: 0,
      windows: [{ days: ['mon'], start: '09:00', end: '09:30', servers: 5 }],
    };
    const lead = 45 * 60_000;
    const floors = ['08:14', '08:15', '08:40', '08:50', '09:00', '09:31'].map(
      (time) => scheduleFloorAhead(short, local(time), lead).servers,
    );
    expect(floors).toEqual([0, 5, 5, 5, 5, 0]);
  });

  it('is never below the floor now, and with no lead is the floor now', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7 * 86_400_000 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        (offset, lead) => {
          const at = local('00:00') + offset;
          expect(scheduleFloorAhead(business, at, lead).servers).toBeGreaterThanOrEqual(
            scheduleFloor(business, at).servers,
          );
          expect(scheduleFloorAhead(business, at, 0).servers).toBe(scheduleFloor(business, at).servers);
        },
      ),
    );
  });
});
