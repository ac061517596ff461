/**
 * The config's AWS names, ids and ARNs: they reach IAM policies and CloudFormation `Fn::Sub`
 * strings, so anything but the format AWS accepts is refused with the key named.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../domain/config.js';
import { ConfigError } from '../../domain/errors.js';
import { TEST_CONFIG_INPUT, TEST_LAUNCH } from '../../fakes/config.js';

/** A CloudFormation substitution of a parameter that does not exist. */
const NO_SUCH = '\u0024{AWS::NoSuch}';
const TG_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/0123456789abcdef';

/** The issues of the test config with the app role's `loadBalancer` / `launch` replaced or extended. */
function issuesWith(app: { loadBalancer?: unknown; launch?: Record<string, unknown> }): string[] {
  const raw = {
    roles: {
      ...TEST_CONFIG_INPUT.roles,
      app: {
        ...TEST_CONFIG_INPUT.roles.app,
        ...(app.loadBalancer !== undefined ? { loadBalancer: app.loadBalancer } : {}),
        launch: { ...TEST_LAUNCH, ...app.launch },
      },
    },
  };
  try {
    parseConfig(raw);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
}

const classic = (name: string) => issuesWith({ loadBalancer: { type: 'classic', name } });
// `name: null` drops the default classic load balancer's name from the merge.
const targetGroup = (targetGroupArn: string) =>
  issuesWith({ loadBalancer: { type: 'target-group', targetGroupArn, name: null } });

describe('AWS names and ARNs in the config', () => {
  it.each([
    ['a wildcard', '*'],
    ['a CloudFormation substitution', NO_SUCH],
    ['a leading hyphen', '-payroll'],
    ['a trailing hyphen', 'payroll-'],
    ['an underscore', 'payroll_http'],
    ['33 characters', 'a'.repeat(33)],
    ['nothing', ''],
  ])('refuses a classic load balancer name with %s', (_what, name) => {
    expect(classic(name).join('\n')).toMatch(/^roles\.app\.loadBalancer\.name: expected a classic load/m);
  });

  it.each(['smallpayroll-http', 'a', 'A1', 'x'.repeat(32)])(
    'accepts the classic load balancer name %s',
    (name) => {
      expect(classic(name)).toEqual([]);
    },
  );

  it.each([
    ['a prefix only', 'arn:aws:elasticloadbalancing:'],
    ['a wildcard', 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/*'],
    [
      'a load balancer',
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/0123456789abcdef',
    ],
    ['a substitution', TG_ARN.replace('us-east-1', NO_SUCH)],
    ['a short account', 'arn:aws:elasticloadbalancing:us-east-1:1234:targetgroup/app/0123456789abcdef'],
    ['no id', 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app'],
    ['trailing text', `${TG_ARN}/x`],
  ])('refuses a target group ARN with %s', (_what, arn) => {
    expect(targetGroup(arn).join('\n')).toMatch(
      /^roles\.app\.loadBalancer\.targetGroupArn: expected a target group ARN/m,
    );
  });

  it.each([
    TG_ARN,
    'arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:targetgroup/a-b-c/fedcba9876543210',
    'arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:targetgroup/x/0123456789abcdef',
  ])('accepts the target group ARN %s', (arn) => {
    expect(targetGroup(arn)).toEqual([]);
  });

  it.each([
    ['keyName', NO_SUCH, 'expected a key pair name'],
    ['keyName', 'pay*', 'expected a key pair name'],
    ['keyName', 'k'.repeat(256), 'expected a key pair name'],
    ['imageId', `ami-${NO_SUCH}`, 'expected an id like "ami-0123abcd"'],
    ['imageId', 'ami-*', 'expected an id like "ami-0123abcd"'],
    ['iamInstanceProfileArn', 'arn:aws:iam::123456789012:role/web', 'expected an instance profile ARN'],
    ['iamInstanceProfileArn', 'arn:', 'expected an instance profile ARN'],
    ['kmsKeyArns', ['arn:aws:kms:us-east-1:123456789012:alias/ebs'], 'expected a KMS key ARN'],
    ['kmsKeyArns', ['arn:aws:kms:us-east-1:123456789012:key/*'], 'expected a KMS key ARN'],
    ['kmsKeyArns', ['1234abcd-12ab-34cd-56ef-1234567890ab'], 'expected a KMS key ARN'],
  ])('refuses launch.%s %s', (key, value, message) => {
    const launch = { [key]: value, instanceRoleArn: 'arn:aws:iam::123456789012:role/web' };
    const issues = issuesWith({ launch });
    expect(
      issues.some((line) => new RegExp(`^roles\\.app\\.launch\\.${key}(\\[0\\])?: ${message}`).test(line)),
      issues.join('\n'),
    ).toBe(true);
  });

  it('accepts ordinary launch names and ARNs', () => {
    expect(
      issuesWith({
        launch: {
          keyName: 'payroll key (2010).v2',
          iamInstanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/servers/web',
          instanceRoleArn: 'arn:aws:iam::123456789012:role/servers/web',
          kmsKeyArns: [
            'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
            'arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab',
          ],
        },
      }),
    ).toEqual([]);
  });

  it('requires the instance role (or "none") with a launch template, which may bring an instance profile', () => {
    const launchTemplate = { id: 'lt-0123456789abcdef0', version: '$Latest' };
    expect(issuesWith({ launch: { launchTemplate } })).toEqual([
      'roles.app.launch.instanceRoleArn: expected the IAM role behind the instance profile (of the launch template or iamInstanceProfileArn), or "none" when the instances get no role',
    ]);
    expect(issuesWith({ launch: { launchTemplate, instanceRoleArn: 'none' } })).toEqual([]);
    const iamInstanceProfileArn = 'arn:aws:iam::123456789012:instance-profile/web';
    const instanceRoleArn = 'arn:aws:iam::123456789012:role/web';
    expect(issuesWith({ launch: { launchTemplate, instanceRoleArn, iamInstanceProfileArn } })).toEqual([]);
  });

  it("requires the instance profile with an instance role: IAM holds each role's servers to its own", () => {
    const launchTemplate = { id: 'lt-0123456789abcdef0', version: '$Latest' };
    const instanceRoleArn = 'arn:aws:iam::123456789012:role/web';
    expect(issuesWith({ launch: { launchTemplate, instanceRoleArn } })).toEqual([
      "roles.app.launch.iamInstanceProfileArn: expected iamInstanceProfileArn with an instance role (the launch template's profile, when it brings one): IAM gives each role's servers only that profile",
    ]);
  });

  it('refuses "none" as the role behind a configured instance profile', () => {
    const launch = {
      iamInstanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/web',
      instanceRoleArn: 'none',
    };
    expect(issuesWith({ launch })).toContain(
      'roles.app.launch.instanceRoleArn: expected the IAM role behind the instance profile (of the launch template or iamInstanceProfileArn), or "none" when the instances get no role',
    );
  });

  it('refuses a launch template given by name, saying how to find its id', () => {
    const launch = { launchTemplate: { name: 'job-servers', version: '3' }, instanceRoleArn: 'none' };
    expect(issuesWith({ launch }).join('\n')).toMatch(
      /^roles\.app\.launch\.launchTemplate\.name: expected the launch template's id .*describe-launch-templates/m,
    );
  });

  it('requires subnets and security groups without a launch template: IAM allows only the listed ones', () => {
    expect(issuesWith({ launch: { subnetIds: [], securityGroupIds: [] } })).toEqual([
      'roles.app.launch.subnetIds: expected at least one subnet (without a launch template, IAM allows only the listed subnets)',
      'roles.app.launch.securityGroupIds: expected at least one security group (without a launch template, IAM allows only the listed groups)',
    ]);
    const launchTemplate = { id: 'lt-0123456789abcdef0', version: '$Latest' };
    expect(
      issuesWith({
        launch: { launchTemplate, instanceRoleArn: 'none', subnetIds: [], securityGroupIds: [] },
      }),
    ).toEqual([]);
  });

  it('never accepts a value that would reach Fn::Sub with a ${ in it', () => {
    const withSubstitution = fc.tuple(fc.string(), fc.string()).map(([a, b]) => `${a}\u0024{${b}`);
    fc.assert(
      fc.property(withSubstitution, (value) => {
        expect(classic(value)).not.toEqual([]);
        expect(issuesWith({ launch: { keyName: value } })).not.toEqual([]);
        expect(issuesWith({ launch: { imageId: value } })).not.toEqual([]);
        expect(issuesWith({ launch: { subnetIds: [value] } })).not.toEqual([]);
        expect(issuesWith({ launch: { securityGroupIds: [value] } })).not.toEqual([]);
      }),
    );
  });
});
