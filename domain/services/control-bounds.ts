/**
 * The bounds records the control function writes for `launch` and `retire`: each bound keeps its
 * own end, whether a repeated request still applies, and how an end reads in a message.
 */
import type { ControlCommand } from '../commands.js';
import { boundEnd, boundReason } from '../planner.js';
import type { RoleBounds } from '../types.js';

export interface HeldBound {
  value: number;
  /** When it stops applying; undefined: never (an older record set by hand). */
  until: number | undefined;
  /** Why it is held, when not the record's (the newest command's) reason: a bound kept from an earlier command. */
  reason?: string | undefined;
}

/** An earlier command's bound kept in a new record, at `value`, with its own end and reason. */
export function keptBound(bounds: RoleBounds, bound: 'min' | 'max', value: number): HeldBound {
  return { value, until: boundEnd(bounds, bound), reason: boundReason(bounds, bound) };
}

/**
 * A bounds record, set by the control function, whose min and max each keep their own end and
 * reason: the record lasts until the later end, a bound ending at another time carries its own
 * `minUntil` or `maxUntil`, and one held for another reason than the command's its own
 * `minReason` or `maxReason`.
 */
export function boundsRecord(
  min: HeldBound | undefined,
  max: HeldBound | undefined,
  fields: Required<Pick<RoleBounds, 'since' | 'requestId' | 'reason'>>,
): RoleBounds {
  const ends = [min, max].filter((b) => b !== undefined).map((b) => b.until);
  const expiresAt = ends.every((end): end is number => end !== undefined) ? Math.max(...ends) : undefined;
  const own = (bound: HeldBound | undefined) =>
    bound === undefined || bound.until === expiresAt ? undefined : bound.until;
  const minUntil = own(min);
  const maxUntil = own(max);
  const ownReason = (bound: HeldBound | undefined) =>
    bound?.reason === undefined || bound.reason === fields.reason ? undefined : bound.reason;
  const minReason = ownReason(min);
  const maxReason = ownReason(max);
  return {
    ...(min === undefined ? {} : { min: min.value }),
    ...(max === undefined ? {} : { max: max.value }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    ...(minUntil === undefined ? {} : { minUntil }),
    ...(maxUntil === undefined ? {} : { maxUntil }),
    ...(minReason === undefined ? {} : { minReason }),
    ...(maxReason === undefined ? {} : { maxReason }),
    ...fields,
    setBy: 'control',
  };
}

/**
 * Whether the bounds a request set still apply: a launch set the minimum, a retire the maximum (the
 * record may outlast them, keeping an earlier command's bound), an override the whole record.
 */
export function stillApplies(bounds: RoleBounds, action: ControlCommand['action'], now: number): boolean {
  const end =
    action === 'launch'
      ? boundEnd(bounds, 'min')
      : action === 'retire'
        ? boundEnd(bounds, 'max')
        : bounds.expiresAt;
  return end === undefined || end > now;
}

/** A kept bound's end, as an operator reads it. */
export function heldUntil(until: number | undefined): string {
  return until === undefined ? 'until cleared' : `until ${shown(until)}`;
}

/** An instant to the second, in UTC: what an operator reads in a message. */
export function shown(at: number): string {
  return new Date(Math.round(at / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
