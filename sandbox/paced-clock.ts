import type { Clock } from '../domain/ports.js';

/**
 * Accelerated simulated time: `start + real elapsed × speed`, except that it never runs past a
 * ceiling. The sandbox sets the ceiling at the next tick's due time, so when the control plane
 * falls behind (a slow DynamoDB Local call, a GC pause), simulated time waits for it instead of
 * skipping ticks; the real time spent waiting is reported as `heldMs`.
 *
 * @example
 * const clock = new PacedClock(Date.parse('2026-03-02T05:00:00Z'), 2000);
 * clock.setCeiling(clock.start + 60_000); // time stops at the first minute until raised
 */
export class PacedClock implements Clock {
  private readonly realStart: number;
  private heldRealMs = 0;
  private ceiling = Number.POSITIVE_INFINITY;

  constructor(
    readonly start: number,
    readonly speed: number,
    private readonly realNow: () => number = () => performance.now(),
  ) {
    this.realStart = realNow();
  }

  /** Simulated epoch milliseconds. */
  now(): number {
    return Math.min(Math.floor(this.raw()), this.ceiling);
  }

  /** Real milliseconds the clock has spent held at a ceiling so far. */
  get heldMs(): number {
    return this.heldRealMs + Math.max(0, (this.raw() - this.ceiling) / this.speed);
  }

  /**
   * Simulated time will not pass `at` until the ceiling is raised; it resumes from where it stopped.
   * A ceiling below the current time is taken as the current time: the clock never runs backwards.
   */
  setCeiling(at: number): void {
    const raw = this.raw();
    if (raw > this.ceiling) this.heldRealMs += (raw - this.ceiling) / this.speed;
    this.ceiling = Math.max(at, this.now());
  }

  /** Real milliseconds until simulated time reaches `at` (0 if it has). */
  realMsUntil(at: number): number {
    return Math.max(0, (at - this.now()) / this.speed);
  }

  private raw(): number {
    return this.start + (this.realNow() - this.realStart - this.heldRealMs) * this.speed;
  }
}
