/**
 * The 2010 cron script, hand-coded (not the planner): the baseline every policy is measured
 * against. As intended, with the `-le 2` and `wc -l` bugs fixed: every 5 minutes, launch one
 * server while more than 20 jobs wait and fewer than 2 extra servers exist (booting or running);
 * retire the newest extra when fewer than 5 wait and it has run over 45 minutes, terminating it at
 * once (its running jobs are cut off and run again). Its permanent servers are the role's schedule
 * floor at the trace start (the 2010 job role had no schedule). Its numbers are fixed: it is the
 * baseline, not a configurable policy.
 */

import type { RoleConfig } from '../domain/config.js';
import { scheduleFloor } from '../domain/schedule.js';
import type { Controller, ControllerCounters } from './controller.js';
import type { JobModel } from './model.js';

const SEED = {
  probeEveryS: 300,
  scaleOutAbove: 20,
  scaleInBelow: 5,
  maxExtra: 2,
  minLifetimeS: 45 * 60,
} as const;

const MINUTE_MS = 60_000;

export class Seed2010 implements Controller {
  readonly everyMs = SEED.probeEveryS * 1000;
  readonly permanent: number;
  readonly maxServers: number;
  readonly counters: ControllerCounters = { launches: 0, retirements: 0, failedBoots: 0 };
  desired: number;

  constructor(
    private readonly model: JobModel,
    role: RoleConfig,
    startAt: number,
    private readonly nextDelay: () => number,
  ) {
    this.permanent = scheduleFloor(role.schedule, startAt).servers;
    this.maxServers = this.permanent + SEED.maxExtra;
    this.desired = this.permanent;
  }

  async start(): Promise<void> {
    for (let i = 0; i < this.permanent; i += 1) {
      this.model.addServer({ launchMs: 0, healthyMs: 0, extra: false });
    }
  }

  floor(): number {
    return this.permanent;
  }

  async tick(): Promise<void> {
    const model = this.model;
    const now = model.now;
    const waiting = model.waiting;
    const extras = model.liveServers.filter((s) => s.extra);
    if (waiting > SEED.scaleOutAbove && extras.length < SEED.maxExtra) {
      this.counters.launches += 1;
      model.addServer(
        { launchMs: now, healthyMs: now + this.nextDelay(), extra: true },
        `seed-2010: queue ${waiting} > ${SEED.scaleOutAbove}, ${extras.length} extra`,
      );
    } else if (waiting < SEED.scaleInBelow) {
      const newest = extras.at(-1);
      if (newest !== undefined && now - newest.launchMs > SEED.minLifetimeS * 1000) {
        this.counters.retirements += 1;
        model.note(
          'retire',
          newest,
          `seed-2010: queue ${waiting} < ${SEED.scaleInBelow}, newest extra up ${Math.floor((now - newest.launchMs) / MINUTE_MS)} min`,
        );
        model.cutAndEnd(newest, 'terminated at once (2010 script)');
      }
    }
    this.desired = this.permanent + model.liveServers.filter((s) => s.extra).length;
  }
}
