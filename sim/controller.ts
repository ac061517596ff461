/** What the simulation loop needs of whatever decides the fleet: the 2010 model or the real services. */

export interface ControllerCounters {
  /** Servers launched (RunInstances) into service. */
  launches: number;
  /** Stopped servers started from a warm pool. */
  warmStarts?: number;
  retirements: number;
  /** Servers terminated because they were not healthy by the boot deadline. */
  failedBoots: number;
  /** Spot servers EC2 took back (interruption warnings). */
  interruptions?: number;
}

export interface Controller {
  /** Time between ticks (the probe interval). */
  readonly everyMs: number;
  /** The servers up at the trace start. */
  readonly permanent: number;
  /** The most servers the policy may run. */
  readonly maxServers: number;
  /** The count the last tick wanted (for the timeline). */
  readonly desired: number;
  readonly counters: ControllerCounters;
  /** Brings up the servers that run at the trace start. */
  start(): Promise<void>;
  /** One tick at the model's current time. */
  tick(): Promise<void>;
  /** The schedule floor at the model's current time: the simulation ends at or under it. */
  floor(): number;
  /** EC2 interrupts one live Spot server now (a two-minute warning); absent: no Spot servers. */
  interrupt?(): Promise<void>;
}
