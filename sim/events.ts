/**
 * The simulator's event and job queues: a binary min-heap of timed events ordered by (time, kind,
 * insertion), and the FIFO of waiting jobs that can take a cut-off job back at its front.
 */

export type EventKind =
  | 'complete'
  | 'healthy'
  | 'deadline'
  | 'arrive'
  | 'ready'
  | 'poll'
  | 'interrupt'
  | 'control'
  | 'sample';

/**
 * At one instant: work finishes, servers come up, drain deadlines pass, jobs arrive, scheduled
 * jobs come due and idle workers poll before EC2 interrupts a Spot server and before a controller
 * looks; the timeline is sampled last.
 */
const ORDER: Record<EventKind, number> = {
  complete: 0,
  healthy: 1,
  deadline: 2,
  arrive: 3,
  ready: 4,
  poll: 5,
  interrupt: 6,
  control: 7,
  sample: 8,
};

export interface SimEvent<S> {
  atMs: number;
  kind: EventKind;
  seq: number;
  server?: S;
  worker?: number;
  token?: number;
  job?: number;
}

export class EventQueue<S> {
  private readonly heap: SimEvent<S>[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(event: Omit<SimEvent<S>, 'seq'>): void {
    const item = { ...event, seq: this.seq++ };
    const heap = this.heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item, heap[parent] as SimEvent<S>)) break;
      heap[i] = heap[parent] as SimEvent<S>;
      i = parent;
    }
    heap[i] = item;
  }

  pop(): SimEvent<S> | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child =
        right < heap.length && before(heap[right] as SimEvent<S>, heap[left] as SimEvent<S>) ? right : left;
      if (!before(heap[child] as SimEvent<S>, last)) break;
      heap[i] = heap[child] as SimEvent<S>;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

function before<S>(a: SimEvent<S>, b: SimEvent<S>): boolean {
  if (a.atMs !== b.atMs) return a.atMs < b.atMs;
  if (ORDER[a.kind] !== ORDER[b.kind]) return ORDER[a.kind] < ORDER[b.kind];
  return a.seq < b.seq;
}

/** A FIFO of job indexes that can also take a job back at its front. */
export class JobQueue {
  private items: number[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(job: number): void {
    this.items.push(job);
  }

  unshift(job: number): void {
    if (this.head > 0) this.items[--this.head] = job;
    else this.items.unshift(job);
  }

  /** The job at the front, if any. */
  peek(): number | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  shift(): number | undefined {
    if (this.head >= this.items.length) return undefined;
    const job = this.items[this.head++];
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return job;
  }
}
