import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  costFigures,
  DEFAULT_ON_DEMAND_PER_HOUR,
  defaultRole,
  interruptionTimes,
  type SimRole,
  type SpotPricing,
  simulate,
} from '../../sim/index.js';
import type { TraceJob } from '../../sim/trace.js';

const HOUR_MS = 3_600_000;
const pricing = (over: Partial<SpotPricing> = {}): SpotPricing => ({
  onDemandPerHour: 0.1,
  spotDiscount: 0.7,
  interruptionsPerDay: 0,
  ...over,
});

describe('costFigures', () => {
  it.each([
    ['one On-Demand hour', [{ durationMs: HOUR_MS, market: 'on-demand' as const }], 0.1, 0.1],
    ['one Spot hour at 70% off', [{ durationMs: HOUR_MS, market: 'spot' as const }], 0.03, 0.1],
    [
      'a 10 s Spot server billed its 60 s minimum',
      [{ durationMs: 10_000, market: 'spot' as const }],
      0.0005,
      0.0017,
    ],
  ])('%s', (_, lifetimes, cost, all) => {
    const figures = costFigures(lifetimes, pricing());
    expect(figures.cost).toBeCloseTo(cost, 4);
    expect(figures.costAllOnDemand).toBeCloseTo(all, 4);
  });

  it('never costs more with Spot, and saves exactly when Spot hours are bought at a discount', () => {
    const lifetime = fc.record({
      durationMs: fc.integer({ min: 0, max: 10 * HOUR_MS }),
      market: fc.constantFrom('on-demand' as const, 'spot' as const),
    });
    fc.assert(
      fc.property(
        fc.array(lifetime, { maxLength: 20 }),
        fc.double({ min: 0, max: 0.95, noNaN: true }),
        (lifetimes, discount) => {
          const figures = costFigures(lifetimes, pricing({ spotDiscount: discount }));
          expect(figures.cost).toBeLessThanOrEqual(figures.costAllOnDemand + 1e-9);
          const anySpot = lifetimes.some((l) => l.market === 'spot');
          if (!anySpot) expect(figures.cost).toBeCloseTo(figures.costAllOnDemand, 6);
          if (anySpot && discount > 0.01) expect(figures.cost).toBeLessThan(figures.costAllOnDemand);
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
