/**
 * EC2's per-call limits and request throttling as the fake cloud models them: token buckets per
 * API (each call takes a request token; RunInstances and TerminateInstances also take a resource
 * token per instance), the most instances one RunInstances call may ask for, the most ids one
 * TerminateInstances call may name, limited capacity per instance type, and throttling storms
 * (an API answering RequestLimitExceeded whatever its bucket holds, e.g. while another tool in
 * the account floods it). Off unless a test, the bench or chaos turns them on.
 */
import { CapacityError, InvalidRequestError, ThrottlingError } from '../domain/errors.js';
import type { Clock } from '../domain/ports.js';
import type { CloudOp } from './call-faults.js';

export interface Bucket {
  size: number;
  refillPerSecond: number;
}

export interface ApiLimitSettings {
  /** A request bucket per API: one token a call. */
  requests: Partial<Record<CloudOp, Bucket>>;
  /** RunInstances' resource bucket: one token per instance asked for. */
  launchedInstances?: Bucket;
  /** TerminateInstances' resource bucket: one token per instance named. */
  terminatedInstances?: Bucket;
  /** The most instances one RunInstances call may ask for (MaxCount). */
  maxLaunchCount: number;
  /** The most ids one TerminateInstances call may name. */
  maxTerminateIds: number;
}

/**
 * The buckets of EC2's request throttling documentation (2026) for the calls the system makes:
 * RunInstances 5 requests refilled at 2 a second and 1,000 instances refilled at 2 a second;
 * DescribeInstances 100 refilled at 20; TerminateInstances 100 refilled at 5, and 1,000 instances
 * refilled at 20; StartInstances and StopInstances as mutating calls. RunInstances asks for at
 * most the resource bucket's size, TerminateInstances names at most 1,000 ids.
 */
export const EC2_API_LIMITS: ApiLimitSettings = {
  requests: {
    launch: { size: 5, refillPerSecond: 2 },
    list: { size: 100, refillPerSecond: 20 },
    find: { size: 100, refillPerSecond: 20 },
    terminate: { size: 100, refillPerSecond: 5 },
    start: { size: 100, refillPerSecond: 5 },
    stop: { size: 100, refillPerSecond: 5 },
  },
  launchedInstances: { size: 1000, refillPerSecond: 2 },
  terminatedInstances: { size: 1000, refillPerSecond: 20 },
  maxLaunchCount: 1000,
  maxTerminateIds: 1000,
};

class TokenBucket {
  private tokens: number;
  private at: number;
  constructor(
    private readonly bucket: Bucket,
    now: number,
  ) {
    this.tokens = bucket.size;
    this.at = now;
  }

  take(count: number, now: number): boolean {
    this.tokens = Math.min(
      this.bucket.size,
      this.tokens + ((now - this.at) / 1000) * this.bucket.refillPerSecond,
    );
    this.at = now;
    if (this.tokens < count) return false;
    this.tokens -= count;
    return true;
  }
}

export class ApiLimits {
  private readonly requests = new Map<CloudOp, TokenBucket>();
  private readonly launched: TokenBucket | undefined;
  private readonly terminated: TokenBucket | undefined;
  /** Storms by API: RequestLimitExceeded until this time (epoch ms). */
  private readonly storms = new Map<CloudOp, number>();
  /** Instances of each type EC2 still has room for; absent types are unlimited. */
  private readonly capacity = new Map<string, number>();
  /** Calls refused as throttled, by API. */
  readonly throttled = new Map<CloudOp, number>();

  constructor(
    private readonly clock: Clock,
    readonly settings: ApiLimitSettings | undefined,
  ) {
    const now = clock.now();
    for (const [op, bucket] of Object.entries(settings?.requests ?? {}) as [CloudOp, Bucket][])
      this.requests.set(op, new TokenBucket(bucket, now));
    this.launched = settings?.launchedInstances && new TokenBucket(settings.launchedInstances, now);
    this.terminated = settings?.terminatedInstances && new TokenBucket(settings.terminatedInstances, now);
  }

  /** `ops` answer RequestLimitExceeded for `ms` from now. */
  storm(ops: readonly CloudOp[], ms: number): void {
    const until = this.clock.now() + ms;
    for (const op of ops) this.storms.set(op, Math.max(until, this.storms.get(op) ?? 0));
  }

  /** EC2 has room for only `count` more instances of `instanceType` (until set again). */
  limitCapacity(instanceType: string, count: number): void {
    this.capacity.set(instanceType, count);
  }

  /** Stops storms and capacity limits; buckets keep their tokens. */
  clear(): void {
    this.storms.clear();
    this.capacity.clear();
  }

  /**
   * Takes a call's request token and its resource tokens (`instances`), or throws as EC2 does.
   * @throws InvalidRequestError past a per-call limit, ThrottlingError.
   */
  admit(op: CloudOp, instances = 0): void {
    const now = this.clock.now();
    if (op === 'launch' && this.settings !== undefined && instances > this.settings.maxLaunchCount) {
      throw new InvalidRequestError(
        `InvalidParameterValue: MaxCount ${instances} is above ${this.settings.maxLaunchCount} for one call`,
      );
    }
    if (op === 'terminate' && this.settings !== undefined && instances > this.settings.maxTerminateIds) {
      throw new InvalidRequestError(
        `InvalidParameterValue: ${instances} instance ids is above ${this.settings.maxTerminateIds} for one call`,
      );
    }
    const resource = op === 'launch' ? this.launched : op === 'terminate' ? this.terminated : undefined;
    const stormy = (this.storms.get(op) ?? 0) > now;
    if (
      stormy ||
      this.requests.get(op)?.take(1, now) === false ||
      (resource !== undefined && instances > 0 && !resource.take(instances, now))
    ) {
      this.throttled.set(op, (this.throttled.get(op) ?? 0) + 1);
      throw new ThrottlingError(`RequestLimitExceeded: ${op} throttled`);
    }
  }

  /**
   * How many of `count` instances of `instanceType` EC2 launches now (it may launch fewer than
   * asked), taking them from the type's room.
   * @throws CapacityError when it has room for none.
   */
  fulfil(instanceType: string, count: number): number {
    const room = this.capacity.get(instanceType);
    if (room === undefined) return count;
    if (room <= 0)
      throw new CapacityError(`InsufficientInstanceCapacity: no ${instanceType} capacity`, instanceType);
    const given = Math.min(room, count);
    this.capacity.set(instanceType, room - given);
    return given;
  }
}
