import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { EC2ServiceException } from '@aws-sdk/client-ec2';
import {
  AccessPointNotFoundException,
  InvalidEndPointException,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  InvalidTargetException,
  LoadBalancerNotFoundException,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { isUnknownInstanceError, mapAwsError } from '../../adapters/aws-errors.js';
import {
  CapacityError,
  ConflictError,
  FleetError,
  InvalidRequestError,
  NotFoundError,
  ThrottlingError,
  TransientError,
} from '../../domain/errors.js';

function ec2(name: string, fault: 'client' | 'server' = 'client') {
  return new EC2ServiceException({
    name,
    $fault: fault,
    $metadata: { httpStatusCode: 400 },
    message: 'boom',
  });
}

/** What a query-protocol client throws: the modelled class plus the wire `Code`. */
function withCode<E extends Error>(error: E, code: string): E {
  return Object.assign(error, { Code: code });
}

function plain(fields: Record<string, unknown>) {
  return { message: 'boom', $metadata: {}, ...fields };
}

function netError(code: string) {
  return Object.assign(new Error(`socket ${code}`), { code });
}

const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    $metadata: {},
    message: 'Transaction cancelled',
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

const CASES: Array<[string, unknown, new (...args: never[]) => FleetError]> = [
  // throttling
  ['EC2 RequestLimitExceeded', ec2('RequestLimitExceeded'), ThrottlingError],
  ['Throttling', plain({ name: 'Throttling' }), ThrottlingError],
  ['ThrottlingException', plain({ name: 'ThrottlingException' }), ThrottlingError],
  ['TooManyRequestsException', plain({ name: 'TooManyRequestsException' }), ThrottlingError],
  [
    'ProvisionedThroughputExceededException',
    plain({ name: 'ProvisionedThroughputExceededException' }),
    ThrottlingError,
  ],
  ['HTTP 429', plain({ name: 'Whatever', $metadata: { httpStatusCode: 429 } }), ThrottlingError],
  ['$retryable throttling', plain({ name: 'Whatever', $retryable: { throttling: true } }), ThrottlingError],
  ['DynamoDB cancelled by throttling', cancelled('None', 'ThrottlingError'), ThrottlingError],
  // capacity
  ['InsufficientInstanceCapacity (a 500)', ec2('InsufficientInstanceCapacity', 'server'), CapacityError],
  ['InsufficientHostCapacity', ec2('InsufficientHostCapacity'), CapacityError],
  ['InsufficientCapacityOnHost', ec2('InsufficientCapacityOnHost'), CapacityError],
  ['Unsupported type in AZ', ec2('Unsupported'), CapacityError],
  // not found
  ['InvalidInstanceID.NotFound', ec2('InvalidInstanceID.NotFound'), NotFoundError],
  [
    'classic LoadBalancerNotFound',
    withCode(new AccessPointNotFoundException({ $metadata: {}, message: 'gone' }), 'LoadBalancerNotFound'),
    NotFoundError,
  ],
  ['classic AccessPointNotFound', plain({ name: 'AccessPointNotFound' }), NotFoundError],
  [
    'ELBv2 LoadBalancerNotFound',
    new LoadBalancerNotFoundException({ $metadata: {}, message: 'x' }),
    NotFoundError,
  ],
  [
    'ELBv2 TargetGroupNotFound',
    new TargetGroupNotFoundException({ $metadata: {}, message: 'x' }),
    NotFoundError,
  ],
  ['DynamoDB ResourceNotFound', plain({ name: 'ResourceNotFoundException' }), NotFoundError],
  // conflict
  [
    'ConditionalCheckFailedException',
    new ConditionalCheckFailedException({ $metadata: {}, message: 'lost' }),
    ConflictError,
  ],
  ['TransactionCanceled by a condition', cancelled('None', 'ConditionalCheckFailed'), ConflictError],
  ['IdempotentParameterMismatch', ec2('IdempotentParameterMismatch'), ConflictError],
  // invalid request
  ['InvalidParameterValue', ec2('InvalidParameterValue'), InvalidRequestError],
  ['InvalidParameterCombination', ec2('InvalidParameterCombination'), InvalidRequestError],
  ['InvalidAMIID.NotFound (not a NotFound)', ec2('InvalidAMIID.NotFound'), InvalidRequestError],
  ['InvalidAMIID.Malformed', ec2('InvalidAMIID.Malformed'), InvalidRequestError],
  ['InvalidInstanceID.Malformed', ec2('InvalidInstanceID.Malformed'), InvalidRequestError],
  [
    'classic InvalidInstance',
    withCode(new InvalidEndPointException({ $metadata: {}, message: 'x' }), 'InvalidInstance'),
    InvalidRequestError,
  ],
  ['ELBv2 InvalidTarget', new InvalidTargetException({ $metadata: {}, message: 'x' }), InvalidRequestError],
  ['ValidationException', plain({ name: 'ValidationException' }), InvalidRequestError],
  ['ValidationError (query protocols)', plain({ name: 'ValidationError' }), InvalidRequestError],
  ['MissingParameter', ec2('MissingParameter'), InvalidRequestError],
  ['S3 BadDigest', plain({ name: 'BadDigest', $metadata: { httpStatusCode: 400 } }), InvalidRequestError],
  [
    'S3 IncompleteBody',
    plain({ name: 'IncompleteBody', $metadata: { httpStatusCode: 400 } }),
    InvalidRequestError,
  ],
  ['DynamoDB cancelled by validation', cancelled('ValidationError'), InvalidRequestError],
  // transient
  ['EC2 InternalError', ec2('InternalError', 'server'), TransientError],
  ['ServiceUnavailable', plain({ name: 'ServiceUnavailable' }), TransientError],
  ['unknown 503', plain({ name: 'Weird', $metadata: { httpStatusCode: 503 } }), TransientError],
  ['unknown server fault', plain({ name: 'Weird', $fault: 'server' }), TransientError],
  ['SDK-retryable', plain({ name: 'Weird', $retryable: {} }), TransientError],
  ['ECONNRESET', netError('ECONNRESET'), TransientError],
  ['ETIMEDOUT', netError('ETIMEDOUT'), TransientError],
  ['TimeoutError', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), TransientError],
  ['DynamoDB cancelled by a conflicting transaction', cancelled('TransactionConflict'), TransientError],
];

describe('mapAwsError', () => {
  it.each(CASES)('maps %s', (_, error, expected) => {
    const mapped = mapAwsError(error, 'Testing');
    expect(mapped).toBeInstanceOf(expected);
    expect(mapped.constructor).toBe(expected);
    expect(mapped.name).toBe(expected.name);
    expect(mapped.cause).toBe(error);
  });

  it('puts the context, the code and the original message in the message', () => {
    const mapped = mapAwsError(
      Object.assign(ec2('InsufficientInstanceCapacity', 'server'), { message: 'no c5.large in us-east-1a' }),
      'RunInstances for intent i-abc',
    );
    expect(mapped.message).toBe(
      'RunInstances for intent i-abc: InsufficientInstanceCapacity: no c5.large in us-east-1a',
    );
  });

  it('names the wire code of query-protocol errors', () => {
    const error = withCode(
      new AccessPointNotFoundException({ $metadata: {}, message: 'no lb' }),
      'LoadBalancerNotFound',
    );
    expect(mapAwsError(error, 'DescribeInstanceHealth lb').message).toBe(
      'DescribeInstanceHealth lb: LoadBalancerNotFound: no lb',
    );
  });

  it('carries the instance type and subnet tried on a CapacityError', () => {
    const mapped = mapAwsError(ec2('InsufficientInstanceCapacity', 'server'), 'RunInstances', {
      instanceType: 'c5.large',
      subnetId: 'subnet-0123abcd',
    });
    expect(mapped).toMatchObject({ instanceType: 'c5.large', subnetId: 'subnet-0123abcd', retryable: true });
  });

  it('surfaces an unknown client error as a plain, non-retryable FleetError with its cause', () => {
    const error = ec2('UnauthorizedOperation');
    const mapped = mapAwsError(error, 'RunInstances');
    expect(mapped.constructor).toBe(FleetError);
    expect(mapped.retryable).toBe(false);
    expect(mapped.cause).toBe(error);
    expect(mapped.message).toBe('RunInstances: UnauthorizedOperation: boom');
  });

  it('wraps non-errors and programming errors too', () => {
    expect(mapAwsError('a string', 'X').message).toBe('X: a string');
    expect(mapAwsError(new TypeError('oops'), 'X').constructor).toBe(FleetError);
  });

  it('returns a FleetError unchanged', () => {
    const error = new NotFoundError('already mapped');
    expect(mapAwsError(error, 'X')).toBe(error);
  });
});

describe('isUnknownInstanceError', () => {
  it.each([
    ['EC2 InvalidInstanceID.NotFound', ec2('InvalidInstanceID.NotFound'), true],
    [
      'classic InvalidInstance',
      withCode(new InvalidEndPointException({ $metadata: {}, message: 'x' }), 'InvalidInstance'),
      true,
    ],
    ['ELBv2 InvalidTarget', new InvalidTargetException({ $metadata: {}, message: 'x' }), true],
    [
      'classic LoadBalancerNotFound',
      withCode(new AccessPointNotFoundException({ $metadata: {}, message: 'x' }), 'LoadBalancerNotFound'),
      false,
    ],
    ['ELBv2 TargetGroupNotFound', new TargetGroupNotFoundException({ $metadata: {}, message: 'x' }), false],
    ['InvalidInstanceID.Malformed', ec2('InvalidInstanceID.Malformed'), false],
    ['throttling', ec2('RequestLimitExceeded'), false],
    ['not an error', undefined, false],
  ])('%s → %s', (_, error, expected) => {
    expect(isUnknownInstanceError(error)).toBe(expected);
  });
});
