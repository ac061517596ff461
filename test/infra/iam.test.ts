/**
 * The functions' IAM statements for configs other than config/dev.json (the packaged template is
 * checked in template.test.ts): every EC2 resource, instance type and key they allow is one the
 * config names.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { shippedConfig, testConfig } from '../../fakes/config.js';
import { iamStatements, type Statement } from '../../infra/iam.js';

const STACK = 'fleet-pilot-test';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/servers';
const TEMPLATE = { id: 'lt-0123456789abcdef0', version: '$Latest' };

/** The statements for the test config with `launch` merged over both roles' launch settings. */
function statementsFor(launch: Record<string, unknown>): Statement[] {
  return iamStatements(testConfig({ roles: { app: { launch }, job: { launch } } }), STACK);
}

const actions = (s: Statement) => [s.Action].flat();
const withAction = (list: Statement[], action: string) => list.filter((s) => actions(s).includes(action));

describe('PassRole', () => {
  it('names the role behind a launch template', () => {
    const pass = withAction(
      statementsFor({
        launchTemplate: TEMPLATE,
        instanceRoleArn: ROLE_ARN,
        iamInstanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/servers',
      }),
      'iam:PassRole',
    );
    expect(pass.map((s) => s.Resource)).toEqual([[ROLE_ARN]]);
  });

  it('names no role when the launch template brings none', () => {
    const pass = withAction(
      statementsFor({ launchTemplate: TEMPLATE, instanceRoleArn: 'none' }),
      'iam:PassRole',
    );
    expect(JSON.stringify(pass)).not.toContain('none"');
    expect(pass.map((s) => s.Resource)).toEqual([
      ['arn:aws:iam::000000000000:role/fleet-pilot-no-instance-role'],
    ]);
  });
});

/** The RunInstances statements whose resources mention `fragment`. */
const runOn = (list: Statement[], fragment: string) =>
  withAction(list, 'ec2:RunInstances').filter((s) => JSON.stringify(s.Resource).includes(fragment));
/** An EC2 ARN of the stack's account and region, as Fn::Sub. */
const arn = (type: string, id: string) => ({
  'Fn::Sub': `arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:${type}/${id}`,
});
const TEMPLATE_ARN = arn('launch-template', 'lt-0123456789abcdef0');

describe('RunInstances with a launch template', () => {
  const statements = iamStatements(
    testConfig({
      roles: {
        app: { launch: { imageId: null, launchTemplate: TEMPLATE, instanceRoleArn: 'none' } },
        job: { launch: { imageId: 'ami-0123456789abcdef0' } },
      },
    }),
    STACK,
  );

  it("allows any image only as the configured template's own", () => {
    const anyImage = runOn(statements, 'image/*');
    expect(anyImage.length).toBeGreaterThan(0);
    for (const s of anyImage) {
      expect(s.Condition?.ArnEquals?.['ec2:LaunchTemplate']).toEqual([TEMPLATE_ARN]);
      expect(s.Condition?.Bool?.['ec2:IsLaunchTemplateResource']).toBe('true');
    }
  });

  it("allows a template's own subnets, security groups and key pair only through that template", () => {
    for (const type of ['subnet', 'security-group', 'key-pair']) {
      const any = runOn(statements, `${type}/*`);
      expect(any, type).toHaveLength(1);
      expect(any[0]?.Condition?.ArnEquals?.['ec2:LaunchTemplate']).toEqual([TEMPLATE_ARN]);
      expect(any[0]?.Condition?.Bool?.['ec2:IsLaunchTemplateResource']).toBe('true');
    }
  });

  it('allows the configured AMI of a role without a template, and only the configured template', () => {
    expect(runOn(statements, 'image/ami-0123456789abcdef0')).toHaveLength(1);
    const templates = runOn(statements, 'launch-template/');
    expect(JSON.stringify(templates)).toContain('launch-template/lt-0123456789abcdef0');
    expect(JSON.stringify(templates)).not.toContain('launch-template/*');
  });
});

describe('KMS keys for encrypted EBS volumes', () => {
  const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const kms = (list: Statement[]) => list.filter((s) => actions(s).some((a) => a.startsWith('kms:')));

  it('grants nothing on KMS when no key is configured', () => {
    expect(kms(statementsFor({}))).toEqual([]);
  });

  it('lets EC2 use the configured keys for the volumes it creates, and create grants only for itself', () => {
    const statements = kms(statementsFor({ kmsKeyArns: [KEY] }));
    const grant = statements.filter((s) => actions(s).includes('kms:CreateGrant'));
    expect(grant).toHaveLength(1);
    expect(actions(grant[0] as Statement)).toEqual(['kms:CreateGrant']);
    expect(grant[0]?.Condition?.Bool?.['kms:GrantIsForAWSResource']).toBe('true');
    expect(statements.flatMap(actions).sort()).toEqual([
      'kms:CreateGrant',
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:GenerateDataKeyWithoutPlaintext',
      'kms:ReEncryptFrom',
      'kms:ReEncryptTo',
    ]);
    for (const s of statements) {
      expect(s.Resource).toEqual([KEY]);
      expect(s.Condition?.StringEquals?.['kms:ViaService']).toEqual({
        'Fn::Sub': `ec2.\${AWS::Region}.amazonaws.com`,
      });
    }
  });
});

describe('the warm pool', () => {
  const poolStatements = (pool: unknown) =>
    iamStatements(testConfig({ roles: { job: { warmPool: pool } } }), STACK);

  it('allows StartInstances and StopInstances only on instances tagged for this stack', () => {
    const startStop = withAction(poolStatements({ size: 2 }), 'ec2:StartInstances');
    expect(startStop).toEqual([
      {
        Sid: 'StartStopOwnInstances',
        Effect: 'Allow',
        Action: ['ec2:StartInstances', 'ec2:StopInstances'],
        Resource: arn('instance', '*'),
        Condition: { StringEquals: { 'ec2:ResourceTag/fleet-pilot:stack': STACK } },
      },
    ]);
  });

  it('grants them for the shipped job role, whose pool is on by default, still only on owned instances', () => {
    const startStop = withAction(iamStatements(shippedConfig(), STACK), 'ec2:StartInstances');
    expect(startStop).toHaveLength(1);
    expect(startStop[0]?.Action).toEqual(['ec2:StartInstances', 'ec2:StopInstances']);
    expect(startStop[0]?.Condition).toEqual({
      StringEquals: { 'ec2:ResourceTag/fleet-pilot:stack': STACK },
    });
  });

  it('grants neither with the pool turned off (config/presets/no-pool.json)', () => {
    const noPool = JSON.parse(
      readFileSync(new URL('../../config/presets/no-pool.json', import.meta.url), 'utf8'),
    );
    for (const config of [shippedConfig(noPool), testConfig({ roles: { job: { warmPool: null } } })]) {
      const statements = iamStatements(config, STACK);
      expect(withAction(statements, 'ec2:StartInstances')).toEqual([]);
      expect(withAction(statements, 'ec2:StopInstances')).toEqual([]);
    }
  });
});
