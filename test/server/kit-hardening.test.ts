/**
 * The kit's services as systemd scores them (`systemd-analyze security --offline=true`, in a
 * temporary root with the kit installed): each at most 5.0, "OK", the start unit that runs as root
 * included; the app, its workers and the health endpoint cannot reach instance metadata.
 */
import { describe, expect, it } from 'vitest';
import { requireTool } from '../support/system-tools.js';
import { UNITS, useInstalledKit } from './kit-root.js';

const kit = useInstalledKit();
const SERVICES = UNITS.filter((unit) => unit.endsWith('.service'));
const unitFile = (unit: string) => `etc/systemd/system/${unit.replace(/@\d+\.service$/, '@.service')}`;

function exposure(unit: string): number {
  requireTool('systemd-analyze');
  const result = kit.run('systemd-analyze', ['security', '--offline=true', `--root=${kit.root}`, unit], {
    env: { SYSTEMD_LOG_COLOR: '0' },
  });
  const score = /Overall exposure level for \S+: (\d+\.\d)/.exec(result.stdout + result.stderr);
  if (score === null) throw new Error(`no exposure for ${unit}: ${result.stdout}${result.stderr}`);
  return Number(score[1]);
}

describe('systemd-analyze security', () => {
  it.each(SERVICES)('scores %s at most 5.0', (unit) => {
    expect(exposure(unit)).toBeLessThanOrEqual(5.0);
  });

  it('would score the root start unit above 5.0 without its sandboxing, so the check can fail', () => {
    const file = unitFile('fleet-pilot-start.service');
    const text = kit.read(file);
    kit.write(file, text.slice(0, text.indexOf('NoNewPrivileges=')));
    expect(exposure('fleet-pilot-start.service')).toBeGreaterThan(5.0);
  });
});

describe('instance metadata', () => {
  it.each(['fleet-pilot-app.service', 'fleet-pilot-worker@1.service', 'fleet-pilot-health@1.service'])(
    'is out of reach of %s',
    (unit) => {
      expect(kit.read(unitFile(unit))).toMatch(/^IPAddressDeny=169\.254\.169\.254 fd00:ec2::254$/m);
    },
  );

  it('stays reachable for the deploy, which fetches the release with the instance role', () => {
    expect(kit.read(unitFile('fleet-pilot-deploy.service'))).not.toMatch(/^IPAddressDeny=/m);
  });

  it('and the root start unit has no network at all', () => {
    const start = kit.read(unitFile('fleet-pilot-start.service'));
    expect(start).toMatch(/^IPAddressDeny=any$/m);
    expect(start).toMatch(/^RestrictAddressFamilies=AF_UNIX$/m);
    expect(start).toMatch(/^CapabilityBoundingSet=$/m);
  });
});
