/**
 * The learned forecast inside a converge: read the days it learns from (one ledger read; the days
 * already final may come from a cache in front of the ledger), forecast, and after the decision
 * fold what the queue asked for into today's slot (a write only when the slot grows). A ledger
 * failure here never stops a converge: the forecast steps back to the schedule and the failure is
 * logged.
 */
import type { RoleConfig } from '../config.js';
import type { Decision } from '../decide.js';
import {
  type Forecast,
  forecast,
  forecastPeak,
  historyDates,
  keepUntil,
  localDate,
  observe,
} from '../forecast.js';
import type { ForecastConfig } from '../forecast-schema.js';
import type { DemandDay, QueueSample } from '../types.js';
import type { FleetDeps } from './fleet-deps.js';
import { describe } from './reporting.js';

export interface LoadedForecast {
  forecast: Forecast;
  /** Today's stored day, if any: what the observation is folded into. */
  today?: DemandDay;
}

/**
 * How long after a local day ends it may still be written. A converge folds what it saw into the
 * day its own `now` falls in, and one that started just before midnight in another container
 * writes after it: at the latest when that function times out (2 minutes at most in
 * serverless.yml). 10 minutes leaves room for that and for clocks that disagree; only after it is
 * a day final, and a cached copy of it safe.
 */
export const LATE_WRITE_MS = 10 * 60_000;

/** How far ahead a journal entry and `status` sum the forecast up. */
const SUMMARY_MS = 60 * 60_000;

export class Forecaster {
  constructor(private readonly deps: Pick<FleetDeps, 'ledger' | 'observer'>) {}

  /** The role's forecast at `now`, or undefined without a forecast or when its history is unreadable. */
  async load(role: string, config: RoleConfig, now: number): Promise<LoadedForecast | undefined> {
    if (config.forecast === undefined) return undefined;
    try {
      const dates = historyDates(config.forecast, config.schedule, now);
      const settledBefore = localDate(config.schedule, now - LATE_WRITE_MS);
      const history = await this.deps.ledger.demandHistory(role, dates, { settledBefore });
      const today = history.find((d) => d.date === localDate(config.schedule, now));
      const result = forecast({ config: config.forecast, schedule: config.schedule, history, now });
      return { forecast: result, ...(today === undefined ? {} : { today }) };
    } catch (error) {
      this.deps.observer.warn('forecast unavailable', { role, error: describe(error) });
      return undefined;
    }
  }

  /**
   * Folds the decision's demand (on the schedule alone) and the newest queue length into today's
   * slot; the first observation of a slot journals the forecast (kind `forecast`).
   */
  async record(
    role: string,
    config: RoleConfig & { forecast: ForecastConfig },
    loaded: LoadedForecast | undefined,
    decision: Decision,
    samples: readonly QueueSample[],
    now: number,
  ): Promise<void> {
    const latest = [...samples]
      .filter((s) => s.at <= now)
      .sort((a, b) => a.at - b.at)
      .at(-1);
    const servers =
      decision.demand === undefined || decision.demand.kind === 'hold' ? null : decision.demand.servers;
    const { day, changed, opened } = observe(loaded?.today, {
      schedule: config.schedule,
      slotMinutes: config.forecast.slotMinutes,
      at: now,
      queue: latest?.length ?? null,
      servers,
    });
    const { ledger, observer } = this.deps;
    try {
      if (changed) await ledger.putDemandDay(role, day, keepUntil(day.date, config.forecast.historyWeeks));
      if (opened && loaded !== undefined) {
        await ledger.journal({
          role,
          at: now,
          kind: 'forecast',
          summary: summarizeForecast(config.forecast.mode, loaded.forecast, now),
          detail: { mode: config.forecast.mode, ...loaded.forecast },
        });
      }
    } catch (error) {
      observer.warn('forecast history not written', { role, error: describe(error) });
    }
    const peak =
      loaded?.forecast.usable === true ? forecastPeak(loaded.forecast, now, now + SUMMARY_MS) : undefined;
    if (peak !== undefined) observer.metric(role, 'ForecastServers', peak.servers, 'Count');
  }
}

/** One line: the forecast's peak over the next hour and whether it acts, e.g. for the journal. */
export function summarizeForecast(mode: ForecastConfig['mode'], result: Forecast, now: number): string {
  if (!result.usable) return `forecast (${mode}) not used: ${result.reason}`;
  const peak = forecastPeak(result, now, now + SUMMARY_MS);
  const acts =
    mode === 'advise' ? 'advice only' : mode === 'warm' ? 'sizes the warm pool' : 'raises the floor';
  if (peak === undefined) return `forecast (${mode}): nothing forecast for the next hour`;
  return `forecast (${mode}, ${acts}): up to ${peak.servers} servers in the next hour, from ${new Date(peak.slot.start).toISOString()} (${peak.slot.basis})`;
}

/** A role's forecast as `status` shows it: whether it acts, why, and its peak hour by hour. */
export interface ForecastStatus {
  mode: ForecastConfig['mode'];
  usable: boolean;
  reason: string;
  /** From now, hour by hour: the most servers forecast in each (null: not forecast). */
  hours: { from: string; servers: number | null; basis: string }[];
}

export function forecastStatus(config: ForecastConfig, result: Forecast, now: number): ForecastStatus {
  const { mode } = config;
  const hours: ForecastStatus['hours'] = [];
  for (let from = now; from < now + config.horizonHours * SUMMARY_MS; from += SUMMARY_MS) {
    const peak = forecastPeak(result, from, from + SUMMARY_MS - 1);
    const first = result.slots.find((s) => s.end > from && s.start < from + SUMMARY_MS);
    hours.push({
      from: new Date(from).toISOString(),
      servers: peak?.servers ?? null,
      basis: peak?.slot.basis ?? first?.basis ?? 'no slot',
    });
  }
  return { mode, usable: result.usable, reason: result.reason, hours };
}
