/**
 * The shapes of a chaos scenario (tools/chaos/scenario.ts generates them): the faults, world
 * changes, triggers and steps a run is made of, and the variant of the world it runs in.
 */

import type { MarketSetting } from '../../domain/market.js';
import type { CloudInstance } from '../../domain/types.js';
import type { CloudOp, SpotShortage } from '../../fakes/fake-cloud.js';
import type { LedgerMethod } from '../../fakes/faulty-ledger.js';

export const MINUTE = 60_000;
export const ROLES = ['app', 'job'] as const;
export type Role = (typeof ROLES)[number];

export type CloudError =
  | 'throttle'
  | 'capacity'
  | 'invalid'
  | 'transient'
  | 'not-found'
  /** EC2 IncorrectInstanceState: a start of an instance still stopping, a stop of a pending one. */
  | 'incorrect-state';
export type LedgerError = 'conflict' | 'throttle';
export type DeathPoint =
  | 'createIntent'
  | 'launch'
  | 'updateServer'
  | 'register'
  | 'deregister'
  | 'terminate'
  | 'start'
  | 'stop'
  | 'acquireLease'
  | 'journal';

export type Fault =
  | { kind: 'cloud-once'; op: CloudOp; error: CloudError }
  | { kind: 'cloud-rate'; op: CloudOp; error: CloudError; probability: number }
  /** EC2 has no capacity for this instance type (in every subnet) until the faults stop. */
  | { kind: 'no-capacity'; instanceType: string }
  /** RunInstances creates the instance, then the caller sees a timeout. */
  | { kind: 'ambiguous-launch' }
  | { kind: 'ledger-once'; method: LedgerMethod; error: LedgerError }
  | { kind: 'ledger-rate'; method: LedgerMethod; error: LedgerError; probability: number }
  /** The write commits, then the caller sees a timeout. */
  | { kind: 'ledger-ambiguous'; method: 'createIntent' | 'updateServer' }
  /** The process dies right after the next such call; its lease stays held until it expires. */
  | { kind: 'death'; after: DeathPoint }
  /** DescribeInstances lags RunInstances by this much. */
  | { kind: 'list-lag'; seconds: number }
  /** EC2 refuses every Spot launch (no capacity, max price too low, Spot limit) until the faults stop. */
  | { kind: 'spot-shortage'; shortage: SpotShortage }
  /** The configured AMI is deregistered: every launch fails (InvalidAMIID.NotFound) until the faults stop. */
  | { kind: 'ami-gone' }
  /**
   * EC2 answers RequestLimitExceeded to these calls for `minutes`, whatever their buckets hold
   * (another tool in the account flooding the API): RunInstances alone, the listings, every
   * mutating call, or all of EC2.
   */
  | { kind: 'throttle-storm'; calls: StormCalls; minutes: number }
  /** Every fault stops (for a while). */
  | { kind: 'calm' };

export const STORM_CALLS = {
  launches: ['launch'],
  listings: ['list', 'find'],
  mutations: ['launch', 'terminate', 'start', 'stop'],
  ec2: ['launch', 'list', 'find', 'terminate', 'start', 'stop', 'vcpus'],
} as const satisfies Record<string, readonly CloudOp[]>;
export type StormCalls = keyof typeof STORM_CALLS;

export type WorldChange =
  /** Someone launches an instance tagged for this stack by hand (an orphan). */
  | { kind: 'orphan'; role: Role }
  /** Another stack launches an instance with the same role tag. */
  | { kind: 'other-stack'; role: Role }
  /**
   * Someone stops, starts, terminates or loses (gone from EC2) one of the stack's instances; a
   * stopped one (a warm pool server) may be the one started, terminated or lost.
   */
  | { kind: 'stop' | 'start' | 'kill' | 'vanish'; pick: number }
  /** An instance's stop never finishes: it stays `stopping` (EC2 sometimes does). */
  | { kind: 'stuck-stopping'; pick: number }
  /** Someone hands one of the stack's instances to another stack (re-tags it): no longer ours. */
  | { kind: 'retag'; pick: number }
  /** A server that never passes the content health check. */
  | { kind: 'break'; pick: number };

export type Trigger =
  | { kind: 'tick' }
  | { kind: 'reconcile' }
  | { kind: 'schedule'; role: Role; edge: 'start' | 'end' }
  /** An EC2 state-change event for an instance picked at run time, possibly stale, possibly repeated. */
  | { kind: 'event'; pick: number; state: CloudInstance['state']; repeat: number }
  /** A manual command; `instanceId: PICK` is replaced by an instance picked at run time. */
  | { kind: 'control'; command: unknown; pick: number }
  /**
   * EC2's Spot interruption warning (the instance is taken back two minutes later) or rebalance
   * recommendation for an instance picked at run time (any: On-Demand, another stack's, gone).
   */
  | { kind: 'spot-warning'; pick: number; warning: 'interruption' | 'rebalance'; repeat: number };

export type Step =
  | Trigger
  | { kind: 'advance'; minutes: number; tick: boolean }
  | { kind: 'queue'; length: number | null }
  | { kind: 'fault'; fault: Fault }
  | { kind: 'world'; change: WorldChange }
  | { kind: 'concurrent'; a: Trigger; b: Trigger };

export interface Variant {
  jobBilling: 'hourly' | 'per-second';
  /** The job role's market (On-Demand base of one when it launches Spot); the app's stays On-Demand. */
  jobMarket: MarketSetting;
  appDrainSeconds: number;
  appLoadBalancer: 'classic' | 'target-group';
  /** The job role's warm pool size (0: none), and how its servers wait. */
  jobWarmPool: number;
  jobPoolState: 'stopped' | 'hibernated';
}

export interface Scenario {
  /** Seeds the fake cloud's and the ledger's random numbers (probabilistic faults). */
  seed: number;
  start: number;
  variant: Variant;
  steps: Step[];
}

/** Placeholder for an instance id picked when the command runs. */
export const PICK = '$pick';
