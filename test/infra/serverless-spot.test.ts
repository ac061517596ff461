/** The Spot parts of the stack for configs with and without Spot roles (dev's is in template.test.ts). */
import { describe, expect, it } from 'vitest';
import { testConfig } from '../../fakes/config.js';
import { iamStatements } from '../../infra/iam.js';
import { spotWarningEvents } from '../../infra/spot.js';

/** The markets the RunInstances statement on each role's instances refuses, for `cfg`. */
function refused(cfg: ReturnType<typeof testConfig>): Record<string, unknown> {
  const statements = iamStatements(cfg, 'fleet-pilot-test');
  return Object.fromEntries(
    ['RunAppInstances', 'RunJobInstances'].map((sid) => {
      const condition = statements.find((s) => s.Sid === sid)?.Condition;
      return [
        sid,
        condition?.StringNotEquals?.['ec2:InstanceMarketType'] ??
          condition?.StringEquals?.['ec2:InstanceMarketType'],
      ];
    }),
  );
}

const NEVER = ['capacity-block', 'interruptible-capacity-reservation'];

describe('Spot in the stack', () => {
  it('without a Spot role: no warning rule, and IAM keeps RunInstances off Spot', () => {
    const cfg = testConfig();
    expect(spotWarningEvents(cfg)).toEqual([]);
    expect(refused(cfg)).toEqual({
      RunAppInstances: ['spot', ...NEVER],
      RunJobInstances: ['spot', ...NEVER],
    });
  });

  it.each(['spot', 'spot-then-on-demand'])(
    'with a role on %s: the warning rule, and Spot allowed for that role only',
    (market) => {
      const cfg = testConfig({ roles: { job: { launch: { market } } } });
      expect(spotWarningEvents(cfg)).toEqual([
        {
          eventBridge: {
            pattern: {
              source: ['aws.ec2'],
              'detail-type': [
                'EC2 Spot Instance Interruption Warning',
                'EC2 Instance Rebalance Recommendation',
              ],
            },
          },
        },
      ]);
      // A Spot-only role must buy Spot (StringEquals); one that falls back may buy either.
      expect(refused(cfg)).toEqual({
        RunAppInstances: ['spot', ...NEVER],
        RunJobInstances: market === 'spot' ? 'spot' : NEVER,
      });
    },
  );

  it('lets RunInstances create the Spot request only when a role launches Spot', () => {
    // RunInstances with Spot market options authorizes a spot-instances-request resource too.
    const spotRequests = (cfg: ReturnType<typeof testConfig>) =>
      iamStatements(cfg, 'fleet-pilot-test').filter(
        (s) =>
          [s.Action].flat().includes('ec2:RunInstances') &&
          JSON.stringify(s.Resource).includes(':spot-instances-request/'),
      );
    expect(spotRequests(testConfig())).toEqual([]);
    const withSpot = spotRequests(
      testConfig({ roles: { job: { launch: { market: 'spot-then-on-demand' } } } }),
    );
    expect(withSpot).toHaveLength(1);
  });

  it('asks for no Spot-only action and no service-linked role creation', () => {
    const cfg = testConfig({ roles: { job: { launch: { market: 'spot' } } } });
    const actions = iamStatements(cfg, 'fleet-pilot-test').flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => /Spot|ServiceLinkedRole/.test(a))).toEqual([]);
  });
});
