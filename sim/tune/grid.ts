/**
 * The tuner's search space, in two stages. First every demand-policy family with its own knobs,
 * each crossed with the job role's minimum lifetime and scale-in stabilization. Then, around the
 * best of those (or the current config, when it does better), the settings that act on every
 * policy alike: how often the queue is probed and, for the drain-time policy, how small a backlog
 * the running servers are left to clear; and the warm pool's size. A candidate is plain data, so it can be posted to a
 * worker thread and written into recommended.json as it is.
 */
import type { PolicyConfig } from '../../domain/config.js';

export interface Candidate {
  /** Short stable name, e.g. `drain-time t60 j90 life0 stab300`. */
  label: string;
  family: PolicyConfig['type'];
  policy: PolicyConfig;
  minLifetimeMinutes: number;
  /** Seconds between queue probes; absent: the role's own. */
  probeSeconds?: number;
  /** Warm servers kept all day (0: no pool; windows' pool sizes dropped); absent: the role's own pool. */
  warmPool?: number;
}

/** The knobs swept; `tiny` exists so tests can sweep in well under a second. */
export interface Grid {
  threshold: { scaleOutAbove: number[]; scaleInBelow: number[]; step: number[] };
  backlog: { targetPerServer: number[] };
  drainTime: { targetWaitSeconds: number[]; jobSeconds: number[] };
  minLifetimeMinutes: number[];
  stabilizationSeconds: number[];
  /** The second stage, around the best of the first. */
  refine: { probeSeconds: number[]; smallBacklogPerServer: number[]; warmPool?: number[] };
}

/** Probe intervals the tuner may recommend: every one a valid `queue` setting (everySeconds or one minute). */
export const PROBE_CHOICES = [15, 20, 30, 60] as const;

export const FULL_GRID: Grid = {
  threshold: { scaleOutAbove: [10, 20, 40], scaleInBelow: [2, 5], step: [1, 2] },
  backlog: { targetPerServer: [5, 10, 20, 40] },
  drainTime: { targetWaitSeconds: [30, 60, 120, 240, 480], jobSeconds: [60, 120] },
  minLifetimeMinutes: [0, 15, 45],
  stabilizationSeconds: [60, 300, 600],
  refine: { probeSeconds: [15, 30, 60], smallBacklogPerServer: [0, 1, 2, 3, 4, 6], warmPool: [0, 1, 2, 3] },
};

export const TINY_GRID: Grid = {
  threshold: { scaleOutAbove: [20], scaleInBelow: [5], step: [1] },
  backlog: { targetPerServer: [10] },
  drainTime: { targetWaitSeconds: [60, 240], jobSeconds: [90] },
  minLifetimeMinutes: [0, 45],
  stabilizationSeconds: [300],
  refine: { probeSeconds: [30, 60], smallBacklogPerServer: [0, 3], warmPool: [0, 2] },
};

/** Settings of the drain-time policy the tuner does not sweep. */
export const DRAIN_TIME_FIXED = {
  rateWindowSeconds: 300,
  defaultLaunchDelaySeconds: 300,
  smallBacklogPerServer: 3,
  poolStabilizationSeconds: 90,
  poolRestSeconds: 600,
} as const;

/** Every candidate of the grid, for a role whose queue may add `maxExtra` servers. */
export function candidates(grid: Grid, maxExtra: number): Candidate[] {
  const shapes: { label: string; policy: (stabilizationSeconds: number) => PolicyConfig }[] = [];
  for (const scaleOutAbove of grid.threshold.scaleOutAbove) {
    for (const scaleInBelow of grid.threshold.scaleInBelow.filter((below) => below <= scaleOutAbove)) {
      for (const step of grid.threshold.step) {
        shapes.push({
          label: `threshold >${scaleOutAbove} <${scaleInBelow} step${step}`,
          policy: (stabilizationSeconds) => ({
            type: 'threshold',
            scaleOutAbove,
            scaleInBelow,
            step,
            maxExtra,
            stabilizationSeconds,
          }),
        });
      }
    }
  }
  for (const targetPerServer of grid.backlog.targetPerServer) {
    shapes.push({
      label: `backlog ${targetPerServer}/server`,
      policy: (stabilizationSeconds) => ({
        type: 'backlog-per-server',
        targetPerServer,
        maxExtra,
        stabilizationSeconds,
      }),
    });
  }
  for (const targetWaitSeconds of grid.drainTime.targetWaitSeconds) {
    for (const jobSeconds of grid.drainTime.jobSeconds) {
      shapes.push({
        label: `drain-time t${targetWaitSeconds} j${jobSeconds}`,
        policy: (stabilizationSeconds) => ({
          type: 'drain-time',
          targetWaitSeconds,
          jobSeconds,
          maxExtra,
          stabilizationSeconds,
          ...DRAIN_TIME_FIXED,
        }),
      });
    }
  }
  const out: Candidate[] = [];
  for (const shape of shapes) {
    for (const minLifetimeMinutes of grid.minLifetimeMinutes) {
      for (const stabilizationSeconds of grid.stabilizationSeconds) {
        const policy = shape.policy(stabilizationSeconds);
        out.push({
          label: `${shape.label} life${minLifetimeMinutes} stab${stabilizationSeconds}`,
          family: policy.type,
          policy,
          minLifetimeMinutes,
        });
      }
    }
  }
  return out;
}

/**
 * The second stage: `best` with every probe interval and, for the drain-time policy, every
 * small-backlog threshold of the grid (`best` itself left out); then `best` with every warm pool
 * size of the grid, all day.
 */
export function refinements(best: Candidate, grid: Grid, roleProbeSeconds: number): Candidate[] {
  const base = best.probeSeconds ?? roleProbeSeconds;
  const smalls =
    best.policy.type === 'drain-time' ? grid.refine.smallBacklogPerServer : [undefined as number | undefined];
  const out: Candidate[] = [];
  for (const probeSeconds of grid.refine.probeSeconds) {
    for (const small of smalls) {
      const policy =
        best.policy.type === 'drain-time' && small !== undefined
          ? { ...best.policy, smallBacklogPerServer: small }
          : best.policy;
      const same =
        probeSeconds === base &&
        (policy.type !== 'drain-time' ||
          best.policy.type !== 'drain-time' ||
          (policy.smallBacklogPerServer ?? 0) === (best.policy.smallBacklogPerServer ?? 0));
      if (same) continue;
      const smallLabel = policy.type === 'drain-time' ? ` small${policy.smallBacklogPerServer ?? 0}` : '';
      out.push({
        label: `${stem(best.label)} probe${probeSeconds}${smallLabel}`,
        family: best.family,
        policy,
        minLifetimeMinutes: best.minLifetimeMinutes,
        probeSeconds,
      });
    }
  }
  for (const warmPool of grid.refine.warmPool ?? []) {
    if (warmPool === best.warmPool) continue;
    out.push({ ...best, label: `${stem(best.label)}${suffix(best)} pool${warmPool}`, warmPool });
  }
  return out;
}

/** The second stage's probe and small-backlog settings of a candidate, as its label has them. */
function suffix(candidate: Candidate): string {
  return / probe\d+( small\d+)?/.exec(candidate.label)?.[0] ?? '';
}

/** A label without the second stage's settings. */
function stem(label: string): string {
  return label.replace(/ probe\d+( small\d+)?( pool\d+)?$/, '').replace(/ pool\d+$/, '');
}
