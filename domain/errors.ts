/**
 * Every error the domain and its ports speak of. Adapters map SDK and HTTP failures into these at
 * the boundary, so services and handlers never switch on AWS error-name strings.
 */

/** Base class: `name` is set for logs, `cause` keeps the underlying error. */
export class FleetError extends Error {
  /** True when the same call may succeed if tried again later. */
  readonly retryable: boolean = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The outside system asked us to slow down (EC2 RequestLimitExceeded, DynamoDB throughput). */
export class ThrottlingError extends FleetError {
  override readonly retryable = true;
}

/** No capacity for this instance type in this place (InsufficientInstanceCapacity and kin). */
export class CapacityError extends FleetError {
  override readonly retryable = true;
  constructor(
    message: string,
    readonly instanceType?: string,
    readonly subnetId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Spot cannot be had on these terms: the max price is below the Spot price of this type here
 * (SpotMaxPriceTooLow: another type or zone may do), or the account's Spot limit is reached
 * (MaxSpotInstanceCountExceeded, `anywhere`: no Spot launch can succeed now). On-Demand may.
 */
export class SpotUnavailableError extends CapacityError {
  constructor(
    message: string,
    readonly anywhere: boolean,
    instanceType?: string,
    subnetId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, instanceType, subnetId, options);
  }
}

/** The thing named does not exist (instance, load balancer, target group, ledger record). */
export class NotFoundError extends FleetError {}

/** A conditional write lost: someone else changed the record, or it already exists. */
export class ConflictError extends FleetError {}

/**
 * The instance is not in a state that allows the call (EC2 IncorrectInstanceState: starting one
 * that is still stopping, stopping one that is still pending). It may be allowed once it settles.
 */
export class IncorrectStateError extends FleetError {
  override readonly retryable = true;
}

/** The request itself is wrong (bad AMI, bad parameter): retrying unchanged will not help. */
export class InvalidRequestError extends FleetError {}

/** A transient fault in the outside system (5xx, network reset, timeout). */
export class TransientError extends FleetError {
  override readonly retryable = true;
}

/** The config document failed validation; `issues` lists every bad key's path and what was expected. */
export class ConfigError extends FleetError {
  constructor(readonly issues: readonly string[]) {
    super(`invalid config:\n  - ${issues.join('\n  - ')}`);
  }
}

/** A command or event failed validation; `issues` names each bad field. Nothing was changed. */
export class ValidationError extends FleetError {
  constructor(
    readonly what: string,
    readonly issues: readonly string[],
  ) {
    super(`invalid ${what}: ${issues.join('; ')}`);
  }
}

/** Another invocation holds the role's lease; this one must not act on the role now. */
export class LeaseHeldError extends FleetError {
  constructor(
    readonly role: string,
    readonly holder: string,
    readonly expiresAt: number,
  ) {
    super(`role ${role} is being converged by ${holder} until ${new Date(expiresAt).toISOString()}`);
  }
}

/** Safety refusal: the system was asked to act on an instance it does not own. */
export class NotOwnedError extends FleetError {
  constructor(readonly instanceId: string) {
    super(`refusing to act on ${instanceId}: it is not owned by this stack`);
  }
}
