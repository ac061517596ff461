/**
 * The functions' IAM statements for configs other than config/dev.json (the packaged template is
 * checked in template.test.ts): every EC2 resource, instance type and key they allow is one the
 * config names.
 */
import { describe, expect, it } from 'vitest';
import { testConfig } from '../../fakes/config.js';
import { iamStatements, type Statement } from '../../scripts/serverless/iam.js';

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
      statementsFor({ launchTemplate: TEMPLATE, instanceRoleArn: ROLE_ARN }),
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
