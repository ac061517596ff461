/**
 * The composition root shared by every Lambda function: reads and validates the environment once,
 * builds the AWS clients and adapters once per container, and wires the services.
 *
 * Environment (every function):
 * - `FLEET_CONFIG`: the config document as JSON, only where no config was bundled at build time
 *   (`sls package` bundles config/<stage>.json into the code: infra/serverless-vars.cjs).
 * - `FLEET_STACK`: the stack name; instances are tagged `fleet-pilot:stack=<FLEET_STACK>`.
 * - `FLEET_TABLE`: the DynamoDB ledger table.
 * - `FLEET_ROUND_QUEUE_URL` (the tick function only): the queue of the tick's later rounds; without
 *   it the tick runs every round in one invocation.
 * - `POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_METRICS_NAMESPACE`, `POWERTOOLS_LOG_LEVEL`: logging and metrics.
 * - `AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`: the standard SDK settings.
 */

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { CachedDemandHistoryLedger } from '../adapters/cached-demand-history.js';
import { DynamoDbLedger, ledgerDocumentClient } from '../adapters/dynamodb-ledger.js';
import { Ec2Compute } from '../adapters/ec2-compute.js';
import { HttpHealthProbe } from '../adapters/http-health-probe.js';
import { HttpQueueProbe } from '../adapters/http-queue-probe.js';
import { loadBalancerFor } from '../adapters/load-balancer-factory.js';
import { SqsRoundQueue } from '../adapters/sqs-rounds.js';
import { type Config, describeIssues, parseConfig } from '../domain/config.js';
import { ConfigError } from '../domain/errors.js';
import type {
  Clock,
  Compute,
  HealthProbe,
  Ledger,
  LoadBalancer,
  Observer,
  QueueProbe,
  RoundQueue,
} from '../domain/ports.js';
import { Control } from '../domain/services/control.js';
import { Fleet } from '../domain/services/fleet.js';
import { QueuedTick } from '../domain/services/queued-tick.js';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'fleet-pilot' });
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'FleetPilot',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'fleet-pilot',
});

/** Logs decisions as structured keys and emits per-role metrics (EMF) through Powertools. */
export const powertoolsObserver: Observer = {
  info: (message, fields) => logger.info(message, fields),
  warn: (message, fields) => logger.warn(message, fields),
  metric: (role, name, value, unit = 'Count') => {
    const single = metrics.singleMetric();
    single.addDimension('role', role);
    single.addMetric(name, unit === 'Milliseconds' ? MetricUnit.Milliseconds : MetricUnit.Count, value);
  },
};

export interface App {
  fleet: Fleet;
  /** The tick function's rounds, the later ones on the round queue when there is one. */
  tick: QueuedTick;
  control: Control;
  config: Config;
  clock: Clock;
  /** Waits `ms` (the tick's sub-minute rounds); the tests' fake clock just moves on. */
  wait: (ms: number) => Promise<void>;
}

export interface AppParts {
  config: Config;
  stack: string;
  ledger: Ledger;
  compute: Compute;
  loadBalancers: Record<string, LoadBalancer | undefined>;
  healthProbes: Record<string, HealthProbe>;
  queueProbes: Record<string, QueueProbe | undefined>;
  /** Default: none, every round of a tick runs in its one invocation. */
  roundQueue?: RoundQueue;
  clock?: Clock;
  /** Default: a real timer. */
  wait?: (ms: number) => Promise<void>;
  observer?: Observer;
  newId?: () => string;
  /** Numbers in [0, 1) for the jitter of throttling backoffs (default: Math.random). */
  random?: () => number;
}

/** Wires the services from ports (the Lambda runtime, the sandbox and the tests all use this). */
export function createApp(parts: AppParts): App {
  const clock = parts.clock ?? { now: () => Date.now() };
  const wait = parts.wait ?? ((ms: number) => sleep(Math.max(0, ms)));
  const observer = parts.observer ?? powertoolsObserver;
  const fleet = new Fleet({
    config: parts.config,
    stack: parts.stack,
    ledger: parts.ledger,
    compute: parts.compute,
    loadBalancers: parts.loadBalancers,
    healthProbes: parts.healthProbes,
    queueProbes: parts.queueProbes,
    clock,
    newId: parts.newId ?? randomUUID,
    observer,
    backoff: { wait, random: parts.random ?? Math.random },
  });
  return {
    fleet,
    tick: new QueuedTick({
      rounds: (options) => fleet.tickRounds(options),
      clock,
      observer,
      ...(parts.roundQueue === undefined ? {} : { queue: parts.roundQueue }),
    }),
    control: new Control(fleet, {
      ledger: parts.ledger,
      clock,
      compute: parts.compute,
      cdn: parts.config.cdn,
    }),
    config: parts.config,
    clock,
    wait,
  };
}

/** Set by esbuild's `define` when packaging (infra/serverless-vars.cjs): the validated config as JSON. */
declare const FLEET_BUNDLED_CONFIG: string | undefined;

/** The config bundled into the package, if this code was packaged with one. */
export const BUNDLED_CONFIG: string | undefined =
  typeof FLEET_BUNDLED_CONFIG === 'string' ? FLEET_BUNDLED_CONFIG : undefined;

const EnvSchema = z.object({
  FLEET_CONFIG: z.string().min(2, 'expected the config document as JSON').optional(),
  FLEET_STACK: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'expected the stack name'),
  FLEET_TABLE: z.string().min(3, 'expected the ledger table name'),
  FLEET_ROUND_QUEUE_URL: z.string().url('expected the round queue URL').optional(),
});

/**
 * Reads the environment and the config once, failing with every missing or bad key named. The
 * config is the one bundled at build time, else `FLEET_CONFIG`; either is validated again here.
 */
export function readEnvironment(
  env: NodeJS.ProcessEnv,
  bundled: string | undefined = BUNDLED_CONFIG,
): { config: Config; stack: string; table: string; roundQueueUrl?: string } {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success)
    throw new ConfigError(describeIssues(parsed.error).map((line) => `environment ${line}`));
  const source = bundled === undefined ? 'environment FLEET_CONFIG' : 'bundled config';
  const text = bundled ?? parsed.data.FLEET_CONFIG;
  if (text === undefined)
    throw new ConfigError([
      'environment FLEET_CONFIG: expected the config document as JSON (none was bundled)',
    ]);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`${source}: not JSON (${(error as Error).message})`]);
  }
  const queue = parsed.data.FLEET_ROUND_QUEUE_URL;
  return {
    config: parseConfig(raw),
    stack: parsed.data.FLEET_STACK,
    table: parsed.data.FLEET_TABLE,
    ...(queue === undefined ? {} : { roundQueueUrl: queue }),
  };
}

/** The real thing: AWS clients without hard-coded endpoints, so the standard SDK settings apply. */
export function createAwsApp(env: NodeJS.ProcessEnv): App {
  const { config, stack, table, roundQueueUrl } = readEnvironment(env);
  // Bounded calls: a hung request must fail inside the function's timeout, not hold the lease.
  const http = { requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 } };
  const ec2 = new EC2Client(http);
  const elb = new ElasticLoadBalancingClient(http);
  const elbv2 = new ElasticLoadBalancingV2Client(http);
  const documents = ledgerDocumentClient(new DynamoDBClient(http));
  const roles = Object.entries(config.roles);
  return createApp({
    config,
    stack,
    // Per container: past days of the demand history are read once, not on every converge.
    ledger: new CachedDemandHistoryLedger(new DynamoDbLedger(documents, { tableName: table })),
    compute: new Ec2Compute(ec2, { stack, roles: config.roles }),
    loadBalancers: Object.fromEntries(
      roles.map(([role, c]) => [role, loadBalancerFor(c.loadBalancer, { elb, elbv2 })]),
    ),
    healthProbes: Object.fromEntries(roles.map(([role, c]) => [role, new HttpHealthProbe(c.health)])),
    queueProbes: Object.fromEntries(
      roles.map(([role, c]) => [role, c.queue === undefined ? undefined : new HttpQueueProbe(c.queue)]),
    ),
    ...(roundQueueUrl === undefined
      ? {}
      : { roundQueue: new SqsRoundQueue(new SQSClient(http), { queueUrl: roundQueueUrl }) }),
  });
}

let cached: App | undefined;

/** The container's app, built on first use and kept for the container's life. */
export function awsApp(): App {
  cached ??= createAwsApp(process.env);
  return cached;
}
