/**
 * The tick function's rounds within one invocation: with a sub-minute probe interval one
 * invocation runs a round (probe every queue, converge every role) every `everyMs` from its start,
 * inside a time budget. A round that would not finish before the budget ends is not started, so
 * the invocation returns before the function's timeout instead of being killed mid-converge with a
 * role's lease held. A round that fails does not stop the later ones; the invocation fails only
 * when some role could not be converged in any round that ran (or no round ran at all). With the
 * round queue (queued-tick.ts) an invocation runs just one of the rounds (`only`).
 */
import type { Config } from '../config.js';
import { FleetError, ThrottlingError } from '../errors.js';
import { STACK_JOURNAL } from '../types.js';
import type { ConvergeResult, FleetDeps } from './fleet-deps.js';
import { describe } from './reporting.js';
import type { RetryBudget } from './throttle-retry.js';
import type { Triggers } from './triggers.js';

const MINUTE_S = 60;

/** Rounds per one-minute tick and the time between them: from the most frequent sub-minute probe. */
export function tickRounds(config: Config): { rounds: number; everyMs: number } {
  const every = Math.min(
    MINUTE_S,
    ...Object.values(config.roles).map((r) => r.queue?.intervalSeconds ?? MINUTE_S),
  );
  return { rounds: Math.max(1, Math.floor(MINUTE_S / every)), everyMs: every * 1000 };
}

/** How long the rounds may run, as plain data on the service's clock. */
export interface TickBudget {
  /** When the last round must have finished (epoch ms): the function's end, less a margin. */
  deadline: number;
  /**
   * The least time a round is assumed to need, before one has been measured: a round is only
   * started when its start plus the longest round so far (at least this) is within the deadline.
   */
  minRoundMs: number;
}

export interface TickRoundsOptions {
  rounds: number;
  everyMs: number;
  /** Without one, every round runs (the sandbox, scripts). */
  budget?: TickBudget;
  /**
   * Runs only this round (0-based), at once: the others are run elsewhere (the round queue).
   * Logs, metrics and the failure message still name it as round `only + 1` of `rounds`.
   */
  only?: number;
  /** Waits until the next round (a real timer in Lambda; simulated time in the fakes). */
  wait: (ms: number) => Promise<void>;
}

/** One role as the last round left it. */
export interface RoleSummary {
  role: string;
  skipped: string | null;
  desired: number | null;
  actions: number;
  failed: number;
}

export interface TickRoundsResult {
  /** The roles as the last round that ran left them. */
  roles: RoleSummary[];
  rounds: number;
  /** Rounds that ran; fewer than `rounds` when the budget ended the tick early. */
  ran: number;
  /** Each role's failure in each round, e.g. `job in round 1 of 2: ThrottlingError: …`. */
  failures: string[];
}

export class TickRounds {
  constructor(
    private readonly deps: FleetDeps,
    private readonly triggers: Triggers,
    /** Throttled calls back off only until the budget's deadline. */
    private readonly retryBudget?: RetryBudget,
  ) {}

  /**
   * Runs the rounds. Each failed role of each round is logged (`tick round failed`) and counted
   * (`TickRoundFailures`, per role); rounds cut by the budget are logged (`tick rounds cut
   * short`), counted (`TickRoundsSkipped`, role `_stack`) and journaled under `_stack`.
   * @throws FleetError naming the roles that failed in every round that ran, or when no round ran.
   */
  async run(options: TickRoundsOptions): Promise<TickRoundsResult> {
    if (options.budget !== undefined) this.retryBudget?.until(options.budget.deadline);
    try {
      return await this.runRounds(options);
    } finally {
      this.retryBudget?.clear();
    }
  }

  private async runRounds(options: TickRoundsOptions): Promise<TickRoundsResult> {
    const { clock } = this.deps;
    const { rounds, everyMs, budget } = options;
    const first = options.only ?? 0;
    const end = options.only === undefined ? rounds : first + 1;
    const start = clock.now() - first * everyMs;
    let roles: RoleSummary[] = [];
    const failures: string[] = [];
    /** Rounds each role failed in. */
    const failedRounds = new Map<string, number>();
    let longest = 0;
    let ran = 0;
    for (let round = first; round < end; round += 1) {
      const due = Math.max(clock.now(), start + round * everyMs);
      const needs = Math.max(longest, budget?.minRoundMs ?? 0);
      if (budget !== undefined && due + needs > budget.deadline) {
        await this.cutShort(round - first, end - first, due - start, needs, budget.deadline - start);
        break;
      }
      if (due > clock.now()) await options.wait(due - clock.now());
      const began = clock.now();
      const failed = await this.round(round, rounds, failures);
      longest = Math.max(longest, clock.now() - began);
      ran += 1;
      for (const role of failed.roles) failedRounds.set(role, (failedRounds.get(role) ?? 0) + 1);
      if (failed.results !== undefined) roles = failed.results.map(summary);
    }
    const lost = [...failedRounds].filter(([, n]) => n === ran).map(([role]) => role);
    if (ran === 0) throw new FleetError('tick ran no round: the time budget ended before the first');
    if (lost.length > 0) {
      throw new FleetError(
        `tick failed for ${lost.join(', ')} in every round that ran (${ran} of ${end - first}): ${failures.join('; ')}`,
      );
    }
    return { roles, rounds, ran, failures };
  }

  /** One round: the roles that failed in it, and the results when the round ran at all. */
  private async round(
    round: number,
    rounds: number,
    failures: string[],
  ): Promise<{ roles: string[]; results?: ConvergeResult[] }> {
    const { observer } = this.deps;
    const where = `round ${round + 1} of ${rounds}`;
    const failedRoles: { role: string; error: string }[] = [];
    let results: ConvergeResult[] | undefined;
    try {
      const ticked = await this.triggers.tick('tick');
      results = ticked.results;
      failedRoles.push(...ticked.errors);
    } catch (error) {
      // The round could not run at all (the EC2 listing refused): every role missed it.
      failedRoles.push(...this.triggers.roles.map((role) => ({ role, error: describe(error) })));
      if (error instanceof ThrottlingError) await this.listingThrottled(round, rounds, error);
    }
    const roles = [...new Set(failedRoles.map((f) => f.role))];
    for (const { role, error } of failedRoles) {
      failures.push(`${role} in ${where}: ${error}`);
      observer.warn('tick round failed', { role, round: round + 1, rounds, error });
    }
    for (const role of roles) observer.metric(role, 'TickRoundFailures', 1, 'Count');
    return results === undefined ? { roles } : { roles, results };
  }

  /**
   * EC2 kept throttling the one listing every role needs, past every backoff the budget allowed:
   * counted (`ThrottledRounds`) and journaled under `_stack`, as the roles' own journals cannot
   * say why they missed the round.
   */
  private async listingThrottled(round: number, rounds: number, error: ThrottlingError): Promise<void> {
    const { observer, ledger, clock } = this.deps;
    observer.metric(STACK_JOURNAL, 'ThrottledRounds', 1, 'Count');
    try {
      await ledger.journal({
        role: STACK_JOURNAL,
        at: clock.now(),
        kind: 'tick',
        summary: `round ${round + 1} of ${rounds} skipped: the EC2 listing stayed throttled (${describe(error)})`,
        detail: { round: round + 1, rounds, roles: this.triggers.roles.length, error: describe(error) },
      });
    } catch (journalError) {
      observer.warn('throttled round not journaled', { error: describe(journalError) });
    }
  }

  private async cutShort(
    round: number,
    rounds: number,
    dueMs: number,
    needsMs: number,
    budgetMs: number,
  ): Promise<void> {
    const { observer, ledger, clock } = this.deps;
    const skipped = rounds - round;
    const summary =
      `tick cut short: ran ${round} of ${rounds} rounds; round ${round + 1} would start ${Math.round(dueMs / 1000)} s in ` +
      `and needs about ${Math.round(needsMs / 1000)} s, past the ${Math.round(budgetMs / 1000)} s budget`;
    observer.warn('tick rounds cut short', { ran: round, rounds, skipped, dueMs, needsMs, budgetMs });
    observer.metric(STACK_JOURNAL, 'TickRoundsSkipped', skipped, 'Count');
    try {
      await ledger.journal({
        role: STACK_JOURNAL,
        at: clock.now(),
        kind: 'tick',
        summary,
        detail: { ran: round, rounds, skipped, dueMs, needsMs, budgetMs },
      });
    } catch (error) {
      observer.warn('tick cut not journaled', { error: describe(error) });
    }
  }
}

function summary(r: ConvergeResult): RoleSummary {
  return {
    role: r.role,
    skipped: r.skipped ?? null,
    desired: r.plan?.desired.count ?? null,
    actions: r.plan?.actions.length ?? 0,
    failed: r.outcomes.filter((o) => !o.ok).length,
  };
}
