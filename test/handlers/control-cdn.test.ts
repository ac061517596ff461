import { describe, expect, it } from 'vitest';
import { testConfig } from '../../fakes/config.js';
import { harness } from '../../fakes/harness.js';
import { runControl } from '../../handlers/control.js';

const CDN = {
  domain: 'smallpayroll.ca',
  certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
  hosts: 2,
};

describe('control status and the CDN', () => {
  it("shows the CDN's domain and host names when one is configured", async () => {
    const h = harness({ config: testConfig({ cdn: CDN }) });
    const status = await runControl({ action: 'status' }, h.app);
    if (!status.ok) throw new Error(status.error);
    expect(status.cdn).toEqual({
      domain: 'smallpayroll.ca',
      aliases: ['cdn0.smallpayroll.ca', 'cdn1.smallpayroll.ca'],
    });
    expect(status.messages).toContain(
      'cdn: smallpayroll.ca assets on cdn0.smallpayroll.ca, cdn1.smallpayroll.ca',
    );
  });

  it('says nothing of a CDN when none is configured', async () => {
    const status = await runControl({ action: 'status' }, harness().app);
    if (!status.ok) throw new Error(status.error);
    expect(status.cdn).toBeUndefined();
    expect(status.messages.some((m) => m.startsWith('cdn:'))).toBe(false);
  });
});
