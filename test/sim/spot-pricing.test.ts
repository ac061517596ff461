import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  costFigures,
  DEFAULT_ON_DEMAND_PER_HOUR,
  defaultRole,
  interruptionTimes,
  type Pricing,
  type ServerBill,
  type SimRole,
  simulate,
} from '../../sim/index.js';
import type { TraceJob } from '../../sim/trace.js';

const HOUR_MS = 3_600_000;
const MONTH_HOURS = 730;
const pricing = (over: Partial<Pricing> = {}): Pricing => ({
  onDemandPerHour: 0.1,
  spotDiscount: 0.7,
  interruptionsPerDay: 0,
  volumeGb: 0,
  volumePerGbMonth: 0.08,
  ...over,
});

/** A server launched at 0 that ran `runs` ([from, to, ready] in ms) and was terminated at `endMs`. */
function bill(market: 'on-demand' | 'spot', endMs: number, runs: [number, number, number][]): ServerBill {
  return {
    market,
    volumeFromMs: 0,
    volumeToMs: endMs,
    runs: runs.map(([fromMs, toMs, readyMs]) => ({ fromMs, toMs, readyMs })),
  };
}

describe('costFigures', () => {
  it.each([
    ['one On-Demand hour', [bill('on-demand', HOUR_MS, [[0, HOUR_MS, 0]])], 0.1, 0.1],
    ['one Spot hour at 70% off', [bill('spot', HOUR_MS, [[0, HOUR_MS, 0]])], 0.03, 0.1],
    ['a 10 s Spot server billed its 60 s minimum', [bill('spot', 10_000, [[0, 10_000, 0]])], 0.0005, 0.0017],
    [
      'two 10 s runs of one server: a 60 s minimum each time it starts',
      [
        bill('on-demand', HOUR_MS, [
          [0, 10_000, 0],
          [HOUR_MS - 10_000, HOUR_MS, HOUR_MS],
        ]),
      ],
      0.0033,
      0.0033,
    ],
  ])('%s', (_, bills, cost, all) => {
    const figures = costFigures(bills, pricing());
    expect(figures.cost).toBeCloseTo(cost, 4);
    expect(figures.costAllOnDemand).toBeCloseTo(all, 4);
  });

  it('bills a volume for the whole life of its server, running or stopped: 30 GB of gp3 for a month is $2.40', () => {
    const month = MONTH_HOURS * HOUR_MS;
    const stoppedMost = bill('on-demand', month, [[0, HOUR_MS, 0]]);
    const figures = costFigures([stoppedMost], pricing({ volumeGb: 30 }));
    expect(figures.volumeCost).toBeCloseTo(2.4, 4);
    expect(figures.stoppedVolumeCost).toBeCloseTo((2.4 * (MONTH_HOURS - 1)) / MONTH_HOURS, 4);
    expect(figures.cost).toBeCloseTo(0.1 + 2.4, 4);
  });

  it('counts the running time before a server took work as boot cost', () => {
    const booted = bill('on-demand', HOUR_MS, [[0, HOUR_MS, 360_000]]);
    expect(costFigures([booted], pricing()).bootCost).toBeCloseTo(0.01, 4);
    const neverReady = bill('on-demand', 120_000, [[0, 120_000, 300_000]]);
    expect(costFigures([neverReady], pricing()).bootCost).toBeCloseTo(
      costFigures([neverReady], pricing()).runningCost,
      4,
    );
  });

  it('never costs more with Spot, and saves exactly when Spot hours are bought at a discount', () => {
    const arbitrary = fc
      .record({
        market: fc.constantFrom('on-demand' as const, 'spot' as const),
        runMs: fc.array(fc.integer({ min: 0, max: 3 * HOUR_MS }), { minLength: 1, maxLength: 4 }),
      })
      .map(({ market, runMs }) => {
        let at = 0;
        const runs: [number, number, number][] = runMs.map((ms) => {
          const run: [number, number, number] = [at, at + ms, at];
          at += ms + 60_000;
          return run;
        });
        return bill(market, at, runs);
      });
    fc.assert(
      fc.property(
        fc.array(arbitrary, { maxLength: 20 }),
        fc.double({ min: 0, max: 0.95, noNaN: true }),
        (bills, discount) => {
          const figures = costFigures(bills, pricing({ spotDiscount: discount, volumeGb: 30 }));
          expect(figures.cost).toBeLessThanOrEqual(figures.costAllOnDemand + 1e-9);
          const anySpot = bills.some((b) => b.market === 'spot');
          if (!anySpot) expect(figures.cost).toBeCloseTo(figures.costAllOnDemand, 6);
          if (anySpot && discount > 0.01) expect(figures.cost).toBeLessThan(figures.costAllOnDemand);
          expect(figures.stoppedVolumeCost).toBeLessThanOrEqual(figures.volumeCost + 1e-9);
          expect(figures.bootCost).toBeLessThanOrEqual(figures.runningCost + 1e-9);
        },
      ),
    );
  });
});

describe('interruptionTimes', () => {
  it('is the same for the same seed, ascending, inside the horizon', () => {
    const a = interruptionTimes(3, 5 * 24 * HOUR_MS, 42);
    expect(interruptionTimes(3, 5 * 24 * HOUR_MS, 42)).toEqual(a);
    expect([...a].sort((x, y) => x - y)).toEqual(a);
    expect(a.every((t) => t >= 0 && t < 5 * 24 * HOUR_MS)).toBe(true);
  });

  it('comes at about the asked rate over a long horizon, and never at rate 0', () => {
    expect(interruptionTimes(2, 200 * 24 * HOUR_MS, 7).length).toBeGreaterThan(300);
    expect(interruptionTimes(2, 200 * 24 * HOUR_MS, 7).length).toBeLessThan(500);
    expect(interruptionTimes(0, 200 * 24 * HOUR_MS, 7)).toEqual([]);
  });
});

describe('simulate with Spot', () => {
  /** A busy morning: the role scales out above its permanent server. */
  const jobs: TraceJob[] = Array.from({ length: 400 }, (_, i) => ({
    arrivalS: 3600 + i * 20,
    serviceS: 400,
  }));
  const role: SimRole = defaultRole();

  it('On-Demand only: no Spot hours, the cost is the On-Demand cost', async () => {
    const { summary } = await simulate({ jobs, policy: 'default', role, horizonS: 86_400 });
    expect(summary.spotHours).toBe(0);
    expect(summary.instanceCost).toBeCloseTo(summary.instanceHours * DEFAULT_ON_DEMAND_PER_HOUR, 3);
    // 30 GB of gp3 per server for as long as it exists, on top of the running time.
    expect(summary.volumeCost).toBeGreaterThan(0);
    expect(summary.cost).toBeCloseTo(summary.instanceCost + summary.volumeCost, 3);
  });

  it('with Spot: the permanent server stays On-Demand, interrupted servers are replaced, every job finishes', async () => {
    const run = {
      jobs,
      policy: 'default' as const,
      role,
      horizonS: 86_400,
      pricing: { interruptionsPerDay: 48 },
    };
    const onDemand = (await simulate(run)).summary;
    const { summary, outcomes } = await simulate({ ...run, spot: true });
    expect(summary.policy).toBe('default+spot');
    expect(summary.spotHours).toBeGreaterThan(0);
    // The permanent server ran all day On-Demand.
    expect(summary.instanceHours - summary.spotHours).toBeGreaterThanOrEqual(23.9);
    expect(summary.interruptions).toBeGreaterThan(0);
    expect(summary.launches).toBeGreaterThan(onDemand.launches);
    expect(outcomes.every((o) => o !== undefined)).toBe(true);
    expect(summary.instanceCost).toBeLessThan(summary.instanceCostAllOnDemand);
    // 400 s jobs and a two-minute notice: interrupted servers' jobs run again elsewhere.
    expect(summary.requeuedJobs).toBeGreaterThan(0);
  });
});
