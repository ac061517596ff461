/**
 * The user data a launched server boots with: its role, DB host and worker count, and a drain hook
 * so a terminated server lets running jobs finish. It carries no secrets and reads no instance
 * metadata: everything it needs is passed in, and every input is checked against a strict pattern
 * so no value can break out of the script.
 *
 * Contract with the server image (the AMI provides these units):
 * - `fleet-pilot-role.target` starts the role's services, reading `/etc/fleet-pilot/role.env`
 *   (systemd `EnvironmentFile=` syntax; it is also valid shell);
 * - job workers run as `fleet-pilot-worker@<n>.service` under that target, take no new job while
 *   `/etc/fleet-pilot/draining` exists, and finish the current job on SIGTERM.
 *
 * A warm-pool server (`warming`) boots with `/etc/fleet-pilot/warming`: the kit deploys and starts
 * the role's services but no worker that takes jobs, since a job pulled and then cut off by the
 * stop would be lost. The marker is removed at the next boot (tmpfiles), so once started from the
 * pool the server works like any other; user data runs only at an instance's first boot.
 *
 * Draining on shutdown: `fleet-pilot-drain.service` is ordered after the role target, so systemd
 * stops it first. Its ExecStop marks the server draining, sends the workers SIGTERM and waits up to
 * `drainSeconds` for them to exit before killing what is left. Its `TimeoutStopSec` is a little
 * longer than that, so the script's own deadline, not systemd's, ends the wait. The control plane
 * drains first anyway (deregister, wait, terminate); this hook covers terminations from elsewhere.
 */
import { ValidationError } from './errors.js';
import { ROLE_NAME } from './roles.js';

/** EC2's limit on user data, in bytes, before base64 encoding. */
export const USER_DATA_LIMIT_BYTES = 16_384;

/** Extra seconds systemd allows the drain hook beyond `drainSeconds`, so the hook's deadline wins. */
const STOP_MARGIN_SECONDS = 30;

export interface UserDataInput {
  role: string;
  dbHost: string;
  vcpus: number;
  workersPerVcpu: number;
  stack: string;
  intentId: string;
  drainSeconds: number;
  /** Launched to fill the warm pool: start no worker until stopped and started again. */
  warming?: boolean;
}

type Rule = { test: (value: unknown) => boolean; expected: string };

const pattern = (regex: RegExp, expected: string): Rule => ({
  test: (value) => typeof value === 'string' && regex.test(value),
  expected,
});

const integer = (min: number, max: number): Rule => ({
  test: (value) => Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max,
  expected: `an integer from ${min} to ${max}`,
});

/** Every field's rule. Patterns admit no quote, space, `$`, backtick, `;` or newline. */
const RULES: Record<keyof UserDataInput, Rule> = {
  // The config's own rule: the server kit starts every role it accepts, and nothing else reaches it.
  role: pattern(
    ROLE_NAME,
    'a role name (a lower-case letter, then lower-case letters, digits or dashes, at most 20 characters)',
  ),
  dbHost: pattern(
    /^(?!-)[A-Za-z0-9.:-]{1,253}$/,
    'a host name or IP address (letters, digits, ".", ":", "-")',
  ),
  vcpus: integer(1, 4096),
  workersPerVcpu: integer(1, 64),
  stack: pattern(/^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/, 'a stack name (letters, digits and "-")'),
  intentId: pattern(
    /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/,
    'an intent id (letters, digits, ".", "_", ":", "-")',
  ),
  // Matches lifecycle.drainSeconds in the config: 0 means "no grace", not "wait forever".
  drainSeconds: integer(0, 3600),
  warming: { test: (value) => value === undefined || typeof value === 'boolean', expected: 'true or false' },
};

function check(input: Partial<Record<keyof UserDataInput, unknown>>, fields: (keyof UserDataInput)[]): void {
  const issues = fields
    .filter((field) => !RULES[field].test(input[field]))
    .map((field) => `${field}: expected ${RULES[field].expected}`);
  if (issues.length > 0) throw new ValidationError('user data input', issues);
}

/**
 * Worker processes for a server: `vcpus × workersPerVcpu` (the scripts ran 2 per compute unit).
 * @throws ValidationError naming a field that is not a positive integer in range.
 */
export function workerCount(vcpus: number, workersPerVcpu: number): number {
  check({ vcpus, workersPerVcpu }, ['vcpus', 'workersPerVcpu']);
  return vcpus * workersPerVcpu;
}

/**
 * The user-data script for one launch.
 * @throws ValidationError naming every field that fails its pattern, or when the script exceeds
 * {@link USER_DATA_LIMIT_BYTES}.
 * @example
 * renderUserData({ role: 'job', dbHost: 'db.internal', vcpus: 2, workersPerVcpu: 2,
 *   stack: 'fleet-pilot-prod', intentId: '01J0ABC', drainSeconds: 600 })
 * // => '#!/bin/bash\n...FLEET_WORKERS=4...'
 */
export function renderUserData(input: UserDataInput): string {
  check(input, Object.keys(RULES) as (keyof UserDataInput)[]);
  const workers = workerCount(input.vcpus, input.workersPerVcpu);
  const drain = input.drainSeconds;
  const script = `#!/bin/bash
# fleet-pilot user data for role ${input.role}, stack ${input.stack}, intent ${input.intentId}.
# Generated by the control plane. It holds no credentials and reads no instance metadata.
set -euo pipefail
umask 022

install -d -m 0755 /etc/fleet-pilot
cat > /etc/fleet-pilot/role.env <<'FLEET_ROLE_ENV'
FLEET_ROLE=${input.role}
FLEET_DB_HOST=${input.dbHost}
FLEET_WORKERS=${workers}
FLEET_STACK=${input.stack}
FLEET_INTENT_ID=${input.intentId}
FLEET_DRAIN_SECONDS=${drain}
FLEET_ROLE_ENV
chmod 0644 /etc/fleet-pilot/role.env

# The draining and warming markers must not survive a reboot, or workers would never take jobs.
rm -f /etc/fleet-pilot/draining
cat > /etc/tmpfiles.d/fleet-pilot.conf <<'FLEET_TMPFILES'
r /etc/fleet-pilot/draining
r /etc/fleet-pilot/warming
FLEET_TMPFILES
${
  input.warming === true
    ? `# A warm-pool server: deployed and checked now, stopped into the pool, working once started.
touch /etc/fleet-pilot/warming
`
    : 'rm -f /etc/fleet-pilot/warming\n'
}
cat > /usr/local/sbin/fleet-pilot-drain <<'FLEET_DRAIN'
#!/bin/bash
# Stop workers taking new jobs, let running ones finish for up to ${drain}s, then kill the rest.
set -u
touch /etc/fleet-pilot/draining
systemctl kill --signal=SIGTERM 'fleet-pilot-worker@*' || true
deadline=$((SECONDS + ${drain}))
while systemctl list-units --no-legend --plain --state=active,activating,deactivating \\
  'fleet-pilot-worker@*' | grep -q .; do
  if ((SECONDS >= deadline)); then
    echo "fleet-pilot-drain: workers still running after ${drain}s; killing them" >&2
    systemctl kill --signal=SIGKILL 'fleet-pilot-worker@*' || true
    break
  fi
  sleep 2
done
exit 0
FLEET_DRAIN
chmod 0755 /usr/local/sbin/fleet-pilot-drain

# Stopped before the role target (reverse of After=), so it drains while the workers still run.
cat > /etc/systemd/system/fleet-pilot-drain.service <<'FLEET_DRAIN_UNIT'
[Unit]
Description=fleet-pilot: drain workers before shutdown
After=network-online.target fleet-pilot-role.target
Wants=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
ExecStop=/usr/local/sbin/fleet-pilot-drain
TimeoutStopSec=${drain + STOP_MARGIN_SECONDS}

[Install]
WantedBy=multi-user.target
FLEET_DRAIN_UNIT

# Hibernation (a warm pool in state "hibernated") is no boot: sleep.target runs this hook's start
# before the server hibernates (drain, as for a shutdown) and its stop once it resumes: the markers
# a boot would clear go, and the role restarts (it deploys if the release changed, then the workers).
cat > /usr/local/sbin/fleet-pilot-resume <<'FLEET_RESUME'
#!/bin/bash
set -u
rm -f /etc/fleet-pilot/draining /etc/fleet-pilot/warming
systemctl restart --no-block fleet-pilot-role.target
FLEET_RESUME
chmod 0755 /usr/local/sbin/fleet-pilot-resume

cat > /etc/systemd/system/fleet-pilot-sleep.service <<'FLEET_SLEEP_UNIT'
[Unit]
Description=fleet-pilot: drain workers before hibernating, take work again on resume
DefaultDependencies=no
StopWhenUnneeded=yes
Before=sleep.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/fleet-pilot-drain
ExecStop=/usr/local/sbin/fleet-pilot-resume
TimeoutStartSec=${drain + STOP_MARGIN_SECONDS}

[Install]
WantedBy=sleep.target
FLEET_SLEEP_UNIT

# A worker that exits on SIGTERM is not restarted while the server drains.
install -d -m 0755 /etc/systemd/system/fleet-pilot-worker@.service.d
cat > /etc/systemd/system/fleet-pilot-worker@.service.d/fleet-pilot-drain.conf <<'FLEET_WORKER_DROPIN'
[Unit]
ConditionPathExists=!/etc/fleet-pilot/draining
FLEET_WORKER_DROPIN

systemctl daemon-reload
systemctl enable --now fleet-pilot-drain.service
systemctl enable fleet-pilot-sleep.service
# The image's hook: (re)start the role's services with role.env. A missing target must not fail
# the boot; the control plane's health check replaces a server that never serves.
systemctl restart fleet-pilot-role.target || true
`;
  checkSize(script);
  return script;
}

/**
 * Base64 of the script's UTF-8 bytes, as RunInstances' `UserData` wants it.
 * @throws ValidationError when the script exceeds {@link USER_DATA_LIMIT_BYTES} before encoding.
 */
export function encodeUserData(script: string): string {
  checkSize(script);
  return Buffer.from(script, 'utf8').toString('base64');
}

function checkSize(script: string): void {
  const bytes = Buffer.byteLength(script, 'utf8');
  if (bytes > USER_DATA_LIMIT_BYTES) {
    throw new ValidationError('user data', [
      `size: ${bytes} bytes, over EC2's limit of ${USER_DATA_LIMIT_BYTES} bytes before base64 encoding`,
    ]);
  }
}
