/**
 * The tick's later rounds on SQS: one message per round, delivered when the round is due
 * (`DelaySeconds`), all in one `SendMessageBatch` (a tick has at most 11 later rounds; a batch
 * takes 10). SDK failures are mapped to domain errors (aws-errors.ts); entries SQS refused fail the
 * send, naming each round and SQS's code.
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { FleetError } from '../domain/errors.js';
import type { RoundQueue, TickRound } from '../domain/ports.js';
import { delaySeconds, encodeRound } from '../domain/services/round-messages.js';
import { mapAwsError } from './aws-errors.js';

/** SQS's most entries in one SendMessageBatch. */
const BATCH = 10;

export class SqsRoundQueue implements RoundQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly options: { queueUrl: string },
  ) {}

  async send(rounds: readonly TickRound[], now: number): Promise<void> {
    for (let i = 0; i < rounds.length; i += BATCH) await this.sendBatch(rounds.slice(i, i + BATCH), now);
  }

  private async sendBatch(rounds: readonly TickRound[], now: number): Promise<void> {
    if (rounds.length === 0) return;
    const context = `SendMessageBatch of tick rounds ${rounds.map((r) => r.round + 1).join(', ')}`;
    let failed: { Id?: string; Code?: string; Message?: string }[];
    try {
      const out = await this.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: rounds.map((round) => ({
            Id: `round-${round.round}`,
            MessageBody: encodeRound(round),
            DelaySeconds: delaySeconds(round, now),
          })),
        }),
      );
      failed = out.Failed ?? [];
    } catch (error) {
      throw mapAwsError(error, context);
    }
    if (failed.length > 0)
      throw new FleetError(
        `${context}: SQS refused ${failed.map((f) => `${f.Id} (${f.Code}: ${f.Message})`).join(', ')}`,
      );
  }
}
