/**
 * Reading program spec files for the commands that take them (`verify`, `kload`, `run`,
 * `krun`): offline, no kernel code loaded.
 * @module
 */

import { readFile } from 'node:fs/promises';
import { parseProgramSpec } from '../spec/parse-spec.js';
import type { ProgramSpecFile } from '../spec/program-spec.js';
import { SpecError } from '../spec/spec-error.js';
import { UsageError } from './command.js';

/** Reads and validates the spec in `file`; any problem is a UsageError naming the file. */
export async function readSpecFile(file: string): Promise<ProgramSpecFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new UsageError(`cannot read '${file}': ${code === 'ENOENT' ? 'no such file or directory' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`);
  }
  try {
    return parseProgramSpec(text);
  } catch (e) {
    if (e instanceof SpecError) throw new UsageError(`${file}: ${e.message}`);
    throw e;
  }
}
