/**
 * A config of many roles packages: the template builders of infra/ run on 12- and 50-role configs
 * (as `sls package` runs them), the config reaches the functions bundled into their code (no
 * environment-variable limit) and validates again there, and the template stays inside
 * CloudFormation's and IAM's limits.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../domain/config.js';
import { TEST_LAUNCH } from '../../fakes/config.js';
import { readEnvironment } from '../../handlers/app.js';

const require = createRequire(__filename);
type Ctx = { resolveVariable: (name: string) => Promise<string> };
type Builder = (ctx: Ctx) => Promise<unknown>;
const vars = require('../../infra/serverless-vars.cjs') as Record<string, Builder>;
const spot = require('../../infra/serverless-spot.cjs') as Record<string, Builder>;

/** Runs a builder of serverless-vars.cjs (or serverless-spot.cjs) as serverless would. */
function build(name: string, ctx: Ctx, module = vars): Promise<unknown> {
  const builder = module[name];
  if (builder === undefined) throw new Error(`no builder ${name}`);
  return builder(ctx);
}

/** CloudFormation's limit on resources per template. */
const MAX_RESOURCES = 500;
/** IAM's limit on the inline policies of one role, in characters without whitespace. */
const MAX_INLINE_POLICY_CHARS = 10_240;
/** IAM's limits on one customer-managed policy, and on those attached to one role (by default). */
const MAX_MANAGED_POLICY_CHARS = 6_144;
const MAX_MANAGED_POLICIES = 10;
/** CloudWatch's limit on the widgets of one dashboard. */
const MAX_DASHBOARD_WIDGETS = 500;

type ManagedPolicy = {
  Type: string;
  Properties: { Roles: unknown; PolicyDocument: { Statement: unknown[] } };
};

function manyRoles(n: number) {
  const roles: Record<string, unknown> = {};
  for (let i = 0; i < n; i += 1) {
    const queued = i % 2 === 1;
    roles[`role${String(i).padStart(2, '0')}`] = {
      ...(queued ? DEFAULT_CONFIG.roles.job : DEFAULT_CONFIG.roles.app),
      max: 5_000,
      launch: { ...TEST_LAUNCH, ...(queued ? { market: 'spot-then-on-demand', onDemandBase: 1 } : {}) },
      dbHost: 'db.internal',
      ...(queued
        ? { queue: { ...DEFAULT_CONFIG.roles.job.queue, url: `http://queue.internal/role${i}/queue/length` } }
        : { loadBalancer: { type: 'classic', name: `lb-role${i}` } }),
    };
  }
  return {
    lambdaVpc: { subnetIds: ['subnet-0123abcd'], securityGroupIds: ['sg-0123abcd'] },
    // The default app and job roles give way to the numbered ones.
    roles: { app: null, job: null, ...roles },
  };
}

let dir: string;
const previousDir = process.env.FLEET_CONFIG_DIR;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-config-'));
  process.env.FLEET_CONFIG_DIR = dir;
});

afterAll(() => {
  if (previousDir === undefined) delete process.env.FLEET_CONFIG_DIR;
  else process.env.FLEET_CONFIG_DIR = previousDir;
  rmSync(dir, { recursive: true, force: true });
});

describe.each([12, 50])('a config of %i roles', (n) => {
  const stage = `scale${n}`;
  const ctx: Ctx = {
    resolveVariable: async (name) => {
      if (name === 'sls:stage') return stage;
      if (name === 'self:service') return 'fleet-pilot';
      throw new Error(`unexpected variable ${name}`);
    },
  };
  beforeAll(() => writeFileSync(join(dir, `${stage}.json`), JSON.stringify(manyRoles(n))));

  it('is bundled whole into the functions and validated again at cold start, max 5,000 included', async () => {
    const define = (await build('bundledConfig', ctx)) as Record<string, string>;
    const literal = define.FLEET_BUNDLED_CONFIG ?? '';
    // Far past what the 4 KB environment could carry: the size is no longer the limit.
    expect(literal.length).toBeGreaterThan(4_096);
    const env = { FLEET_STACK: `fleet-pilot-${stage}`, FLEET_TABLE: 'ledger' };
    const { config } = readEnvironment(env, JSON.parse(literal));
    expect(Object.keys(config.roles)).toHaveLength(n);
    expect(config.roles.role00?.max).toBe(5_000);
  });

  it('builds every template part within CloudFormation and IAM limits', async () => {
    const parts = await Promise.all(
      ['scheduleResources', 'roleAlarms', 'cdnResources'].map(
        async (name) => ((await build(name, ctx)) as { Resources?: Record<string, unknown> }).Resources ?? {},
      ),
    );
    // The fixed resources of serverless.yml and the six functions' own (functions, log groups,
    // versions, rules, permissions): well under 80.
    const resources = parts.reduce((sum, r) => sum + Object.keys(r).length, 0) + 80;
    expect(resources).toBeLessThanOrEqual(MAX_RESOURCES);
    const role = (await build('functionRole', ctx)) as {
      IamRoleLambdaExecution: { Properties: { Policies: { PolicyDocument: { Statement: unknown[] } }[] } };
    };
    const [inline] = role.IamRoleLambdaExecution.Properties.Policies;
    expect(JSON.stringify(inline?.PolicyDocument).length).toBeLessThanOrEqual(MAX_INLINE_POLICY_CHARS);
    const managed = Object.values(
      ((await build('functionManagedPolicies', ctx)) as { Resources: Record<string, ManagedPolicy> })
        .Resources,
    );
    expect(managed.length).toBeLessThanOrEqual(MAX_MANAGED_POLICIES);
    for (const policy of managed) {
      expect(policy.Type).toBe('AWS::IAM::ManagedPolicy');
      expect(policy.Properties.Roles).toEqual([{ Ref: 'IamRoleLambdaExecution' }]);
      expect(JSON.stringify(policy.Properties.PolicyDocument).length).toBeLessThanOrEqual(
        MAX_MANAGED_POLICY_CHARS,
      );
    }
    // Every role keeps its own launch statement, inline or managed.
    const sids = [inline, ...managed.map((p) => p.Properties)]
      .flatMap((p) => (p?.PolicyDocument.Statement ?? []) as { Sid: string }[])
      .map((s) => s.Sid);
    expect(new Set(sids).size).toBe(sids.length);
    for (let i = 0; i < n; i += 1) expect(sids).toContain(`RunRole${String(i).padStart(2, '0')}Instances`);
    const dashboard = (await build('dashboardBody', ctx)) as { 'Fn::Sub': string };
    const widgets = JSON.parse(dashboard['Fn::Sub']).widgets as {
      properties: { title: string; metrics: string[][] };
    }[];
    // Two a role, one more for each role with a warm pool (the queued half), one for the tick rounds.
    expect(widgets).toHaveLength(2 * n + n / 2 + 1);
    expect(widgets.length).toBeLessThanOrEqual(MAX_DASHBOARD_WIDGETS);
    const named = (title: string) => widgets.find((w) => w.properties.title.startsWith(title));
    expect(named('role01: warm pool')?.properties.metrics.map((m) => m[1])).toEqual([
      'WarmPoolReady',
      'WarmPoolWarming',
      'WarmStartMs',
    ]);
    expect(named('role00: warm pool')).toBeUndefined();
    expect(named('tick rounds')?.properties.metrics.map((m) => [m[1], m[3]])).toContainEqual([
      'TickRoundsLate',
      '_stack',
    ]);
    expect(await build('tickRate', ctx)).toBe('rate(1 minute)');
    expect(await build('warningEvents', ctx, spot)).toHaveLength(1);
  });
});

it('refuses a stage without a config file, naming the file to create', async () => {
  const ctx: Ctx = {
    resolveVariable: async (name) => (name === 'sls:stage' ? 'nowhere' : 'fleet-pilot'),
  };
  await expect(build('bundledConfig', ctx)).rejects.toThrow(
    /no config for stage "nowhere": create .*nowhere\.json \(see docs\/configuration\.md\)/,
  );
});
