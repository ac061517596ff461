/** The simulator moved to scripts/sim/; this path re-exports its API for existing callers. */
export * from '../sim/index.js';
