/**
 * The sandbox's services: `createApp` wired as the Lambda handlers wire it, on the sandbox's fake
 * cloud and load balancers, with the real HTTP health and queue probes (or the probes a caller
 * passes instead, as the simulator parity test does).
 */
import { HttpHealthProbe } from '../adapters/http-health-probe.js';
import { HttpQueueProbe } from '../adapters/http-queue-probe.js';
import type { Config } from '../domain/config.js';
import type { Clock, HealthProbe, Ledger, Observer, QueueProbe } from '../domain/ports.js';
import { ownEntry } from '../domain/roles.js';
import type { FakeCloud } from '../fakes/fake-cloud.js';
import { type App, createApp } from '../handlers/app.js';

export const SANDBOX_STACK = 'fleet-pilot-sandbox';

export interface SandboxAppParts {
  config: Config;
  cloud: FakeCloud;
  ledger: Ledger;
  clock: Clock;
  observer: Observer;
  /** Default: an HTTP probe per role, from its config. */
  healthProbes?: Record<string, HealthProbe>;
  /** Default: an HTTP probe per queue-driven role, from its config. */
  queueProbes?: Record<string, QueueProbe | undefined>;
}

/** The name of a role's load balancer (classic name or target group ARN), if it has one. */
export function loadBalancerName(config: Config, role: string): string | undefined {
  const lb = ownEntry(config.roles, role)?.loadBalancer;
  if (lb === undefined || lb.type === 'none') return undefined;
  return lb.type === 'classic' ? lb.name : lb.targetGroupArn;
}

export function createSandboxApp(parts: SandboxAppParts): App {
  const { config, cloud } = parts;
  const roles = Object.entries(config.roles);
  return createApp({
    config,
    stack: SANDBOX_STACK,
    ledger: parts.ledger,
    compute: cloud.compute,
    loadBalancers: Object.fromEntries(
      roles.map(([role]) => {
        const name = loadBalancerName(config, role);
        return [role, name === undefined ? undefined : cloud.loadBalancer(name)];
      }),
    ),
    healthProbes:
      parts.healthProbes ??
      Object.fromEntries(roles.map(([role, c]) => [role, new HttpHealthProbe(c.health)])),
    queueProbes:
      parts.queueProbes ??
      Object.fromEntries(
        roles.map(([role, c]) => [role, c.queue === undefined ? undefined : new HttpQueueProbe(c.queue)]),
      ),
    clock: parts.clock,
    observer: parts.observer,
  });
}
