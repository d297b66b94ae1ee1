/**
 * Validation of tracepoint category and event names, so they can be joined into tracefs paths
 * without path tricks.
 * @module
 */

import { TracefsError } from './tracefs-error.js';

const NAME = /^[A-Za-z0-9_]+$/;

/** Whether `name` is a valid tracepoint category or event name: `[A-Za-z0-9_]+`. */
export function isTracepointName(name: string): boolean {
  return NAME.test(name);
}

/**
 * Throws a {@link TracefsError} unless `category` and `name` are both `[A-Za-z0-9_]+` (no `/`,
 * `.`, or anything else that could leave `events/`).
 */
export function assertTracepointName(category: string, name: string): void {
  for (const [what, v] of [['category', category], ['name', name]] as const) {
    if (typeof v !== 'string' || !NAME.test(v)) throw new TracefsError(`tracefs: invalid tracepoint ${what} ${JSON.stringify(v)} (letters, digits and _ only)`);
  }
}

/**
 * Splits `'category:name'` or `'category/name'` into its parts, validated.
 * `parseTracepoint('syscalls:sys_enter_openat')` → `{category: 'syscalls', name: 'sys_enter_openat'}`.
 */
export function parseTracepoint(spec: string): { category: string; name: string } {
  const m = /^([^:/]+)[:/]([^:/]+)$/.exec(spec);
  if (m === null) throw new TracefsError(`tracefs: ${JSON.stringify(spec)} is not 'category:name'`);
  assertTracepointName(m[1], m[2]);
  return { category: m[1], name: m[2] };
}
