/**
 * Hourly billing: the minutes of a paid hour in which a server may start retiring. With a load
 * balancer, the drain and the tick that terminates after it must end inside the hour already paid
 * for; the planner obeys this and the config refuses a drain that leaves no such minute.
 */

/** The role settings the paid-hour rule reads (the config schema checks them with this rule). */
export interface PaidHourSettings {
  lifecycle: { drainSeconds: number; retireInLastMinutesOfHour: number };
  loadBalancer: { type: string };
}

/** Minutes from the start of a retirement until the server is terminated: drain plus one tick. */
export function drainTailMinutes(settings: PaidHourSettings): number {
  const waits = settings.loadBalancer.type !== 'none' && settings.lifecycle.drainSeconds > 0;
  return waits ? Math.ceil(settings.lifecycle.drainSeconds / 60) + 1 : 0;
}

/**
 * The first and last whole minute into its paid hour at which a server may start retiring, and
 * the tail those bounds leave room for. `first > last` when no minute fits.
 */
export function retireMinutes(settings: PaidHourSettings): { first: number; last: number; tail: number } {
  const tail = drainTailMinutes(settings);
  return { first: 60 - settings.lifecycle.retireInLastMinutesOfHour - tail, last: 59 - tail, tail };
}

/** The longest drain that still ends, with its terminating tick, inside a paid hour. */
export const MAX_HOURLY_DRAIN_SECONDS = 58 * 60;
