/**
 * Launching: the intent is written before RunInstances, and each launch walks its market's
 * instance type × subnet fallbacks on capacity errors (a Spot launch then On-Demand, when the role
 * allows it) with a ClientToken per attempt, so a retried or resumed launch never starts a second
 * instance. A launch for the warm pool is On-Demand, starts in state `warming`, and its user data
 * tells the server kit to start no worker until it is stopped and started again.
 */
import type { RoleConfig } from '../config.js';
import { CapacityError, FleetError, InvalidRequestError, SpotUnavailableError } from '../errors.js';
import {
  firstAttempt,
  type LaunchOption,
  lastAttempt,
  launchOptions,
  type MarketConfig,
  mayUse,
} from '../market.js';
import type { CloudInstance, Market, ServerRecord, SpotPool } from '../types.js';
import { renderUserData } from '../user-data.js';
import { launchSpec, specFields } from '../warm-pool.js';
import type { FleetDeps } from './fleet-deps.js';
import { describe } from './reporting.js';

export class Launcher {
  constructor(private readonly deps: FleetDeps) {}

  /**
   * Writes the intent, then launches: a crash in between is resumed or adopted, never doubled.
   * With `avoid`, the launch keeps out of that Spot pool while the role has another.
   */
  async launchNew(
    role: string,
    config: RoleConfig,
    reason: string,
    intentId = this.deps.newId(),
    market: Market = config.launch.market === 'on-demand' ? 'on-demand' : 'spot',
    avoid?: SpotPool,
    purpose: 'serve' | 'pool' = 'serve',
  ): Promise<ServerRecord> {
    const now = this.deps.clock.now();
    const warming = purpose === 'pool';
    if (warming) market = 'on-demand';
    const options = launchOptions(marketsOf(config, warming));
    if (firstAttempt(options, market) === options.length) {
      throw new InvalidRequestError(
        `role ${role} does not launch ${market} (launch.market, launch.onDemandBase)`,
      );
    }
    const record: ServerRecord = {
      role,
      intentId,
      state: warming ? 'warming' : 'launching',
      createdAt: now,
      stateSince: now,
      registered: false,
      reason,
      launchAttempt: firstAttempt(options, market),
      market,
      ...(avoid === undefined ? {} : { avoidInstanceType: avoid.instanceType }),
      ...(avoid?.subnetId === undefined ? {} : { avoidSubnetId: avoid.subnetId }),
      ...specFields(launchSpec(role, config)),
      version: 0,
    };
    await this.deps.ledger.createIntent(record);
    return this.launchIntent(config, record);
  }

  /**
   * Launches (or re-launches, idempotently) the instance of an intent in `launching`, walking the
   * fallbacks of its market (see `lastAttempt`) on capacity errors. Each attempt's ClientToken is
   * `<intentId>-<attempt>`, and the attempt and its market are written before the call. A
   * replacement's intent skips the options in the pool it keeps out of (see `mayUse`).
   */
  async launchIntent(config: RoleConfig, intent: ServerRecord): Promise<ServerRecord> {
    const { compute, ledger, clock } = this.deps;
    const warming = intent.state === 'warming';
    const markets = marketsOf(config, warming);
    const options = launchOptions(markets);
    let record = intent;
    const end = lastAttempt(options, markets, record.market ?? 'on-demand');
    const avoid = avoidedPool(record);
    for (let attempt = record.launchAttempt ?? 0; attempt < end; attempt += 1) {
      if (!mayUse(options, attempt, avoid)) continue;
      const option: LaunchOption = options[attempt] ?? { market: 'on-demand' };
      if ((record.launchAttempt ?? 0) !== attempt || (record.market ?? 'on-demand') !== option.market) {
        record = await ledger.updateServer(record.role, record.intentId, record.version, {
          launchAttempt: attempt,
          market: option.market,
        });
      }
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
        warming,
      });
      try {
        const instance = await compute.launch({
          role: record.role,
          intentId: record.intentId,
          clientToken: `${record.intentId}-${attempt}`,
          userData,
          ...option,
          ...(warming && config.warmPool?.state === 'hibernated' ? { hibernate: true } : {}),
        });
        const patch: Partial<ServerRecord> = {
          instanceId: instance.instanceId,
          // A warming server stays warming while it boots: it is the pool's, never capacity.
          state: warming && isLive(instance.state) ? 'warming' : launchedState(instance.state),
          launchedAt: instance.launchedAt,
          instanceType: instance.instanceType,
          market: instance.market ?? option.market,
        };
        if (option.subnetId !== undefined) patch.subnetId = option.subnetId;
        if (instance.privateIp !== undefined) patch.privateIp = instance.privateIp;
        const launched = await ledger.updateServer(record.role, record.intentId, record.version, {
          ...patch,
          stateSince: clock.now(),
        });
        this.deps.observer.info('launched', { role: record.role, intentId: record.intentId, ...patch });
        return launched;
      } catch (error) {
        if (!(error instanceof CapacityError)) throw error;
        // The account's Spot limit fails every Spot option alike: go straight to On-Demand, if allowed.
        let next =
          error instanceof SpotUnavailableError && error.anywhere && option.market === 'spot'
            ? Math.max(attempt + 1, Math.min(end, firstAttempt(options, 'on-demand')))
            : attempt + 1;
        while (next < end && !mayUse(options, next, avoid)) next += 1;
        if (next < end) {
          this.deps.observer.warn('no capacity, trying the next option', {
            role: record.role,
            intentId: record.intentId,
            tried: option,
            next: options[next],
            error: describe(error),
          });
          attempt = next - 1;
          continue;
        }
        await ledger.updateServer(record.role, record.intentId, record.version, {
          state: 'terminated',
          stateSince: clock.now(),
          reason: `no capacity in any allowed market, instance type and subnet: ${describe(error)}`,
        });
        throw error;
      }
    }
    throw new FleetError(`intent ${record.intentId} has no launch option left`);
  }
}

/** The markets a launch may use: the role's, or On-Demand alone for the warm pool. */
function marketsOf(config: RoleConfig, warming: boolean): MarketConfig & RoleConfig['launch'] {
  return warming ? { ...config.launch, market: 'on-demand', onDemandBase: 0 } : config.launch;
}

function isLive(state: CloudInstance['state']): boolean {
  return state === 'pending' || state === 'running';
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

/** The Spot pool a replacement's intent keeps out of, if any. */
function avoidedPool(record: ServerRecord): SpotPool | undefined {
  if (record.avoidInstanceType === undefined) return undefined;
  return {
    instanceType: record.avoidInstanceType,
    ...(record.avoidSubnetId === undefined ? {} : { subnetId: record.avoidSubnetId }),
  };
}
