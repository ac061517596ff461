import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../domain/config.js';
import { mergeDocuments } from '../../domain/merge.js';
import { TEST_CONFIG_INPUT } from '../../fakes/config.js';
import { type SimRole, simulate, simulationRole, spotOnDemandBase } from '../../sim/index.js';
import type { TraceJob } from '../../sim/trace.js';
import { TRACE_START_AT } from '../../sim/traces/make-traces.js';
import { candidateRole } from '../../sim/tune/evaluate.js';
import { frontierLabel, renderFrontier } from '../../sim/tune/frontier-svg.js';
import { type Grid, TINY_GRID } from '../../sim/tune/grid.js';
import { dominates, frontier } from '../../sim/tune/pareto.js';
import { recommendedFragment } from '../../sim/tune/recommend.js';
import { currentCandidate, type TuneResult, tune } from '../../sim/tune/run.js';

const run = promisify(execFile);
const HOUR = 3600;

/** A small day: a trickle, and two bursts that one server clears slowly. */
function tinyTrace(): TraceJob[] {
  const jobs: TraceJob[] = [];
  for (let t = 0; t < 24 * HOUR; t += 600) jobs.push({ arrivalS: t, serviceS: 60 });
  for (const at of [9 * HOUR, 14 * HOUR]) {
    for (let i = 0; i < 60; i += 1) jobs.push({ arrivalS: at + i, serviceS: 90 });
  }
  return jobs.sort((a, b) => a.arrivalS - b.arrivalS);
}

// 30 s probes, half the rounds of the shipped 15 s: the tiny sweeps stay quick; the pool is the shipped one.
const userDocument = {
  roles: { job: { lifecycle: { billing: 'per-second' }, queue: { everySeconds: 30 } } },
};

describe('frontier', () => {
  const pointArb = fc.record({
    waitP95S: fc.integer({ min: 0, max: 50 }),
    cost: fc.integer({ min: 0, max: 50 }),
  });
  it('no frontier point is dominated by any point; every other point is dominated by a frontier point', () => {
    fc.assert(
      fc.property(fc.array(pointArb, { minLength: 1, maxLength: 40 }), (points) => {
        const front = frontier(points);
        for (const f of front) expect(points.some((p) => dominates(p, f))).toBe(false);
        for (const p of points) {
          if (front.includes(p)) continue;
          expect(front.some((f) => dominates(f, p) || (f.waitP95S === p.waitP95S && f.cost === p.cost))).toBe(
            true,
          );
        }
      }),
    );
  });
});

describe('tune on a tiny trace and grid', () => {
  let result: TuneResult;
  beforeAll(async () => {
    result = await tune({
      jobs: tinyTrace(),
      role: simulationRole(userDocument),
      grid: TINY_GRID,
      maxCostRatio: 1.0,
      threads: 0,
    });
  });

  it('sweeps every candidate, then the probe interval, small backlog and pool size around the best, and keeps only undominated points on the frontier', () => {
    const all = [...result.points, result.seed, result.current, result.bound];
    const pools = result.points.filter((p) => p.candidate?.warmPool !== undefined);
    const second = result.points.filter((p) => p.candidate?.probeSeconds !== undefined && !pools.includes(p));
    expect(result.points.length - second.length - pools.length).toBe(8);
    expect(second.length).toBeGreaterThan(0);
    expect(second.every((p) => / probe\d+/.test(p.label))).toBe(true);
    expect(pools.map((p) => p.candidate?.warmPool).sort()).toEqual(TINY_GRID.refine.warmPool);
    expect(pools.every((p) => p.label.endsWith(` pool${p.candidate?.warmPool}`))).toBe(true);
    for (const f of result.frontier) expect(all.some((p) => dominates(p, f))).toBe(false);
    for (const p of all.filter((q) => !result.frontier.includes(q))) {
      expect(
        result.frontier.some((f) => dominates(f, p) || (f.waitP95S === p.waitP95S && f.cost === p.cost)),
      ).toBe(true);
    }
  });

  it('recommends the lowest p95 within the cost cap in dollars, the current config included', () => {
    const cap = result.seed.cost;
    const eligible = [...result.points, result.current].filter((p) => p.cost <= cap);
    expect(eligible.length).toBeGreaterThan(0);
    expect(result.recommended.cost).toBeLessThanOrEqual(cap);
    for (const p of eligible) expect(result.recommended.waitP95S).toBeLessThanOrEqual(p.waitP95S);
  });

  it('never recommends a candidate the current config is at least as good as on both wait and cost', () => {
    const { recommended: r, current } = result;
    if (!result.keepCurrent) {
      expect(current.waitP95S <= r.waitP95S && current.cost <= r.cost).toBe(false);
    }
    expect(result.versusCurrent).toMatch(/current config/);
  });

  it('lists every frontier point and draws the marked points in the SVG', () => {
    const svg = renderFrontier(result, 'tiny');
    expect(svg.startsWith('<svg')).toBe(true);
    for (let i = 0; i < result.frontier.length; i += 1) expect(svg).toContain(`>${frontierLabel(i)} `);
    for (const text of [
      'seed-2010',
      'current config',
      'bound',
      'recommended',
      'cost in dollars',
      'p95 job wait (seconds)',
    ]) {
      expect(svg).toContain(text);
    }
  });

  it('draws a bound far dearer than every candidate at the right edge, its dollars written out', () => {
    const dearest = Math.max(...[...result.points, result.seed, result.current].map((p) => p.cost));
    const far = renderFrontier({ ...result, bound: { ...result.bound, cost: dearest * 3 } }, 'tiny');
    expect(far).toContain(`bound (max servers all day), $${(dearest * 3).toFixed(2)} →`);
    // Near the candidates it is on the scale like any point: the last dollar tick is past it.
    const near = renderFrontier({ ...result, bound: { ...result.bound, cost: dearest * 1.1 } }, 'tiny');
    expect(near).not.toContain('→');
    const ticks = [...near.matchAll(/>\$(\d+\.\d\d)</g)].map((m) => Number(m[1]));
    expect(Math.max(...ticks)).toBeGreaterThanOrEqual(dearest * 1.1);
  });

  it('writes a fragment that parses merged over the user config, with the chosen policy and probe interval', () => {
    const fragment = recommendedFragment(result, 'tiny.csv');
    const config = parseConfig(TEST_CONFIG_INPUT, userDocument, JSON.parse(JSON.stringify(fragment)));
    expect(config.roles.job?.policy).toEqual(result.recommended.candidate.policy);
    expect(config.roles.job?.lifecycle.minLifetimeMinutes).toBe(
      result.recommended.candidate.minLifetimeMinutes,
    );
    const probe = result.recommended.candidate.probeSeconds;
    if (probe !== undefined) expect(config.roles.job?.queue?.intervalSeconds).toBe(probe);
    expect(config.roles.job?.lifecycle.billing).toBe('per-second');
    expect(fragment.tuning.why).toMatch(result.keepCurrent ? /keep the current config/ : /lowest p95/);
  });

  it('a probe interval of a minute merges as one minute, whatever the config probed before', () => {
    const chosen = {
      ...result.recommended,
      candidate: { ...result.recommended.candidate, probeSeconds: 60 },
    };
    const fragment = recommendedFragment({ ...result, recommended: chosen }, 'tiny.csv');
    const config = parseConfig(
      TEST_CONFIG_INPUT,
      { roles: { job: { queue: { everySeconds: 30 } } } },
      JSON.parse(JSON.stringify(fragment)),
    );
    expect(config.roles.job?.queue?.intervalSeconds).toBe(60);
  });
});

describe('the warm pool size swept', () => {
  const role = simulationRole(userDocument);
  const base = currentCandidate(role);

  it('runs a candidate with its pool all day, and without one at 0', () => {
    const two = candidateRole(role, { ...base, warmPool: 2 });
    expect(two.warmPool?.size).toBe(2);
    expect(two.schedule.windows.every((w) => w.warmPool === undefined)).toBe(true);
    expect(candidateRole(role, { ...base, warmPool: 0 }).warmPool).toBeUndefined();
    // Absent: the role's own pool, windows included.
    expect(candidateRole(role, base).schedule.windows).toEqual(role.schedule.windows);
  });

  it('writes a fragment that, merged over the config, runs the pool the candidate ran', async () => {
    const result = await tune({
      jobs: tinyTrace(),
      role,
      grid: { ...TINY_GRID, refine: { probeSeconds: [], smallBacklogPerServer: [], warmPool: [1] } },
      maxCostRatio: 10,
      threads: 0,
    });
    const pooled = result.points.find((p) => p.candidate?.warmPool === 1);
    const candidate = pooled?.candidate;
    if (pooled === undefined || candidate === undefined) throw new Error('no pool candidate swept');
    const fragment = recommendedFragment(
      { ...result, recommended: { ...pooled, candidate }, keepCurrent: false },
      'tiny.csv',
      undefined,
      role,
    );
    const merged = parseConfig(TEST_CONFIG_INPUT, JSON.parse(JSON.stringify(fragment))).roles.job;
    expect(merged?.warmPool?.size).toBe(1);
    expect(merged?.schedule.windows.some((w) => w.warmPool !== undefined)).toBe(false);
  });

  it('replayed with the simulator, its recommendation measures what the tuner said, and never worse than the current config', async () => {
    const result = await tune({ jobs: tinyTrace(), role, grid: TINY_GRID, maxCostRatio: 1, threads: 0 });
    const fragment = recommendedFragment(result, 'tiny.csv', undefined, role);
    const replayed = await simulate({
      jobs: tinyTrace(),
      // Merged over the user's config, as an operator merges it.
      policy: {
        name: 'recommended',
        config: mergeDocuments(userDocument, JSON.parse(JSON.stringify(fragment))),
      },
    });
    expect(replayed.summary.waitP95S).toBe(result.recommended.waitP95S);
    expect(replayed.summary.cost).toBe(result.recommended.cost);
    const current = await simulate({ jobs: tinyTrace(), policy: { name: 'current', role } });
    const beaten =
      current.summary.waitP95S <= replayed.summary.waitP95S && current.summary.cost < replayed.summary.cost;
    expect(beaten, fragment.tuning.versusCurrent).toBe(false);
    expect(fragment.tuning.versusCurrent).toMatch(/current config/);
  });
});

describe('tune against the current config', () => {
  /** A grid whose only candidate is the role's own settings. */
  function onlyCurrent(role: SimRole): Grid {
    const policy = role.policy;
    if (policy?.type !== 'drain-time') throw new Error('the shipped job role runs drain-time');
    return {
      threshold: { scaleOutAbove: [], scaleInBelow: [], step: [] },
      backlog: { targetPerServer: [] },
      drainTime: { targetWaitSeconds: [policy.targetWaitSeconds], jobSeconds: [policy.jobSeconds] },
      minLifetimeMinutes: [role.lifecycle.minLifetimeMinutes],
      stabilizationSeconds: [policy.stabilizationSeconds],
      refine: {
        probeSeconds: [role.queue?.intervalSeconds ?? 60],
        smallBacklogPerServer: [policy.smallBacklogPerServer ?? 0],
      },
    };
  }

  it('replays every point from the trace time 0 it is given, in worker threads too', async () => {
    const role = simulationRole({});
    // A Saturday: the shipped weekday pool does not run, so a candidate replayed from the
    // simulator's Monday would not measure what the current config does.
    const startAt = TRACE_START_AT['quiet-weekend'];
    const result = await tune({
      jobs: tinyTrace(),
      startAt,
      role,
      grid: onlyCurrent(role),
      maxCostRatio: 1,
      threads: 1,
    });
    const replayed = (await simulate({ jobs: tinyTrace(), startAt, policy: { name: 'current', role } }))
      .summary;
    expect(replayed.warmStarts).toBe(0);
    expect(result.current).toMatchObject({ waitP95S: replayed.waitP95S, cost: replayed.cost, warmStarts: 0 });
    expect(result.points[0]).toMatchObject({
      waitP95S: replayed.waitP95S,
      cost: replayed.cost,
      warmStarts: 0,
    });
  });

  it('keeps the current config and says so when no candidate beats it', async () => {
    const role = simulationRole({});
    // The only candidate is the current config itself: equal figures, and the current config wins a tie.
    const grid = onlyCurrent(role);
    const result = await tune({ jobs: tinyTrace(), role, grid, maxCostRatio: 1, threads: 0 });
    expect(result.points).toHaveLength(1);
    expect(result.points[0]?.waitP95S).toBe(result.current.waitP95S);
    expect(result.keepCurrent).toBe(true);
    expect(result.recommended).toBe(result.current);
    expect(result.why).toMatch(/^keep the current config/);
    const fragment = recommendedFragment(result, 'tiny.csv');
    expect(fragment.tuning.keepCurrent).toBe(true);
    const merged = parseConfig(TEST_CONFIG_INPUT, JSON.parse(JSON.stringify(fragment))).roles.job;
    expect(merged?.policy).toEqual(role.policy);
  });
});

describe('npm run tune', () => {
  const tsx = join('node_modules', '.bin', 'tsx');
  const tuneCli = (args: string[]) =>
    run(tsx, ['cli/tune.ts', ...args]).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tune-'));
  });

  it('prints its usage on --help', async () => {
    const { code, stdout } = await tuneCli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Usage: npm run tune -- --trace FILE.csv/);
  });

  it('refuses --threads 0: it needs at least one worker thread', async () => {
    const { code, stdout, stderr } = await tuneCli([
      '--trace',
      'sim/traces/steady-weekday.csv',
      '--threads',
      '0',
      '--out',
      dir,
    ]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      "tune: option '--threads <n>' argument '0' is invalid. expected an integer from 1 to 64 (see 'npm run tune -- --help')\n",
    );
  });

  it('fails on a bad trace naming the line', async () => {
    const trace = join(dir, 'bad.csv');
    await writeFile(trace, 'arrival_s,service_s\n0,30\n5,abc\n');
    const { code, stderr } = await tuneCli(['--trace', trace, '--out', dir]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${trace}:3: service_s "abc" is not a number`);
  });

  it('fails on a bad config naming the key', async () => {
    const config = join(dir, 'bad.json');
    await writeFile(
      config,
      JSON.stringify({ roles: { job: { policy: { type: 'drain-time', targetWaitSeconds: -1 } } } }),
    );
    const { code, stderr } = await tuneCli([
      '--trace',
      'sim/traces/steady-weekday.csv',
      '--config',
      config,
      '--out',
      dir,
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/roles\.job\.policy\.targetWaitSeconds/);
  });

  it('sweeps the tiny grid in worker threads and writes the chart and the fragment', async () => {
    const trace = join(dir, 'tiny.csv');
    await writeFile(
      trace,
      `arrival_s,service_s\n${tinyTrace()
        .map((j) => `${j.arrivalS},${j.serviceS}`)
        .join('\n')}\n`,
    );
    const out = join(dir, 'out');
    const { code, stdout } = await tuneCli([
      '--trace',
      trace,
      '--grid',
      'tiny',
      '--threads',
      '2',
      '--out',
      out,
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Pareto frontier/);
    expect(stdout).toMatch(/^recommended +\d+ s +\$\d+\.\d\d +\d+\.\d\d +\d+ {2}\S/m);
    expect(stdout.split('\n').filter((line) => line.length > 80)).toEqual([]);
    expect(await readFile(join(out, 'frontier.svg'), 'utf8')).toContain('F1');
    const fragment = JSON.parse(await readFile(join(out, 'recommended.json'), 'utf8'));
    expect(() => parseConfig(TEST_CONFIG_INPUT, fragment)).not.toThrow();
    // Two worker threads each load the simulator through tsx: on a loaded 2-core machine that alone
    // can take most of the default 20 s.
  }, 120_000);
});

describe('tune with Spot', () => {
  it('prices every point, candidates on Spot no dearer than On-Demand, the 2010 rule On-Demand', async () => {
    const role = simulationRole(TEST_CONFIG_INPUT);
    const base = { jobs: tinyTrace(), role, grid: TINY_GRID, maxCostRatio: 2, threads: 0 };
    const onDemand = await tune(base);
    const spot = await tune({ ...base, market: { spot: true, pricing: { spotDiscount: 0.65 } } });
    expect(spot.seed.cost).toBe(onDemand.seed.cost);
    const first = (r: TuneResult) => r.points.filter((p) => p.candidate?.probeSeconds === undefined);
    expect(first(spot).length).toBe(first(onDemand).length);
    for (const point of spot.points) expect(point.cost).toBeGreaterThan(0);
    const cheaper = first(spot).filter((p, i) => p.cost < (first(onDemand)[i]?.cost ?? 0));
    expect(cheaper.length).toBeGreaterThan(0);
  });

  it('recommends buying Spot as the candidates ran, so the figures hold once merged', async () => {
    const role = simulationRole(TEST_CONFIG_INPUT);
    const result = await tune({
      jobs: tinyTrace(),
      role,
      grid: TINY_GRID,
      maxCostRatio: 2,
      threads: 0,
      market: { spot: true, pricing: { spotDiscount: 0.65 } },
    });
    const fragment = recommendedFragment(result, 'tiny.csv', { onDemandBase: spotOnDemandBase(role) });
    const job = parseConfig(TEST_CONFIG_INPUT, JSON.parse(JSON.stringify(fragment))).roles.job;
    expect(job?.launch).toMatchObject({ market: 'spot-then-on-demand', onDemandBase: 1 });
    expect(recommendedFragment(result, 'tiny.csv').roles.job).not.toHaveProperty('launch');
  });
});
