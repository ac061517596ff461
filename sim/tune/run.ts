/**
 * The tuner's engine: sweeps every candidate of a grid over one trace in worker threads, then the
 * second stage around the best point (grid.ts); finds the Pareto frontier of p95 wait against
 * dollars, and picks the recommendation: the lowest p95 within the cost cap (a multiple of the 2010
 * rule's dollars). The current config competes with the candidates: when no candidate beats it in
 * this run, the recommendation is to keep it, and the result says so. `threads: 0` runs in this
 * thread (tests).
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SimRole } from '../index.js';
import { boundRole } from '../policies.js';
import { candidateRole, evaluate, type MarketRun, type Outcome, type Replay } from './evaluate.js';
import { type Candidate, candidates, type Grid, refinements } from './grid.js';
import { frontier } from './pareto.js';

export interface TunedPoint extends Outcome {
  label: string;
  family: string;
  candidate?: Candidate;
}

export interface TuneResult {
  /** Every swept candidate, first stage then second. */
  points: TunedPoint[];
  frontier: TunedPoint[];
  seed: TunedPoint;
  current: TunedPoint & { candidate: Candidate };
  bound: TunedPoint;
  /** The chosen point: a candidate, or `current` itself when nothing swept beats it. */
  recommended: TunedPoint & { candidate: Candidate };
  /** True when the recommendation is the current config: this run shows no candidate beating it. */
  keepCurrent: boolean;
  why: string;
  /** The recommendation against the current config, in this run's figures. */
  versusCurrent: string;
  maxCostRatio: number;
}

/** The trace and its time 0 (`Replay`), and how to sweep it. */
export interface TuneOptions extends Replay {
  /** The user's job role (its settings are the `current` point). */
  role: SimRole;
  grid: Grid;
  /** Candidates within this x the 2010 rule's dollars are eligible. */
  maxCostRatio: number;
  threads: number;
  /** Spot and prices (sim/pricing.ts); default On-Demand at the role's type's price. */
  market?: MarketRun;
  onProgress?: (done: number, total: number) => void;
}

type Chosen = TunedPoint & { candidate: Candidate };

export async function tune(options: TuneOptions): Promise<TuneResult> {
  const { role, market } = options;
  const roleProbe = role.queue?.intervalSeconds ?? 60;
  const first = candidates(options.grid, role.policy?.maxExtra ?? role.max - role.schedule.baseline);
  const seed = { label: 'seed-2010', family: 'seed-2010', ...(await evaluate(options, 'seed-2010', market)) };
  const current: Chosen = {
    label: 'current config',
    family: 'current',
    candidate: currentCandidate(role),
    ...(await evaluate(options, role, market)),
  };
  const bound = { label: 'bound', family: 'bound', ...(await evaluate(options, boundRole(role), market)) };
  const cap = options.maxCostRatio * seed.cost;
  const swept = await sweep(options, first);
  const pointsOf = (list: Candidate[], outcomes: Outcome[]): Chosen[] =>
    list.map((candidate, i) => ({
      label: candidate.label,
      family: candidate.family,
      candidate,
      ...(outcomes[i] as Outcome),
    }));
  const stageOne = pointsOf(first, swept);
  const around = choose(stageOne, current, cap).point;
  const second = refinements(around.candidate, options.grid, roleProbe);
  const points = [...stageOne, ...pointsOf(second, await sweep(options, second))];
  const { point: recommended, eligible } = choose(points, current, cap);
  const keepCurrent = recommended === current;
  const ratio = options.maxCostRatio;
  const capText = `${ratio}x the 2010 rule's ${dollars(seed.cost)}`;
  const bestOther = choose(points, undefined, cap).point;
  const why = keepCurrent
    ? `keep the current config: no candidate ${eligible > 0 ? `within ${capText} waits less` : 'costs less'} in this run (best swept: ${bestOther.label}, p95 ${seconds(bestOther.waitP95S)} at ${dollars(bestOther.cost)})`
    : eligible > 0
      ? `lowest p95 wait of the ${eligible} candidates within ${capText}`
      : `no candidate within ${capText}: the cheapest candidate`;
  const versusCurrent = keepCurrent
    ? `current config: p95 ${seconds(current.waitP95S)} at ${dollars(current.cost)}; nothing swept beats it`
    : `recommended p95 ${seconds(recommended.waitP95S)} at ${dollars(recommended.cost)} against the current config's p95 ${seconds(current.waitP95S)} at ${dollars(current.cost)} (${describeChange(recommended, current)})`;
  return {
    points,
    frontier: frontier([...points, seed, current, bound]),
    seed,
    current,
    bound,
    recommended,
    keepCurrent,
    why,
    versusCurrent,
    maxCostRatio: ratio,
  };
}

/**
 * The lowest p95 within `cap` dollars (the cheapest point when none is), cheaper first on a tie;
 * `current` wins every tie and is kept whenever it is no worse on both figures than the pick.
 */
function choose(
  points: readonly Chosen[],
  current: Chosen | undefined,
  cap: number,
): { point: Chosen; eligible: number } {
  const all = current === undefined ? [...points] : [current, ...points];
  const eligible = all.filter((p) => p.cost <= cap);
  const byWait = (a: Chosen, b: Chosen) => a.waitP95S - b.waitP95S || a.cost - b.cost;
  const byCost = (a: Chosen, b: Chosen) => a.cost - b.cost || a.waitP95S - b.waitP95S;
  // A stable sort keeps `current` (listed first) ahead of a candidate with the same figures.
  const pick = ([...eligible].sort(byWait)[0] ?? [...all].sort(byCost)[0]) as Chosen;
  const candidatesWithin = eligible.filter((p) => p !== current).length;
  if (current !== undefined && current.waitP95S <= pick.waitP95S && current.cost <= pick.cost) {
    return { point: current, eligible: candidatesWithin };
  }
  return { point: pick, eligible: candidatesWithin };
}

/** The role's own settings as a candidate, so recommended.json can say "keep these". */
export function currentCandidate(role: SimRole): Candidate {
  const policy = role.policy;
  if (policy === undefined) throw new Error('the role has no demand policy to tune');
  return {
    label: 'current config',
    family: policy.type,
    policy,
    minLifetimeMinutes: role.lifecycle.minLifetimeMinutes,
    ...(role.queue === undefined ? {} : { probeSeconds: role.queue.intervalSeconds }),
  };
}

function describeChange(recommended: Outcome, current: Outcome): string {
  const wait = recommended.waitP95S - current.waitP95S;
  const cost = recommended.cost - current.cost;
  const waitText =
    wait === 0 ? 'the same wait' : `${seconds(Math.abs(wait))} ${wait < 0 ? 'less' : 'more'} wait`;
  const costText =
    Math.abs(cost) < 0.005
      ? 'the same cost'
      : `${dollars(Math.abs(cost))} ${cost < 0 ? 'cheaper' : 'dearer'}`;
  return `${waitText}, ${costText}`;
}

function seconds(value: number): string {
  return `${Math.round(value)} s`;
}

function dollars(value: number): string {
  return `$${value.toFixed(2)}`;
}

/** Worker threads do not inherit tsx's loader: register it, then load the TypeScript entry. */
const WORKER_BOOT = `require('tsx/cjs/api').register(); require(${JSON.stringify(
  fileURLToPath(new URL('./worker.ts', import.meta.url)),
)});`;

/** Outcomes in candidate order, from `threads` workers each taking every n-th candidate. */
async function sweep(options: TuneOptions, list: Candidate[]): Promise<Outcome[]> {
  const total = list.length;
  let done = 0;
  const progress = () => {
    done += 1;
    options.onProgress?.(done, total);
  };
  if (options.threads <= 0) {
    const out: Outcome[] = [];
    for (const candidate of list) {
      out.push(await evaluate(options, candidateRole(options.role, candidate), options.market));
      progress();
    }
    return out;
  }
  const out = new Array<Outcome>(total);
  const threads = Math.min(options.threads, total);
  await Promise.all(
    Array.from({ length: threads }, (_, t) => {
      const indexes = list.map((_, i) => i).filter((i) => i % threads === t);
      return new Promise<void>((resolve, reject) => {
        const worker = new Worker(WORKER_BOOT, {
          eval: true,
          workerData: {
            jobs: options.jobs,
            startAt: options.startAt,
            role: options.role,
            market: options.market,
            candidates: indexes.map((i) => list[i]),
          },
        });
        let received = 0;
        worker.on('message', (outcome: Outcome) => {
          out[indexes[received] as number] = outcome;
          received += 1;
          progress();
        });
        worker.on('error', reject);
        worker.on('exit', (code) => {
          if (received === indexes.length) resolve();
          else
            reject(
              new Error(`tuner worker ${t} exited (code ${code}) after ${received} of ${indexes.length}`),
            );
        });
      });
    }),
  );
  return out;
}
