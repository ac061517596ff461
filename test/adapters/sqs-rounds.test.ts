/** The round queue over a mocked SQS client: the messages, their delays, the queue, the errors. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SendMessageBatchCommand, SQSClient, SQSServiceException } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SqsRoundQueue } from '../../adapters/sqs-rounds.js';
import { FleetError, ThrottlingError } from '../../domain/errors.js';
import { decodeRound, laterRounds } from '../../domain/services/round-messages.js';
import { readEnvironment } from '../../handlers/app.js';

const sqs = mockClient(SQSClient);
const URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/fleet-pilot-dev-rounds';
const T0 = Date.parse('2026-03-02T15:00:00Z');

beforeEach(() => sqs.reset());

const queue = () => new SqsRoundQueue(new SQSClient({ region: 'us-east-1' }), { queueUrl: URL });
const entriesOf = (call: number) => sqs.commandCalls(SendMessageBatchCommand)[call]?.args[0].input;

describe('SqsRoundQueue', () => {
  it('sends one message per later round to the queue, each delayed until its round is due', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    // Sent 200 ms after the tick began: the delays are rounded to whole seconds.
    await queue().send(laterRounds(T0, 4, 15_000), T0 + 200);

    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
    const input = entriesOf(0);
    expect(input?.QueueUrl).toBe(URL);
    expect(input?.Entries?.map((e) => e.DelaySeconds)).toEqual([15, 30, 45]);
    expect(input?.Entries?.map((e) => decodeRound(e.MessageBody ?? ''))).toEqual([
      { tick: T0, round: 1, rounds: 4, dueAt: T0 + 15_000, everyMs: 15_000 },
      { tick: T0, round: 2, rounds: 4, dueAt: T0 + 30_000, everyMs: 15_000 },
      { tick: T0, round: 3, rounds: 4, dueAt: T0 + 45_000, everyMs: 15_000 },
    ]);
    expect(new Set(input?.Entries?.map((e) => e.Id)).size).toBe(3);
  });

  it('splits more than ten rounds into batches of ten', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    await queue().send(laterRounds(T0, 12, 5_000), T0);
    expect(sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries?.length)).toEqual([
      10, 1,
    ]);
    expect(entriesOf(1)?.Entries?.[0]?.DelaySeconds).toBe(55);
  });

  it('fails, naming the rounds SQS refused, when part of a batch was not sent', async () => {
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: 'round-1', MessageId: 'm1', MD5OfMessageBody: '' }],
      Failed: [{ Id: 'round-2', SenderFault: false, Code: 'InternalError', Message: 'try again' }],
    });
    await expect(queue().send(laterRounds(T0, 3, 20_000), T0)).rejects.toThrow(
      /tick rounds 2, 3: SQS refused round-2 \(InternalError: try again\)/,
    );
  });

  it('maps SQS errors to domain errors', async () => {
    const throttled = new SQSServiceException({
      name: 'RequestThrottled',
      $fault: 'client',
      $metadata: {},
      message: 'Rate exceeded',
    });
    sqs.on(SendMessageBatchCommand).rejectsOnce(throttled).rejectsOnce(new Error('socket hang up'));
    await expect(queue().send(laterRounds(T0, 2, 30_000), T0)).rejects.toBeInstanceOf(ThrottlingError);
    const other = await queue()
      .send(laterRounds(T0, 2, 30_000), T0)
      .catch((e: unknown) => e);
    expect(other).toBeInstanceOf(FleetError);
    expect((other as Error).message).toMatch(/SendMessageBatch of tick rounds 2: .*socket hang up/);
  });

  it('sends nothing for no rounds', async () => {
    await queue().send([], T0);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });
});

describe('the round queue in the environment', () => {
  const env = { FLEET_STACK: 'fleet-pilot-dev', FLEET_TABLE: 'ledger' };
  const bundled = readFileSync(join(__dirname, '../../config/dev.json'), 'utf8');

  it('is read from FLEET_ROUND_QUEUE_URL, and absent without it', () => {
    expect(readEnvironment({ ...env, FLEET_ROUND_QUEUE_URL: URL }, bundled).roundQueueUrl).toBe(URL);
    expect(readEnvironment(env, bundled)).not.toHaveProperty('roundQueueUrl');
  });

  it('is refused, by name, when it is not a URL', () => {
    expect(() => readEnvironment({ ...env, FLEET_ROUND_QUEUE_URL: 'rounds' }, bundled)).toThrow(
      /FLEET_ROUND_QUEUE_URL/,
    );
  });
});
