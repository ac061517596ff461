/**
 * The packaged CloudFormation template (`npm run package` writes it; `npm test` packages first):
 * least-privilege IAM, the ledger table's safety settings, failure handling and alarms.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packagedTemplate } from '../support/packaged-template.js';

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
type Resource = { Type: string; Properties: Record<string, unknown> };

let resources: Record<string, Resource>;
let statements: Statement[];

beforeAll(() => {
  resources = packagedTemplate<{ Resources: Record<string, Resource> }>().Resources;
  const role = resources.IamRoleLambdaExecution?.Properties as {
    Policies: { PolicyDocument: { Statement: Statement[] } }[];
  };
  statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
  // Packages first when run on its own with a missing or stale template (npm test packages before).
}, 300_000);

const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const withAction = (action: string) => statements.filter((s) => actions(s).includes(action));
const STACK = 'fleet-pilot-dev';

describe('IAM', () => {
  it('lets the functions start and stop (or hibernate) only instances tagged for this stack', () => {
    const startStop = withAction('ec2:StartInstances');
    expect(startStop).toHaveLength(1);
    expect(actions(startStop[0] as Statement).sort()).toEqual(['ec2:StartInstances', 'ec2:StopInstances']);
    expect(startStop[0]?.Condition).toEqual({
      StringEquals: { 'ec2:ResourceTag/fleet-pilot:stack': STACK },
    });
    expect(withAction('ec2:StopInstances')).toEqual(startStop);
  });

  it('grants no wildcard actions', () => {
    for (const s of statements) for (const a of actions(s)) expect(a).not.toMatch(/\*/);
  });

  it('lets RunInstances create instances and volumes only with the stack tag in the request', () => {
    const creating = (resource: string) =>
      withAction('ec2:RunInstances').filter((s) => JSON.stringify(s.Resource).includes(resource));
    // One statement per role on instances (IMDSv2 and default tenancy in each), one on volumes.
    expect(creating('instance/*').map((s) => s.Sid)).toEqual(['RunAppInstances', 'RunJobInstances']);
    expect(creating('volume/*')).toHaveLength(1);
    for (const s of [...creating('instance/*'), ...creating('volume/*')]) {
      expect(s.Condition?.StringEquals?.['aws:RequestTag/fleet-pilot:stack']).toBe(STACK);
    }
    for (const s of creating('instance/*')) {
      expect(s.Condition?.StringEquals?.['ec2:MetadataHttpTokens']).toBe('required');
      expect(s.Condition?.StringEquals?.['ec2:Tenancy']).toBe('default');
    }
  });

  it('lets RunInstances create instances only of the configured types', () => {
    const instances = withAction('ec2:RunInstances').filter((s) =>
      JSON.stringify(s.Resource).includes('instance/*'),
    );
    expect(instances[0]?.Condition?.StringEquals?.['ec2:InstanceType']).toEqual(['c5.large', 'm5.large']);
  });

  it('lets RunInstances use only the configured subnets, security groups and key pair', () => {
    const run = JSON.stringify(withAction('ec2:RunInstances').map((s) => s.Resource));
    const named = (type: string) => [...run.matchAll(new RegExp(`:${type}/([^"]+)"`, 'g'))].map((m) => m[1]);
    expect(named('subnet')).toEqual(['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788']);
    expect(named('security-group')).toEqual(['sg-0a1b2c3d4e5f60718']);
    expect(named('key-pair')).toEqual(['smallpayroll']);
  });

  it('lets RunInstances buy Spot for the job role only (dev launches it on Spot), never Capacity Blocks, with no Spot-only action', () => {
    const refused = (sid: string) =>
      statements.find((s) => s.Sid === sid)?.Condition?.StringNotEquals?.['ec2:InstanceMarketType'];
    expect(refused('RunAppInstances')).toEqual([
      'spot',
      'capacity-block',
      'interruptible-capacity-reservation',
    ]);
    expect(refused('RunJobInstances')).toEqual(['capacity-block', 'interruptible-capacity-reservation']);
    const all = statements.flatMap(actions);
    expect(all.filter((a) => /Spot|ServiceLinkedRole/.test(a))).toEqual([]);
  });

  it('lets RunInstances use only the configured AMIs', () => {
    const images = withAction('ec2:RunInstances').filter((s) =>
      JSON.stringify(s.Resource).includes('image/'),
    );
    expect(JSON.stringify(images)).toContain('image/ami-0123456789abcdef0');
    expect(JSON.stringify(images)).not.toContain('image/*');
  });

  it('lets the functions pass only the configured instance role, and only to EC2', () => {
    const pass = withAction('iam:PassRole');
    expect(pass).toHaveLength(1);
    expect([pass[0]?.Resource].flat()).toEqual([
      'arn:aws:iam::000000000000:role/fleet-pilot-no-instance-role',
    ]);
    expect(pass[0]?.Condition?.StringEquals?.['iam:PassedToService']).toBe('ec2.amazonaws.com');
  });

  it('conditions TerminateInstances on the stack tag', () => {
    const terminate = withAction('ec2:TerminateInstances');
    expect(terminate).toHaveLength(1);
    expect(terminate[0]?.Condition?.StringEquals?.['ec2:ResourceTag/fleet-pilot:stack']).toBe(STACK);
  });

  it('allows CreateTags only as part of RunInstances', () => {
    const tags = withAction('ec2:CreateTags');
    expect(tags).toHaveLength(1);
    expect(tags[0]?.Condition?.StringEquals?.['ec2:CreateAction']).toBe('RunInstances');
  });

  it('scopes load-balancer mutations to the configured load balancer and the stack tag', () => {
    for (const action of [
      'elasticloadbalancing:RegisterInstancesWithLoadBalancer',
      'elasticloadbalancing:DeregisterInstancesFromLoadBalancer',
    ]) {
      const found = withAction(action);
      expect(found).toHaveLength(1);
      expect(JSON.stringify(found[0]?.Resource)).toContain('loadbalancer/smallpayroll-http');
      expect(found[0]?.Condition?.StringEquals?.['aws:ResourceTag/fleet-pilot:stack']).toBe(STACK);
    }
  });

  it('allows only the reads that cannot be scoped on every resource', () => {
    const unscoped = statements.filter(
      (s) => s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*')),
    );
    const allowed = new Set([
      'ec2:DescribeInstances',
      'ec2:DescribeInstanceTypes',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSubnets',
      'elasticloadbalancing:DescribeInstanceHealth',
      'elasticloadbalancing:DescribeTargetHealth',
    ]);
    for (const s of unscoped) for (const a of actions(s)) expect(allowed.has(a), a).toBe(true);
  });

  it("replaces the AWS-managed VPC execution policy: one inline policy, within IAM's size limit", () => {
    const role = resources.IamRoleLambdaExecution?.Properties as {
      ManagedPolicyArns?: unknown[];
      Policies: unknown[];
    };
    expect(role.ManagedPolicyArns ?? []).toEqual([]);
    expect(role.Policies).toHaveLength(1);
    // A role's inline policies may hold 10,240 characters in all (whitespace not counted).
    expect(JSON.stringify(role.Policies).length).toBeLessThan(10_240);
  });

  it("writes only to its own functions' log groups, named in full", () => {
    const groups = Object.values(resources)
      .filter((r) => r.Type === 'AWS::Logs::LogGroup')
      .map((r) => r.Properties.LogGroupName)
      .sort();
    const logs = statements.filter((s) => actions(s).some((a) => a.startsWith('logs:')));
    expect(logs.flatMap(actions).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    const named = logs
      .flatMap((s) => [s.Resource].flat() as { 'Fn::Sub': string }[])
      .map((r) => /log-group:(.+):\*$/.exec(r['Fn::Sub'])?.[1])
      .sort();
    expect(named).toEqual(groups);
  });

  it('limits DynamoDB to item reads and writes on the ledger table', () => {
    const dynamo = statements.filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo).toHaveLength(1);
    expect(dynamo[0]?.Resource).toEqual({ 'Fn::GetAtt': ['LedgerTable', 'Arn'] });
    expect(actions(dynamo[0] as Statement)).not.toContain('dynamodb:Scan');
  });

  it('grants every DynamoDB call the ledger makes', () => {
    const ledger = statements.find((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    const sources = readdirSync(new URL('../../adapters/', import.meta.url))
      .filter((f) => f.startsWith('dynamodb-ledger'))
      .map((f) => readFileSync(new URL(`../../adapters/${f}`, import.meta.url), 'utf8'))
      .join('\n');
    const byCommand: Record<string, string> = {
      Get: 'GetItem',
      Put: 'PutItem',
      Update: 'UpdateItem',
      Delete: 'DeleteItem',
      Query: 'Query',
      BatchGet: 'BatchGetItem',
    };
    const used = [...sources.matchAll(/new (\w+)Command\(/g)]
      .map((m) => m[1] ?? '')
      .filter((c) => c in byCommand)
      .map((c) => `dynamodb:${byCommand[c]}`);
    expect(used).toContain('dynamodb:BatchGetItem');
    for (const action of new Set(used)) expect(actions(ledger as Statement)).toContain(action);
  });
});

describe('resources', () => {
  it('keeps the ledger on demand, with TTL and point-in-time recovery, retained on delete', () => {
    const table = resources.LedgerTable as Resource & { DeletionPolicy?: string };
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.DeletionPolicy).toBe('Retain');
  });

  it('sends failed asynchronous invocations of every triggered function to the dead-letter queue', () => {
    for (const fn of ['Schedule', 'QueueProbe', 'InstanceState', 'SpotWarning', 'Reconcile']) {
      const config = resources[`${fn}LambdaEvConf`];
      expect(JSON.stringify(config?.Properties.DestinationConfig)).toContain('DeadLetterQueue');
    }
  });

  it('gives every function with a dead-letter queue the retry limit docs/operations.md states, and counts its errors', () => {
    const documented = new Map(
      [
        ...readFileSync(join(__dirname, '../../docs/operations.md'), 'utf8').matchAll(
          /^\| `(\w+)` +\| +(\d) \|/gm,
        ),
      ].map((m) => [`${m[1]?.replace(/^./, (c) => c.toUpperCase())}`, Number(m[2])]),
    );
    const withQueue = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::EventInvokeConfig')
      .filter(([, r]) => JSON.stringify(r.Properties.DestinationConfig).includes('DeadLetterQueue'))
      .map(([name, r]) => [name.replace(/LambdaEvConf$/, ''), r.Properties.MaximumRetryAttempts] as const);
    expect(withQueue.length).toBe(5);
    expect(new Map(withQueue)).toEqual(documented);

    const alarm = resources.FunctionErrorsAlarm?.Properties as {
      Metrics: { Id: string; Expression?: string; MetricStat?: { Metric: { Dimensions: unknown } } }[];
    };
    const counted = alarm.Metrics.filter((m) => m.MetricStat !== undefined);
    const summed = alarm.Metrics.find((m) => m.Expression !== undefined)?.Expression ?? '';
    for (const [fn] of withQueue) {
      const metric = counted.find((m) =>
        JSON.stringify(m.MetricStat?.Metric.Dimensions).includes(`${fn}LambdaFunction`),
      );
      expect(metric, fn).toBeDefined();
      expect(summed, fn).toMatch(new RegExp(`\\b${metric?.Id}\\b`));
    }
  });

  it('sends EC2 Spot interruption warnings and rebalance recommendations to the spotWarning function', () => {
    const rules = Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::Events::Rule' && String(JSON.stringify(r.Properties.EventPattern)).includes('Spot'),
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]?.Properties.EventPattern).toEqual({
      source: ['aws.ec2'],
      'detail-type': ['EC2 Spot Instance Interruption Warning', 'EC2 Instance Rebalance Recommendation'],
    });
    expect(JSON.stringify(rules[0]?.Properties.Targets)).toContain('SpotWarningLambdaFunction');
    expect(JSON.stringify(resources.SpotWarningLambdaFunction?.Properties.Handler)).toContain(
      'handlers/instance-state.handler',
    );
  });

  it('schedules the window edges with EventBridge Scheduler in the configured time zone', () => {
    const schedules = Object.values(resources).filter((r) => r.Type === 'AWS::Scheduler::Schedule');
    expect(
      schedules.map((s) => [s.Properties.ScheduleExpression, s.Properties.ScheduleExpressionTimezone]),
    ).toEqual([
      ['cron(0 8 ? * MON-FRI *)', 'America/Toronto'],
      ['cron(0 21 ? * MON-FRI *)', 'America/Toronto'],
      // The job role's last two business days move with weekends and holidays: every weekday.
      ['cron(0 6 ? * MON-FRI *)', 'America/Toronto'],
      ['cron(0 22 ? * MON-FRI *)', 'America/Toronto'],
    ]);
    for (const schedule of schedules) {
      expect(schedule.Properties.Target).toMatchObject({
        Arn: { 'Fn::GetAtt': ['ScheduleLambdaFunction', 'Arn'] },
        RoleArn: { 'Fn::GetAtt': ['SchedulerRole', 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } },
      });
    }
  });

  it("lets the scheduler only invoke the schedule function, never assume the functions' role", () => {
    const scheduler = resources.SchedulerRole?.Properties as {
      Policies: { PolicyDocument: { Statement: Statement[] } }[];
    };
    const allowed = scheduler.Policies.flatMap((p) => p.PolicyDocument.Statement).flatMap(actions);
    expect(allowed.sort()).toEqual(['lambda:InvokeFunction', 'sqs:SendMessage']);
    const trust = JSON.stringify(resources.IamRoleLambdaExecution?.Properties.AssumeRolePolicyDocument);
    expect(trust).not.toContain('scheduler.amazonaws.com');
  });

  it('has alarms for probe failures, never-healthy servers, the dead-letter queue and function errors', () => {
    const alarms = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
      .map(([k]) => k);
    expect(alarms).toEqual(
      expect.arrayContaining([
        'JobQueueProbeFailingAlarm',
        'AppNeverHealthyAlarm',
        'AppActionsFailingAlarm',
        'JobBelowDesiredAlarm',
        'DeadLetterQueueAlarm',
        'FunctionErrorsAlarm',
        'ThrottlingAlarm',
        'TickRoundsAlarm',
      ]),
    );
    expect(Object.values(resources).some((r) => r.Type === 'AWS::CloudWatch::Dashboard')).toBe(true);
  });

  it('alarms when EC2 throttling made the tick miss rounds, on the metric the tick rounds count', () => {
    const alarm = resources.ThrottlingAlarm?.Properties as {
      MetricName: string;
      Namespace: string;
      Dimensions: { Name: string; Value: string }[];
      AlarmActions: unknown[];
    };
    expect(alarm.Namespace).toBe('FleetPilot');
    expect(alarm.MetricName).toBe('ThrottledRounds');
    expect(alarm.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'role', Value: '_stack' },
        { Name: 'service', Value: 'fleet-pilot-dev' },
      ]),
    );
    expect(alarm.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
  });

  it('alarms when the sub-minute rounds are not queued or arrive late, on the metrics the tick counts', () => {
    const alarm = resources.TickRoundsAlarm?.Properties as {
      Metrics: {
        Id: string;
        Expression?: string;
        MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown[] } };
      }[];
      AlarmActions: unknown[];
    };
    const watched = alarm.Metrics.flatMap((m) => (m.MetricStat === undefined ? [] : [m.MetricStat.Metric]));
    expect(watched.map((m) => `${m.Namespace}/${m.MetricName}`).sort()).toEqual([
      'FleetPilot/TickRoundsLate',
      'FleetPilot/TickRoundsNotQueued',
    ]);
    for (const metric of watched) {
      expect(metric.Dimensions).toEqual(
        expect.arrayContaining([
          { Name: 'role', Value: '_stack' },
          { Name: 'service', Value: 'fleet-pilot-dev' },
        ]),
      );
    }
    expect(alarm.Metrics.find((m) => m.Expression !== undefined)?.Expression).toBe('SUM([notqueued, late])');
    expect(alarm.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
  });

  it('reserves no concurrency, which accounts with a concurrency quota of 100 or less refuse', () => {
    const functions = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBe(6);
    for (const [name, fn] of functions) {
      expect(fn.Properties.ReservedConcurrentExecutions, name).toBeUndefined();
    }
  });

  it('gives the tick room for sub-minute rounds within one invocation', () => {
    const tick = resources.QueueProbeLambdaFunction?.Properties as { Timeout: number };
    expect(tick.Timeout).toBeGreaterThan(60);
  });

  it("queues the tick's later rounds: encrypted, short-lived, one round per invocation, failed rounds to the DLQ", () => {
    const tick = resources.QueueProbeLambdaFunction?.Properties as {
      Timeout: number;
      Environment: { Variables: Record<string, unknown> };
    };
    const rounds = resources.TickRoundQueue as Resource;
    expect(rounds.Type).toBe('AWS::SQS::Queue');
    const props = rounds.Properties as {
      VisibilityTimeout: number;
      MessageRetentionPeriod: number;
      SqsManagedSseEnabled: boolean;
      FifoQueue?: boolean;
      RedrivePolicy: unknown;
    };
    expect(props.FifoQueue).toBeUndefined();
    expect(props.SqsManagedSseEnabled).toBe(true);
    // A round still running is never delivered again.
    expect(props.VisibilityTimeout).toBeGreaterThanOrEqual(tick.Timeout);
    // Kept past the last round's delay (55 s at most) and one failed receive, so SQS can move it to
    // the dead-letter queue; and no longer than minutes.
    expect(props.MessageRetentionPeriod).toBeGreaterThan(55 + props.VisibilityTimeout);
    expect(props.MessageRetentionPeriod).toBeLessThanOrEqual(600);
    expect(props.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] },
      maxReceiveCount: 1,
    });
    const mappings = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping');
    expect(mappings.map((m) => m.Properties)).toEqual([
      {
        BatchSize: 1,
        EventSourceArn: { 'Fn::GetAtt': ['TickRoundQueue', 'Arn'] },
        FunctionName: { 'Fn::GetAtt': ['QueueProbeLambdaFunction', 'Arn'] },
        Enabled: true,
      },
    ]);
    expect(tick.Environment.Variables.FLEET_ROUND_QUEUE_URL).toEqual({ Ref: 'TickRoundQueue' });
  });

  it('sets log retention on every function log group', () => {
    const groups = Object.values(resources).filter((r) => r.Type === 'AWS::Logs::LogGroup');
    expect(groups.length).toBe(6);
    for (const g of groups) expect(g.Properties.RetentionInDays).toBe(7);
  });
});
