/**
 * The learned forecast, from the outside: histories written as "this slot of these dates held so
 * many servers", dates and slots worked out with luxon in the schedule's zone, never with the
 * module's own helpers.
 */
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { ScheduleConfig } from '../../domain/config.js';
import { decide } from '../../domain/decide.js';
import { ConfigError } from '../../domain/errors.js';
import { type Forecast, forecast, historyDates, observe } from '../../domain/forecast.js';
import { forecastFloor, forecastPool } from '../../domain/forecast-effect.js';
import { type ForecastConfig, ForecastSchema } from '../../domain/forecast-schema.js';
import type { DemandDay } from '../../domain/types.js';
import { testConfig } from '../../fakes/config.js';
import { aServer, jobRole, steady } from '../support/builders.js';

const ZONE = 'America/Toronto';
const SCHEDULE = {
  timeZone: ZONE,
  baseline: 1,
  windows: [],
  holidays: { country: 'CA', state: 'ON' },
} as unknown as ScheduleConfig;
const CONFIG: ForecastConfig = ForecastSchema.parse({ mode: 'floor' });
const SLOTS = 96;

/** Epoch ms of a local wall-clock time in Toronto. */
function at(date: string, time: string): number {
  return DateTime.fromISO(`${date}T${time}`, { zone: ZONE }).toMillis();
}

function plusDays(date: string, days: number): string {
  return DateTime.fromISO(date).plus({ days }).toISODate() as string;
}

/** A day whose every slot holds `base`, with `peaks` ("HH:MM" → servers) on top. */
function aDay(date: string, base: number, peaks: Record<string, number> = {}): DemandDay {
  const servers: (number | null)[] = Array(SLOTS).fill(base);
  for (const [time, value] of Object.entries(peaks)) {
    const [h = 0, m = 0] = time.split(':').map(Number);
    servers[(h * 60 + m) / 15] = value;
  }
  return { date, slotMinutes: 15, queue: Array(SLOTS).fill(0), servers };
}

/** Every date from `first` to `last`, inclusive. */
function datesFrom(first: string, last: string): string[] {
  const out: string[] = [];
  for (let d = first; d <= last; d = plusDays(d, 1)) out.push(d);
  return out;
}

function slotFrom(result: Forecast, date: string, time: string) {
  return result.slots.find((s) => s.start === at(date, time));
}

describe('forecast', () => {
  it('refuses to act on fewer same weekdays than minWeeks, and says so', () => {
    const now = at('2026-09-15', '09:00'); // a Tuesday
    const history = [aDay('2026-09-08', 2), aDay('2026-09-01', 2)];
    const result = forecast({ config: CONFIG, schedule: SCHEDULE, history, now });
    expect(result.usable).toBe(false);
    expect(result.reason).toContain('too little history: 2 of 3 past tue days');
  });

  it('forecasts the weekly pattern: the median of the same slot on past same weekdays', () => {
    const now = at('2026-09-22', '09:00'); // a Tuesday
    const history = [
      aDay('2026-09-15', 1, { '10:00': 5 }),
      aDay('2026-09-08', 1, { '10:00': 4 }),
      aDay('2026-09-01', 1, { '10:00': 9 }),
      aDay('2026-08-25', 1, { '10:00': 5 }),
    ];
    const result = forecast({ config: CONFIG, schedule: SCHEDULE, history, now });
    expect(result.usable).toBe(true);
    expect(slotFrom(result, '2026-09-22', '10:00')?.servers).toBe(5);
    expect(slotFrom(result, '2026-09-22', '09:45')?.servers).toBe(1);
    expect(slotFrom(result, '2026-09-22', '10:00')?.basis).toContain('weekly median of 4 tue');
  });

  it("forecasts the business-day-of-month pattern: last month's last business day for this one's", () => {
    // 2026-09-30 (Wed) is September's last business day; August's is Mon 2026-08-31.
    const now = at('2026-09-30', '08:00');
    const history = [
      ...datesFrom('2026-08-17', '2026-09-29').map((d) => aDay(d, 1)),
      aDay('2026-08-31', 1, { '10:00': 3, '10:15': 3 }),
    ].filter((d, i, all) => all.findLastIndex((o) => o.date === d.date) === i);
    const result = forecast({ config: CONFIG, schedule: SCHEDULE, history, now });
    expect(result.usable).toBe(true);
    expect(slotFrom(result, '2026-09-30', '10:00')?.servers).toBe(3);
    expect(slotFrom(result, '2026-09-30', '10:00')?.basis).toContain('business day -1 of the month');
    // Heavier than the weekday usually is: what lets a `floor` act on it however short it is.
    expect(slotFrom(result, '2026-09-30', '10:00')?.aboveWeekly).toBe(true);
    expect(slotFrom(result, '2026-09-30', '11:00')?.servers).toBe(1);
    expect(slotFrom(result, '2026-09-30', '11:00')?.aboveWeekly).toBeUndefined();
    // The day before is business day -2: August's -2 (Fri 2026-08-28) had no month-end run.
    const before = forecast({ config: CONFIG, schedule: SCHEDULE, history, now: at('2026-09-29', '08:00') });
    expect(slotFrom(before, '2026-09-29', '10:00')?.servers).toBe(1);
  });

  it('does not forecast a holiday: the schedule alone', () => {
    const now = at('2026-09-07', '08:00'); // Labour Day
    const history = datesFrom('2026-08-03', '2026-09-06').map((d) => aDay(d, 2));
    const result = forecast({ config: CONFIG, schedule: SCHEDULE, history, now });
    expect(result.usable).toBe(false);
    expect(result.reason).toContain('holiday (Labour Day)');
  });

  it('steps back when it missed badly over the last hour, and says by how much', () => {
    const now = at('2026-09-22', '10:05');
    const past = ['2026-09-15', '2026-09-08', '2026-09-01'].map((d) =>
      aDay(d, 1, { '09:00': 6, '09:15': 6, '09:30': 6, '09:45': 6 }),
    );
    const today = aDay('2026-09-22', 1);
    today.servers = today.servers.map((v, slot) => (slot > 40 ? null : v));
    const result = forecast({ config: CONFIG, schedule: SCHEDULE, history: [...past, today], now });
    expect(result.usable).toBe(false);
    expect(result.reason).toContain('missed badly over the last hour (forecast 6, saw 1');
    const close = { ...today, servers: today.servers.map((v, s) => (s >= 36 && s < 40 ? 5 : v)) };
    expect(forecast({ config: CONFIG, schedule: SCHEDULE, history: [...past, close], now }).usable).toBe(
      true,
    );
  });

  it('reads today and the same weekdays and business-day places of the last historyWeeks', () => {
    const dates = historyDates(CONFIG, SCHEDULE, at('2026-09-30', '08:00'));
    expect(dates).toContain('2026-09-30');
    for (let week = 1; week <= CONFIG.historyWeeks; week++)
      expect(dates).toContain(plusDays('2026-09-30', -7 * week));
    expect(dates).toContain('2026-08-31'); // last business day of August
    expect(dates).toContain('2026-07-31'); // ... and July's (Sep 30 is business day 21 from the start too)
    expect(dates.every((d) => d >= plusDays('2026-09-30', -7 * CONFIG.historyWeeks))).toBe(true);
    expect(dates.length).toBeLessThan(40);
  });

  it('keeps a forecast constant when the past was constant (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 24 * 60 - 1 }),
        (servers, dayOffset, minute) => {
          const date = plusDays('2026-01-05', dayOffset);
          const history = datesFrom(plusDays(date, -63), plusDays(date, -1)).map((d) => aDay(d, servers));
          const now = DateTime.fromISO(date, { zone: ZONE }).plus({ minutes: minute }).toMillis();
          const result = forecast({ config: CONFIG, schedule: SCHEDULE, history, now });
          for (const slot of result.slots) expect([servers, null]).toContain(slot.servers);
          const holiday = result.slots[0]?.servers === null;
          if (!holiday) expect(result.usable).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('never forecasts less when the past needed more (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 70, maxLength: 70 }),
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 70, maxLength: 70 }),
        fc.integer({ min: 0, max: 24 * 4 - 1 }),
        (levels, extra, slot) => {
          const today = '2026-10-20';
          const dates = datesFrom(plusDays(today, -70), plusDays(today, -1));
          const low = dates.map((d, i) => aDay(d, 1, { [clock(slot)]: levels[i] ?? 0 }));
          const high = dates.map((d, i) =>
            aDay(d, 1 + (extra[i] ?? 0), { [clock(slot)]: (levels[i] ?? 0) + (extra[i] ?? 0) }),
          );
          const now = at(today, '00:00');
          const a = forecast({ config: CONFIG, schedule: SCHEDULE, history: low, now });
          const b = forecast({ config: CONFIG, schedule: SCHEDULE, history: high, now });
          a.slots.forEach((s, i) => {
            expect(b.slots[i]?.servers ?? 0).toBeGreaterThanOrEqual(s.servers ?? 0);
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('observe', () => {
  it('keeps the deepest queue and the most servers of a slot, and says when a write is due', () => {
    const base = { schedule: SCHEDULE, slotMinutes: 15 };
    const first = observe(undefined, { ...base, at: at('2026-09-22', '10:07'), queue: 12, servers: 2 });
    expect(first).toMatchObject({ changed: true, opened: true });
    expect(first.day.date).toBe('2026-09-22');
    expect(first.day.servers[40]).toBe(2);
    const lower = observe(first.day, { ...base, at: at('2026-09-22', '10:14'), queue: 3, servers: 1 });
    expect(lower).toMatchObject({ changed: false, opened: false });
    const higher = observe(lower.day, { ...base, at: at('2026-09-22', '10:14'), queue: 3, servers: 4 });
    expect(higher.changed).toBe(true);
    expect(higher.day.servers[40]).toBe(4);
    expect(higher.day.queue[40]).toBe(12);
    const unknown = observe(higher.day, {
      ...base,
      at: at('2026-09-22', '10:15'),
      queue: null,
      servers: null,
    });
    expect(unknown.day.servers[41]).toBeNull();
    const tomorrow = observe(higher.day, { ...base, at: at('2026-09-23', '00:01'), queue: 1, servers: 1 });
    expect(tomorrow.day.date).toBe('2026-09-23');
    expect(tomorrow.day.servers.filter((v) => v !== null)).toEqual([1]);
  });

  it('folds any sequence of observations into the largest per slot (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 24 * 60 - 1 }), fc.integer({ min: 0, max: 99 })), {
          minLength: 1,
          maxLength: 40,
        }),
        (seen) => {
          let day: DemandDay | undefined;
          for (const [minute, servers] of seen) {
            const when = DateTime.fromISO('2026-06-10', { zone: ZONE }).plus({ minutes: minute }).toMillis();
            day = observe(day, {
              schedule: SCHEDULE,
              slotMinutes: 15,
              at: when,
              queue: servers,
              servers,
            }).day;
          }
          for (let slot = 0; slot < SLOTS; slot++) {
            const mine = seen.filter(([m]) => Math.floor(m / 15) === slot).map(([, s]) => s);
            expect(day?.servers[slot]).toBe(mine.length === 0 ? null : Math.max(...mine));
          }
        },
      ),
    );
  });
});

const usable = (servers: number, from: number, to: number): Forecast => ({
  usable: true,
  reason: 'learned',
  slots: [{ start: from, end: to, servers, basis: 'test' }],
});

describe('what the forecast does to a decision', () => {
  const now = at('2026-09-30', '09:50');
  const floor = { servers: 1, reason: 'baseline 1' };

  it.each<[string, ForecastConfig['mode'] | undefined, Forecast, number]>([
    [
      'floor: raises the floor to the forecast within the lead',
      'floor',
      usable(3, now + 600_000, now + 4_200_000),
      3,
    ],
    ['floor: never above the role max', 'floor', usable(40, now, now + 3_600_000), 10],
    [
      'floor: not for a single 15-minute slot (the queue serves it)',
      'floor',
      usable(3, now, now + 900_000),
      1,
    ],
    ['floor: not for a forecast beyond the lead', 'floor', usable(3, now + 3_600_000, now + 4_500_000), 1],
    [
      'floor: not for an unusable forecast',
      'floor',
      { ...usable(3, now, now + 3_600_000), usable: false },
      1,
    ],
    ['advise: leaves the floor as it is', 'advise', usable(3, now, now + 3_600_000), 1],
  ])('%s', (_, mode, result, expected) => {
    const config = { max: 10, ...(mode === undefined ? {} : { forecast: ForecastSchema.parse({ mode }) }) };
    expect(forecastFloor(config, result, floor, now, 15 * 60_000).servers).toBe(expected);
  });

  it.each<[string, number, number, number]>([
    ['a forecast the queue reaches with its extra servers leaves the floor', 1, 2, 1],
    ["a forecast at the queue's reach (floor + maxExtra) raises the floor to it", 1, 3, 3],
    ['a forecast beyond it raises the floor to it', 1, 5, 5],
    ['over a window of 2, the reach is 4', 2, 3, 2],
    ['over a window of 2, a forecast of 4 raises it', 2, 4, 4],
  ])('floor, maxExtra 2: %s', (_, schedule, servers, expected) => {
    const config = { max: 10, forecast: ForecastSchema.parse({ mode: 'floor' }), policy: { maxExtra: 2 } };
    const raised = forecastFloor(
      config,
      usable(servers, now, now + 3_600_000),
      { servers: schedule, reason: 's' },
      now,
      0,
    );
    expect(raised.servers).toBe(expected);
  });

  // Slots learned from the weekly pattern (numbers) or set above it by the business-day pattern
  // ([n, 'date']: a day of the month heavier than its weekday).
  it.each<[string, (number | [number, 'date'])[], number]>([
    ['four slots at the reach are an hour of it: raised', [3, 3, 3, 3], 3],
    ['the larger of a sustained run', [3, 4, 3, 3], 4],
    ['three slots at the reach, then below it: left', [3, 3, 3, 2], 1],
    ['two runs of half an hour apart: left', [3, 3, 1, 3, 3], 1],
    ['a sustained run starting within the lead', [1, 3, 3, 3, 3], 3],
    ['one slot of a day heavier than its weekday (a month-end run): raised', [[2, 'date'], 1, 1], 2],
    ['the same slot learned from the weekly pattern: left', [2, 1, 1], 1],
    ['a month-end slot beyond the lead: left', [1, 1, [3, 'date']], 1],
    ['the larger of a month-end slot and a sustained weekly run', [[2, 'date'], 3, 3, 3, 3], 3],
  ])('floor, maxExtra 2, 15-minute slots from now: %s', (_, servers, expected) => {
    const config = { max: 10, forecast: ForecastSchema.parse({ mode: 'floor' }), policy: { maxExtra: 2 } };
    const slot = 900_000;
    const result: Forecast = {
      usable: true,
      reason: 'learned',
      slots: servers.map((n, i) => ({
        start: now + i * slot,
        end: now + (i + 1) * slot,
        ...(typeof n === 'number'
          ? { servers: n, basis: 'weekly median' }
          : { servers: n[0], basis: 'business day -1 of the month', aboveWeekly: true as const }),
      })),
    };
    expect(forecastFloor(config, result, floor, now, slot).servers).toBe(expected);
  });

  it('never lowers the schedule floor nor exceeds max (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 30 }),
        (sched, fcast, max) => {
          const config = { max: Math.max(max, sched), forecast: ForecastSchema.parse({ mode: 'floor' }) };
          const raised = forecastFloor(
            config,
            usable(fcast, now, now + 3_600_000),
            { servers: sched, reason: 's' },
            now,
            0,
          );
          expect(raised.servers).toBeGreaterThanOrEqual(sched);
          expect(raised.servers).toBeLessThanOrEqual(Math.max(config.max, sched));
          expect(raised.servers).toBe(Math.max(sched, Math.min(config.max, fcast)));
        },
      ),
    );
  });

  describe('warm: the pool is sized for the horizon', () => {
    const config = {
      max: 10,
      warmPool: ForecastSchema.parse({ mode: 'warm' }) as never,
      forecast: ForecastSchema.parse({ mode: 'warm' }),
    };
    const pool = { size: 1, reason: 'warmPool.size' };
    const input = { pool, drained: false, floor: 1 };
    const HOUR = 3_600_000;

    it.each<[string, Forecast, number]>([
      ['a peak within the lead', usable(6, now + 600_000, now + 1_500_000), 5],
      ['a peak hours ahead, within the horizon (6 h)', usable(6, now + 4 * HOUR, now + 4.25 * HOUR), 5],
      ['a peak beyond the horizon: the configured pool', usable(6, now + 7 * HOUR, now + 7.25 * HOUR), 1],
      ['a forecast the floor and pool already meet', usable(2, now, now + 900_000), 1],
      ['capped at max', usable(40, now + HOUR, now + 2 * HOUR), 9],
    ])('%s', (_, result, size) => {
      expect(forecastPool(config, result, input, now, 600_000).size).toBe(size);
    });

    it("an operator's drain or an unusable forecast leaves the pool as it is", () => {
      const result = usable(6, now, now + 900_000);
      expect(forecastPool(config, result, { ...input, drained: true }, now, 0)).toBe(pool);
      expect(forecastPool(config, { ...result, usable: false }, input, now, 0)).toBe(pool);
    });

    it('keeps the floor plus the pool at the peak ahead for as long as it is ahead (property)', () => {
      const slot = 15 * 60_000;
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 24 }),
          fc.integer({ min: 0, max: 3 }),
          fc.integer({ min: 0, max: 23 }),
          (servers, floorServers, step) => {
            // A forecast of 15-minute slots from `now`; the pool is looked at `step` slots later.
            const result: Forecast = {
              usable: true,
              reason: 'learned',
              slots: servers.map((n, i) => ({
                start: now + i * slot,
                end: now + (i + 1) * slot,
                servers: n,
                basis: 'test',
              })),
            };
            const later = now + Math.min(step, servers.length - 1) * slot;
            const ahead = servers.slice(Math.min(step, servers.length - 1));
            const size = forecastPool(
              config,
              result,
              { pool: { size: 0, reason: 'none' }, drained: false, floor: floorServers },
              later,
              0,
            ).size;
            // Every slot still ahead is met by the floor and the pool, within max.
            for (const n of ahead)
              expect(floorServers + size).toBeGreaterThanOrEqual(Math.min(n, config.max));
            expect(floorServers + size).toBeLessThanOrEqual(Math.max(config.max, floorServers));
          },
        ),
      );
    });
  });

  it('decide: a usable floor forecast launches ahead; the same forecast in advise mode does not', () => {
    const servers = [aServer({ role: 'job' })];
    const samples = steady(0, 5, now);
    const base = { role: 'job', now, samples, servers, forecast: usable(3, now, now + 3_600_000) };
    const floorRole = jobRole({ forecast: { mode: 'floor' } });
    const adviseRole = jobRole({ forecast: { mode: 'advise' } });
    expect(decide({ ...base, config: floorRole }).desired.count).toBe(3);
    expect(decide({ ...base, config: adviseRole }).desired.count).toBe(1);
    // The queue's own answer stays on the schedule alone: it is what the history learns.
    expect(decide({ ...base, config: floorRole }).demand?.servers).toBe(1);
  });

  it('decide: the queue adds its extra servers over a forecast floor as over a window of that floor (property)', () => {
    const max = 8;
    const forecastRole = jobRole({ max, forecast: { mode: 'floor' } });
    // A window on the decided instant (Wed 09:50) holding the same servers the forecast asks for.
    const windowRoles = Array.from({ length: max + 1 }, (_, servers) =>
      jobRole({
        max,
        schedule: { windows: [{ name: 'w', days: ['wed'], start: '09:00', end: '11:00', servers }] },
      }),
    );
    fc.assert(
      // Forecasts at or beyond the queue's own reach (the schedule's 1 plus maxExtra 2).
      fc.property(fc.integer({ min: 3, max }), fc.integer({ min: 0, max: 200 }), (servers, queue) => {
        const base = {
          role: 'job',
          now,
          samples: steady(queue, 5, now),
          servers: [aServer({ role: 'job' })],
        };
        const learned = decide({
          ...base,
          config: forecastRole,
          forecast: usable(servers, now, now + 3_600_000),
        });
        const windowed = decide({ ...base, config: windowRoles[servers] as never });
        expect(learned.desired.count).toBe(windowed.desired.count);
        // What the history learns is still the queue's answer on the schedule alone.
        expect(learned.demand?.servers).toBe(decide({ ...base, config: forecastRole }).demand?.servers);
      }),
      { numRuns: 60 },
    );
  });
});

function clock(slot: number): string {
  return `${String(Math.floor(slot / 4)).padStart(2, '0')}:${String((slot % 4) * 15).padStart(2, '0')}`;
}

describe('roles.<role>.forecast settings', () => {
  function issues(job: Record<string, unknown>, app: Record<string, unknown> = {}): string[] {
    try {
      testConfig({ roles: { job, app } });
    } catch (error) {
      if (error instanceof ConfigError) return [...error.issues];
      throw error;
    }
    return [];
  }

  it.each<[string, Record<string, unknown>, Record<string, unknown>, RegExp]>([
    ['an unknown mode', { forecast: { mode: 'predict' } }, {}, /roles\.job\.forecast\.mode/],
    [
      'a slot that does not divide a day evenly',
      { forecast: { mode: 'floor', slotMinutes: 7 } },
      {},
      /roles\.job\.forecast\.slotMinutes: expected one of 5, 10, 15/,
    ],
    [
      'less than 5 weeks of history',
      { forecast: { mode: 'floor', historyWeeks: 4 } },
      {},
      /roles\.job\.forecast\.historyWeeks/,
    ],
    [
      'more weeks needed than kept',
      { forecast: { mode: 'floor', historyWeeks: 5, minWeeks: 6 } },
      {},
      /roles\.job\.forecast\.minWeeks: expected minWeeks <= historyWeeks/,
    ],
    ['an unknown key', { forecast: { mode: 'floor', horizon: 6 } }, {}, /roles\.job\.forecast/],
    [
      'warm without a warm pool',
      { forecast: { mode: 'warm' } },
      {},
      /roles\.job\.forecast\.mode: "warm" sizes the warm pool/,
    ],
    [
      'a role without a queue',
      {},
      { forecast: { mode: 'floor' } },
      /roles\.app\.forecast: expected a demand policy and queue/,
    ],
  ])('refuses %s, naming the key', (_, job, app, message) => {
    expect(issues(job, app).join('\n')).toMatch(message);
  });

  it('is off by default and takes its knobs’ defaults', () => {
    expect(testConfig().roles.job?.forecast).toBeUndefined();
    expect(testConfig({ roles: { job: { forecast: { mode: 'advise' } } } }).roles.job?.forecast).toEqual({
      mode: 'advise',
      slotMinutes: 15,
      historyWeeks: 9,
      minWeeks: 3,
      horizonHours: 6,
      aheadMinutes: 0,
      missRatio: 0.5,
    });
  });
});
