/**
 * Property tests explore new random inputs on every local run; on CI (CI=true) they use a fixed
 * seed so a landing is judged on known inputs. FC_SEED=<n> replays a run fast-check reported.
 */
import fc from 'fast-check';

const seed = process.env.FC_SEED ?? (process.env.CI ? '20261127' : undefined);
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) });
