/**
 * The fake cloud's call log and fault injection: every call is recorded and watched, and faults
 * are injected one-shot (`failNext`), with a probability (`failRate`), while a call's arguments
 * match (`failWhen`) or right after a call took effect (`after`). The fake cloud extends it.
 */

export type CloudOp =
  | 'launch'
  | 'list'
  | 'find'
  | 'terminate'
  | 'start'
  | 'stop'
  | 'vcpus'
  | 'register'
  | 'deregister'
  | 'members'
  | 'health'
  | 'queue';

interface RateFault {
  probability: number;
  make: () => Error;
}

interface ConditionalFault {
  when: (args: unknown) => boolean;
  make: () => Error;
}

/** Sees a call before any injected fault; throwing fails the call with that error. */
export type CallWatcher = (op: CloudOp, args: unknown) => void;

export class CallFaults {
  readonly calls: { op: CloudOp; args: unknown }[] = [];
  /** How many calls an injected fault (one-shot, rate or conditional) failed. */
  faultsFired = 0;
  private readonly oneShot = new Map<CloudOp, Error[]>();
  private readonly rates = new Map<CloudOp, RateFault>();
  private readonly afterHooks = new Map<CloudOp, (() => void)[]>();
  private readonly conditional = new Map<CloudOp, ConditionalFault[]>();
  private readonly watchers: { op: CloudOp | '*'; watcher: CallWatcher }[] = [];

  /** @param random numbers in [0, 1) for probabilistic faults. */
  constructor(private readonly random: () => number) {}

  /** The next `op` throws `error` (queued: call again to fail the next ones too). */
  failNext(op: CloudOp, error: Error): this {
    const list = this.oneShot.get(op) ?? [];
    list.push(error);
    this.oneShot.set(op, list);
    return this;
  }

  /** Every `op` fails with this probability until cleared with probability 0. */
  failRate(op: CloudOp, probability: number, make: () => Error): this {
    if (probability <= 0) this.rates.delete(op);
    else this.rates.set(op, { probability, make });
    return this;
  }

  /** Runs `hook` once right after the next successful `op` (e.g. to simulate a crash after it). */
  after(op: CloudOp, hook: () => void): this {
    const list = this.afterHooks.get(op) ?? [];
    list.push(hook);
    this.afterHooks.set(op, list);
    return this;
  }

  /** Every `op` whose arguments satisfy `when` fails with `make()` until `clearFaults()`. */
  failWhen(op: CloudOp, when: (args: unknown) => boolean, make: () => Error): this {
    const list = this.conditional.get(op) ?? [];
    list.push({ when, make });
    this.conditional.set(op, list);
    return this;
  }

  /**
   * Calls `watcher` on every `op` (or every op with `'*'`) before any injected fault, in the order
   * watchers were added; a watcher that throws fails the call. Survives `clearFaults()`.
   * @returns a function that removes the watcher.
   */
  watch(op: CloudOp | '*', watcher: CallWatcher): () => void {
    const entry = { op, watcher };
    this.watchers.push(entry);
    return () => {
      const at = this.watchers.indexOf(entry);
      if (at >= 0) this.watchers.splice(at, 1);
    };
  }

  /** Stops every injected fault (one-shot, rate, conditional, after-hooks); watchers stay. */
  clearFaults(): this {
    this.oneShot.clear();
    this.rates.clear();
    this.conditional.clear();
    this.afterHooks.clear();
    return this;
  }

  /** Forgets every call, fault and watcher. */
  protected resetCalls(): void {
    this.calls.length = 0;
    this.clearFaults();
    this.watchers.length = 0;
    this.faultsFired = 0;
  }

  /** Counts of calls by op (AWS calls, for the benchmark). */
  callCount(op?: CloudOp): number {
    return op === undefined ? this.calls.length : this.calls.filter((c) => c.op === op).length;
  }

  /**
   * Records the call, runs the watchers, then throws the first injected fault that applies.
   * `applies` narrows which faults can hit this call; one that cannot stays queued.
   */
  protected enter(op: CloudOp, args: unknown, applies: (error: Error) => boolean = () => true): void {
    this.calls.push({ op, args });
    for (const { op: watched, watcher } of [...this.watchers]) {
      if (watched === '*' || watched === op) watcher(op, args);
    }
    const queued = this.oneShot.get(op);
    const next = queued?.[0];
    if (next !== undefined && applies(next)) {
      queued?.shift();
      this.faultsFired += 1;
      throw next;
    }
    const rate = this.rates.get(op);
    if (rate !== undefined && this.random() < rate.probability) {
      const error = rate.make();
      if (applies(error)) {
        this.faultsFired += 1;
        throw error;
      }
    }
    const matching = this.conditional.get(op)?.find((fault) => fault.when(args));
    if (matching !== undefined) {
      const error = matching.make();
      if (applies(error)) {
        this.faultsFired += 1;
        throw error;
      }
    }
  }

  protected leave(op: CloudOp): void {
    const hook = this.afterHooks.get(op)?.shift();
    if (hook !== undefined) hook();
  }
}
