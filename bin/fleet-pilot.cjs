#!/usr/bin/env node
// `npx fleet-pilot`: runs cli/fleet-pilot.ts with tsx (a dependency), from a clone or an install.
// Both of its loaders: the CLI is required, and imports the AWS-side adapters only when a command
// needs them (an ESM import, which the CommonJS hook alone does not resolve).
import('tsx/esm/api')
  .then(({ register }) => {
    register();
    require('tsx/cjs/api').register();
    require('../cli/fleet-pilot.ts');
  })
  .catch((error) => {
    process.stderr.write(
      `fleet-pilot: cannot load the CLI: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 3;
  });
