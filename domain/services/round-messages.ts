/**
 * The tick's later rounds as delayed messages: the scheduled invocation runs round 0 itself and
 * hands rounds 1..n-1 to a queue that delivers each when it is due, so no function sleeps between
 * rounds. A round message that arrives too late (after an outage, behind a throttled poller) is
 * dropped: a burst of stale rounds run back to back would only repeat the same converge.
 */
import { z } from 'zod';
import { InvalidRequestError } from '../errors.js';
import type { TickRound } from '../ports.js';

/** The queue's longest delivery delay (SQS `DelaySeconds` maximum). */
export const MAX_DELAY_S = 900;

/** Rounds 1..n-1 of a tick starting at `tick`, each due `round` intervals after it. */
export function laterRounds(tick: number, rounds: number, everyMs: number): TickRound[] {
  return Array.from({ length: Math.max(0, rounds - 1) }, (_, i) => {
    const round = i + 1;
    return { tick, round, rounds, dueAt: tick + round * everyMs, everyMs };
  });
}

/** Whole seconds until the round is due, within what the queue can delay. */
export function delaySeconds(round: TickRound, now: number): number {
  return Math.min(MAX_DELAY_S, Math.max(0, Math.round((round.dueAt - now) / 1000)));
}

/**
 * How late the round is past its grace (ms), or 0 when it may still run: a round may start until
 * the next one is due (its due time plus one interval).
 */
export function lateBy(round: TickRound, now: number): number {
  return Math.max(0, now - (round.dueAt + round.everyMs));
}

const TickRoundSchema = z
  .object({
    tick: z.number().int().nonnegative(),
    round: z.number().int().positive(),
    rounds: z.number().int().min(2),
    dueAt: z.number().int().nonnegative(),
    everyMs: z.number().int().positive(),
  })
  .refine((r) => r.round < r.rounds, { message: 'round must be below rounds', path: ['round'] });

export function encodeRound(round: TickRound): string {
  return JSON.stringify(round);
}

/** @throws InvalidRequestError naming the field that is wrong, for a body that is not a round message. */
export function decodeRound(body: string): TickRound {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (error) {
    throw new InvalidRequestError(`tick round message: not JSON (${(error as Error).message})`);
  }
  const parsed = TickRoundSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidRequestError(
      `tick round message: ${issue?.path.join('.') || 'body'}: ${issue?.message}`,
    );
  }
  return parsed.data;
}
