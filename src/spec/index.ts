/**
 * Program specs (DESIGN.md): the pure reader ({@link parseProgramSpec}, shared with the offline
 * verifier). The kernel loader is imported separately from `./load-spec.js`, so that offline
 * users never load the kernel half.
 * @module
 */

export * from './spec-error.js';
export * from './program-spec.js';
export * from './parse-spec.js';
export * from './relocate.js';
export * from './verdict.js';
