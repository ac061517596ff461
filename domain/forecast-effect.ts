/**
 * What a usable forecast does to one decision: in `floor` mode it raises the floor to the servers
 * forecast within the launch lead where the queue alone could not reach them (never above the
 * role's max, never below the schedule); in `warm` mode it sizes the warm pool so the forecast can
 * be met by warm starts. `advise`, an unusable forecast or none leaves the schedule's answer as it
 * is.
 */
import type { RoleConfig } from './config.js';
import { type Forecast, forecastPeak } from './forecast.js';
import type { ScheduleFloor } from './schedule.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** A warm server needs its launch, its readiness and its stop before it waits in the pool. */
const POOL_FILL_MS = 15 * MINUTE;

/**
 * How long a forecast at the queue's reach must last for the floor to act: a batch the queue
 * clears within minutes is served by the reactive policy within its launch delay, and a floor would
 * hold servers for whole slots on every day that shows it; a run lasting hours (a month-end) is
 * what the reactive policy cannot reach. An hour, chosen on the calendar bench (docs/benchmark.md).
 */
export const SUSTAINED_MS = 60 * MINUTE;

/**
 * The floor with the forecast applied (`floor` mode), or `floor` itself. Two kinds of learned load
 * raise it. A day of the month heavier than its weekday usually is (a slot the business-day pattern
 * set above the weekly median: a month-end run) raises it to the forecast, however short: that
 * load comes on a date, not every week, and a fast reactive fleet serving it still leaves its
 * onset waiting. Load that recurs every week raises it only where the queue could not reach it on
 * its own: a forecast of at least the schedule floor plus the policy's `maxExtra` (the queue asked
 * for every extra server it was allowed), lasting at least {@link SUSTAINED_MS}; below that the
 * reactive policy serves it within its launch delay, and a floor would only hold servers for whole
 * slots on every such day. The queue's extra servers come on top of a raised floor.
 */
export function forecastFloor(
  config: Pick<RoleConfig, 'forecast' | 'max'> & { policy?: { maxExtra: number } | undefined },
  result: Forecast | undefined,
  floor: ScheduleFloor,
  now: number,
  leadMs: number,
): ScheduleFloor {
  if (config.forecast?.mode !== 'floor' || result === undefined || !result.usable) return floor;
  const reach = floor.servers + (config.policy?.maxExtra ?? 0);
  const sustained = new Set(sustainedSlots(result, reach));
  const acting = result.slots.filter((s) => s.aboveWeekly === true || sustained.has(s));
  const peak = forecastPeak(
    { ...result, slots: acting },
    now,
    now + leadMs + config.forecast.aheadMinutes * MINUTE,
  );
  if (peak === undefined) return floor;
  const servers = Math.min(config.max, peak.servers);
  if (servers <= floor.servers) return floor;
  const capped = servers < peak.servers ? ` (capped at max ${config.max})` : '';
  return {
    servers,
    reason: `forecast ${peak.servers} from ${new Date(peak.slot.start).toISOString()} (${peak.slot.basis})${capped}, above ${floor.reason}`,
  };
}

/** The slots of runs of back-to-back slots forecast at `reach` or more that last SUSTAINED_MS. */
function sustainedSlots(result: Forecast, reach: number): Forecast['slots'] {
  const kept: Forecast['slots'] = [];
  let run: Forecast['slots'] = [];
  const close = () => {
    const first = run[0];
    const last = run.at(-1);
    if (first !== undefined && last !== undefined && last.end - first.start >= SUSTAINED_MS)
      kept.push(...run);
    run = [];
  };
  for (const slot of result.slots) {
    const at = slot.servers !== null && slot.servers >= reach;
    if (!at || (run.length > 0 && run.at(-1)?.end !== slot.start)) close();
    if (at) run.push(slot);
  }
  close();
  return kept;
}

/**
 * The warm pool's size with the forecast applied (`warm` mode), or `pool` itself: what the largest
 * forecast of the horizon needs beyond the floor. A stopped server costs only its volumes, so the
 * pool is kept for the horizon's peak rather than for the next minutes; servers started from it
 * still count as its own (on loan), so they go back to it on scale-in instead of being terminated
 * while fresh ones warm for the next peak. A pool warming takes its lead plus a fill time, so the
 * horizon is never shorter than that.
 */
export function forecastPool(
  config: Pick<RoleConfig, 'forecast' | 'max' | 'warmPool'>,
  result: Forecast | undefined,
  input: { pool: { size: number; reason: string }; drained: boolean; floor: number },
  now: number,
  leadMs: number,
): { size: number; reason: string } {
  const { pool } = input;
  if (config.forecast?.mode !== 'warm' || config.warmPool === undefined || input.drained) return pool;
  if (result === undefined || !result.usable) return pool;
  const ahead = leadMs + POOL_FILL_MS + config.forecast.aheadMinutes * MINUTE;
  const until = now + Math.max(ahead, config.forecast.horizonHours * HOUR);
  const peak = forecastPeak(result, now, until);
  if (peak === undefined) return pool;
  const size = Math.min(config.max, peak.servers) - input.floor;
  if (size <= pool.size) return pool;
  return {
    size,
    reason: `forecast ${peak.servers} from ${new Date(peak.slot.start).toISOString()} (${peak.slot.basis})`,
  };
}
