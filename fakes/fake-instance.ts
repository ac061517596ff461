/**
 * One instance of the fake cloud as the tests see it (its EC2 view plus what the fake models:
 * health, Spot reclaim, stops and starts, the runs it was billed for), its public view as
 * DescribeInstances answers it, and the clock tests move by hand.
 */
import type { Clock } from '../domain/ports.js';
import type { CloudInstance } from '../domain/types.js';

export interface FakeInstance extends CloudInstance {
  clientToken: string;
  stack: string;
  /** When it starts answering the content health check (ms). */
  healthyAt: number;
  /** A broken server never becomes healthy. */
  broken: boolean;
  terminatedAt?: number;
  /** When EC2 takes this Spot instance back (after an interruption warning). */
  reclaimAt?: number;
  userData: string;
  /** Launched with hibernation enabled (a warm pool that hibernates). */
  hibernationConfigured: boolean;
  /** When its current stop began, and whether it hibernated. */
  stoppingSince?: number;
  hibernated?: boolean;
  /** A stop that never finishes (EC2 sometimes leaves an instance in `stopping`). */
  stuckStopping?: boolean;
  /** How many times it was started from stopped. */
  starts: number;
  /** The batch it was launched in, and its launch index there (EC2's AmiLaunchIndex). */
  batchId?: string;
  launchIndex: number;
  /** When RunInstances created it (`launchedAt` moves at each start, as EC2's LaunchTime does). */
  createdAt: number;
  /**
   * Each span it ran (billed as running): from its launch or a start, to a stop or its
   * termination (open while it runs), with when it answered health checks.
   */
  runs: { fromMs: number; toMs?: number; readyMs: number }[];
}

/** Why EC2 refuses Spot: no capacity, the max price below the Spot price, the account's Spot limit. */
export type SpotShortage = 'capacity' | 'price' | 'limit';

export function publicView(instance: FakeInstance): CloudInstance {
  const view: CloudInstance = {
    instanceId: instance.instanceId,
    state: instance.state,
    launchedAt: instance.launchedAt,
    instanceType: instance.instanceType,
  };
  if (instance.role !== undefined) view.role = instance.role;
  if (instance.intentId !== undefined) view.intentId = instance.intentId;
  if (instance.privateIp !== undefined) view.privateIp = instance.privateIp;
  if (instance.market !== undefined) view.market = instance.market;
  return view;
}

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private at: number) {}
  now(): number {
    return this.at;
  }
  set(at: number): void {
    this.at = at;
  }
  advance(ms: number): number {
    this.at += ms;
    return this.at;
  }
}
