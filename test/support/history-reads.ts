/** A memory ledger that records every demand-history read it answers: what was asked, and how. */
import { MemoryLedger } from '../../adapters/memory-ledger.js';
import type { HistoryRead } from '../../domain/ports.js';
import type { DemandDay } from '../../domain/types.js';

export interface HistoryReadCall {
  role: string;
  dates: string[];
  settledBefore: string | undefined;
}

export class HistoryReadsLedger extends MemoryLedger {
  readonly reads: HistoryReadCall[] = [];

  override demandHistory(role: string, dates: readonly string[], read?: HistoryRead): Promise<DemandDay[]> {
    this.reads.push({ role, dates: [...dates], settledBefore: read?.settledBefore });
    return super.demandHistory(role, dates);
  }
}
