/**
 * What a usable forecast does to one decision: in `floor` mode it raises the floor to the servers
 * forecast within the launch lead (never above the role's max, never below the schedule); in `warm`
 * mode it sizes the warm pool so the forecast can be met by warm starts. `advise`, an unusable
 * forecast or none leaves the schedule's answer as it is.
 */
import type { RoleConfig } from './config.js';
import { type Forecast, forecastPeak } from './forecast.js';
import type { ScheduleFloor } from './schedule.js';

const MINUTE = 60_000;
/** A warm server needs its launch, its readiness and its stop before it waits in the pool. */
const POOL_FILL_MS = 15 * MINUTE;

/** The floor with the forecast applied (`floor` mode), or `floor` itself. */
export function forecastFloor(
  config: Pick<RoleConfig, 'forecast' | 'max'>,
  result: Forecast | undefined,
  floor: ScheduleFloor,
  now: number,
  leadMs: number,
): ScheduleFloor {
  if (config.forecast?.mode !== 'floor' || result === undefined || !result.usable) return floor;
  const peak = forecastPeak(result, now, now + leadMs + config.forecast.aheadMinutes * MINUTE);
  if (peak === undefined) return floor;
  const servers = Math.min(config.max, peak.servers);
  if (servers <= floor.servers) return floor;
  const capped = servers < peak.servers ? ` (capped at max ${config.max})` : '';
  return {
    servers,
    reason: `forecast ${peak.servers} from ${new Date(peak.slot.start).toISOString()} (${peak.slot.basis})${capped}, above ${floor.reason}`,
  };
}

/** The warm pool's size with the forecast applied (`warm` mode), or `pool` itself. */
export function forecastPool(
  config: Pick<RoleConfig, 'forecast' | 'max' | 'warmPool'>,
  result: Forecast | undefined,
  input: { pool: { size: number; reason: string }; drained: boolean; floor: number; capacity: number },
  now: number,
  leadMs: number,
): { size: number; reason: string } {
  const { pool } = input;
  if (config.forecast?.mode !== 'warm' || config.warmPool === undefined || input.drained) return pool;
  if (result === undefined || !result.usable) return pool;
  const until = now + leadMs + POOL_FILL_MS + config.forecast.aheadMinutes * MINUTE;
  const peak = forecastPeak(result, now, until);
  if (peak === undefined) return pool;
  // What the forecast needs beyond what already serves (or the floor keeps): started from the pool.
  const size = Math.min(config.max, peak.servers) - Math.max(input.floor, input.capacity);
  if (size <= pool.size) return pool;
  return {
    size,
    reason: `forecast ${peak.servers} from ${new Date(peak.slot.start).toISOString()} (${peak.slot.basis})`,
  };
}
