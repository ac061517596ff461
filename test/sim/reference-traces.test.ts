import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { defaultRole, simulate } from '../../sim/index.js';
import { boundRole } from '../../sim/policies.js';
import { formatTrace, parseTrace } from '../../sim/trace.js';
import { REFERENCE_TRACES, TRACES_DIR, traceStartAt } from '../../sim/traces/make-traces.js';

const DAY_S = 86_400;
/** The traces meant to saturate the role (bursts larger than 3 servers clear quickly). */
const SATURATING = new Set(['month-end-payroll', 'flash-burst']);

describe('reference traces', () => {
  it('has at least six, each a day or longer, and the committed files are what the generator makes', async () => {
    const names = Object.keys(REFERENCE_TRACES);
    expect(names.length).toBeGreaterThanOrEqual(6);
    for (const [name, make] of Object.entries(REFERENCE_TRACES)) {
      const jobs = make();
      const committed = await readFile(join(TRACES_DIR, `${name}.csv`), 'utf8');
      expect(committed, `${name}.csv is stale: run npm run traces`).toBe(formatTrace(jobs));
      expect(parseTrace(committed, name).at(-1)?.arrivalS ?? 0).toBeGreaterThan(0.75 * DAY_S);
    }
  });

  it('each starts at local midnight of the day its workload describes: the weekend on a Saturday, the others on a Monday', () => {
    const zone = defaultRole().schedule.timeZone;
    const days = Object.keys(REFERENCE_TRACES).map((name) => {
      const start = DateTime.fromMillis(traceStartAt(name), { zone });
      expect(start.toFormat('HH:mm:ss'), name).toBe('00:00:00');
      return [name, start.toFormat('ccc')];
    });
    expect(Object.fromEntries(days)).toEqual({
      'steady-weekday': 'Mon',
      'diurnal-peaks': 'Mon',
      'month-end-payroll': 'Mon',
      'flash-burst': 'Mon',
      'quiet-weekend': 'Sat',
      'noisy-3-day': 'Mon',
      'trickle-day': 'Mon',
    });
  });

  it.each(Object.keys(REFERENCE_TRACES).filter((n) => !SATURATING.has(n)))(
    '%s does not saturate the job role: at its ceiling all day p95 wait is under 0.4x the 2010 rule',
    async (name) => {
      const jobs = REFERENCE_TRACES[name as keyof typeof REFERENCE_TRACES]();
      const bound = await simulate({ jobs, policy: 'default', role: boundRole(defaultRole()) });
      const seed = await simulate({ jobs, policy: 'seed-2010' });
      expect(bound.summary.waitP95S).toBeLessThan(0.4 * seed.summary.waitP95S);
    },
  );
});
