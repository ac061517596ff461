/** The CdnInvalidator port over CloudFront: one CreateInvalidation per call, idempotent by reference. */
import { CreateInvalidationCommand, type CreateInvalidationCommandOutput } from '@aws-sdk/client-cloudfront';
import type { CdnInvalidator } from '../domain/asset-ports.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { mapAwsError } from './aws-errors.js';

/** The CloudFront command this adapter uses; a `CloudFrontClient` satisfies it. */
export interface CloudFrontApi {
  send(command: CreateInvalidationCommand): Promise<CreateInvalidationCommandOutput>;
}

export class CloudFrontInvalidator implements CdnInvalidator {
  constructor(
    private readonly client: CloudFrontApi,
    private readonly settings: { distributionId: string },
  ) {}

  get distributionId(): string {
    return this.settings.distributionId;
  }

  async invalidate(paths: readonly string[], callerReference: string): Promise<string> {
    const context = `invalidating ${paths.length} paths on distribution ${this.distributionId}`;
    try {
      const result = await this.client.send(
        new CreateInvalidationCommand({
          DistributionId: this.distributionId,
          InvalidationBatch: {
            CallerReference: callerReference,
            Paths: { Quantity: paths.length, Items: [...paths] },
          },
        }),
      );
      return result.Invalidation?.Id ?? 'unknown';
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'NoSuchDistribution') {
        throw new NotFoundError(`${context}: no such distribution`, { cause: error });
      }
      if (name === 'InvalidationBatchAlreadyExists') {
        throw new ConflictError(`${context}: reference ${callerReference} was used for other paths`, {
          cause: error,
        });
      }
      throw mapAwsError(error, context);
    }
  }
}
