/**
 * The periodic tick (1 minute by default): probe each queue, record the sample, converge every
 * role. With a sub-minute probe interval (`queue.everySeconds`) one invocation runs that many
 * rounds, `everySeconds` apart from its start, so a burst is seen within seconds, not a minute.
 * Fails (so the invocation is retried, then sent to the DLQ) when any role failed in any round.
 */
import type { Config } from '../domain/config.js';
import { FleetError } from '../domain/errors.js';
import { type App, awsApp } from './app.js';
import { wrap } from './middleware.js';

const MINUTE_S = 60;

/** Rounds per one-minute tick and the time between them: from the most frequent sub-minute probe. */
export function tickRounds(config: Config): { rounds: number; everyMs: number } {
  const every = Math.min(
    MINUTE_S,
    ...Object.values(config.roles).map((r) => r.queue?.intervalSeconds ?? MINUTE_S),
  );
  return { rounds: Math.max(1, Math.floor(MINUTE_S / every)), everyMs: every * 1000 };
}

export async function runQueueProbe(_event: unknown, app: App = awsApp()) {
  const { rounds, everyMs } = tickRounds(app.config);
  const start = app.clock.now();
  let roles: {
    role: string;
    skipped: string | null;
    desired: number | null;
    actions: number;
    failed: number;
  }[] = [];
  const failures: string[] = [];
  for (let round = 0; round < rounds; round += 1) {
    if (round > 0) await app.wait(start + round * everyMs - app.clock.now());
    const label = rounds > 1 ? ` in round ${round + 1} of ${rounds}` : '';
    let ticked: Awaited<ReturnType<App['fleet']['tick']>>;
    try {
      ticked = await app.fleet.tick('tick');
    } catch (error) {
      // A round that could not run (EC2 listing refused) must not cost the minute its other rounds.
      if (rounds === 1) throw error;
      failures.push(`every role (${error instanceof Error ? error.message : String(error)})${label}`);
      continue;
    }
    const { results, errors } = ticked;
    roles = results.map((r) => ({
      role: r.role,
      skipped: r.skipped ?? null,
      desired: r.plan?.desired.count ?? null,
      actions: r.plan?.actions.length ?? 0,
      failed: r.outcomes.filter((o) => !o.ok).length,
    }));
    failures.push(...errors.map((e) => `${e.role} (${e.error})${label}`));
  }
  if (failures.length > 0) throw new FleetError(`tick failed for ${failures.join(', ')}`);
  // The last round's roles; with several rounds, how many ran.
  return rounds === 1 ? { roles } : { roles, rounds };
}

export const handler = wrap(runQueueProbe);
