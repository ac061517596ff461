/**
 * The asset CLI's composition root: parses the flags, finds the bucket and distribution (flags, else
 * the stack's outputs), builds the SDK clients and adapters, runs the sync and prints the summary.
 * Clients are built without explicit endpoints, so AWS_ENDPOINT_URL_S3 and kin apply.
 */

import { stat } from 'node:fs/promises';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { S3Client } from '@aws-sdk/client-s3';
import { contentType } from 'mime-types';
import { CloudFormationStackOutputs } from '../../adapters/cloudformation-stack-outputs.js';
import { CloudFrontInvalidator } from '../../adapters/cloudfront-invalidator.js';
import { S3AssetBucket } from '../../adapters/s3-asset-bucket.js';
import { lineReporter } from '../../assets/progress.js';
import { describeSummary } from '../../assets/report.js';
import { type SyncReporter, syncAssets } from '../../assets/sync.js';
import type { StackOutputs } from '../../domain/asset-ports.js';
import { NotFoundError } from '../../domain/errors.js';
import { usageLine } from '../program.js';
import { DEFAULT_REGION, INVOCATION, parseSyncOptions, type SyncCliOptions, UsageError } from './options.js';

/** serverless.yml's `service`: the stack of stage S is `fleet-pilot-S`. */
export const SERVICE = 'fleet-pilot';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** The progress display; defaults to plain lines on `out`. */
  reporter?: SyncReporter;
  /** The time deletion marks are taken at (default: the system clock). */
  now?: () => Date;
}

/** The SDK clients, from the options (tests pass their own). */
export interface CliClients {
  s3: S3Client;
  cloudFront: CloudFrontClient;
  stacks: StackOutputs;
}

/** The options with the region settled (see `resolveRegion`). */
export type ResolvedCliOptions = SyncCliOptions & { region: string };

/**
 * The region: the options' (flag or environment), else the SDK's own lookup (the AWS_PROFILE
 * profile's region in ~/.aws/config), else us-east-1.
 */
export async function resolveRegion(options: SyncCliOptions): Promise<string> {
  if (options.region !== undefined) return options.region;
  const probe = new S3Client({});
  try {
    return await probe.config.region();
  } catch {
    return DEFAULT_REGION;
  } finally {
    probe.destroy();
  }
}

export function awsClients(options: ResolvedCliOptions): CliClients {
  return {
    s3: new S3Client({
      region: options.region,
      // A bucket in another region answers with a redirect; the client retries there.
      followRegionRedirects: true,
      forcePathStyle: options.pathStyle,
      // Plain Content-MD5 and bodies: S3-compatible servers do not all speak flexible checksums.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
    // CloudFront is global; its API lives in us-east-1.
    cloudFront: new CloudFrontClient({ region: 'us-east-1' }),
    stacks: new CloudFormationStackOutputs(new CloudFormationClient({ region: options.region })),
  };
}

/**
 * The bucket and distribution: flags first, then the stack's outputs. With --bucket given the stack is
 * only asked for a distribution, and a stack it cannot read (no CloudFormation access) is `note`d and
 * leaves none, so the sync runs without the invalidation.
 * @throws Error naming the flag.
 */
export async function resolveTargets(
  options: ResolvedCliOptions,
  stacks: StackOutputs,
  note: (line: string) => void = () => {},
): Promise<{ bucket: string; distribution: string | undefined }> {
  if (options.bucket !== undefined && (options.distribution !== undefined || options.stage === undefined)) {
    return { bucket: options.bucket, distribution: options.distribution };
  }
  const stack = `${SERVICE}-${options.stage}`;
  let outputs: Record<string, string>;
  try {
    outputs = await stacks.outputs(stack);
  } catch (error) {
    if (options.bucket !== undefined) {
      const reason = error instanceof Error ? error.message : String(error);
      note(
        `--stage ${options.stage}: cannot read stack ${stack} (${reason}); using --bucket ${options.bucket}`,
      );
      return { bucket: options.bucket, distribution: undefined };
    }
    if (error instanceof NotFoundError) {
      throw new Error(
        `--stage ${options.stage}: unknown stage: no stack ${stack} in ${options.region} (deploy it, or pass --bucket and --distribution)`,
      );
    }
    throw error;
  }
  const bucket = options.bucket ?? outputs.CdnBucketName;
  if (bucket === undefined) {
    throw new Error(
      `--stage ${options.stage}: stack ${stack} has no CDN (add a cdn section to config/${options.stage}.json and deploy, or pass --bucket)`,
    );
  }
  return { bucket, distribution: options.distribution ?? outputs.CdnDistributionId };
}

/** The Content-Type of a key, from its name. */
export function contentTypeOf(key: string): string {
  return contentType(key.slice(key.lastIndexOf('/') + 1)) || 'application/octet-stream';
}

/**
 * Runs `npm run assets -- ARGS`.
 * @returns the exit code: 0 done, 1 failed, 2 bad flags.
 */
export async function runAssetsCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CliIo,
  makeClients: (options: ResolvedCliOptions) => CliClients = awsClients,
): Promise<number> {
  let options: SyncCliOptions | 'help';
  try {
    options = parseSyncOptions(argv, env, (text) => io.out(text.replace(/\n$/, '')));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(usageLine('assets', INVOCATION, error.message));
    return 2;
  }
  if (options === 'help') return 0;
  // Before any AWS call: a --dir that is not a directory is a bad flag, whatever the credentials.
  const found = await stat(options.dir).catch(() => undefined);
  if (found?.isDirectory() !== true) {
    const why = found === undefined ? 'no such file or directory' : 'not a directory';
    io.err(usageLine('assets', INVOCATION, `--dir ${options.dir}: ${why}`));
    return 2;
  }
  try {
    const resolved = { ...options, region: await resolveRegion(options) };
    const clients = makeClients(resolved);
    const { bucket, distribution } = await resolveTargets(resolved, clients.stacks, io.out);
    const summary = await syncAssets(options, {
      bucket: new S3AssetBucket(clients.s3, { bucket }),
      invalidator:
        distribution === undefined
          ? undefined
          : new CloudFrontInvalidator(clients.cloudFront, { distributionId: distribution }),
      contentType: contentTypeOf,
      reporter: io.reporter ?? lineReporter(io.out),
      now: io.now,
    });
    for (const line of describeSummary(summary)) io.out(line);
    return 0;
  } catch (error) {
    io.err(`assets: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
