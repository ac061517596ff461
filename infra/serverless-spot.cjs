/**
 * The spotWarning function's events for serverless.yml (`${file(./infra/serverless-spot.cjs):warningEvents}`),
 * from the validated config (infra/spot.ts). Nothing here needs AWS to resolve.
 */
const tsx = require('tsx/cjs/api');
const vars = require('./serverless-vars.cjs');

module.exports.warningEvents = async (ctx) => {
  const { spotWarningEvents } = tsx.require('./spot.ts', __filename);
  return spotWarningEvents(await vars.config(ctx));
};
