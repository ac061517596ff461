/**
 * The simulated world both controllers act on: the job trace, one FIFO queue of waiting jobs, the
 * servers with their workers, and what moves them (arrivals, completions, boots, shutdowns), on an
 * integer-millisecond clock. Controllers only launch servers (`addServer`) and end them, either the
 * 2010 way (`cutAndEnd`: terminate at once) or the product's way (`shutdown`: the drain hook).
 *
 * - Each server runs `workers` workers. They take jobs from the moment the server has booted
 *   (`healthyMs`: its app answers, the role's services run) until it shuts down, whatever the
 *   control plane's record says: job workers are not behind a load balancer, so nothing but the
 *   drain hook stops them.
 * - Workers poll, as delayed_job's and Resque's do: a worker that finishes a job takes the next one
 *   waiting at once; one that finds the queue empty sleeps `pollMs` and looks again. So a job that
 *   arrives to an idle fleet waits until the next poll of some idle worker (oldest server first
 *   when several poll at one instant). With `pollMs` 0 a free worker takes a job the instant it
 *   arrives.
 * - `shutdown` is the user data's drain hook contract (fleet-pilot-drain on ExecStop): on
 *   termination the server takes no new job, running jobs get `drainMs` to finish, the ones still
 *   running then are killed; the instance is gone when its last worker exits (or at the deadline).
 * - A killed or cut-off job goes back to the front of the queue and runs again from the start; the
 *   lost time counts as waiting (wait = start of the run that completed it - arrival).
 * - The warm pool: a server launched for it (`warming`) boots, runs no worker and is stopped
 *   (`stop`: the same drain hook, ending in `stopped` instead of gone: its volume stays billed, its
 *   time does not); `start` runs it again, its workers taking jobs from `readyMs` on.
 * - A scheduled job (trace column `run_at_s`) is in the queue from its arrival, as a queue probe
 *   counting every job sees it, but no worker takes it before it is due; its wait counts from then.
 */

import { EventQueue, JobQueue, type SimEvent } from './events.js';
import type { JobOutcome, ModelServer, Running, SimulationEvent, Timeline } from './model-types.js';
import type { TraceJob } from './trace.js';

export type { JobOutcome, ModelServer, SimulationEvent, Timeline } from './model-types.js';

type Event = SimEvent<ModelServer>;

export class JobModel {
  now = 0;
  readonly servers: ModelServer[] = [];
  readonly log: SimulationEvent[] = [];
  readonly outcomes: (JobOutcome | undefined)[];
  /** Job indexes in the order they completed. */
  readonly completions: number[] = [];
  readonly timeline: Timeline = { times: [], queue: [], desired: [], inService: [], billed: [] };
  /** Jobs cut off or killed by a termination and run again. */
  requeued = 0;
  /** Last time a job completed or a server ended. */
  lastActivityMs = 0;
  /** Called when a server's instance is gone. */
  onEnd: (server: ModelServer) => void = () => undefined;
  /** Called when a server's stop is complete (its drain hook exited): it waits in the pool. */
  onStopped: (server: ModelServer) => void = () => undefined;
  private readonly events = new EventQueue<ModelServer>();
  private readonly queue = new JobQueue();
  private live: ModelServer[] = [];
  private arrived = 0;
  /** Arrived jobs not yet due. */
  private scheduled = 0;
  private running = 0;
  private nextToken = 1;
  /** Instants a poll event is already queued for. */
  private readonly polls = new Set<number>();

  constructor(
    private readonly jobs: readonly TraceJob[],
    private readonly workersPerServer: number,
    /** How long an idle worker sleeps between looks at the queue; 0: it takes a job the instant it arrives. */
    private readonly pollMs = 0,
  ) {
    this.outcomes = new Array(jobs.length).fill(undefined);
    if (jobs.length > 0) this.events.push({ atMs: this.arrivalMs(0), kind: 'arrive', job: 0 });
  }

  /** Jobs in the queue (what a queue probe reports): waiting for a worker, or scheduled for later. */
  get waiting(): number {
    return this.queue.length + this.scheduled;
  }

  /** How long the job at the front of the queue has waited, in seconds (what a JSON queue probe reports). */
  get oldestWaitingSeconds(): number | undefined {
    const head = this.queue.peek();
    return head === undefined ? undefined : Math.floor((this.now - this.readyMs(head)) / 1000);
  }

  get liveServers(): readonly ModelServer[] {
    return this.live;
  }

  schedule(atMs: number, kind: 'control' | 'sample' | 'interrupt'): void {
    this.events.push({ atMs, kind });
  }

  /** The next event, with the clock moved to it; model events are handled before it is returned. */
  next(): Event | undefined {
    const event = this.events.pop();
    if (event === undefined) return undefined;
    this.now = event.atMs;
    switch (event.kind) {
      case 'arrive':
        this.arrive(event.job ?? 0);
        break;
      case 'ready':
        this.scheduled -= 1;
        this.queue.push(event.job ?? 0);
        this.wake();
        break;
      case 'complete':
        this.complete(event);
        break;
      case 'healthy':
        this.healthy(event.server as ModelServer);
        break;
      case 'deadline':
        this.deadline(event.server as ModelServer, event.token);
        break;
      case 'poll':
        this.poll();
        break;
      default:
        break;
    }
    return event;
  }

  /** Every job done and no more than `floor` servers left. */
  settled(floor: number): boolean {
    return (
      this.arrived === this.jobs.length &&
      this.queue.length === 0 &&
      this.scheduled === 0 &&
      this.running === 0 &&
      this.live.length <= floor
    );
  }

  addServer(
    options: { launchMs: number; healthyMs: number; extra: boolean; workers?: number; warming?: boolean },
    reason?: string,
  ): ModelServer {
    const seq = this.servers.length + 1;
    const server: ModelServer = {
      id: `job-${seq}`,
      seq,
      launchMs: options.launchMs,
      healthyMs: options.healthyMs,
      accepting: false,
      workers: new Array<Running | null>(options.workers ?? this.workersPerServer).fill(null),
      idleSince: new Array<number>(options.workers ?? this.workersPerServer).fill(options.healthyMs),
      extra: options.extra,
      shutdowns: 0,
      ...(options.warming === true ? { warming: true } : {}),
      runs: [{ fromMs: options.launchMs, readyMs: options.healthyMs }],
    };
    this.servers.push(server);
    this.live.push(server);
    if (reason !== undefined) this.note('launch', server, reason);
    this.events.push({ atMs: Math.max(this.now, options.healthyMs), kind: 'healthy', server });
    return server;
  }

  note(kind: SimulationEvent['kind'], server: ModelServer, reason: string): void {
    this.log.push({ atS: this.now / 1000, kind, server: server.id, reason });
  }

  /** The 2010 way: terminate now; the jobs it was running go back to the front of the queue. */
  cutAndEnd(server: ModelServer, reason: string): void {
    if (server.endMs !== undefined) return;
    server.shutdownMs ??= this.now;
    server.accepting = false;
    this.requeue(server);
    this.end(server, reason);
    this.wake();
  }

  /**
   * The drain hook: no new job from now; running jobs get `drainMs` to finish, then the rest are
   * killed (and run again elsewhere). The instance ends when its last worker exits.
   */
  shutdown(server: ModelServer, drainMs: number, stop = false): void {
    if (server.shutdownMs !== undefined || server.endMs !== undefined) return;
    if (server.stoppedMs !== undefined) {
      // Terminating a stopped pool server: nothing runs, its volume goes.
      this.end(server, 'terminated while stopped');
      return;
    }
    server.shutdownMs = this.now;
    server.shutdowns += 1;
    server.stopping = stop;
    server.accepting = false;
    if (server.workers.every((w) => w === null)) {
      this.end(server, stop ? 'stopped idle' : 'shut down idle');
      return;
    }
    this.events.push({ atMs: this.now + drainMs, kind: 'deadline', server, token: server.shutdowns });
  }

  /** A stop into the warm pool: the drain hook as for a termination, then `stopped`, not gone. */
  stop(server: ModelServer, drainMs: number): void {
    this.shutdown(server, drainMs, true);
  }

  /** Starts a stopped server: billed from now, its workers take jobs from `readyMs`. */
  start(server: ModelServer, readyMs: number, reason: string): void {
    if (server.stoppedMs === undefined || server.endMs !== undefined) return;
    server.stoppedMs = undefined;
    server.shutdownMs = undefined;
    server.stopping = false;
    server.warming = false;
    server.healthyMs = readyMs;
    server.idleSince.fill(readyMs);
    server.runs.push({ fromMs: this.now, readyMs });
    this.live.push(server);
    this.note('start', server, reason);
    this.events.push({ atMs: Math.max(this.now, readyMs), kind: 'healthy', server });
  }

  sample(desired: number): void {
    const t = this.timeline;
    t.times.push(this.now / 1000);
    t.queue.push(this.queue.length);
    t.desired.push(desired);
    t.inService.push(this.live.filter((s) => s.accepting).length);
    t.billed.push(this.live.length);
  }

  unfinished(): number {
    return this.outcomes.filter((o) => o === undefined).length;
  }

  private arrivalMs(job: number): number {
    return Math.round((this.jobs[job]?.arrivalS ?? 0) * 1000);
  }

  /** When a job may first run: its arrival, or later when it was scheduled. */
  private readyMs(job: number): number {
    const runAtS = this.jobs[job]?.runAtS;
    return runAtS === undefined
      ? this.arrivalMs(job)
      : Math.max(this.arrivalMs(job), Math.round(runAtS * 1000));
  }

  private arrive(job: number): void {
    // Every arrival at this instant joins the queue before anything else happens then.
    let next = job;
    while (next < this.jobs.length && this.arrivalMs(next) === this.now) {
      const due = this.readyMs(next);
      if (due > this.now) {
        this.scheduled += 1;
        this.events.push({ atMs: due, kind: 'ready', job: next });
      } else {
        this.queue.push(next);
      }
      this.arrived += 1;
      next += 1;
    }
    if (next < this.jobs.length) this.events.push({ atMs: this.arrivalMs(next), kind: 'arrive', job: next });
    this.wake();
  }

  private complete(event: Event): void {
    const server = event.server as ModelServer;
    const slot = server.workers[event.worker ?? 0];
    // A job cut off by a termination left a stale completion behind.
    if (slot === null || slot === undefined || slot.token !== event.token) return;
    server.workers[event.worker ?? 0] = null;
    this.running -= 1;
    this.outcomes[slot.job] = {
      arrivalS: this.arrivalMs(slot.job) / 1000,
      startS: slot.startMs / 1000,
      endS: this.now / 1000,
      waitS: (slot.startMs - this.readyMs(slot.job)) / 1000,
    };
    this.completions.push(slot.job);
    this.lastActivityMs = this.now;
    if (server.shutdownMs !== undefined && server.workers.every((w) => w === null)) {
      this.end(server, 'drain hook: running jobs finished');
    } else if (server.accepting) {
      // The worker looks for its next job at once, and sleeps only when it finds none.
      this.take(server, event.worker ?? 0);
    }
    this.wake();
  }

  private healthy(server: ModelServer): void {
    // Stopped, shutting down, or an earlier start's event: nothing to bring up now.
    if (server.shutdownMs !== undefined || server.stoppedMs !== undefined || this.now < server.healthyMs)
      return;
    if (server.warming === true) {
      this.note('healthy', server, 'ready for the warm pool: no worker while warming');
      return;
    }
    server.accepting = true;
    this.note('healthy', server, 'workers up');
    // Workers look at the queue as they start.
    for (let w = 0; w < server.workers.length; w += 1) this.take(server, w);
    this.wake();
  }

  private deadline(server: ModelServer, shutdown: number | undefined): void {
    if (server.endMs !== undefined || server.shutdownMs === undefined || shutdown !== server.shutdowns)
      return;
    const killed = this.requeue(server);
    this.end(server, `drain hook: deadline, ${killed} job(s) killed`);
    this.wake();
  }

  /** Puts the server's running jobs back at the front of the queue, oldest arrival first. */
  private requeue(server: ModelServer): number {
    const cut = server.workers
      .filter((w): w is Running => w !== null)
      .sort((a, b) => this.readyMs(a.job) - this.readyMs(b.job) || a.job - b.job);
    for (let i = cut.length - 1; i >= 0; i -= 1) this.queue.unshift((cut[i] as Running).job);
    this.requeued += cut.length;
    this.running -= cut.length;
    server.workers.fill(null);
    return cut.length;
  }

  /** The drain hook exited (or the instance went): gone, or stopped in the pool after a stop. */
  private end(server: ModelServer, reason: string): void {
    server.accepting = false;
    const run = server.runs.at(-1);
    if (run !== undefined && run.toMs === undefined) run.toMs = this.now;
    this.live = this.live.filter((s) => s !== server);
    this.lastActivityMs = Math.max(this.lastActivityMs, this.now);
    if (server.stopping === true) {
      server.stopping = false;
      // Stopped, not shutting down: a drain deadline still queued for this stop is void.
      server.shutdownMs = undefined;
      server.stoppedMs = this.now;
      this.note('stop', server, reason);
      this.onStopped(server);
      return;
    }
    server.endMs = this.now;
    this.note('terminate', server, reason);
    this.onEnd(server);
  }

  /** A free worker of an accepting server takes the job at the front of the queue, or goes idle. */
  private take(server: ModelServer, w: number): void {
    if (server.workers[w] !== null) return;
    const job = this.queue.shift();
    if (job === undefined) {
      server.idleSince[w] = this.now;
      return;
    }
    const token = this.nextToken++;
    server.workers[w] = { job, startMs: this.now, token };
    this.running += 1;
    const serviceMs = Math.round((this.jobs[job]?.serviceS ?? 0) * 1000);
    this.events.push({ atMs: this.now + serviceMs, kind: 'complete', server, worker: w, token });
  }

  /** When idle worker `w` of `server` next looks at the queue, at or after now. */
  private nextPoll(server: ModelServer, w: number): number {
    const since = server.idleSince[w] ?? this.now;
    if (this.pollMs === 0 || this.now <= since) return Math.max(this.now, since);
    return since + Math.ceil((this.now - since) / this.pollMs) * this.pollMs;
  }

  /** Jobs are waiting: the next idle worker to poll takes the first of them then. */
  private wake(): void {
    if (this.queue.length === 0) return;
    let at = Number.POSITIVE_INFINITY;
    for (const server of this.live) {
      if (!server.accepting) continue;
      for (let w = 0; w < server.workers.length; w += 1) {
        if (server.workers[w] === null) at = Math.min(at, this.nextPoll(server, w));
      }
    }
    if (!Number.isFinite(at)) return;
    if (at === this.now) {
      this.poll();
      return;
    }
    if (this.polls.has(at)) return;
    this.polls.add(at);
    this.events.push({ atMs: at, kind: 'poll' });
  }

  /** Every idle worker whose poll falls now takes a waiting job, oldest server first. */
  private poll(): void {
    this.polls.delete(this.now);
    for (const server of this.live) {
      if (this.queue.length === 0) break;
      if (!server.accepting) continue;
      for (let w = 0; w < server.workers.length && this.queue.length > 0; w += 1) {
        if (server.workers[w] === null && this.nextPoll(server, w) === this.now) this.take(server, w);
      }
    }
    this.wake();
  }
}
