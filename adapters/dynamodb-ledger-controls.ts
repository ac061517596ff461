/**
 * The ledger's per-role settings: the operator's pause, min/max bounds and warm-pool control, one
 * item each, so setting or clearing one never touches the others; the level the last holding plan
 * kept; and the drain-time policy's learned job time.
 *
 * - Both live under the sort-key prefix `OVERRIDE`, next to the older single item `OVERRIDE` (pause
 *   and min/max in one map) that stacks deployed before the split may still hold: one Query reads
 *   all three. A newer item wins over the older one's half; the first write of either setting
 *   copies the older item's other half into its own item (unless it exists) and deletes the older
 *   item, so a cleared setting can never come back from it.
 * - Values are nested maps because bounds have their own `expiresAt` (ms, when min/max stop
 *   applying; `minUntil`/`maxUntil` when one bound ends at another time, `minReason`/`maxReason`
 *   when one is held for another reason), which must not be read as the item's TTL.
 */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type {
  HoldRecord,
  JobTimeRecord,
  PoolControl,
  RoleBounds,
  RoleControls,
  RolePause,
} from '../domain/types.js';
import { mapAwsError } from './aws-errors.js';
import { type Item, isConditionFailure, type LedgerTable, rolePk } from './dynamodb-ledger-table.js';

const PREFIX = 'OVERRIDE';
const LEGACY_SK = PREFIX;
const PAUSE_SK = `${PREFIX}#PAUSE`;
const BOUNDS_SK = `${PREFIX}#BOUNDS`;
const POOL_SK = `${PREFIX}#POOL`;
const HOLD_SK = 'HOLD';
const JOB_TIME_SK = 'JOBTIME';

export class RoleControlItems {
  constructor(private readonly table: LedgerTable) {}

  async getControls(role: string): Promise<RoleControls> {
    const items = await this.table.queryAll(`getControls(${role})`, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': rolePk(role), ':prefix': PREFIX },
    });
    const bySk = new Map(items.map((item) => [String(item.sk), item]));
    const legacy = fromLegacy(bySk.get(LEGACY_SK)?.override);
    const pause = toPause(bySk.get(PAUSE_SK)?.pause) ?? legacy.pause;
    const bounds = toBounds(bySk.get(BOUNDS_SK)?.bounds) ?? legacy.bounds;
    const pool = toPool(bySk.get(POOL_SK)?.pool);
    return {
      ...(pause === undefined ? {} : { pause }),
      ...(bounds === undefined ? {} : { bounds }),
      ...(pool === undefined ? {} : { pool }),
    };
  }

  async setPoolControl(role: string, control: PoolControl | undefined): Promise<void> {
    await this.write(role, POOL_SK, 'pool', control, `setPoolControl(${role})`);
  }

  async setPause(role: string, pause: RolePause | undefined): Promise<void> {
    await this.retireLegacy(role);
    await this.write(role, PAUSE_SK, 'pause', pause, `setPause(${role})`);
  }

  async setBounds(role: string, bounds: RoleBounds | undefined): Promise<void> {
    await this.retireLegacy(role);
    await this.write(role, BOUNDS_SK, 'bounds', bounds, `setBounds(${role})`);
  }

  async getHold(role: string): Promise<HoldRecord | undefined> {
    try {
      const result = await this.table.client.send(
        new GetCommand({
          TableName: this.table.tableName,
          Key: { pk: rolePk(role), sk: HOLD_SK },
          ConsistentRead: true,
        }),
      );
      const level = numberField(result.Item?.level);
      const at = numberField(result.Item?.at);
      return level === undefined || at === undefined ? undefined : { level, at };
    } catch (error) {
      throw mapAwsError(error, `getHold(${role})`);
    }
  }

  async putHold(role: string, hold: HoldRecord): Promise<void> {
    await this.table.put(
      { pk: rolePk(role), sk: HOLD_SK, level: hold.level, at: hold.at },
      `putHold(${role})`,
    );
  }

  async getJobTime(role: string): Promise<JobTimeRecord | undefined> {
    try {
      const result = await this.table.client.send(
        new GetCommand({
          TableName: this.table.tableName,
          Key: { pk: rolePk(role), sk: JOB_TIME_SK },
          ConsistentRead: true,
        }),
      );
      const jobSeconds = numberField(result.Item?.jobSeconds);
      const at = numberField(result.Item?.at);
      const observations = numberField(result.Item?.observations);
      return jobSeconds === undefined || at === undefined || observations === undefined
        ? undefined
        : { jobSeconds, at, observations };
    } catch (error) {
      throw mapAwsError(error, `getJobTime(${role})`);
    }
  }

  async putJobTime(role: string, record: JobTimeRecord): Promise<void> {
    await this.table.put(
      {
        pk: rolePk(role),
        sk: JOB_TIME_SK,
        jobSeconds: record.jobSeconds,
        at: record.at,
        observations: record.observations,
      },
      `putJobTime(${role})`,
    );
  }

  private async write(role: string, sk: string, field: string, value: object | undefined, context: string) {
    const key = { pk: rolePk(role), sk };
    if (value !== undefined) {
      await this.table.put({ ...key, [field]: withoutUndefined(value) }, context);
      return;
    }
    try {
      await this.table.client.send(new DeleteCommand({ TableName: this.table.tableName, Key: key }));
    } catch (error) {
      throw mapAwsError(error, context);
    }
  }

  /**
   * Splits the older single item into the two new ones and deletes it. Each step is safe to repeat
   * and a crash between them leaves the same settings readable (a newer item wins).
   */
  private async retireLegacy(role: string): Promise<void> {
    const context = `upgrade override item (${role})`;
    const key = { pk: rolePk(role), sk: LEGACY_SK };
    let legacy: Item | undefined;
    try {
      const result = await this.table.client.send(
        new GetCommand({ TableName: this.table.tableName, Key: key, ConsistentRead: true }),
      );
      legacy = result.Item;
    } catch (error) {
      throw mapAwsError(error, context);
    }
    if (legacy === undefined) return;
    const { pause, bounds } = fromLegacy(legacy.override);
    if (pause !== undefined) await this.putIfAbsent({ pk: key.pk, sk: PAUSE_SK, pause }, context);
    if (bounds !== undefined) await this.putIfAbsent({ pk: key.pk, sk: BOUNDS_SK, bounds }, context);
    try {
      await this.table.client.send(new DeleteCommand({ TableName: this.table.tableName, Key: key }));
    } catch (error) {
      throw mapAwsError(error, context);
    }
  }

  private async putIfAbsent(item: Item, context: string): Promise<void> {
    try {
      await this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: withoutUndefined(item),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return; // a newer setting exists: it wins
      throw mapAwsError(error, context);
    }
  }
}

/** The older single item's map: `paused` with a reason shared with min/max. */
function fromLegacy(value: unknown): RoleControls {
  if (!isMap(value)) return {};
  const pause =
    value.paused === true
      ? toPause({ ...value, reason: value.reason ?? 'paused by an operator' })
      : undefined;
  const hasBounds = typeof value.min === 'number' || typeof value.max === 'number';
  const bounds = hasBounds ? toBounds(value) : undefined;
  return { ...(pause === undefined ? {} : { pause }), ...(bounds === undefined ? {} : { bounds }) };
}

function toPause(value: unknown): RolePause | undefined {
  if (!isMap(value) || typeof value.reason !== 'string') return undefined;
  return withoutUndefined({
    reason: value.reason,
    since: numberField(value.since),
    requestId: stringField(value.requestId),
    setBy: stringField(value.setBy),
  });
}

function toBounds(value: unknown): RoleBounds | undefined {
  if (!isMap(value)) return undefined;
  return withoutUndefined({
    min: numberField(value.min),
    max: numberField(value.max),
    since: numberField(value.since),
    expiresAt: numberField(value.expiresAt),
    minUntil: numberField(value.minUntil),
    maxUntil: numberField(value.maxUntil),
    reason: stringField(value.reason),
    minReason: stringField(value.minReason),
    maxReason: stringField(value.maxReason),
    requestId: stringField(value.requestId),
    setBy: stringField(value.setBy),
  });
}

function toPool(value: unknown): PoolControl | undefined {
  if (!isMap(value) || typeof value.drained !== 'boolean' || typeof value.reason !== 'string')
    return undefined;
  return withoutUndefined({
    drained: value.drained,
    refreshBefore: numberField(value.refreshBefore),
    reason: value.reason,
    since: numberField(value.since) ?? 0,
    requestId: stringField(value.requestId),
    setBy: stringField(value.setBy),
  });
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numberField(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function stringField(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
