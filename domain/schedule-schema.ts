/**
 * The schedule's part of the config: windows with their day selectors (weekdays, dates and date
 * ranges, days and business days of the month, the nth weekday), the holiday calendar and the
 * business's own holidays. domain/config.ts assembles it into the whole document.
 *
 * A window's selectors combine with AND (a window with `days: ["fri"]` and `daysOfMonth: [13]`
 * runs on Friday the 13th); the values within one selector combine with OR.
 */
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { HOLIDAY_TYPES, knownCountries, knownStates } from './holidays.js';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** The nth weekday of a month: "first-mon" … "fifth-sun", or "last-fri". */
export const NTH_WEEKDAY = /^(first|second|third|fourth|fifth|last)-(mon|tue|wed|thu|fri|sat|sun)$/;
/** Business days a month has at most (23 weekdays, no holidays). */
export const MAX_BUSINESS_DAYS = 23;

/** Servers: a runaway number, above any account's quotas (a role's `max` and every count). */
export const MAX_SERVERS = 100_000;
export const count = z.number().int().min(0).max(MAX_SERVERS);

const clockTime = z
  .string()
  .regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'expected a time of day "HH:MM" between 00:00 and 24:00');

const timeZone = z.string().refine((zone) => IANAZone.isValidZone(zone), {
  message: 'expected an IANA time zone such as "America/Toronto"',
});

/** "YYYY-MM-DD" naming a real calendar date. */
function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const parsed = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === text;
}

/** A date "2026-12-24" or an inclusive range "2026-12-24..2026-12-31". */
export const DateOrRangeSchema = z.string().superRefine((text, ctx) => {
  const [first, last, ...rest] = text.split('..');
  const shape = 'expected a date "YYYY-MM-DD" or a range "YYYY-MM-DD..YYYY-MM-DD"';
  if (rest.length > 0 || first === undefined || !isCalendarDate(first)) {
    ctx.addIssue({ code: 'custom', message: `${shape}, got ${JSON.stringify(text)}` });
  } else if (last !== undefined && !isCalendarDate(last)) {
    ctx.addIssue({ code: 'custom', message: `${shape}, got ${JSON.stringify(text)}` });
  } else if (last !== undefined && last < first) {
    ctx.addIssue({ code: 'custom', message: `expected the range's first date before its last, got ${text}` });
  }
});

/** 1..limit counted from the start of the month, or -1..-limit from its end. */
function fromEitherEnd(limit: number, what: string) {
  return z
    .number()
    .int(`expected a whole number of ${what}`)
    .refine((n) => n !== 0 && Math.abs(n) <= limit, {
      error: (issue) =>
        `expected ${what} 1..${limit} from the start of the month or -1..-${limit} from its end, got ${String(issue.input)}`,
    });
}

const SELECTORS = ['days', 'dates', 'daysOfMonth', 'businessDaysOfMonth', 'weekdaysOfMonth'] as const;

export const ScheduleWindowSchema = z
  .object({
    /** Shown by the calendar and in decisions' reasons. */
    name: z.string().min(1).max(40).optional(),
    days: z.array(z.enum(WEEKDAYS)).min(1, 'expected at least one day').optional(),
    dates: z.array(DateOrRangeSchema).min(1, 'expected at least one date').optional(),
    daysOfMonth: z
      .array(fromEitherEnd(31, 'a day of the month'))
      .min(1, 'expected at least one day')
      .optional(),
    businessDaysOfMonth: z
      .array(fromEitherEnd(MAX_BUSINESS_DAYS, 'a business day of the month'))
      .min(1, 'expected at least one business day')
      .optional(),
    weekdaysOfMonth: z
      .array(
        z
          .string()
          .regex(NTH_WEEKDAY, 'expected the nth weekday of the month, like "first-mon" or "last-fri"'),
      )
      .min(1, 'expected at least one weekday of the month')
      .optional(),
    /** Whether the window runs on a holiday. Default: `apply` for a window naming `dates`, else `skip`. */
    onHolidays: z.enum(['skip', 'apply']).optional(),
    start: clockTime,
    end: clockTime,
    /** The schedule floor while the window is active; a window that only sizes the pool has none. */
    servers: count.optional(),
    /** The warm pool's size while the window is active (the role's `warmPool.size` otherwise). */
    warmPool: count.optional(),
  })
  .strict()
  .refine((w) => w.start < w.end, { message: 'expected start before end', path: ['end'] })
  .refine((w) => w.servers !== undefined || w.warmPool !== undefined, {
    message:
      'expected servers (the floor while the window runs), or warmPool for a window that only sizes the pool',
    path: ['servers'],
  })
  .refine((w) => SELECTORS.some((key) => w[key] !== undefined), {
    message: `expected at least one day selector: ${SELECTORS.join(', ')}`,
    path: ['days'],
  });

export const HolidayCalendarSchema = z
  .object({
    country: z.string(),
    state: z.string().optional(),
    /** The calendar's holiday types counted as days off (default public and bank holidays). */
    types: z.array(z.enum(HOLIDAY_TYPES)).min(1).optional(),
  })
  .strict()
  .superRefine((h, ctx) => {
    if (!Object.hasOwn(knownCountries(), h.country)) {
      ctx.addIssue({
        code: 'custom',
        path: ['country'],
        message: `unknown country ${JSON.stringify(h.country)}: expected an ISO 3166 code the holiday calendar knows, such as "CA"`,
      });
      return;
    }
    if (h.state === undefined) return;
    const states = Object.keys(knownStates(h.country));
    if (!states.includes(h.state)) {
      ctx.addIssue({
        code: 'custom',
        path: ['state'],
        message:
          states.length === 0
            ? `unknown state ${JSON.stringify(h.state)}: the calendar has no states for ${h.country}; leave it out`
            : `unknown state ${JSON.stringify(h.state)} of ${h.country}: expected one of ${states.join(', ')}`,
      });
    }
  });

export const ScheduleSchema = z
  .object({
    timeZone,
    /** Servers outside every window. */
    baseline: count,
    /** Each window's edges are schedules in the stack: a bounded number. */
    windows: z.array(ScheduleWindowSchema).max(24, 'expected at most 24 windows'),
    /** Launch this long before a window starts; default: the learned launch-to-in-service p90 (5 min without history). */
    leadMinutes: z.number().int().min(0).max(120).optional(),
    /** Public holidays of a country or state, from the holiday calendar. */
    holidays: HolidayCalendarSchema.optional(),
    /** Days the business is closed beyond the calendar's holidays. */
    extraHolidays: z.array(DateOrRangeSchema).optional(),
    /** Calendar holidays the business works on. */
    notHolidays: z.array(DateOrRangeSchema).optional(),
  })
  .strict();

export type ScheduleWindow = z.infer<typeof ScheduleWindowSchema>;
export type ScheduleConfig = z.infer<typeof ScheduleSchema>;
export type HolidayCalendarConfig = z.infer<typeof HolidayCalendarSchema>;
