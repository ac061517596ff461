/** The simulator's public API: `simulate` and what a caller (CLI, bench, tuner) needs around it. */
export { billedHours, billedSeconds, percentile } from './billing.js';
export type { JobOutcome, SimulationEvent, Timeline } from './model.js';
export {
  BACKLOG_TARGET_PER_SERVER,
  type ConfigPolicy,
  DEFAULT_LAUNCH_DELAY,
  DEFAULT_SEED,
  DEFAULT_START_AT,
  DEFAULT_START_DELAY,
  defaultRole,
  isPolicyName,
  type LaunchDelay,
  POLICY_NAMES,
  type PolicyName,
  type PolicySpec,
  policyRole,
  type SimRole,
  simulationRole,
  vcpusOf,
} from './policies.js';
export {
  type CostFigures,
  costFigures,
  DEFAULT_INTERRUPTIONS_PER_DAY,
  DEFAULT_ON_DEMAND_PER_HOUR,
  DEFAULT_SPOT_DISCOUNT,
  DEFAULT_VOLUME_GB,
  DEFAULT_VOLUME_PER_GB_MONTH,
  interruptionTimes,
  onDemandPerHour,
  type Pricing,
  type ServerBill,
} from './pricing.js';
export { compareMarkets, describeDelay, formatSummary, timelineSvg } from './report.js';
export type { TickDecision } from './service-driver.js';
export {
  type SimulationOptions,
  type SimulationResult,
  type SimulationSummary,
  simulate,
  spotOnDemandBase,
} from './simulate.js';
