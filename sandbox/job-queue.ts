/**
 * The shared background-job queue and the job servers' workers, in simulated time. Each job server
 * adds its workers when it has booted and stops them when it shuts down; a worker takes the oldest
 * waiting job as soon as it is free. Accounting is event-exact: however coarsely `advanceTo` is
 * called, a job starts at `max(its arrival, when a worker became free)`, so the waits measured do
 * not depend on how fast the sandbox runs.
 */
import type { JobSpec } from './workload.js';

export interface JobRecord extends JobSpec {
  id: number;
  /** When it (re)entered the queue: its arrival, or when a shutdown killed its first run. */
  readyAt: number;
  start?: number;
  finish?: number;
  /** Runs killed by a shutdown drain deadline, each retried from the queue. */
  retries: number;
}

interface Worker {
  owner: string;
  /** When it can take its next job. */
  freeAt: number;
  /** It takes no job starting at or after this (its server is shutting down). */
  acceptUntil: number;
  current?: JobRecord;
}

export interface JobStats {
  arrived: number;
  started: number;
  done: number;
  runningAtEnd: number;
  waitingAtEnd: number;
  retried: number;
  /** Seconds from arrival to start; jobs never started count up to `end` (a lower bound). */
  waitsS: number[];
}

export class JobQueue {
  private readonly all: JobRecord[];
  private readonly upcoming: JobRecord[];
  private nextUpcoming = 0;
  private waiting: JobRecord[] = [];
  private waitingHead = 0;
  private readonly workers: Worker[] = [];
  private advancedTo: number;

  constructor(specs: readonly JobSpec[], start: number) {
    this.all = specs.map((spec, id) => ({ ...spec, id, readyAt: spec.arrival, retries: 0 }));
    this.upcoming = [...this.all].sort((a, b) => a.readyAt - b.readyAt);
    this.advancedTo = start;
  }

  /** Jobs waiting (arrived, not started) at `now`. */
  waitingAt(now: number): number {
    this.advanceTo(now);
    return this.waiting.length - this.waitingHead;
  }

  /** Workers of `owner` that take jobs from `from` on. */
  addWorkers(owner: string, count: number, from: number): void {
    const at = Math.max(from, this.advancedTo);
    for (let i = 0; i < count; i += 1) {
      this.workers.push({ owner, freeAt: at, acceptUntil: Number.POSITIVE_INFINITY });
    }
  }

  /**
   * `owner` shuts down at `at`: its workers take no new job, and a running job that would not end
   * within `drainMs` is killed at that deadline and goes back to the queue.
   * @returns how many running jobs were killed.
   */
  stopWorkers(owner: string, at: number, drainMs: number): number {
    this.advanceTo(at);
    const stopAt = Math.max(at, this.advancedTo);
    let killed = 0;
    for (const worker of this.workers) {
      if (worker.owner !== owner) continue;
      worker.acceptUntil = Math.min(worker.acceptUntil, stopAt);
      const job = worker.current;
      if (job?.finish !== undefined && job.finish > stopAt + drainMs) {
        job.start = undefined;
        job.finish = undefined;
        job.retries += 1;
        job.readyAt = stopAt + drainMs;
        this.insertUpcoming(job);
        worker.current = undefined;
        worker.freeAt = stopAt + drainMs;
        killed += 1;
      }
    }
    return killed;
  }

  /** Moves the queue to `now`: arrivals join, free workers take the oldest waiting jobs. */
  advanceTo(now: number): void {
    if (now < this.advancedTo) return;
    for (;;) {
      const head = this.waiting[this.waitingHead];
      if (head === undefined) {
        const next = this.upcoming[this.nextUpcoming];
        if (next === undefined || next.readyAt > now) break;
        this.waiting.push(next);
        this.nextUpcoming += 1;
        continue;
      }
      const worker = this.freeWorker(head.readyAt, now);
      if (worker === undefined) {
        for (let next = this.upcoming[this.nextUpcoming]; next !== undefined && next.readyAt <= now; ) {
          this.waiting.push(next);
          this.nextUpcoming += 1;
          next = this.upcoming[this.nextUpcoming];
        }
        break;
      }
      const start = Math.max(worker.freeAt, head.readyAt);
      head.start = start;
      head.finish = start + head.serviceMs;
      worker.freeAt = head.finish;
      worker.current = head;
      this.waitingHead += 1;
    }
    if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitingHead);
      this.waitingHead = 0;
    }
    this.advancedTo = now;
  }

  /** Figures at `end` (the queue is advanced to it). */
  stats(end: number): JobStats {
    this.advanceTo(end);
    const arrived = this.all.filter((j) => j.arrival < end);
    const started = arrived.filter((j) => j.start !== undefined);
    return {
      arrived: arrived.length,
      started: started.length,
      done: started.filter((j) => (j.finish ?? Number.POSITIVE_INFINITY) <= end).length,
      runningAtEnd: started.filter((j) => (j.finish ?? 0) > end).length,
      waitingAtEnd: arrived.length - started.length,
      retried: arrived.reduce((n, j) => n + j.retries, 0),
      waitsS: arrived.map((j) => ((j.start ?? end) - j.arrival) / 1000),
    };
  }

  /** The worker that can start a job ready at `readyAt` soonest, no later than `now`. */
  private freeWorker(readyAt: number, now: number): Worker | undefined {
    let best: Worker | undefined;
    let bestStart = Number.POSITIVE_INFINITY;
    for (const worker of this.workers) {
      const start = Math.max(worker.freeAt, readyAt);
      if (start <= now && start < worker.acceptUntil && start < bestStart) {
        best = worker;
        bestStart = start;
      }
    }
    return best;
  }

  private insertUpcoming(job: JobRecord): void {
    let low = this.nextUpcoming;
    let high = this.upcoming.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.upcoming[mid]?.readyAt ?? 0) <= job.readyAt) low = mid + 1;
      else high = mid;
    }
    this.upcoming.splice(low, 0, job);
  }
}
