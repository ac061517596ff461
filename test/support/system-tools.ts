/**
 * System tools some tests run (shellcheck, systemd-analyze, systemd-socket-activate). A test that
 * needs one fails, never skips, when it is missing, with one line naming the package to install.
 */
import { spawnSync } from 'node:child_process';

/** Every tool the tests need that `npm ci` cannot install, with its Debian/Ubuntu package. */
export const SYSTEM_TOOLS = {
  shellcheck: 'shellcheck',
  'systemd-analyze': 'systemd',
  'systemd-socket-activate': 'systemd',
} as const;

export type SystemTool = keyof typeof SYSTEM_TOOLS;

/**
 * Throws a one-line error naming the package when `tool` is not on PATH.
 *
 * @example requireTool('shellcheck') // Error: shellcheck is not installed: sudo apt-get install shellcheck (...)
 */
export function requireTool(tool: SystemTool, path = process.env.PATH ?? ''): void {
  const found = spawnSync('/bin/sh', ['-c', 'command -v "$1"', '-', tool], { env: { PATH: path } });
  if (found.status === 0) return;
  throw new Error(
    `${tool} is not installed: sudo apt-get install ${SYSTEM_TOOLS[tool]} (Debian/Ubuntu; see the README's quick start)`,
  );
}
