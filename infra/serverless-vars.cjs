/**
 * Values serverless.yml takes from the validated config (`${file(./infra/serverless-vars.cjs):NAME}`),
 * so packaging fails on a bad config with every bad key named, and nothing needs AWS to resolve.
 * The config file is config/<stage>.json, or <FLEET_CONFIG_DIR>/<stage>.json when that is set (configs
 * kept outside the repository).
 *
 * serverless resolves `${…}` in whatever these return; the config parser refuses `${` in any
 * config value (domain/config-input.ts), so nothing from the config file is resolved as a variable.
 */
const { readFileSync, existsSync } = require('node:fs');
const { join, relative } = require('node:path');
const tsx = require('tsx/cjs/api');

const root = join(__dirname, '..');

async function stageOf(resolveVariable) {
  return resolveVariable('sls:stage');
}

/** The stack's name, `<service>-<stage>`, as serverless names it. */
async function stackOf(resolveVariable) {
  return `${await resolveVariable('self:service')}-${await stageOf(resolveVariable)}`;
}

/** An error that serverless prints as its message alone: a bad config needs no stack trace. */
function refusal(message) {
  const error = new Error(message);
  error.stack = `Error: ${message}`;
  return error;
}

/**
 * Config files already refused in this run. serverless resolves each variable apart and prints
 * every failure: the first says why in full, the others point to it.
 */
const refused = new Set();

/** The refusal of `shown` for `message`: whole the first time, a pointer to it after. */
function refuseOnce(shown, message) {
  if (refused.has(shown)) return refusal(`${shown}: refused, see the first error listed for why`);
  refused.add(shown);
  return refusal(message);
}

/** The stage's config document as written, and the same validated (what the functions will parse). */
function load(stage) {
  const dir = process.env.FLEET_CONFIG_DIR || join(root, 'config');
  const file = join(dir, `${stage}.json`);
  // A directory of the user's own is named as given; config/ relative to where serverless runs.
  const shown = process.env.FLEET_CONFIG_DIR ? file : relative(process.cwd(), file) || file;
  if (!/^[A-Za-z0-9-]+$/.test(stage) || !existsSync(file)) {
    throw refuseOnce(shown, `no config for stage "${stage}": create ${shown} (see docs/configuration.md)`);
  }
  const { parseConfig } = tsx.require('../domain/config.ts', __filename);
  let raw;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw refuseOnce(shown, `${shown} is not JSON: ${error.message}`);
  }
  try {
    return { raw, parsed: parseConfig(raw) };
  } catch (error) {
    throw refuseOnce(shown, `${shown}: ${error.message}`);
  }
}

async function config({ resolveVariable }) {
  return load(await stageOf(resolveVariable)).parsed;
}

/** The validated config of the stage being packaged (the other builders and infra/serverless-spot.cjs read it). */
module.exports.config = config;

/**
 * The config bundled into every function at build time (esbuild `define`, read by handlers/app.ts
 * and validated again at cold start): unlike an environment variable (4 KB for all of them), the
 * bundle has no size limit that a config can reach, so any number of roles packages.
 */
module.exports.bundledConfig = async ({ resolveVariable }) => {
  // The document as written, once it validated: the functions parse it as packaging did (the
  // parsed form carries derived keys the schema does not accept as input).
  const { raw } = load(await stageOf(resolveVariable));
  return { FLEET_BUNDLED_CONFIG: JSON.stringify(JSON.stringify(raw)) };
};

/**
 * One EventBridge Scheduler schedule per distinct window edge, in the schedule's time zone, each
 * invoking the `schedule` function with `{ role, edge }` through a role that can do nothing else.
 */
module.exports.scheduleResources = async (ctx) => {
  const { scheduleEdges } = tsx.require('../domain/schedule-edges.ts', __filename);
  const cfg = await config(ctx);
  const resources = {
    SchedulerRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'scheduler.amazonaws.com' },
              Action: 'sts:AssumeRole',
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            },
          ],
        },
        Policies: [
          {
            PolicyName: 'invoke-schedule-function',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Action: 'lambda:InvokeFunction',
                  Resource: { 'Fn::GetAtt': ['ScheduleLambdaFunction', 'Arn'] },
                },
                {
                  Effect: 'Allow',
                  Action: 'sqs:SendMessage',
                  Resource: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] },
                },
              ],
            },
          },
        ],
      },
    },
  };
  let n = 0;
  for (const [role, roleConfig] of Object.entries(cfg.roles)) {
    for (const edge of scheduleEdges(roleConfig.schedule)) {
      n += 1;
      resources[`WindowEdgeSchedule${n}`] = {
        Type: 'AWS::Scheduler::Schedule',
        Properties: {
          Description: `${role}: window ${edge.edge} (${edge.expression} ${edge.timeZone})`,
          ScheduleExpression: edge.expression,
          ScheduleExpressionTimezone: edge.timeZone,
          FlexibleTimeWindow: { Mode: 'OFF' },
          State: 'ENABLED',
          Target: {
            Arn: { 'Fn::GetAtt': ['ScheduleLambdaFunction', 'Arn'] },
            RoleArn: { 'Fn::GetAtt': ['SchedulerRole', 'Arn'] },
            Input: JSON.stringify({ role, edge: edge.edge }),
            RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 600 },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } },
          },
        },
      };
    }
  }
  return { Resources: resources };
};

/** The tick's rate: the most frequent queue probe of any role (1 minute by default). */
module.exports.tickRate = async (ctx) => {
  const cfg = await config(ctx);
  const minutes = Math.min(...Object.values(cfg.roles).map((r) => r.queue?.everyMinutes ?? 1));
  return minutes === 1 ? 'rate(1 minute)' : `rate(${minutes} minutes)`;
};

/**
 * The functions' role as a `resources.extensions` entry (infra/function-role.ts): one inline policy
 * with the fleet's statements (iam.ts), the functions' log groups by name and Lambda's interfaces
 * in lambdaVpc, and no managed policy.
 */
module.exports.functionRole = async (ctx) => {
  const { functionRoleExtension } = tsx.require('./function-role.ts', __filename);
  return functionRoleExtension(await config(ctx), await stackOf(ctx.resolveVariable));
};

/** The functions' statements beyond the inline policy's 10,240 characters, as managed policies (many roles). */
module.exports.functionManagedPolicies = async (ctx) => {
  const { functionManagedPolicies } = tsx.require('./function-role.ts', __filename);
  return functionManagedPolicies(await config(ctx), await stackOf(ctx.resolveVariable));
};

/** The CDN's bucket, distribution and DNS records (infra/cdn.cjs); none without `cdn`. */
module.exports.cdnResources = async (ctx) =>
  require('./cdn.cjs').cdnResources(await config(ctx), await stackOf(ctx.resolveVariable));

/** Roles, for the dashboard and alarms. */
module.exports.roles = async (ctx) => Object.keys((await config(ctx)).roles);

/** The functions' VPC settings: health and queue probes reach servers' private addresses. */
module.exports.vpc = async (ctx) => {
  const cfg = await config(ctx);
  if (cfg.lambdaVpc === undefined) {
    throw new Error('config: lambdaVpc (subnetIds, securityGroupIds) is required to deploy the functions');
  }
  return cfg.lambdaVpc;
};

/** A CloudWatch dashboard: queue length, desired vs in-service servers per role, failures. */
module.exports.dashboardBody = async (ctx) => {
  const cfg = await config(ctx);
  const stage = await stageOf(ctx.resolveVariable);
  const namespace = 'FleetPilot';
  const service = `fleet-pilot-${stage}`;
  const widgets = [];
  let y = 0;
  /** One of a role's (or the stack's, role `_stack`) metrics, as a widget plots it. */
  const metricOf = (role, name, options) => [namespace, name, 'role', role, 'service', service, options];
  /** A minute-by-minute graph on the current row, `width` of the dashboard's 24 columns from `x`. */
  const graph = (x, width, title, metrics) =>
    widgets.push({
      type: 'metric',
      x,
      y,
      width,
      height: 6,
      properties: { title, region: '${AWS::Region}', view: 'timeSeries', period: 60, metrics },
    });
  for (const [role, roleConfig] of Object.entries(cfg.roles)) {
    const metric = (name, label) => metricOf(role, name, { label, stat: 'Maximum' });
    graph(0, 12, `${role}: desired vs in-service servers`, [
      metric('Desired', 'desired'),
      metric('InService', 'in service'),
    ]);
    graph(
      12,
      12,
      roleConfig.queue ? `${role}: queue length and probe failures` : `${role}: launches and retirements`,
      roleConfig.queue
        ? [metric('QueueLength', 'queue length'), metric('QueueProbeFailures', 'probe failures')]
        : [metric('Launches', 'launches'), metric('Retirements', 'retirements')],
    );
    y += 6;
    // A role with a warm pool: what waits ready, what is warming, and how long a start takes.
    if (roleConfig.warmPool !== undefined && roleConfig.warmPool !== null) {
      graph(0, 24, `${role}: warm pool (servers ready and warming; start to in service, p90)`, [
        metric('WarmPoolReady', 'ready (stopped)'),
        metric('WarmPoolWarming', 'warming'),
        metricOf(role, 'WarmStartMs', {
          label: 'start to in service (ms, p90)',
          stat: 'p90',
          yAxis: 'right',
        }),
      ]);
      y += 6;
    }
  }
  // The stack's own: sub-minute tick rounds that were not queued, arrived late, were skipped or
  // throttled (journal _stack; TickRoundsAlarm watches the first two).
  graph(
    0,
    24,
    'tick rounds: not queued, late, skipped, throttled',
    ['TickRoundsNotQueued', 'TickRoundsLate', 'TickRoundsSkipped', 'ThrottledRounds'].map((name) =>
      metricOf('_stack', name, { label: name, stat: 'Sum' }),
    ),
  );
  return { 'Fn::Sub': JSON.stringify({ widgets }) };
};

/**
 * Alarms that need the role list: consecutive queue-probe failures and servers that never became
 * healthy (replaced after their boot deadline). They notify the stack's alarm topic.
 */
module.exports.roleAlarms = async (ctx) => {
  const cfg = await config(ctx);
  const stage = await stageOf(ctx.resolveVariable);
  const service = `fleet-pilot-${stage}`;
  const resources = {};
  const name = (role, what) =>
    `${role.replace(/[^A-Za-z0-9]/g, '').replace(/^./, (c) => c.toUpperCase())}${what}Alarm`;
  for (const [role, roleConfig] of Object.entries(cfg.roles)) {
    const dimensions = [
      { Name: 'role', Value: role },
      { Name: 'service', Value: service },
    ];
    /** "Sum of this role's `metric` >= 1 in `datapoints` of `periods` periods", to the alarm topic. */
    const countAlarm = (description, metric, { period = 60, periods, datapoints = periods }) => ({
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmDescription: `${service}: ${description}`,
        Namespace: 'FleetPilot',
        MetricName: metric,
        Dimensions: dimensions,
        Statistic: 'Sum',
        Period: period,
        EvaluationPeriods: periods,
        DatapointsToAlarm: datapoints,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: 'AlarmTopic' }],
      },
    });
    if (roleConfig.queue) {
      resources[name(role, 'QueueProbeFailing')] = countAlarm(
        `the ${role} queue probe failed 5 minutes in a row; scale-in is on hold`,
        'QueueProbeFailures',
        { periods: 5 },
      );
    }
    resources[name(role, 'ActionsFailing')] = countAlarm(
      `${role} launches, registrations or retirements kept failing for 10 minutes (see the journal)`,
      'ActionFailures',
      { periods: 10, datapoints: 8 },
    );
    resources[name(role, 'BelowDesired')] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmDescription: `${service}: fewer ${role} servers in service than desired for 20 minutes`,
        Metrics: [
          {
            Id: 'gap',
            Expression: 'desired - inService',
            ReturnData: true,
            Label: 'desired minus in service',
          },
          {
            Id: 'desired',
            ReturnData: false,
            MetricStat: {
              Metric: { Namespace: 'FleetPilot', MetricName: 'Desired', Dimensions: dimensions },
              Period: 60,
              Stat: 'Minimum',
            },
          },
          {
            Id: 'inService',
            ReturnData: false,
            MetricStat: {
              Metric: { Namespace: 'FleetPilot', MetricName: 'InService', Dimensions: dimensions },
              Period: 60,
              Stat: 'Maximum',
            },
          },
        ],
        EvaluationPeriods: 20,
        DatapointsToAlarm: 20,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'breaching',
        AlarmActions: [{ Ref: 'AlarmTopic' }],
      },
    };
    resources[name(role, 'NeverHealthy')] = countAlarm(
      `a ${role} server never passed its content health check and was replaced`,
      'UnhealthyReplacements',
      { period: 300, periods: 1 },
    );
  }
  return { Resources: resources };
};
