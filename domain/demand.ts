/**
 * Demand policies: how many servers the queue asks for, from recent queue samples.
 *
 * Unknown is not zero. A missing, failed, stale or insane sample never lowers capacity: the policy
 * answers `hold` with the reason, and the caller keeps what runs. Scale-out is immediate; scale-in
 * needs known samples that agree and cover the whole stabilization window, back to its start.
 */
import type { BacklogPolicy, PolicyConfig, QueueProbeConfig, ThresholdPolicy } from './config.js';
import type { DemandInput, DemandResult, StabilizationWindow } from './demand-types.js';
import { drainTimeDemand, stabilizationSecondsOf } from './policies/drain-time.js';
import type { QueueSample } from './types.js';

export type { DemandInput, DemandResult } from './demand-types.js';

/** Demand of a queue-driven role. Pure: same input, same answer. */
export function demand(input: DemandInput): DemandResult {
  const samples = [...input.samples].filter((s) => s.at <= input.now).sort((a, b) => a.at - b.at);
  const latest = samples.at(-1);
  const maxAgeMs = input.queue.maxSampleAgeSeconds * 1000;
  if (latest === undefined) {
    return hold(input, null, 'no queue sample yet: holding, never scaling in on unknown');
  }
  if (latest.length === null) {
    return hold(input, null, `queue length unknown (${latest.error ?? 'no reason given'}): holding`);
  }
  if (!isSane(latest.length)) {
    return hold(input, null, `queue length ${latest.length} is not a sane queue length: holding`);
  }
  const ageMs = input.now - latest.at;
  if (ageMs > maxAgeMs) {
    return hold(
      input,
      null,
      `newest queue sample is ${Math.round(ageMs / 1000)} s old (limit ${input.queue.maxSampleAgeSeconds} s): holding`,
    );
  }
  const window = stabilizationWindow(samples, stabilizationSecondsOf(input) * 1000, maxAgeMs, input.now);
  switch (input.policy.type) {
    case 'threshold':
      return thresholdDemand(input, input.policy, latest.length, window);
    case 'backlog-per-server':
      return backlogDemand(input, input.policy, latest.length, window);
    case 'drain-time':
      return drainTimeDemand(
        input,
        input.policy,
        { ...latest, length: latest.length },
        samples,
        window,
        (why) => hold(input, latest.length, why),
      );
  }
}

/** A queue length is a non-negative integer; anything else (NaN, -1, 2.5) is as unknown as a failure. */
function isSane(length: number | null): length is number {
  return length !== null && Number.isSafeInteger(length) && length >= 0;
}

type Window = StabilizationWindow;

/**
 * The samples that cover the last `spanMs`: the newest one taken at or before the window's start
 * (it stands for the queue until the next one) and every later one. Usable only when all of them
 * are known and no two consecutive ones, nor the newest and `now`, are further apart than a
 * sample's useful age: missed or failed probes never shorten the window. `samples` are sorted and
 * the newest is known and fresh.
 */
function stabilizationWindow(samples: QueueSample[], spanMs: number, maxAgeMs: number, now: number): Window {
  const start = now - spanMs;
  const before = samples.filter((s) => s.at <= start).at(-1);
  if (before === undefined) {
    return { ok: false, reason: `samples do not yet cover the ${spanMs / 1000} s stabilization window` };
  }
  const inWindow = samples.filter((s) => s.at >= before.at);
  const unknown = inWindow.find((s) => !isSane(s.length));
  if (unknown !== undefined) {
    return {
      ok: false,
      reason: `a sample in the last ${spanMs / 1000} s was unknown (${unknown.error ?? `reading ${unknown.length}`})`,
    };
  }
  for (let i = 1; i < inWindow.length; i += 1) {
    const gap = (inWindow[i]?.at ?? 0) - (inWindow[i - 1]?.at ?? 0);
    if (gap > maxAgeMs) return { ok: false, reason: `a ${gap / 1000} s gap in the samples of the window` };
  }
  return { ok: true, lengths: inWindow.map((s) => s.length ?? 0) };
}

function thresholdDemand(
  input: DemandInput,
  policy: ThresholdPolicy,
  length: number,
  window: Window,
): DemandResult {
  const cap = input.floor + policy.maxExtra;
  if (length > policy.scaleOutAbove) {
    // Extra servers are counted above the floor: below it, the floor's launches are not the queue's.
    const servers = Math.max(
      input.current,
      Math.min(Math.max(input.current, input.floor) + policy.step, cap),
    );
    return {
      kind: 'known',
      servers,
      queueLength: length,
      reason: `queue ${length} > ${policy.scaleOutAbove}: up to ${servers} (at most ${policy.maxExtra} extra)`,
    };
  }
  if (length >= policy.scaleInBelow) {
    return {
      kind: 'known',
      servers: input.current,
      queueLength: length,
      reason: `queue ${length} within [${policy.scaleInBelow}, ${policy.scaleOutAbove}]: keep ${input.current}`,
    };
  }
  if (!window.ok) return hold(input, length, `queue ${length} < ${policy.scaleInBelow} but ${window.reason}`);
  const high = Math.max(...window.lengths);
  if (high >= policy.scaleInBelow) {
    return hold(
      input,
      length,
      `queue ${length} < ${policy.scaleInBelow} but reached ${high} within the last ${policy.stabilizationSeconds} s`,
    );
  }
  // Down to the floor, not one at a time: the answer must not depend on how often a converge runs
  // (ticks, schedule edges and EC2 events all converge). Lifetime and billing rules pace retirements.
  const servers = input.floor;
  return {
    kind: 'known',
    servers,
    queueLength: length,
    reason: `queue under ${policy.scaleInBelow} for ${policy.stabilizationSeconds} s: down to ${servers}`,
  };
}

function backlogDemand(
  input: DemandInput,
  policy: BacklogPolicy,
  length: number,
  window: Window,
): DemandResult {
  const want = (queueLength: number) =>
    input.floor + Math.min(policy.maxExtra, Math.ceil(queueLength / policy.targetPerServer));
  const now = want(length);
  const describe = `queue ${length} / ${policy.targetPerServer} per server`;
  if (now >= input.current) {
    return { kind: 'known', servers: now, queueLength: length, reason: `${describe}: ${now} servers` };
  }
  if (!window.ok) return hold(input, length, `${describe} asks for ${now} but ${window.reason}`);
  const servers = Math.max(...window.lengths.map(want));
  if (servers >= input.current) {
    return hold(
      input,
      length,
      `${describe} asks for ${now} but the last ${policy.stabilizationSeconds} s asked for ${servers}`,
    );
  }
  return {
    kind: 'known',
    servers,
    queueLength: length,
    reason: `${describe}: ${servers} servers, stable for ${policy.stabilizationSeconds} s`,
  };
}

function hold(input: DemandInput, queueLength: number | null, reason: string): DemandResult {
  return { kind: 'hold', servers: Math.max(input.current, input.previousHold ?? 0), queueLength, reason };
}

/**
 * How far back a converge needs queue samples: scale-in needs the newest sample at or before the
 * stabilization window's start, which may be up to a sample age older than the start; the
 * drain-time policy also measures its rate window.
 */
export function sampleSpanSeconds(
  policy: PolicyConfig,
  queue: Pick<QueueProbeConfig, 'maxSampleAgeSeconds'> | undefined,
): number {
  const rateWindow = policy.type === 'drain-time' ? policy.rateWindowSeconds : 0;
  return Math.max(policy.stabilizationSeconds + (queue?.maxSampleAgeSeconds ?? 0), rateWindow) + 60;
}
