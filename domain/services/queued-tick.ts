/**
 * The tick with its later rounds on a queue: the scheduled invocation sends rounds 1..n-1 as
 * delayed messages first (so a failing round 0 loses none of them), then runs round 0; each message
 * then runs one round in an invocation of its own. Lambda bills the rounds' work, not the waits
 * between them. Without a queue (the sandbox, scripts) or when sending fails, the invocation runs
 * every round itself, waiting between them, as before.
 */

import type { Clock, Observer, RoundQueue, TickRound } from '../ports.js';
import { STACK_JOURNAL } from '../types.js';
import { describe } from './reporting.js';
import { lateBy, laterRounds } from './round-messages.js';
import type { TickBudget, TickRoundsOptions, TickRoundsResult } from './tick-rounds.js';

export interface QueuedTickDeps {
  rounds: (options: TickRoundsOptions) => Promise<TickRoundsResult>;
  clock: Clock;
  observer: Observer;
  /** Absent: every round runs in the scheduled invocation. */
  queue?: RoundQueue;
}

export interface TickPlan {
  rounds: number;
  everyMs: number;
  wait: (ms: number) => Promise<void>;
  budget?: TickBudget;
}

export interface ScheduledTickResult extends TickRoundsResult {
  /** Rounds handed to the queue (0: none, or sending failed and they ran here). */
  queued: number;
}

export type QueuedRoundResult =
  | { round: TickRound; result: TickRoundsResult }
  | { round: TickRound; dropped: 'late'; lateMs: number };

export class QueuedTick {
  constructor(private readonly deps: QueuedTickDeps) {}

  /**
   * The scheduled tick. With one round a minute nothing is sent. When sending fails the rounds run
   * here (logged `tick rounds not queued`, counted `TickRoundsNotQueued` under `_stack`); rounds
   * that did reach the queue then run twice, which converges leased per role make harmless.
   */
  async scheduled(plan: TickPlan): Promise<ScheduledTickResult> {
    const { clock, observer, queue } = this.deps;
    const { rounds, everyMs } = plan;
    if (queue === undefined || rounds === 1) return { ...(await this.deps.rounds(plan)), queued: 0 };
    const start = clock.now();
    const later = laterRounds(start, rounds, everyMs);
    try {
      await queue.send(later, start);
    } catch (error) {
      observer.warn('tick rounds not queued, running them here', { rounds, error: describe(error) });
      observer.metric(STACK_JOURNAL, 'TickRoundsNotQueued', later.length, 'Count');
      return { ...(await this.deps.rounds(plan)), queued: 0 };
    }
    return { ...(await this.deps.rounds({ ...plan, only: 0 })), queued: later.length };
  }

  /**
   * One round from the queue, unless it is late past its grace (its due time plus one interval):
   * then it is dropped (logged `tick round dropped late`, counted `TickRoundsLate` under `_stack`),
   * as the next round, or the next minute's tick, is already due.
   * @throws FleetError when some role could not be converged in the round.
   */
  async queued(round: TickRound, plan: Pick<TickPlan, 'wait' | 'budget'>): Promise<QueuedRoundResult> {
    const { clock, observer } = this.deps;
    const lateMs = lateBy(round, clock.now());
    if (lateMs > 0) {
      observer.warn('tick round dropped late', {
        round: round.round + 1,
        rounds: round.rounds,
        tick: new Date(round.tick).toISOString(),
        dueAt: new Date(round.dueAt).toISOString(),
        lateMs,
      });
      observer.metric(STACK_JOURNAL, 'TickRoundsLate', 1, 'Count');
      return { round, dropped: 'late', lateMs };
    }
    const result = await this.deps.rounds({
      rounds: round.rounds,
      everyMs: round.everyMs,
      only: round.round,
      ...plan,
    });
    return { round, result };
  }
}
