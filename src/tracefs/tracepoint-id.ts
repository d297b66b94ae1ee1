/**
 * Tracepoint ids and format files from tracefs.
 * @module
 */

import { readFileSync } from 'node:fs';
import { parseTracepointFormat, type TracepointFormat } from './format.js';
import { TracefsError } from './tracefs-error.js';
import { tracefsRoot } from './tracefs-root.js';
import { assertTracepointName } from './tracepoint-name.js';

function readEventFile(category: string, name: string, file: string): string {
  assertTracepointName(category, name);
  const path = `${tracefsRoot()}/events/${category}/${name}/${file}`;
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TracefsError(`tracefs: no tracepoint ${category}:${name} (${path} does not exist)`, path, { cause: err });
    throw new TracefsError(`tracefs: cannot read ${path} (${code ?? String(err)})`, path, { cause: err });
  }
}

/**
 * The id of tracepoint `category:name` (from `events/<category>/<name>/id`): the `config` of a
 * `PERF_TYPE_TRACEPOINT` perf event. Throws a {@link TracefsError} when it does not exist.
 */
export function tracepointId(category: string, name: string): number {
  const text = readEventFile(category, name, 'id').trim();
  const id = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(id)) throw new TracefsError(`tracefs: ${category}:${name} has a malformed id ${JSON.stringify(text)}`);
  return id;
}

/** The parsed `format` file of tracepoint `category:name`. */
export function tracepointFormat(category: string, name: string): TracepointFormat {
  return parseTracepointFormat(readEventFile(category, name, 'format'));
}

/** Whether tracepoint `category:name` exists (tracefs mounted, names valid). */
export function tracepointExists(category: string, name: string): boolean {
  try {
    tracepointId(category, name);
    return true;
  } catch {
    return false;
  }
}
