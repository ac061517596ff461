/**
 * EC2's lag after a drain hook: an instance stays `stopping` or `shutting-down` for a while once
 * its drain hook has exited, and only then is it stopped (startable again) or gone. The simulator's
 * fake cloud never ends either state by itself (its `stopMs` and `shutdownMs` count from the call,
 * the model's drain hook decides when the instance is done); this ends them `STOP_MS` after it.
 */
import type { FakeCloud } from '../fakes/fake-cloud.js';

/**
 * How long an instance stays `stopping` (or `shutting-down`) once its drain hook has exited: the
 * sandbox's and the fake cloud's figure (EC2 documents none; it is tens of seconds). A start
 * meanwhile is refused.
 */
export const STOP_MS = 30_000;

type Ending = 'stopped' | 'terminated';

export class ShutdownLag {
  /** Instances whose drain hook has exited: when (model ms) EC2 has them stopped or terminated. */
  private readonly due = new Map<string, { at: number; ending: Ending }>();

  constructor(private readonly cloud: FakeCloud) {}

  /**
   * The drain hook of `instanceId` exited at model time `now`: it is `ending` `STOP_MS` later, or at
   * once when `now` is undefined (the pre-roll's fleet is ready when the trace starts).
   */
  hookExited(instanceId: string, ending: Ending, now: number | undefined): void {
    if (now === undefined) this.end(instanceId, ending);
    else this.due.set(instanceId, { at: now + STOP_MS, ending });
  }

  /** Ends every stop and termination due by model time `now`. */
  advance(now: number): void {
    for (const [instanceId, { at, ending }] of this.due) {
      if (at > now) continue;
      this.due.delete(instanceId);
      this.end(instanceId, ending);
    }
  }

  /** A stop ends only an instance still stopping (a start may not come first); a termination always. */
  private end(instanceId: string, ending: Ending): void {
    const fake = this.cloud.instances.get(instanceId);
    if (fake === undefined) return;
    if (ending === 'stopped') {
      if (fake.state === 'stopping') fake.state = 'stopped';
      return;
    }
    fake.state = 'terminated';
    for (const members of this.cloud.members.values()) members.delete(instanceId);
  }
}
