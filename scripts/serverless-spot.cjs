/**
 * The spotWarning function's events for serverless.yml (`${file(./scripts/serverless-spot.cjs):warningEvents}`),
 * from the validated config (scripts/serverless/spot.ts). Nothing here needs AWS to resolve.
 */
const tsx = require('tsx/cjs/api');
const vars = require('./serverless-vars.cjs');

module.exports.warningEvents = async (ctx) => {
  const { spotWarningEvents } = tsx.require('./serverless/spot.ts', __filename);
  return spotWarningEvents(JSON.parse(await vars.configJson(ctx)));
};
