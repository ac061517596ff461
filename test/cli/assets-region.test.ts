/**
 * The asset CLI's region: --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's region (the SDK's
 * own lookup), then us-east-1; and an S3 client that follows a bucket's region redirect.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awsClients, resolveRegion } from '../../cli/assets/command.js';
import { parseSyncOptions, type SyncCliOptions } from '../../cli/assets/options.js';

const savedEnv = { ...process.env };
let home: string;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'assets-region-'));
  for (const key of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) delete process.env[key];
  process.env.AWS_CONFIG_FILE = join(home, 'config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(home, 'credentials');
});

afterEach(async () => {
  process.env = { ...savedEnv };
  await rm(home, { recursive: true, force: true });
});

const options = (argv: string[], env: Record<string, string> = {}) =>
  parseSyncOptions(['sync', '--dir', 'public', '--bucket', 'assets', ...argv], env) as SyncCliOptions;

describe('the asset CLI region', () => {
  it.each([
    [['--region', 'eu-west-1'], { AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'ap-south-1' }, 'eu-west-1'],
    [[], { AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'ap-south-1' }, 'us-west-2'],
    [[], { AWS_DEFAULT_REGION: 'ap-south-1' }, 'ap-south-1'],
    [[], {}, undefined],
  ])('takes %j with %j as %s', (argv, env, region) => {
    expect(options(argv, env).region).toBe(region);
  });

  it("leaves the rest to the SDK's lookup: the profile's region, else us-east-1", async () => {
    expect(await resolveRegion(options([]))).toBe('us-east-1');
    // The SDK caches a config file by its path: the profile's file gets a path of its own.
    process.env.AWS_CONFIG_FILE = join(home, 'profiles');
    await writeFile(join(home, 'profiles'), '[profile ci]\nregion = ca-central-1\n');
    process.env.AWS_PROFILE = 'ci';
    expect(await resolveRegion(options([]))).toBe('ca-central-1');
    expect(await resolveRegion(options(['--region', 'eu-west-1']))).toBe('eu-west-1');
  });

  it("follows S3's redirect to the bucket's region", () => {
    const clients = awsClients({ ...options([]), region: 'us-east-1' });
    expect(clients.s3.config.followRegionRedirects).toBe(true);
  });
});
