/**
 * Kernel programs: {@link Program} (load, test run, info), {@link VerifierError}, and the
 * verifier-log readers.
 * @module
 */

export * from './verifier-log.js';
export * from './verifier-error.js';
export * from './program.js';
