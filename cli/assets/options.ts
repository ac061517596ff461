/** The asset CLI's command line: `sync` and its flags, defaults and the errors a bad flag gets. */
import { type Command, InvalidArgumentError } from 'commander';
import { createProgram, parseProgram, UsageError } from '../program.js';
import { nonEmpty, numberIn } from '../values.js';

export { UsageError };

export interface SyncCliOptions {
  stage: string | undefined;
  dir: string;
  delete: boolean;
  dryRun: boolean;
  bucket: string | undefined;
  distribution: string | undefined;
  concurrency: number;
  /** --region, else AWS_REGION, else AWS_DEFAULT_REGION; undefined leaves it to the SDK (the profile's). */
  region: string | undefined;
  pathStyle: boolean;
  /** With --delete: go on although more than --max-delete-share of the objects are gone. */
  force: boolean;
  /** With --delete: the largest percentage of the bucket's objects that may be gone from DIR. */
  maxDeletePercent: number;
  /** With --delete: hours from marking an object to deleting it. */
  graceHours: number;
}

export const DEFAULT_CONCURRENCY = 8;
/** More than half the bucket gone from DIR looks like a wrong --dir, not a release. */
export const DEFAULT_MAX_DELETE_PERCENT = 50;
/** Two days: pages of the previous release stay in browsers' and proxies' caches for a while. */
export const DEFAULT_GRACE_HOURS = 48;
/** A year: a grace longer than that is no deletion at all. */
const MAX_GRACE_HOURS = 8760;
/** The region when no flag, variable or profile names one (serverless.yml's default). */
export const DEFAULT_REGION = 'us-east-1';

export const INVOCATION = 'npm run assets --';

interface SyncFlags {
  stage?: string;
  dir?: string;
  delete?: boolean;
  dryRun?: boolean;
  bucket?: string;
  distribution?: string;
  concurrency: number;
  region?: string;
  pathStyle?: boolean;
  force?: boolean;
  maxDeleteShare: number;
  graceHours: number;
}

export function assetsProgram(onSync: (flags: SyncFlags) => void): Command {
  const program = createProgram(
    INVOCATION,
    "Publishes the app's static files to the stage's CDN bucket.",
  ).usage('sync --stage STAGE --dir DIR [options]');
  program
    .command('sync')
    .description(
      'Uploads the files of DIR that changed to the CDN bucket, then invalidates the changed plain (not fingerprinted) names on its CloudFront distribution. The bucket and the distribution come from the outputs of the stack fleet-pilot-STAGE.',
    )
    .option('--stage <stage>', 'the deployed stage (stack fleet-pilot-STAGE), e.g. prod', stageName)
    .option('--dir <dir>', "the app's public directory, e.g. ../app/public", nonEmpty('a directory'))
    .option(
      '--delete',
      'mark objects no longer in DIR for deletion, and delete those marked at least --grace-hours ago (after the uploads); an object back in DIR is un-marked; without --delete they are listed',
    )
    .option(
      '--grace-hours <h>',
      `with --delete: hours from marking an object to deleting it; 0 deletes at once`,
      numberIn({ min: 0, max: MAX_GRACE_HOURS }),
      DEFAULT_GRACE_HOURS,
    )
    .option(
      '--max-delete-share <p>',
      "with --delete: refuse, changing nothing, when more than P percent of the bucket's objects are not in DIR (a wrong --dir)",
      numberIn({ min: 0, max: 100 }),
      DEFAULT_MAX_DELETE_PERCENT,
    )
    .option('--force', 'with --delete: go on above --max-delete-share')
    .option('--dry-run', 'show what would be uploaded, marked, deleted and invalidated; change nothing')
    .option(
      '--bucket <name>',
      "the bucket, instead of the stack's CdnBucketName output",
      nonEmpty('a bucket name'),
    )
    .option(
      '--distribution <id>',
      "the distribution, instead of the stack's CdnDistributionId output",
      nonEmpty('a distribution id'),
    )
    .option(
      '--concurrency <n>',
      'uploads at once',
      numberIn({ min: 1, max: 64, integer: true }),
      DEFAULT_CONCURRENCY,
    )
    .option(
      '--region <region>',
      `the stack's region (default: AWS_REGION, AWS_DEFAULT_REGION, the AWS_PROFILE profile's region, else ${DEFAULT_REGION}); S3 follows a bucket's region redirect`,
      nonEmpty('a region'),
    )
    .option('--path-style', 'path-style S3 URLs (for S3-compatible servers; also ASSETS_S3_PATH_STYLE=1)')
    .addHelpText(
      'after',
      [
        '',
        'Credentials and endpoints come from the usual AWS settings',
        '(AWS_PROFILE, AWS_ENDPOINT_URL_S3, ...).',
        'An empty DIR (nothing but names starting with a dot) is refused.',
        'Exit codes: 0 done, 1 failed or refused (a rerun completes the work),',
        '2 bad flags.',
      ].join('\n'),
    )
    .action((flags: SyncFlags) => onSync(flags));
  return program;
}

/**
 * Parses `sync` and its flags; help text goes to `write`. `env` supplies AWS_REGION,
 * AWS_DEFAULT_REGION and ASSETS_S3_PATH_STYLE.
 * @returns the options, or `'help'`.
 * @throws UsageError naming the flag and what was expected.
 */
export function parseSyncOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  write?: (text: string) => void,
): SyncCliOptions | 'help' {
  let flags: SyncFlags | undefined;
  const program = assetsProgram((f) => {
    flags = f;
  });
  if (parseProgram(program, argv, write) === 'help' || flags === undefined) return 'help';
  const values = flags;
  if (values.dir === undefined) throw new UsageError('--dir is required');
  if (values.stage === undefined && values.bucket === undefined) {
    throw new UsageError('--stage is required (or give --bucket, and --distribution to invalidate)');
  }
  const sync = program.commands[0];
  if (values.delete !== true && sync !== undefined) {
    const stray = (['force', 'maxDeleteShare', 'graceHours'] as const).find(
      (f) => sync.getOptionValueSource(f) === 'cli',
    );
    const flag = { force: '--force', maxDeleteShare: '--max-delete-share', graceHours: '--grace-hours' };
    if (stray !== undefined) throw new UsageError(`${flag[stray]}: only with --delete`);
  }
  return {
    stage: values.stage,
    dir: values.dir,
    delete: values.delete === true,
    dryRun: values.dryRun === true,
    bucket: values.bucket,
    distribution: values.distribution,
    concurrency: values.concurrency,
    region: values.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined),
    pathStyle: values.pathStyle === true || env.ASSETS_S3_PATH_STYLE === '1',
    force: values.force === true,
    maxDeletePercent: values.maxDeleteShare,
    graceHours: values.graceHours,
  };
}

function stageName(raw: string): string {
  if (!/^[A-Za-z0-9-]{1,32}$/.test(raw))
    throw new InvalidArgumentError('expected letters, digits and dashes');
  return raw;
}
