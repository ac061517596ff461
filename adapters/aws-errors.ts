/**
 * The one place AWS error names are looked at. Every adapter passes SDK failures through
 * {@link mapAwsError}, so services and handlers only ever see the classes of `domain/errors.ts`.
 *
 * Names come from three places on an SDK v3 error: `name` (the modelled exception class, e.g.
 * `AccessPointNotFoundException`, or for EC2, whose errors are not modelled, the wire code itself,
 * e.g. `InvalidInstanceID.NotFound`), `Code` (the wire code of query-protocol services: classic ELB
 * throws `AccessPointNotFoundException` with `Code: 'LoadBalancerNotFound'`) and, for Node network
 * failures, `code` (`ECONNRESET`). A trailing `Exception` is ignored when matching.
 */
import {
  CapacityError,
  ConflictError,
  FleetError,
  IncorrectStateError,
  InvalidRequestError,
  NotFoundError,
  SpotUnavailableError,
  ThrottlingError,
  TransientError,
} from '../domain/errors.js';

type Kind =
  | 'throttling'
  | 'capacity'
  | 'spot-price'
  | 'spot-limit'
  | 'conflict'
  | 'incorrect-state'
  | 'invalid'
  | 'not-found'
  | 'transient';

/** Names below are without a trailing `Exception` (see {@link normalize}). */
const THROTTLING = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'Throttled',
  'ThrottlingError',
  'RequestThrottled',
  'TooManyRequests',
  'ProvisionedThroughputExceeded',
  'BandwidthLimitExceeded',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2Throttled',
  'DependencyThrottle',
]);

/** No room for this instance type here; another type or subnet may have some. */
const CAPACITY = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientHostCapacity',
  'InsufficientCapacityOnHost',
  'InsufficientReservedInstanceCapacity',
  'InsufficientCapacity',
  'InsufficientFreeAddressesInSubnet',
  // EC2's answer to an instance type that this Availability Zone does not offer.
  'Unsupported',
]);

/** Spot only: the max price is too low for this type here; the account's Spot limit is reached. */
const SPOT_PRICE = new Set(['SpotMaxPriceTooLow']);
const SPOT_LIMIT = new Set(['MaxSpotInstanceCountExceeded']);

const CONFLICT = new Set(['ConditionalCheckFailed', 'IdempotentParameterMismatch']);

/** The instance is not in a state that allows the call (start while stopping, stop while pending). */
const INCORRECT_STATE = new Set(['IncorrectInstanceState', 'IncorrectState']);

const INVALID = new Set([
  'InvalidInstance',
  'InvalidEndPoint',
  'InvalidTarget',
  'InvalidInstanceType',
  'InvalidConfigurationRequest',
  'Validation',
  'ValidationError',
  'MissingParameter',
  'UnknownParameter',
  // S3: the body did not match its Content-MD5 or Content-Length (the file changed since it was hashed).
  'BadDigest',
  'InvalidDigest',
  'IncompleteBody',
  // Hibernation asked of an instance not launched for it, or of a type or AMI that cannot.
  'UnsupportedHibernationConfiguration',
  'UnsupportedOperation',
]);

const TRANSIENT = new Set([
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'Unavailable',
  'RequestTimeout',
  'TimeoutError',
  'TransactionConflict',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** The request named an instance the service does not know, or one it cannot act on. */
const UNKNOWN_INSTANCE = new Set([
  'InvalidInstanceID.NotFound',
  'InvalidInstance',
  'InvalidEndPoint',
  'InvalidTarget',
]);

interface AwsErrorLike {
  name?: unknown;
  Code?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: { throttling?: unknown };
  CancellationReasons?: unknown;
}

function asObject(error: unknown): AwsErrorLike {
  return typeof error === 'object' && error !== null ? (error as AwsErrorLike) : {};
}

function normalize(name: string): string {
  return name.endsWith('Exception') && name !== 'Exception' ? name.slice(0, -'Exception'.length) : name;
}

/** Every name the error goes by, most specific first, without a trailing `Exception`. */
function namesOf(error: unknown): string[] {
  const e = asObject(error);
  const raw = [e.name, e.Code, e.code].filter((n): n is string => typeof n === 'string' && n !== '');
  return [...new Set(raw.map(normalize))];
}

function classifyName(name: string): Kind | undefined {
  if (THROTTLING.has(name)) return 'throttling';
  if (CAPACITY.has(name)) return 'capacity';
  if (SPOT_PRICE.has(name)) return 'spot-price';
  if (SPOT_LIMIT.has(name)) return 'spot-limit';
  if (CONFLICT.has(name)) return 'conflict';
  if (INCORRECT_STATE.has(name)) return 'incorrect-state';
  // Before the NotFound rule: a missing AMI is a bad launch setting, not a missing resource we manage.
  if (INVALID.has(name) || name.startsWith('InvalidParameter') || name.startsWith('InvalidAMIID.')) {
    return 'invalid';
  }
  if (name.endsWith('.Malformed')) return 'invalid';
  if (name.endsWith('NotFound')) return 'not-found';
  if (TRANSIENT.has(name)) return 'transient';
  return undefined;
}

/**
 * DynamoDB's TransactionCanceledException says why per item; a lost condition is a conflict even
 * when other items only report `None`.
 */
function classifyCancellation(error: unknown): Kind {
  const reasons = asObject(error).CancellationReasons;
  const kinds = new Set<Kind | undefined>();
  if (Array.isArray(reasons)) {
    for (const reason of reasons) {
      const code = asObject(reason).Code;
      if (typeof code === 'string' && code !== 'None') kinds.add(classifyName(normalize(code)));
    }
  }
  for (const kind of ['conflict', 'invalid', 'throttling'] as const) if (kinds.has(kind)) return kind;
  return 'transient';
}

function classify(error: unknown): Kind | undefined {
  const names = namesOf(error);
  if (names.includes('TransactionCanceled')) return classifyCancellation(error);
  for (const name of names) {
    const kind = classifyName(name);
    if (kind !== undefined) return kind;
  }
  const e = asObject(error);
  const status = e.$metadata?.httpStatusCode;
  if (status === 429 || e.$retryable?.throttling === true) return 'throttling';
  if ((typeof status === 'number' && status >= 500) || e.$fault === 'server' || e.$retryable !== undefined) {
    return 'transient';
  }
  return undefined;
}

function describe(error: unknown): string {
  const e = asObject(error);
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : String(error);
  const code = [e.Code, e.code, e.name].find((n): n is string => typeof n === 'string' && n !== '');
  return code === undefined || message.startsWith(code) ? message : `${code}: ${message}`;
}

/** What was being tried when EC2 ran out of capacity, so the caller can try something else. */
export interface CapacityAttempt {
  instanceType?: string;
  subnetId?: string;
}

/**
 * Turns any error thrown by an AWS SDK v3 call (or by the network under it) into a domain error.
 * The message is `${context}: ${code}: ${original message}` and `cause` is the original error.
 *
 * - throttling (RequestLimitExceeded, ThrottlingException, TooManyRequests, HTTP 429, ...) → ThrottlingError
 * - InsufficientInstanceCapacity and kin, `Unsupported` (type not offered in the AZ) → CapacityError
 *   carrying `attempt`'s instance type and subnet
 * - SpotMaxPriceTooLow → SpotUnavailableError for this type and place; MaxSpotInstanceCountExceeded
 *   → SpotUnavailableError `anywhere` (no Spot launch can succeed until the account's limit frees)
 * - ConditionalCheckFailed, TransactionCanceled for a failed condition, IdempotentParameterMismatch
 *   → ConflictError
 * - IncorrectInstanceState (start while stopping, stop while pending) → IncorrectStateError
 * - InvalidParameter*, InvalidAMIID.*, *.Malformed, InvalidInstance, InvalidTarget, Validation,
 *   MissingParameter, UnsupportedHibernationConfiguration, UnsupportedOperation → InvalidRequestError
 * - any other *NotFound / *.NotFound (LoadBalancerNotFound, TargetGroupNotFound, ...) → NotFoundError
 * - 5xx, server faults, SDK-retryable errors, timeouts and network resets → TransientError
 * - a FleetError is returned unchanged.
 *
 * Anything else (AccessDenied, UnauthorizedOperation, quota errors, programming errors) becomes a
 * plain, non-retryable {@link FleetError}: it needs a person, so it must not hide in a retry loop.
 * The control plane is level-triggered, so the next tick tries again anyway.
 *
 * @example
 *   try { await client.send(command) } catch (error) { throw mapAwsError(error, `RunInstances for intent ${id}`) }
 */
export function mapAwsError(error: unknown, context: string, attempt: CapacityAttempt = {}): FleetError {
  if (error instanceof FleetError) return error;
  const message = `${context}: ${describe(error)}`;
  const options = { cause: error };
  const kind = classify(error);
  switch (kind) {
    case 'throttling':
      return new ThrottlingError(message, options);
    case 'capacity':
      return new CapacityError(message, attempt.instanceType, attempt.subnetId, options);
    case 'spot-price':
    case 'spot-limit':
      return new SpotUnavailableError(
        message,
        kind === 'spot-limit',
        attempt.instanceType,
        attempt.subnetId,
        options,
      );
    case 'conflict':
      return new ConflictError(message, options);
    case 'incorrect-state':
      return new IncorrectStateError(message, options);
    case 'invalid':
      return new InvalidRequestError(message, options);
    case 'not-found':
      return new NotFoundError(message, options);
    case 'transient':
      return new TransientError(message, options);
    default:
      return new FleetError(message, options);
  }
}

/**
 * True when a call failed because it named an instance the service does not know or will not act
 * on: EC2 `InvalidInstanceID.NotFound`, classic ELB `InvalidInstance` (also returned for an instance
 * that is not registered) and ELBv2 `InvalidTarget`. Idempotent removals treat these as done.
 */
export function isUnknownInstanceError(error: unknown): boolean {
  return namesOf(error).some((name) => UNKNOWN_INSTANCE.has(name));
}

/**
 * Deregisters `ids` with one call; when the service refuses the whole batch because some instance
 * is unknown (and then deregisters none of them), retries one id at a time and counts an unknown id
 * as already deregistered. Other errors are mapped with `context` naming the ids concerned.
 */
export async function deregisterEach(
  instanceIds: readonly string[],
  send: (ids: readonly string[]) => Promise<unknown>,
  context: (ids: readonly string[]) => string,
): Promise<void> {
  const ids = [...new Set(instanceIds)];
  if (ids.length === 0) return;
  try {
    await send(ids);
  } catch (error) {
    if (!isUnknownInstanceError(error)) throw mapAwsError(error, context(ids));
    if (ids.length === 1) return;
    for (const id of ids) {
      try {
        await send([id]);
      } catch (single) {
        if (!isUnknownInstanceError(single)) throw mapAwsError(single, context([id]));
      }
    }
  }
}
