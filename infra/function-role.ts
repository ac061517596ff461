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

/**
 * The functions' role as a `resources.extensions` entry: no managed policy, one inline policy
 * with every statement (fleet, logs, VPC).
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
              Statement: [...logStatements(stack), ...vpcStatements(cfg), ...iamStatements(cfg, stack)],
            },
          },
        ],
      },
    },
  };
}
