/**
 * Worker-thread entry of the tuner: receives the trace (and its time 0), the role and a slice of candidates, and
 * posts back one outcome per candidate, in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SimRole } from '../index.js';
import type { TraceJob } from '../trace.js';
import { candidateRole, evaluate, type MarketRun } from './evaluate.js';
import type { Candidate } from './grid.js';

interface Work {
  jobs: TraceJob[];
  startAt?: number;
  role: SimRole;
  market?: MarketRun;
  candidates: Candidate[];
}

async function run(): Promise<void> {
  const { jobs, startAt, role, market, candidates } = workerData as Work;
  for (const candidate of candidates) {
    parentPort?.postMessage(await evaluate({ jobs, startAt }, candidateRole(role, candidate), market));
  }
}

run().catch((error: unknown) => {
  throw error;
});
