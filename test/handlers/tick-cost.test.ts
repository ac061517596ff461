/**
 * What one steady tick of the shipped config costs in AWS calls, counted at the ports on the fake
 * cloud, against the figures docs/operations.md gives.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryLedger } from '../../adapters/memory-ledger.js';
import { parseConfig } from '../../domain/config.js';
import { tickRounds } from '../../domain/services/tick-rounds.js';
import { countingLedger } from '../../fakes/counting-ledger.js';
import type { CloudOp } from '../../fakes/fake-cloud.js';
import { harness } from '../../fakes/harness.js';
import { runQueueProbe } from '../../handlers/queue-probe.js';

const ROOT = join(__dirname, '../..');
const MINUTE = 60_000;
/** The fake cloud's calls that are AWS API calls (health and queue probes are HTTP to the servers). */
// DescribeInstanceTypes (`vcpus`) is left out: the EC2 adapter asks once per type per container.
const EC2: CloudOp[] = ['launch', 'list', 'terminate'];
const ELB: CloudOp[] = ['register', 'deregister', 'members'];

async function steadyTick() {
  const config = parseConfig(JSON.parse(readFileSync(join(ROOT, 'config/dev.json'), 'utf8')));
  const { ledger, calls } = countingLedger(new MemoryLedger());
  const h = harness({ config, ledger });
  h.cloud.queueLength = 0;
  // Bring the fleet up and let it settle: every server in service, nothing left to do.
  for (let minute = 0; minute < 15; minute += 1) {
    await runQueueProbe({}, h.app);
    h.advance(MINUTE);
  }
  const before = h.cloud.calls.length;
  calls.reset();
  const result = await runQueueProbe({}, h.app, h.invocation(90_000));
  const cloud = h.cloud.calls.slice(before);
  const count = (ops: CloudOp[]) => cloud.filter((c) => ops.includes(c.op)).length;
  return {
    rounds: tickRounds(config).rounds,
    result,
    ec2: count(EC2),
    elb: count(ELB),
    dynamodb: calls.total(),
    byMethod: Object.fromEntries(calls.byMethod),
  };
}

/** The figure after `pattern` in docs/operations.md. */
function documented(pattern: RegExp): number {
  const found = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8').replace(/\s+/g, ' ').match(pattern);
  if (found?.[1] === undefined) throw new Error(`docs/operations.md does not say ${pattern}`);
  return Number(found[1].replace(',', ''));
}

describe('the cost of a steady tick', () => {
  it('makes the AWS calls docs/operations.md says, round by round', async () => {
    const tick = await steadyTick();
    // Steady: every round ran, and nothing was launched, registered or retired.
    expect(tick.result).toMatchObject({ rounds: tick.rounds, ran: tick.rounds });
    expect(tick.result.roles.map((r) => r.actions)).toEqual([0, 0]);

    const total = tick.ec2 + tick.elb + tick.dynamodb;
    expect(tick.rounds).toBe(documented(/a tick of (\d+) rounds/));
    expect(total).toBe(documented(/a tick of \d+ rounds makes \*\*(\d+) AWS calls\*\*/));
    expect(total / tick.rounds).toBe(documented(/each round makes \*\*(\d+) AWS calls\*\*/));
    expect(tick.ec2 / tick.rounds).toBe(documented(/(\d+) EC2 `DescribeInstances`/));
    expect(tick.elb / tick.rounds).toBe(documented(/(\d+) load-balancer health read/));
    expect(tick.dynamodb / tick.rounds).toBe(documented(/(\d+) DynamoDB requests/));
  });
});
