/**
 * The functions' role beyond the fleet (iam.ts): their own log groups by exact name, and the
 * network interfaces Lambda creates for them in `lambdaVpc`, in place of the AWS-managed
 * AWSLambdaVPCAccessExecutionRole (whose log and interface permissions cover every log group and
 * interface of the account). serverless.yml applies the whole role through
 * infra/serverless-vars.cjs (`functionRole`); test/infra/ checks it on the packaged template.
 */
import type { Config } from '../domain/config.js';
import { ec2Arn, iamStatements, type Statement } from './iam.js';

/** The functions of serverless.yml, by key: each logs to `/aws/lambda/<stack>-<key>`. */
export const FUNCTION_KEYS = [
  'schedule',
  'queueProbe',
  'instanceState',
  'spotWarning',
  'reconcile',
  'control',
] as const;

const sub = (text: string) => ({ 'Fn::Sub': text });

/** Each function's log group, and its streams, by exact name (a prefix would match a sibling stack). */
export function logStatements(stack: string): Statement[] {
  return [
    {
      Sid: 'WriteOwnLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: FUNCTION_KEYS.map((key) =>
        sub(
          `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${stack}-${key}:*`,
        ),
      ),
    },
  ];
}

/**
 * What Lambda needs to attach the functions to `lambdaVpc`: interfaces created only in its subnets
 * with its security groups, and deleted or re-addressed only in those subnets.
 */
export function vpcStatements(cfg: Config): Statement[] {
  const vpc = cfg.lambdaVpc;
  if (vpc === undefined) return [];
  const subnets = vpc.subnetIds.map((id) => ec2Arn('subnet', id));
  return [
    {
      // Reads cannot be scoped by resource in EC2.
      Sid: 'DescribeFunctionNetwork',
      Effect: 'Allow',
      Action: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
      Resource: '*',
    },
    {
      Sid: 'CreateFunctionInterfaces',
      Effect: 'Allow',
      Action: 'ec2:CreateNetworkInterface',
      Resource: [
        ec2Arn('network-interface', '*'),
        ...subnets,
        ...vpc.securityGroupIds.map((id) => ec2Arn('security-group', id)),
      ],
    },
    {
      Sid: 'ManageFunctionInterfaces',
      Effect: 'Allow',
      Action: [
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      Resource: ec2Arn('network-interface', '*'),
      Condition: { ArnEquals: { 'ec2:Subnet': subnets } },
    },
  ];
}

/** IAM's limits, in characters without whitespace (IAM quotas): a role's inline policies together. */
export const INLINE_POLICY_CHARS = 10_240;
/** One customer-managed policy. */
export const MANAGED_POLICY_CHARS = 6_144;
/** Managed policies attached to one role by default (a quota AWS raises to 20 on request). */
export const MANAGED_POLICIES_PER_ROLE = 10;

const documentOf = (statements: Statement[]) => ({ Version: '2012-10-17', Statement: statements });
const chars = (statements: Statement[]) => JSON.stringify(documentOf(statements)).length;

/**
 * Every statement of the functions' role, placed within IAM's limits: the inline policy takes them
 * in order while they fit, the rest go, in order, into as few customer-managed policies as hold them
 * (one per about seven roles: each role has its own launch statement). A config whose statements
 * need more managed policies than a role may have is refused with the count.
 */
export function functionPolicies(
  cfg: Config,
  stack: string,
): { inline: Statement[]; managed: Statement[][] } {
  const all = [...logStatements(stack), ...vpcStatements(cfg), ...iamStatements(cfg, stack)];
  let fit = 0;
  while (fit < all.length && chars(all.slice(0, fit + 1)) <= INLINE_POLICY_CHARS) fit += 1;
  const managed: Statement[][] = [];
  for (const statement of all.slice(fit)) {
    if (chars([statement]) > MANAGED_POLICY_CHARS)
      throw new Error(`the IAM statement ${statement.Sid} alone exceeds ${MANAGED_POLICY_CHARS} characters`);
    const last = managed.at(-1);
    if (last !== undefined && chars([...last, statement]) <= MANAGED_POLICY_CHARS) last.push(statement);
    else managed.push([statement]);
  }
  if (managed.length > MANAGED_POLICIES_PER_ROLE)
    throw new Error(
      `the functions' IAM statements for ${Object.keys(cfg.roles).length} roles need ${managed.length} managed policies; ` +
        `a role may have ${MANAGED_POLICIES_PER_ROLE} (fewer roles per stage, or fewer instance types per role)`,
    );
  return { inline: all.slice(0, fit), managed };
}

/**
 * The statements that do not fit the inline policy, as customer-managed policies of the stack
 * attached to the functions' role (`FunctionPolicy1`…); none for a config whose statements fit.
 */
export function functionManagedPolicies(cfg: Config, stack: string): { Resources: Record<string, unknown> } {
  const { managed } = functionPolicies(cfg, stack);
  return {
    Resources: Object.fromEntries(
      managed.map((statements, i) => [
        `FunctionPolicy${i + 1}`,
        {
          Type: 'AWS::IAM::ManagedPolicy',
          Properties: {
            Description: `${stack}: the functions' statements beyond the inline policy (part ${i + 1})`,
            Roles: [{ Ref: 'IamRoleLambdaExecution' }],
            PolicyDocument: documentOf(statements),
          },
        },
      ]),
    ),
  };
}

/**
 * The functions' role as a `resources.extensions` entry: no AWS-managed policy, one inline policy
 * with the statements that fit it (functionPolicies; the rest are in functionManagedPolicies).
 */
export function functionRoleExtension(cfg: Config, stack: string): Record<string, unknown> {
  return {
    IamRoleLambdaExecution: {
      Properties: {
        ManagedPolicyArns: [],
        Policies: [
          {
            PolicyName: `${stack}-functions`,
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: functionPolicies(cfg, stack).inline,
            },
          },
        ],
      },
    },
  };
}
