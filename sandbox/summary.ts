/** The sandbox's summary.json: what one run did, in figures (sandbox/report.ts builds it). */
import type { PolicyName } from './sandbox-config.js';

export interface Timeline {
  /** Epoch ms of time 0. */
  start: number;
  /** Seconds from start, one entry per tick. */
  times: number[];
  queue: number[];
  roles: Record<
    string,
    {
      desired: (number | null)[];
      inService: (number | null)[];
      /** Warm pool servers ready, and on their way into it (null without a pool). */
      warm: (number | null)[];
      warming: (number | null)[];
    }
  >;
}

export interface RoleSummary {
  desired: number | null;
  inService: number | null;
  instances: { instanceId: string; address: string | null; state: string }[];
}

export interface SandboxSummary {
  days: number;
  speed: number;
  policy: PolicyName;
  seed: number;
  ledger: 'dynamodb-local' | 'memory';
  /** Simulated start and end, ISO 8601 in America/Toronto. */
  startedAt: string;
  endedAt: string;
  realSeconds: number;
  /** Stopped by a signal before the end. */
  interrupted: boolean;
  error?: string;
  /** The loopback servers it ran: the queue endpoint, and the port every instance's server used. */
  endpoints: { queueUrl: string; appPort: number };
  jobsArrived: number;
  jobsDone: number;
  jobsRunningAtEnd: number;
  jobsWaitingAtEnd: number;
  /** Job runs killed by a shutdown's drain deadline and retried from the queue. */
  jobsRetried: number;
  /** Arrival to start, simulated seconds; a job still waiting at the end counts its wait so far. */
  waitP50S: number;
  waitP95S: number;
  waitMaxS: number;
  launches: Record<string, number>;
  /** Servers started from the warm pool, per role. */
  warmStarts: Record<string, number>;
  retirements: Record<string, number>;
  unhealthyReplacements: Record<string, number>;
  instanceHours: Record<string, number>;
  /**
   * Dollars: each instance's running time at its type's On-Demand price (Spot at the simulator's
   * default discount), plus a 30 GB gp3 root volume for as long as it existed.
   */
  cost: Record<string, number>;
  finalServers: Record<string, RoleSummary>;
  controlPlane: {
    ticks: number;
    tickEveryMinutes: number;
    tickErrors: number;
    tickMsP50: number;
    tickMsMax: number;
    /** Real seconds simulated time stood still waiting for a tick to finish. */
    clockHeldSeconds: number;
    queueProbeRequests: number;
    healthChecksWelcome: number;
    /** Answers "fleet-pilot health: ok" of the server kit's health endpoint (the job role's check). */
    healthChecksKitOk: number;
    healthChecksBooting: number;
    queueProbeFailures: number;
    actionFailures: number;
    /** Converges skipped because another trigger (tick or EC2 event) held the role's lease. */
    leaseBusySkips: number;
  };
}
