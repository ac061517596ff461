/** The one ownership check every mutating EC2 call goes through (see docs/security.md). */
import { NotOwnedError } from '../errors.js';
import type { CloudInstance, ServerRecord } from '../types.js';

/**
 * Throws unless EC2 lists the record's instance as this stack's, of the record's role, and
 * launched for the record's intent (orphans excepted: they carry no intent of theirs).
 * @throws NotOwnedError
 */
export function assertOwned(server: ServerRecord, owned: ReadonlyMap<string, CloudInstance>): void {
  const instanceId = server.instanceId ?? '';
  const instance = owned.get(instanceId);
  if (instance === undefined || instance.role !== server.role) throw new NotOwnedError(instanceId);
  if (instance.intentId !== undefined && instance.intentId !== server.intentId && !server.orphan) {
    throw new NotOwnedError(instanceId);
  }
}
