/**
 * Launching: the intent is written before RunInstances (one per server, also when a batch of
 * servers is asked for in one call), and each launch walks its market's
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
import {
  batchIntentId,
  type CloudInstance,
  MAX_LAUNCH_BATCH,
  type Market,
  type ServerRecord,
  type SpotPool,
} from '../types.js';
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
   * Launches one server per entry of `markets` (each its market) in as few calls as EC2 allows:
   * per market, batches of up to {@link MAX_LAUNCH_BATCH} intents written first, then one
   * RunInstances for each batch. When EC2 launches fewer than a batch asked (partial fulfilment),
   * the intents it left out are closed and the shortfall goes to a new batch on the next launch
   * option; what no option could launch now is left to the next converge.
   * @returns the records of the servers launched.
   * @throws the first failure other than capacity, after every batch before it was launched.
   */
  async launchMany(
    role: string,
    config: RoleConfig,
    reason: string,
    markets: readonly Market[],
    avoid?: SpotPool,
    purpose: 'serve' | 'pool' = 'serve',
  ): Promise<ServerRecord[]> {
    if (markets.length === 1) {
      return [await this.launchNew(role, config, reason, undefined, markets[0], avoid, purpose)];
    }
    const launched: ServerRecord[] = [];
    for (const market of new Set(markets)) {
      let left = markets.filter((m) => m === market).length;
      let from: number | undefined;
      while (left > 0) {
        const count = Math.min(left, MAX_LAUNCH_BATCH);
        const batch = await this.writeBatch(role, config, reason, count, market, avoid, purpose, from);
        if (batch === undefined) break;
        const result = await this.launchGroup(config, batch, batch.length);
        const live = result.records.filter((r) => r.instanceId !== undefined);
        launched.push(...live);
        left -= live.length;
        if (live.length < count) {
          // EC2 had room for fewer: the rest go to the next option, or wait for the next converge.
          if (result.attempt + 1 >= result.end) break;
          from = result.attempt + 1;
        }
      }
    }
    return launched;
  }

  /** Writes the intents of one batch (before any call): `<batchId>-<i>`, i below `count`. */
  private async writeBatch(
    role: string,
    config: RoleConfig,
    reason: string,
    count: number,
    market: Market,
    avoid: SpotPool | undefined,
    purpose: 'serve' | 'pool',
    from: number | undefined,
  ): Promise<ServerRecord[] | undefined> {
    const warming = purpose === 'pool';
    const options = launchOptions(marketsOf(config, warming));
    const first = from ?? firstAttempt(options, warming ? 'on-demand' : market);
    if (first >= options.length) {
      throw new InvalidRequestError(
        `role ${role} does not launch ${market} (launch.market, launch.onDemandBase)`,
      );
    }
    const now = this.deps.clock.now();
    const batchId = this.deps.newId();
    const records: ServerRecord[] = [];
    for (let index = 0; index < count; index += 1) {
      const record: ServerRecord = {
        role,
        intentId: batchIntentId(batchId, index),
        state: warming ? 'warming' : 'launching',
        createdAt: now,
        stateSince: now,
        registered: false,
        reason,
        launchAttempt: first,
        market: options[first]?.market ?? market,
        batchId,
        batchSize: count,
        batchIndex: index,
        ...(avoid === undefined ? {} : { avoidInstanceType: avoid.instanceType }),
        ...(avoid?.subnetId === undefined ? {} : { avoidSubnetId: avoid.subnetId }),
        ...specFields(launchSpec(role, config)),
        version: 0,
      };
      await this.deps.ledger.createIntent(record);
      records.push(record);
    }
    return records;
  }

  /**
   * Launches (or re-launches, idempotently) the instance of an intent in `launching`, walking the
   * fallbacks of its market (see `lastAttempt`) on capacity errors. Each attempt's ClientToken is
   * `<intentId>-<attempt>`, and the attempt and its market are written before the call. A
   * replacement's intent skips the options in the pool it keeps out of (see `mayUse`).
   */
  async launchIntent(config: RoleConfig, intent: ServerRecord): Promise<ServerRecord> {
    const { records } = await this.launchGroup(config, [intent], undefined);
    const [launched] = records;
    if (launched === undefined) throw new FleetError(`intent ${intent.intentId} has no launch option left`);
    return launched;
  }

  /**
   * Launches again, with the same ClientToken and count, the intents of one batch that have no
   * instance yet (a crash or a failed call after they were written): EC2 answers with the
   * instances the first call created, or creates them now; intents it gives none are closed.
   * `written` is how many intents of the batch the ledger has: fewer than its size when the
   * writer died before the call, which was then never made, so it is made for those alone.
   */
  async resumeBatch(
    config: RoleConfig,
    intents: readonly ServerRecord[],
    written: number,
  ): Promise<ServerRecord[]> {
    const size = Math.min(written, intents[0]?.batchSize ?? written);
    return (await this.launchGroup(config, intents, size)).records;
  }

  /**
   * The walk through a launch's options shared by one intent and a batch: the attempt and market
   * written on every intent first, then one call (RunInstances of one, or of the batch's size),
   * then each intent updated from the instance EC2 gave it, or closed when EC2 gave it none.
   */
  private async launchGroup(
    config: RoleConfig,
    intents: readonly ServerRecord[],
    /** How many servers the batch's call asks for; undefined for one intent's own launch. */
    count: number | undefined,
  ): Promise<{ records: ServerRecord[]; attempt: number; end: number }> {
    const batched = count !== undefined;
    const { compute, ledger, clock } = this.deps;
    const [lead] = intents;
    if (lead === undefined) return { records: [], attempt: 0, end: 0 };
    const warming = lead.state === 'warming';
    const markets = marketsOf(config, warming);
    const options = launchOptions(markets);
    let records = [...intents];
    // A crash while moving a batch to its next option leaves some intents behind: the furthest leads.
    const from = Math.max(...records.map((r) => r.launchAttempt ?? 0));
    const furthest = records.find((r) => (r.launchAttempt ?? 0) === from) ?? lead;
    const end = lastAttempt(options, markets, furthest.market ?? 'on-demand');
    const avoid = avoidedPool(lead);
    const batchId = lead.batchId ?? lead.intentId;
    for (let attempt = from; attempt < end; attempt += 1) {
      if (!mayUse(options, attempt, avoid)) continue;
      const option: LaunchOption = options[attempt] ?? { market: 'on-demand' };
      const moved: ServerRecord[] = [];
      for (const record of records) {
        moved.push(
          (record.launchAttempt ?? 0) !== attempt || (record.market ?? 'on-demand') !== option.market
            ? await ledger.updateServer(record.role, record.intentId, record.version, {
                launchAttempt: attempt,
                market: option.market,
              })
            : record,
        );
      }
      records = moved;
      const instanceType = option.instanceType ?? config.launch.instanceTypes[0];
      const vcpus = instanceType === undefined ? 1 : await compute.vcpus(instanceType);
      const userData = renderUserData({
        role: lead.role,
        dbHost: config.dbHost,
        vcpus,
        workersPerVcpu: config.workersPerVcpu,
        stack: this.deps.stack,
        // A batch's servers share one user data: each finds its own intent from its launch index.
        intentId: batched ? batchId : lead.intentId,
        drainSeconds: config.lifecycle.drainSeconds,
        warming,
      });
      const request = {
        role: lead.role,
        clientToken: `${batchId}-${attempt}`,
        userData,
        ...option,
        ...(warming && config.warmPool?.state === 'hibernated' ? { hibernate: true } : {}),
      };
      let instances: CloudInstance[];
      try {
        instances = batched
          ? await compute.launchBatch({ ...request, batchId, count })
          : [await compute.launch({ ...request, intentId: lead.intentId })];
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
            role: lead.role,
            intentId: batched ? batchId : lead.intentId,
            tried: option,
            next: options[next],
            error: describe(error),
          });
          attempt = next - 1;
          continue;
        }
        for (const record of records) {
          await ledger.updateServer(record.role, record.intentId, record.version, {
            state: 'terminated',
            stateSince: clock.now(),
            reason: `no capacity in any allowed market, instance type and subnet: ${describe(error)}`,
          });
        }
        throw error;
      }
      const byIntent = new Map(instances.map((i) => [i.intentId, i]));
      const done: ServerRecord[] = [];
      for (const record of records) {
        const instance = byIntent.get(record.intentId);
        done.push(
          instance === undefined
            ? await ledger.updateServer(record.role, record.intentId, record.version, {
                state: 'terminated',
                stateSince: clock.now(),
                reason: `EC2 launched ${instances.length} of the ${count ?? 1} servers asked in one call: this intent got none`,
              })
            : await this.recordLaunch(record, instance, option, warming),
        );
      }
      return { records: done, attempt, end };
    }
    throw new FleetError(`intent ${batched ? batchId : lead.intentId} has no launch option left`);
  }

  /** The intent learns its instance. */
  private async recordLaunch(
    record: ServerRecord,
    instance: CloudInstance,
    option: LaunchOption,
    warming: boolean,
  ): Promise<ServerRecord> {
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
    const launched = await this.deps.ledger.updateServer(record.role, record.intentId, record.version, {
      ...patch,
      stateSince: this.deps.clock.now(),
    });
    this.deps.observer.info('launched', { role: record.role, intentId: record.intentId, ...patch });
    return launched;
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
