import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads a stand-in's state file from `stateDir`. Returns undefined when the file does not exist, and
 * raises for any other read error or for a format version other than 1. `label` names the state in
 * that message, for example "identity state".
 */
export function readStateFile<T extends { formatVersion: number }>(
  stateDir: string,
  fileName: string,
  label: string,
): T | undefined {
  let text: string;
  try {
    text = readFileSync(join(stateDir, fileName), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const state = JSON.parse(text) as T;
  if (state.formatVersion !== 1) {
    throw new Error(`unsupported ${label} format ${String(state.formatVersion)} in ${stateDir}`);
  }
  return state;
}
