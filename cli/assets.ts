/**
 * `npm run assets -- sync --stage prod --dir ../app/public`: publishes the app's static files to the
 * CDN bucket and invalidates what changed. `npm run assets -- --help` for the flags; the work is in
 * assets/.
 */

import { barReporter } from '../assets/progress.js';
import { runAssetsCli } from './assets/command.js';

// The AWS SDK's Node 20 notice says nothing about the sync (Node 20 is supported here).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

runAssetsCli(process.argv.slice(2), process.env, {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  reporter: process.stdout.isTTY ? barReporter(process.stdout) : undefined,
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
