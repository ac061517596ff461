#!/usr/bin/env node
// `npx fleet-pilot`: runs cli/fleet-pilot.ts with tsx (a dependency), from a clone or an install.
require('tsx/cjs/api').register();
require('../cli/fleet-pilot.ts');
