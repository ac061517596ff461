import type { LoadBalancerConfig } from '../domain/config.js';
import type { LoadBalancer } from '../domain/ports.js';
import { type ClassicElbApi, ClassicLoadBalancer } from './classic-load-balancer.js';
import { type TargetGroupApi, TargetGroupLoadBalancer } from './target-group-load-balancer.js';

/**
 * The load balancer a role's config names, over the clients the caller built once;
 * `undefined` for `type: 'none'` (the role is not behind a load balancer).
 * @example loadBalancerFor(role.loadBalancer, { elb: new ElasticLoadBalancingClient({}), elbv2 })
 */
export function loadBalancerFor(
  config: LoadBalancerConfig,
  clients: { elb: ClassicElbApi; elbv2: TargetGroupApi },
): LoadBalancer | undefined {
  switch (config.type) {
    case 'none':
      return undefined;
    case 'classic':
      return new ClassicLoadBalancer(clients.elb, { name: config.name });
    case 'target-group':
      return new TargetGroupLoadBalancer(clients.elbv2, {
        targetGroupArn: config.targetGroupArn,
        ...(config.port !== undefined ? { port: config.port } : {}),
      });
  }
}
