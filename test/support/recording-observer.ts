/** An Observer that keeps its warnings and metrics (as `role:name:value`) for a test to read. */
import type { Observer } from '../../domain/ports.js';

export function recording(): {
  observer: Observer;
  warnings: [string, Record<string, unknown>][];
  metrics: string[];
} {
  const warnings: [string, Record<string, unknown>][] = [];
  const metrics: string[] = [];
  return {
    warnings,
    metrics,
    observer: {
      info: () => undefined,
      warn: (message, fields) => warnings.push([message, fields]),
      metric: (role, name, value) => metrics.push(`${role}:${name}:${value}`),
    },
  };
}
