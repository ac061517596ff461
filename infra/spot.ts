/**
 * The Spot parts of the stack, from the validated config: the EventBridge events of EC2's Spot
 * warnings for the spotWarning function (which markets each role may buy is in iam.ts).
 * serverless.yml takes them through infra/serverless-spot.cjs.
 */
import type { Config } from '../domain/config.js';
import { type Market, marketsUsed } from '../domain/market.js';

function markets(cfg: Config): Set<Market> {
  return new Set(Object.values(cfg.roles).flatMap((role) => marketsUsed(role.launch)));
}

/**
 * EC2's Spot interruption warnings and rebalance recommendations, when some role launches Spot;
 * none otherwise (the rule would only invoke the function for other instances' warnings).
 */
export function spotWarningEvents(cfg: Config): unknown[] {
  if (!markets(cfg).has('spot')) return [];
  const detailTypes = ['EC2 Spot Instance Interruption Warning', 'EC2 Instance Rebalance Recommendation'];
  return [{ eventBridge: { pattern: { source: ['aws.ec2'], 'detail-type': detailTypes } } }];
}
