/**
 * Worker-thread entry of the tuner: receives the trace (and its time 0), the role and a slice of
 * candidates, and posts back one outcome per candidate, in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SimRole } from '../index.js';
import { candidateRole, evaluate, type MarketRun, type Replay } from './evaluate.js';
import type { Candidate } from './grid.js';

interface Work extends Replay {
  role: SimRole;
  market?: MarketRun;
  candidates: Candidate[];
}

async function run(): Promise<void> {
  const work = workerData as Work;
  for (const candidate of work.candidates) {
    parentPort?.postMessage(await evaluate(work, candidateRole(work.role, candidate), work.market));
  }
}

run().catch((error: unknown) => {
  throw error;
});
