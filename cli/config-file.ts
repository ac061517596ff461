/** Reads a config document (JSON) for the command-line tools; errors name the flag and the file. */
import { readFile } from 'node:fs/promises';
import { UsageError } from './program.js';

/** The parsed JSON of `--config FILE`. @throws UsageError naming the file when unreadable or not JSON. */
export async function loadConfigDocument(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--config ${file}: cannot read (${describeError(error)})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--config ${file}: not valid JSON (${describeError(error)})`);
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
