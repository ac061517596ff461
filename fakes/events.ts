/** Events as EventBridge delivers them, for the tests, the sandbox and the chaos run. */

/** An EventBridge "EC2 Instance State-change Notification" for one instance. */
export function stateEvent(instanceId: string, state: string) {
  return {
    id: `evt-${instanceId}-${state}`,
    source: 'aws.ec2',
    'detail-type': 'EC2 Instance State-change Notification',
    detail: { 'instance-id': instanceId, state },
  };
}

/**
 * An EventBridge "EC2 Spot Instance Interruption Warning" (EC2 takes the instance back two minutes
 * after `at`) or "EC2 Instance Rebalance Recommendation" (it is at elevated risk) for one instance.
 */
export function spotEvent(instanceId: string, kind: 'interruption' | 'rebalance', at: number) {
  const time = new Date(at).toISOString();
  return kind === 'interruption'
    ? {
        id: `evt-${instanceId}-interruption`,
        source: 'aws.ec2',
        'detail-type': 'EC2 Spot Instance Interruption Warning',
        time,
        detail: {
          'instance-id': instanceId,
          'instance-action': 'terminate',
          'instance-action-time': new Date(at + 120_000).toISOString(),
        },
      }
    : {
        id: `evt-${instanceId}-rebalance`,
        source: 'aws.ec2',
        'detail-type': 'EC2 Instance Rebalance Recommendation',
        time,
        detail: { 'instance-id': instanceId },
      };
}
