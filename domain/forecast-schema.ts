/**
 * The learned forecast's settings (`roles.<role>.forecast`) and the checks that need the rest of
 * the role. Its logic lives in forecast.ts; off when the key is absent.
 */
import { z } from 'zod';

export const FORECAST_MODES = ['advise', 'warm', 'floor'] as const;
export type ForecastMode = (typeof FORECAST_MODES)[number];

/** Slot lengths that divide a day evenly (a slot never straddles midnight). */
export const SLOT_MINUTES = [5, 10, 15, 20, 30, 60] as const;

export const ForecastSchema = z
  .object({
    /**
     * `advise`: journal and show the forecast only; `warm`: size the warm pool ahead of it;
     * `floor`: raise the floor ahead of it (never above max, never below the schedule).
     */
    mode: z.enum(FORECAST_MODES),
    /** The history's resolution: queue depth and servers needed are kept per slot of this length. */
    slotMinutes: z
      .number()
      .int()
      .refine((m) => (SLOT_MINUTES as readonly number[]).includes(m), {
        message: `expected one of ${SLOT_MINUTES.join(', ')}`,
      })
      .default(15),
    /** How long the history is kept (TTL); at least 5 weeks, so a month's pattern is seen again. */
    historyWeeks: z.number().int().min(5).max(26).default(9),
    /** Weeks of history the weekly pattern needs before the forecast is used. */
    minWeeks: z.number().int().min(1).max(26).default(3),
    /** How far ahead the forecast is made (and shown by `status`). */
    horizonHours: z.number().int().min(1).max(48).default(6),
    /** Look this much further ahead than the launch lead (the warm pool adds its own fill time). */
    aheadMinutes: z.number().int().min(0).max(720).default(0),
    /**
     * The forecast missed badly when, over the last hour, its mean error exceeds this share of
     * the mean of forecast and actual (and at least one server): it then steps back to the schedule.
     */
    missRatio: z.number().min(0.1).max(10).default(0.5),
  })
  .strict()
  .refine((f) => f.minWeeks <= f.historyWeeks, {
    message: 'expected minWeeks <= historyWeeks',
    path: ['minWeeks'],
  });

export type ForecastConfig = z.infer<typeof ForecastSchema>;

export interface ForecastRoleView {
  forecast?: ForecastConfig | undefined;
  warmPool?: unknown;
  policy?: unknown;
}

/** Every problem of a role's forecast settings, as `{ path, message }` relative to the role. */
export function forecastIssues(role: ForecastRoleView): { path: (string | number)[]; message: string }[] {
  const forecast = role.forecast;
  if (forecast === undefined) return [];
  const issues: { path: (string | number)[]; message: string }[] = [];
  if (role.policy === undefined) {
    issues.push({
      path: ['forecast'],
      message: 'expected a demand policy and queue: the forecast learns the servers the queue needed',
    });
  }
  if (forecast.mode === 'warm' && role.warmPool === undefined) {
    issues.push({
      path: ['forecast', 'mode'],
      message: '"warm" sizes the warm pool: give the role a warmPool, or use "floor" or "advise"',
    });
  }
  return issues;
}
