/**
 * Launching: the intent is written before RunInstances, and each launch walks the instance type ×
 * subnet fallbacks on capacity errors with a ClientToken per attempt, so a retried or resumed
 * launch never starts a second instance.
 */
import type { RoleConfig } from '../config.js';
import { CapacityError, FleetError } from '../errors.js';
import type { CloudInstance, ServerRecord } from '../types.js';
import { renderUserData } from '../user-data.js';
import type { FleetDeps } from './fleet-deps.js';
import { describe } from './reporting.js';

export class Launcher {
  constructor(private readonly deps: FleetDeps) {}

  /** Writes the intent, then launches: a crash in between is resumed or adopted, never doubled. */
  async launchNew(
    role: string,
    config: RoleConfig,
    reason: string,
    intentId = this.deps.newId(),
  ): Promise<ServerRecord> {
    const now = this.deps.clock.now();
    const record: ServerRecord = {
      role,
      intentId,
      state: 'launching',
      createdAt: now,
      stateSince: now,
      registered: false,
      reason,
      launchAttempt: 0,
      version: 0,
    };
    await this.deps.ledger.createIntent(record);
    return this.launchIntent(config, record);
  }

  /**
   * Launches (or re-launches, idempotently) the instance of an intent in `launching`, walking the
   * instance type × subnet fallbacks on capacity errors. Each attempt's ClientToken is
   * `<intentId>-<attempt>`, and the attempt is written before the call.
   */
  async launchIntent(config: RoleConfig, intent: ServerRecord): Promise<ServerRecord> {
    const { compute, ledger, clock } = this.deps;
    const options = launchOptions(config);
    let record = intent;
    for (let attempt = record.launchAttempt ?? 0; attempt < options.length; attempt += 1) {
      if ((record.launchAttempt ?? 0) !== attempt) {
        record = await ledger.updateServer(record.role, record.intentId, record.version, {
          launchAttempt: attempt,
        });
      }
      const option = options[attempt] ?? {};
      const instanceType = option.instanceType ?? config.launch.instanceTypes[0];
      const vcpus = instanceType === undefined ? 1 : await compute.vcpus(instanceType);
      const userData = renderUserData({
        role: record.role,
        dbHost: config.dbHost,
        vcpus,
        workersPerVcpu: config.workersPerVcpu,
        stack: this.deps.stack,
        intentId: record.intentId,
        drainSeconds: config.lifecycle.drainSeconds,
      });
      try {
        const instance = await compute.launch({
          role: record.role,
          intentId: record.intentId,
          clientToken: `${record.intentId}-${attempt}`,
          userData,
          ...option,
        });
        const patch: Partial<ServerRecord> = {
          instanceId: instance.instanceId,
          state: launchedState(instance.state),
          launchedAt: instance.launchedAt,
          instanceType: instance.instanceType,
        };
        if (instance.privateIp !== undefined) patch.privateIp = instance.privateIp;
        const launched = await ledger.updateServer(record.role, record.intentId, record.version, {
          ...patch,
          stateSince: clock.now(),
        });
        this.deps.observer.info('launched', { role: record.role, intentId: record.intentId, ...patch });
        return launched;
      } catch (error) {
        if (error instanceof CapacityError && attempt + 1 < options.length) {
          this.deps.observer.warn('no capacity, trying the next option', {
            role: record.role,
            intentId: record.intentId,
            tried: option,
            error: describe(error),
          });
          continue;
        }
        if (error instanceof CapacityError) {
          await ledger.updateServer(record.role, record.intentId, record.version, {
            state: 'terminated',
            stateSince: clock.now(),
            reason: `no capacity in any configured instance type and subnet: ${describe(error)}`,
          });
        }
        throw error;
      }
    }
    throw new FleetError(`intent ${record.intentId} has no launch option left`);
  }
}

/**
 * The ledger state of a just-launched instance. A replayed ClientToken can answer with an instance
 * that has already ended: that launch is over, not capacity on the way.
 */
function launchedState(state: CloudInstance['state']): ServerRecord['state'] {
  if (state === 'running') return 'booting';
  if (state === 'pending') return 'pending';
  return state === 'terminated' ? 'terminated' : 'terminating';
}

/** The launch options in fallback order: each instance type across each subnet. */
export function launchOptions(config: RoleConfig): { instanceType?: string; subnetId?: string }[] {
  const types: (string | undefined)[] =
    config.launch.instanceTypes.length > 0 ? config.launch.instanceTypes : [undefined];
  const subnets: (string | undefined)[] =
    config.launch.subnetIds.length > 0 ? config.launch.subnetIds : [undefined];
  const options: { instanceType?: string; subnetId?: string }[] = [];
  for (const instanceType of types) {
    for (const subnetId of subnets) {
      options.push({
        ...(instanceType === undefined ? {} : { instanceType }),
        ...(subnetId === undefined ? {} : { subnetId }),
      });
    }
  }
  return options;
}
