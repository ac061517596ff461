/**
 * The kit's test root itself: what runs there cannot reach a real AWS CLI or the network, and
 * nothing started there outlives the call that started it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { requireTool, SYSTEM_TOOLS, type SystemTool } from '../support/system-tools.js';
import { type KitRoot, makeKitRoot } from './kit-root.js';

/** True while `pid` runs (a zombie waiting to be reaped has stopped running). */
const running = (pid: number) => {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  const state = readFileSync(stat, 'utf8').replace(/^.*\) /s, '')[0];
  return state !== 'Z' && state !== 'X';
};

/** Whether `pid` still runs a second later (a kill is delivered, not instant). */
const stillRunning = (pid: number) => {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let wait = 0; wait < 20 && running(pid); wait += 1) Atomics.wait(pause, 0, 0, 50);
  return running(pid);
};

describe('makeKitRoot', () => {
  let kit: KitRoot | undefined;
  afterEach(() => kit?.cleanup());

  it('finds only the stand-ins and system tools on PATH, with instance metadata off', () => {
    kit = makeKitRoot();
    const result = kit.run('bash', [
      '-c',
      'rm "$(command -v aws)"; echo "$AWS_EC2_METADATA_DISABLED"; command -v aws || echo "no aws"',
    ]);
    expect(result.stdout).toBe('true\nno aws\n');
  });

  it('has git refuse any repository that is not local', () => {
    kit = makeKitRoot();
    const result = kit.run('git', ['ls-remote', 'https://127.0.0.1:9/app.git']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("transport 'https' not allowed");
  });

  it('kills what a command left in the background when it returns', () => {
    kit = makeKitRoot();
    const result = kit.run('bash', ['-c', 'sleep 60 >/dev/null 2>&1 & echo $!']);
    const pid = Number(result.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    expect(stillRunning(pid)).toBe(false);
  });

  it('kills the whole command, background jobs included, at its timeout', () => {
    kit = makeKitRoot();
    const result = kit.run('bash', ['-c', 'sleep 60 >/dev/null 2>&1 & echo $!; sleep 60'], {
      timeoutMs: 500,
    });
    const pid = Number(result.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    expect(stillRunning(pid)).toBe(false);
  });
});

describe('requireTool', () => {
  const tools = Object.keys(SYSTEM_TOOLS) as SystemTool[];

  it.each(tools)('fails in one line naming the Debian package when %s is missing', (tool) => {
    // A PATH of one directory that does not exist: no tool is found.
    expect(() => requireTool(tool, '/nonexistent/fleet-pilot')).toThrow(
      new RegExp(
        `^${tool} is not installed: sudo apt-get install ${SYSTEM_TOOLS[tool]} \\(Debian/Ubuntu; [^\\n]*\\)$`,
      ),
    );
  });

  it.each(tools)('passes when %s is on PATH', (tool) => {
    expect(() => requireTool(tool)).not.toThrow();
  });
});
