/** The job model's records (model.ts): its servers, its log, each job's outcome, the timeline. */
import type { RunSpan, ServerBill } from './pricing.js';

export interface Running {
  job: number;
  startMs: number;
  token: number;
}

export interface ModelServer {
  id: string;
  seq: number;
  /** When the instance was launched (billing starts; the trace start for servers up before it). */
  launchMs: number;
  /** When its workers start taking jobs. */
  healthyMs: number;
  /** Workers take jobs while true: booted and not shutting down. */
  accepting: boolean;
  /** Termination or a stop was asked: workers take no new job. */
  shutdownMs?: number;
  /** Which shutdown a drain deadline belongs to (a server stopped and started again drains anew). */
  shutdowns: number;
  /** The drain hook runs for a stop (into the warm pool), not a termination. */
  stopping?: boolean;
  /** Stopped in the warm pool since then: its volume is billed, its time is not. */
  stoppedMs?: number;
  /** Launched to fill the warm pool: no worker runs until its first start (the kit's warming mode). */
  warming?: boolean;
  /** The instance is gone (billing ends). */
  endMs?: number;
  workers: (Running | null)[];
  /** Per worker: when it last found the queue empty; it polls again every `pollMs` from then. */
  idleSince: number[];
  /** Launched by a controller (not one of the servers up at the trace start). */
  extra: boolean;
  /** How it is bought (pricing.ts); On-Demand unless a controller says Spot. */
  market?: 'on-demand' | 'spot';
  /** Its billed stretches of running, the last one open while it runs. */
  runs: { fromMs: number; toMs?: number; readyMs: number }[];
}

export interface SimulationEvent {
  atS: number;
  kind: 'launch' | 'healthy' | 'retire' | 'terminate' | 'stop' | 'start';
  server: string;
  reason: string;
}

export interface JobOutcome {
  arrivalS: number;
  /** Start of the run that completed it. */
  startS: number;
  endS: number;
  /** From its arrival (or, for a scheduled job, from when it was due) to `startS`. */
  waitS: number;
}

export interface Timeline {
  times: number[];
  queue: number[];
  desired: number[];
  inService: number[];
  billed: number[];
}

/** Every instance's runs and volume life, the ones still up (or stopped) billed to `endMs`. */
export function serverBills(servers: readonly ModelServer[], endMs: number): ServerBill[] {
  return servers.map((s) => ({
    market: s.market ?? 'on-demand',
    volumeFromMs: s.launchMs,
    volumeToMs: s.endMs ?? endMs,
    runs: s.runs.map(
      (run): RunSpan => ({ fromMs: run.fromMs, toMs: run.toMs ?? s.endMs ?? endMs, readyMs: run.readyMs }),
    ),
  }));
}

/** How long (ms) each run of every instance lasted, the ones still running billed to `endMs`. */
export function runDurations(servers: readonly ModelServer[], endMs: number): number[] {
  return serverBills(servers, endMs).flatMap((bill) => bill.runs.map((run) => run.toMs - run.fromMs));
}
