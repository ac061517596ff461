/**
 * The tick's round queue in memory: keeps what was sent with the delay SQS would apply, hands out
 * the messages that are visible at a given time as SQS events, and fails sends on demand.
 */
import type { SQSEvent } from 'aws-lambda';
import type { RoundQueue, TickRound } from '../domain/ports.js';
import { delaySeconds, encodeRound } from '../domain/services/round-messages.js';

export interface SentRound {
  round: TickRound;
  body: string;
  delaySeconds: number;
  /** When the queue delivers it (epoch ms). */
  visibleAt: number;
}

export class FakeRoundQueue implements RoundQueue {
  readonly sent: SentRound[] = [];
  private pending: SentRound[] = [];
  /** Every later send throws this, while set. */
  failing: Error | undefined;

  async send(rounds: readonly TickRound[], now: number): Promise<void> {
    if (this.failing !== undefined) throw this.failing;
    for (const round of rounds) {
      const delay = delaySeconds(round, now);
      const message = { round, body: encodeRound(round), delaySeconds: delay, visibleAt: now + delay * 1000 };
      this.sent.push(message);
      this.pending.push(message);
    }
  }

  /** The messages visible at `now`, each as the one-record event the function receives, in order. */
  receive(now: number): SQSEvent[] {
    const due = this.pending.filter((m) => m.visibleAt <= now).sort((a, b) => a.visibleAt - b.visibleAt);
    this.pending = this.pending.filter((m) => !due.includes(m));
    return due.map((m, i) => ({ Records: [sqsRecord(m.body, `${m.round.tick}-${m.round.round}-${i}`)] }));
  }
}

function sqsRecord(body: string, id: string): SQSEvent['Records'][number] {
  return {
    messageId: id,
    receiptHandle: `handle-${id}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'fleet-pilot',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:fleet-pilot-test-rounds',
    awsRegion: 'us-east-1',
  };
}
