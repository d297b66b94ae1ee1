/**
 * tracefs: finding (and mounting) it, tracepoint names, ids and record formats.
 * @module
 */

export * from './tracefs-error.js';
export * from './tracefs-root.js';
export * from './tracepoint-name.js';
export * from './tracepoint-id.js';
export * from './format.js';
export * from './trace-pipe.js';
