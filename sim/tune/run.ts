/**
 * The tuner's engine: sweeps every candidate of a grid over one trace in worker threads, finds the
 * Pareto frontier of p95 wait against instance-hours, and picks the recommendation (the lowest p95
 * within the cost cap, relative to the 2010 rule). `threads: 0` runs in this thread (tests).
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SimRole } from '../index.js';
import { boundRole } from '../policies.js';
import type { TraceJob } from '../trace.js';
import { candidateRole, evaluate, type MarketRun, type Outcome } from './evaluate.js';
import { type Candidate, candidates, type Grid } from './grid.js';
import { frontier } from './pareto.js';

export interface TunedPoint extends Outcome {
  label: string;
  family: string;
  candidate?: Candidate;
}

export interface TuneResult {
  points: TunedPoint[];
  frontier: TunedPoint[];
  seed: TunedPoint;
  current: TunedPoint;
  bound: TunedPoint;
  recommended: TunedPoint & { candidate: Candidate };
  why: string;
  maxCostRatio: number;
}

export interface TuneOptions {
  jobs: readonly TraceJob[];
  /** The user's job role (its policy is the `current` point). */
  role: SimRole;
  grid: Grid;
  /** Candidates within this x the 2010 rule's instance-hours are eligible. */
  maxCostRatio: number;
  threads: number;
  /** Spot and prices (sim/pricing.ts); default On-Demand at the default price. */
  market?: MarketRun;
  onProgress?: (done: number, total: number) => void;
}

export async function tune(options: TuneOptions): Promise<TuneResult> {
  const { jobs, role } = options;
  const list = candidates(options.grid, role.policy?.maxExtra ?? role.max - role.schedule.baseline);
  const outcomes = await sweep(options, list);
  const points: TunedPoint[] = list.map((candidate, i) => ({
    label: candidate.label,
    family: candidate.family,
    candidate,
    ...(outcomes[i] as Outcome),
  }));
  const { market } = options;
  const seed = { label: 'seed-2010', family: 'seed-2010', ...(await evaluate(jobs, 'seed-2010', market)) };
  const current = { label: 'current config', family: 'current', ...(await evaluate(jobs, role, market)) };
  const bound = { label: 'bound', family: 'bound', ...(await evaluate(jobs, boundRole(role), market)) };
  const cap = options.maxCostRatio * seed.instanceHours;
  const eligible = points.filter((p) => p.instanceHours <= cap);
  const byWait = (a: TunedPoint, b: TunedPoint) =>
    a.waitP95S - b.waitP95S || a.instanceHours - b.instanceHours;
  const best = [...eligible].sort(byWait)[0];
  const cheapest = [...points].sort(
    (a, b) => a.instanceHours - b.instanceHours || a.waitP95S - b.waitP95S,
  )[0];
  const chosen = (best ?? cheapest) as TunedPoint & { candidate: Candidate };
  const why =
    best === undefined
      ? `no candidate within ${options.maxCostRatio}x the 2010 rule's ${seed.instanceHours} instance-hours: the cheapest candidate`
      : `lowest p95 wait of the ${eligible.length} candidates within ${options.maxCostRatio}x the 2010 rule's ${seed.instanceHours} instance-hours`;
  return {
    points,
    frontier: frontier([...points, seed, current, bound]),
    seed,
    current,
    bound,
    recommended: chosen,
    why,
    maxCostRatio: options.maxCostRatio,
  };
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
      out.push(await evaluate(options.jobs, candidateRole(options.role, candidate), options.market));
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
