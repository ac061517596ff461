/** The asset CLI's command line: `sync` and its flags, defaults and the errors a bad flag gets. */
import { parseArgs } from 'node:util';
import { numberFlag, UsageError } from '../flags.js';

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

export const USAGE = `usage: npm run assets -- sync --stage STAGE --dir DIR [options]

Uploads the files of DIR that changed to the stage's CDN bucket, then invalidates the changed
plain (not fingerprinted) names on its CloudFront distribution. The bucket and the distribution
come from the outputs of the stack fleet-pilot-STAGE.

  --stage STAGE        the deployed stage (stack fleet-pilot-STAGE), e.g. prod
  --dir DIR            the app's public directory, e.g. ../app/public
  --delete             mark objects no longer in DIR for deletion, and delete those marked at least
                       --grace-hours ago (after the uploads); an object back in DIR is un-marked;
                       without --delete they are listed
  --grace-hours H      with --delete: hours from marking an object to deleting it, 0-${MAX_GRACE_HOURS}
                       (default ${DEFAULT_GRACE_HOURS}); 0 deletes at once
  --max-delete-share P with --delete: refuse, changing nothing, when more than P percent of the
                       bucket's objects are not in DIR (default ${DEFAULT_MAX_DELETE_PERCENT}): a wrong --dir
  --force              with --delete: go on above --max-delete-share
  --dry-run            show what would be uploaded, marked, deleted and invalidated; change nothing
  --bucket NAME        the bucket, instead of the stack's CdnBucketName output
  --distribution ID    the distribution, instead of the stack's CdnDistributionId output
  --concurrency N      uploads at once, 1-64 (default ${DEFAULT_CONCURRENCY})
  --region REGION      the stack's region (default: AWS_REGION, AWS_DEFAULT_REGION, the AWS_PROFILE
                       profile's region, else ${DEFAULT_REGION}); S3 follows a bucket's region redirect
  --path-style         path-style S3 URLs (for S3-compatible servers; also ASSETS_S3_PATH_STYLE=1)
  -h, --help           this text

Credentials and endpoints come from the usual AWS settings (AWS_PROFILE, AWS_ENDPOINT_URL_S3, ...).
An empty DIR (nothing but names starting with a dot) is refused.
Exit codes: 0 done, 1 failed or refused (a rerun completes the work), 2 bad flags.`;

/**
 * Parses `sync` and its flags. `env` supplies AWS_REGION, AWS_DEFAULT_REGION and ASSETS_S3_PATH_STYLE.
 * @returns the options, or `'help'`.
 * @throws UsageError naming the flag and what was expected.
 */
export function parseSyncOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): SyncCliOptions | 'help' {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help === true) return 'help';
  const [command, ...extra] = positionals;
  if (command === undefined) throw new UsageError('expected a command: sync');
  if (command !== 'sync') throw new UsageError(`unknown command "${command}" (expected: sync)`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (values.dir === undefined || values.dir === '') throw new UsageError('--dir is required');
  if (values.stage !== undefined && !/^[A-Za-z0-9-]{1,32}$/.test(values.stage)) {
    throw new UsageError(`--stage "${values.stage}": expected letters, digits and dashes`);
  }
  if (values.stage === undefined && values.bucket === undefined) {
    throw new UsageError('--stage is required (or give --bucket, and --distribution to invalidate)');
  }
  if (values.delete !== true) {
    const stray = (['force', 'max-delete-share', 'grace-hours'] as const).find(
      (f) => values[f] !== undefined,
    );
    if (stray !== undefined) throw new UsageError(`--${stray}: only with --delete`);
  }
  return {
    stage: values.stage,
    dir: values.dir,
    delete: values.delete === true,
    dryRun: values['dry-run'] === true,
    bucket: nonEmpty('--bucket', values.bucket),
    distribution: nonEmpty('--distribution', values.distribution),
    concurrency: numberFlag('--concurrency', values.concurrency, DEFAULT_CONCURRENCY, {
      min: 1,
      max: 64,
      integer: true,
    }),
    region: nonEmpty('--region', values.region) ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined),
    pathStyle: values['path-style'] === true || env.ASSETS_S3_PATH_STYLE === '1',
    force: values.force === true,
    maxDeletePercent: numberFlag(
      '--max-delete-share',
      values['max-delete-share'],
      DEFAULT_MAX_DELETE_PERCENT,
      { min: 0, max: 100 },
    ),
    graceHours: numberFlag('--grace-hours', values['grace-hours'], DEFAULT_GRACE_HOURS, {
      min: 0,
      max: MAX_GRACE_HOURS,
    }),
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      stage: { type: 'string' },
      dir: { type: 'string' },
      delete: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      bucket: { type: 'string' },
      distribution: { type: 'string' },
      concurrency: { type: 'string' },
      region: { type: 'string' },
      'path-style': { type: 'boolean' },
      force: { type: 'boolean' },
      'max-delete-share': { type: 'string' },
      'grace-hours': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function nonEmpty(flag: string, value: string | undefined): string | undefined {
  if (value === '') throw new UsageError(`${flag}: expected a value`);
  return value;
}
