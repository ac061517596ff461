/**
 * Acting on the warm pool through the ports: start warm servers (a start that fails moves on to
 * the next warm server, then to a cold launch, in the same converge), stop servers into the pool
 * (hibernating where configured) and launch servers to fill it. Intent first, as everywhere: the
 * ledger says `starting` before StartInstances and `stopping` before StopInstances, so a crash in
 * between leaves a record the reconciler settles from what EC2 lists.
 */
import type { RoleConfig } from '../config.js';
import {
  CapacityError,
  FleetError,
  IncorrectStateError,
  InvalidRequestError,
  NotFoundError,
} from '../errors.js';
import { ownEntry } from '../roles.js';
import type { Action, CloudInstance, ServerRecord } from '../types.js';
import type { FleetDeps } from './fleet-deps.js';
import type { Launcher } from './launcher.js';
import { assertOwned } from './ownership.js';
import { describe } from './reporting.js';

type StartAction = Extract<Action, { kind: 'start' }>;

export class PoolActuator {
  constructor(
    private readonly deps: FleetDeps,
    private readonly launcher: Launcher,
  ) {}

  /**
   * Starts `action.count` of its candidates, in order, skipping any that fails; with
   * `fallback: 'launch'`, launches cold what no candidate could give. Returns what went otherwise
   * than planned, for the journal.
   */
  async start(
    role: string,
    config: RoleConfig,
    action: StartAction,
    byId: Map<string, ServerRecord>,
    owned: ReadonlyMap<string, CloudInstance>,
  ): Promise<string | undefined> {
    let started = 0;
    const failures: string[] = [];
    for (const id of action.candidates) {
      if (started === action.count) break;
      const server = byId.get(id);
      if (server?.state !== 'warm' || server.instanceId === undefined) continue;
      try {
        await this.startOne(role, server, action, byId, owned);
        started += 1;
      } catch (error) {
        if (!(error instanceof FleetError)) throw error;
        failures.push(`${server.instanceId}: ${describe(error)}`);
      }
    }
    const short = action.count - started;
    if (short > 0 && action.fallback === 'launch') {
      const why =
        failures.length === 0 ? 'no warm server left' : `warm starts failed (${failures.join('; ')})`;
      const markets = Array.from(
        { length: action.count - started },
        (_, i) => action.markets?.[started + i] ?? 'on-demand',
      );
      await this.launcher.launchMany(role, config, `${action.reason}; launched cold: ${why}`, markets);
    }
    if (failures.length === 0 && short === 0) return undefined;
    const fallback = short > 0 && action.fallback === 'launch' ? `; ${short} launched cold instead` : '';
    return `${started} of ${action.count} started${failures.length > 0 ? `; failed: ${failures.join('; ')}` : ''}${fallback}`;
  }

  private async startOne(
    role: string,
    server: ServerRecord,
    action: StartAction,
    byId: Map<string, ServerRecord>,
    owned: ReadonlyMap<string, CloudInstance>,
  ): Promise<void> {
    const { ledger, clock, compute, observer } = this.deps;
    assertOwned(server, owned);
    const instanceId = server.instanceId ?? '';
    const at = clock.now();
    let record = await ledger.updateServer(role, server.intentId, server.version, {
      state: 'starting',
      stateSince: at,
      startedAt: at,
      reason: action.reason,
      ...(action.bridge === true ? { bridge: true } : {}),
    });
    byId.set(record.intentId, record);
    try {
      await compute.start(instanceId);
    } catch (error) {
      if (error instanceof CapacityError || error instanceof IncorrectStateError) {
        // Still a good warm server: another start, now or later, may succeed.
        record = await ledger.updateServer(role, record.intentId, record.version, {
          state: 'warm',
          stateSince: clock.now(),
          startedAt: undefined,
          bridge: undefined,
          reason: `start failed, back in the pool: ${describe(error)}`,
        });
      } else if (error instanceof NotFoundError || error instanceof InvalidRequestError) {
        // Its instance, volume or image is gone: it can never serve.
        record = await ledger.updateServer(role, record.intentId, record.version, {
          state: 'terminating',
          stateSince: clock.now(),
          reason: `start failed, cannot serve: ${describe(error)}`,
        });
        byId.set(record.intentId, record);
        await compute.terminate([instanceId]);
      }
      // Throttling and timeouts leave it `starting`: it may have started; reconcile will see.
      byId.set(record.intentId, record);
      throw error;
    }
    // EC2 resets LaunchTime at a start: boot deadlines and billing count from now.
    record = await ledger.updateServer(role, record.intentId, record.version, {
      state: 'pending',
      launchedAt: clock.now(),
      stateSince: clock.now(),
    });
    byId.set(record.intentId, record);
    observer.info('warm server started', {
      role,
      intentId: record.intentId,
      instanceId,
      bridge: action.bridge,
    });
  }

  /**
   * Stops a server into the pool: the ledger says `stopping` first, it leaves the load balancer,
   * then StopInstances (hibernating where configured; a server not launched for hibernation is
   * stopped plainly). A failed stop stays `stopping`: the reconciler asks again.
   */
  async stop(
    role: string,
    config: RoleConfig,
    server: ServerRecord,
    reason: string,
    byId: Map<string, ServerRecord>,
    owned: ReadonlyMap<string, CloudInstance>,
  ): Promise<void> {
    const current = byId.get(server.intentId) ?? server;
    if (current.instanceId === undefined) throw new FleetError(`no instance to stop for ${current.intentId}`);
    assertOwned(current, owned);
    const now = this.deps.clock.now();
    const record = await this.deps.ledger.updateServer(role, current.intentId, current.version, {
      state: 'stopping',
      registered: false,
      stateSince: now,
      stoppedAt: now,
      startedAt: undefined,
      bridge: undefined,
      drainUntil: undefined,
      reason,
    });
    byId.set(record.intentId, record);
    const lb = ownEntry(this.deps.loadBalancers, role);
    // A drain whose deregister failed must not leave a stopped instance behind the load balancer.
    if (lb !== undefined) await lb.deregister([current.instanceId]);
    await this.stopInstance(config, current.instanceId);
  }

  /** StopInstances, hibernating where configured (plainly for a server that cannot). */
  async stopInstance(config: RoleConfig, instanceId: string): Promise<void> {
    const hibernate = config.warmPool?.state === 'hibernated';
    try {
      await this.deps.compute.stop(instanceId, { hibernate });
    } catch (error) {
      if (!(hibernate && error instanceof InvalidRequestError)) throw error;
      await this.deps.compute.stop(instanceId, { hibernate: false });
    }
  }

  /** Launches `count` servers for the pool (On-Demand, `warming`, no workers until started). */
  async warm(role: string, config: RoleConfig, count: number, reason: string): Promise<void> {
    const markets = Array.from({ length: count }, () => 'on-demand' as const);
    await this.launcher.launchMany(role, config, reason, markets, undefined, 'pool');
  }
}
