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
