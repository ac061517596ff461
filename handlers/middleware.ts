/** The middy stack every function shares: Powertools context logging and metrics flushing. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger, metrics } from './app.js';

export function wrap<E, R>(run: (event: E, context: Context) => Promise<R>) {
  return middy((event: E, context: Context) => run(event, context))
    .use(injectLambdaContext(logger, { clearState: true }))
    .use(logMetrics(metrics));
}
