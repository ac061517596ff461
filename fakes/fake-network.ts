/**
 * The fake cloud's network side (fake-cloud.ts builds on it): its instances, load balancers that
 * hold members by name, the content health probe by address, and the queue probe. Every call goes
 * through the recorded, fault-injectable path of call-faults.ts.
 */
import { InvalidRequestError } from '../domain/errors.js';
import type { Clock, HealthProbe, LoadBalancer, QueueProbe } from '../domain/ports.js';
import type { HealthResult, LoadBalancerMember, QueueSample } from '../domain/types.js';
import { CallFaults } from './call-faults.js';
import type { FakeInstance } from './fake-instance.js';

export abstract class FakeNetwork extends CallFaults {
  readonly instances = new Map<string, FakeInstance>();
  /** Load-balancer members by load-balancer name. */
  readonly members = new Map<string, Set<string>>();
  /** Queue length served by `queueProbe()`; null makes the probe report unknown. */
  queueLength: number | null = 0;
  /** Instances by address (no scans per health check). */
  protected readonly byAddress = new Map<string, FakeInstance>();

  constructor(
    random: () => number,
    private readonly clock: Clock,
  ) {
    super(random);
  }

  /** A load balancer (classic or target group, they behave alike here) by name. */
  loadBalancer(name: string): LoadBalancer {
    const set = (): Set<string> => {
      const found = this.members.get(name) ?? new Set<string>();
      this.members.set(name, found);
      return found;
    };
    return {
      register: async (ids) => {
        if (ids.length === 0) return;
        this.enter('register', { name, ids: [...ids] });
        for (const id of ids) {
          const instance = this.instances.get(id);
          if (instance === undefined || instance.state !== 'running') {
            throw new InvalidRequestError(`cannot register ${id}: not a running instance`);
          }
          set().add(id);
        }
        this.leave('register');
      },
      deregister: async (ids) => {
        if (ids.length === 0) return;
        this.enter('deregister', { name, ids: [...ids] });
        for (const id of ids) set().delete(id);
        this.leave('deregister');
      },
      members: async (): Promise<LoadBalancerMember[]> => {
        this.enter('members', name);
        return [...set()].map((instanceId) => ({
          instanceId,
          state: this.instances.get(instanceId)?.state === 'running' ? 'in-service' : 'out-of-service',
        }));
      },
    };
  }

  /** Content health by address: healthy once running and booted, unless broken. */
  readonly healthProbe: HealthProbe = {
    check: async (privateIp: string): Promise<HealthResult> => {
      try {
        this.enter('health', privateIp);
      } catch (error) {
        return { healthy: false, reason: error instanceof Error ? error.message : String(error) };
      }
      const instance = this.byAddress.get(privateIp);
      if (instance === undefined || instance.state !== 'running')
        return { healthy: false, reason: 'connection refused' };
      if (instance.broken) return { healthy: false, reason: "body does not contain 'welcome'" };
      if (this.clock.now() < instance.healthyAt) return { healthy: false, reason: 'connection refused' };
      return { healthy: true };
    },
  };

  readonly queueProbe: QueueProbe = {
    read: async (now: number): Promise<QueueSample> => {
      try {
        this.enter('queue', undefined);
      } catch (error) {
        return { at: now, length: null, error: error instanceof Error ? error.message : String(error) };
      }
      return this.queueLength === null
        ? { at: now, length: null, error: 'probe failed' }
        : { at: now, length: this.queueLength };
    },
  };
}
