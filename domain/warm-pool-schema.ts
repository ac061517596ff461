/**
 * The warm pool's settings (`roles.<role>.warmPool`) and the checks that need the rest of the role:
 * hibernation only on instance types that support it, with an encrypted root volume, and window
 * pool sizes only on a role that has a pool. Its decisions live in warm-pool.ts.
 */
import { z } from 'zod';

export const POOL_WAIT_STATES = ['stopped', 'hibernated'] as const;

export const WarmPoolSchema = z
  .object({
    /** Warm servers kept ready (stopped, deployed, passed readiness); schedule windows may set their own. */
    size: z.number().int().min(0).max(1000),
    /** How they wait: `stopped`, or `hibernated` (memory kept on the encrypted root volume). */
    state: z.enum(POOL_WAIT_STATES).default('stopped'),
    /** A warm server older than this (from its launch) is replaced. */
    maxAgeHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 365)
      .default(168),
    /** A drained server goes back to the pool (stopped) while the pool is below its size. */
    returnOnScaleIn: z.boolean().default(true),
    /** Stale warm servers replaced per converge at most: a refresh never empties the pool. */
    refreshPerTick: z.number().int().min(1).max(100).default(2),
    /**
     * The servers' root volume is encrypted (by the AMI's snapshot, the launch template or the
     * account's EBS encryption by default): hibernation needs it, and fleet-pilot cannot see it.
     */
    rootVolumeEncrypted: z.boolean().default(false),
    /** A label of the release the servers deploy (a tag, a build id): warm servers of another are replaced. */
    release: z
      .string()
      .regex(/^[A-Za-z0-9._:@/+-]{1,128}$/, 'expected a release label: 1-128 letters, digits and ._:@/+-')
      .optional(),
  })
  .strict();

export type WarmPoolConfig = z.infer<typeof WarmPoolSchema>;

/**
 * Instance families that can hibernate (EC2 User Guide, "Prerequisites for EC2 instance
 * hibernation"), each with its memory per vCPU in GiB: hibernation also needs less than 150 GiB.
 */
const HIBERNATING_FAMILIES: Readonly<Record<string, number>> = {
  c3: 1.875,
  c4: 1.875,
  c5: 2,
  c5a: 2,
  c5d: 2,
  c6a: 2,
  c6g: 2,
  c6gd: 2,
  c6gn: 2,
  c6i: 2,
  c6id: 2,
  c6in: 2,
  c7a: 2,
  c7g: 2,
  c7gd: 2,
  c7i: 2,
  'c7i-flex': 2,
  i3: 7.625,
  i3en: 8,
  i4i: 8,
  m3: 3.75,
  m4: 4,
  m5: 4,
  m5a: 4,
  m5ad: 4,
  m5d: 4,
  m5dn: 4,
  m5n: 4,
  m5zn: 4,
  m6a: 4,
  m6g: 4,
  m6gd: 4,
  m6i: 4,
  m6id: 4,
  m6idn: 4,
  m6in: 4,
  m7a: 4,
  m7g: 4,
  m7gd: 4,
  m7i: 4,
  'm7i-flex': 4,
  r3: 7.625,
  r4: 7.625,
  r5: 8,
  r5a: 8,
  r5ad: 8,
  r5b: 8,
  r5d: 8,
  r5dn: 8,
  r5n: 8,
  r6a: 8,
  r6g: 8,
  r6gd: 8,
  r6i: 8,
  r6id: 8,
  r6idn: 8,
  r6in: 8,
  r7a: 8,
  r7g: 8,
  r7gd: 8,
  r7i: 8,
  r7iz: 8,
  t2: 4,
  t3: 4,
  t3a: 4,
  t4g: 4,
};

const MAX_HIBERNATION_GIB = 150;

/** vCPUs of an instance size (`large` 2, `xlarge` 4, `8xlarge` 32); `metal` and unknown: undefined. */
function sizeVcpus(size: string): number | undefined {
  if (['nano', 'micro', 'small', 'medium'].includes(size)) return 2;
  if (size === 'large') return 2;
  if (size === 'xlarge') return 4;
  const n = /^(\d+)xlarge$/.exec(size)?.[1];
  return n === undefined ? undefined : Number(n) * 4;
}

/** Why `instanceType` cannot hibernate, or undefined when it can. */
export function hibernationProblem(instanceType: string): string | undefined {
  const [family = '', size = ''] = instanceType.split('.');
  const perVcpu = HIBERNATING_FAMILIES[family];
  if (perVcpu === undefined) return `${instanceType}: the ${family} family cannot hibernate`;
  const vcpus = sizeVcpus(size);
  if (vcpus === undefined) return `${instanceType}: ${size} instances cannot hibernate`;
  if (vcpus * perVcpu >= MAX_HIBERNATION_GIB) {
    return `${instanceType}: hibernation needs less than ${MAX_HIBERNATION_GIB} GiB of memory`;
  }
  return undefined;
}

/** What the config check of a role's pool needs to see of the role. */
export interface PoolRoleView {
  warmPool?: WarmPoolConfig | undefined;
  launch: { instanceTypes: readonly string[] };
  schedule: { windows: readonly { warmPool?: number | undefined }[] };
}

/** Every problem of a role's pool settings, as `{ path, message }` relative to the role. */
export function warmPoolIssues(role: PoolRoleView): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  role.schedule.windows.forEach((window, i) => {
    if (window.warmPool !== undefined && role.warmPool === undefined) {
      issues.push({
        path: ['schedule', 'windows', i, 'warmPool'],
        message:
          'expected the role to have a warmPool: a window sizes the pool of a role that has one (to turn the pool off, leave warmPool out of every window: set schedule.windows, [] or your own)',
      });
    }
  });
  const pool = role.warmPool;
  if (pool?.state !== 'hibernated') return issues;
  const problems = role.launch.instanceTypes.flatMap((t) => hibernationProblem(t) ?? []);
  if (problems.length > 0) {
    issues.push({
      path: ['warmPool', 'state'],
      message: `hibernated needs instance types that can hibernate (${problems.join('; ')}): use "stopped" or other launch.instanceTypes`,
    });
  }
  if (!pool.rootVolumeEncrypted) {
    issues.push({
      path: ['warmPool', 'state'],
      message:
        'hibernated needs an encrypted root volume (the memory is written to it): encrypt it (AMI snapshot, launch template or EBS encryption by default) and set warmPool.rootVolumeEncrypted to true, or use "stopped"',
    });
  }
  return issues;
}
