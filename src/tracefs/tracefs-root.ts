/**
 * Finding tracefs, and mounting it at `/sys/kernel/tracing` when it is missing (as root).
 * @module
 */

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { TracefsError } from './tracefs-error.js';

/** Where tracefs is mounted on current kernels (since Linux 4.1). */
export const TRACEFS_PATH = '/sys/kernel/tracing';
/** The older location, under debugfs. */
export const DEBUGFS_TRACING_PATH = '/sys/kernel/debug/tracing';

let cachedRoot: string | undefined;

/** Mount points of file systems of type `fsType`, from `/proc/self/mounts`. */
export function mountPointsOf(fsType: string, mounts = readProcMounts()): string[] {
  const out: string[] = [];
  for (const line of mounts.split('\n')) {
    const parts = line.split(' ');
    // /proc/mounts escapes spaces in paths as \040.
    if (parts.length >= 3 && parts[2] === fsType) out.push(parts[1].replace(/\\040/g, ' '));
  }
  return out;
}

function readProcMounts(): string {
  try {
    return readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return '';
  }
}

function usable(dir: string): boolean {
  return existsSync(`${dir}/events`);
}

/** Options of {@link tracefsRoot}. */
export interface TracefsRootOptions {
  /** Mount tracefs at {@link TRACEFS_PATH} when it is not mounted (needs root). Default true. */
  readonly mount?: boolean;
}

/**
 * The directory tracefs is mounted at (`/sys/kernel/tracing` normally). When tracefs is not
 * mounted anywhere, mounts it there (root only, unless `mount: false`). Throws a
 * {@link TracefsError} saying what is missing when that is impossible.
 */
export function tracefsRoot(options: TracefsRootOptions = {}): string {
  if (cachedRoot !== undefined && usable(cachedRoot)) return cachedRoot;
  const candidates = [...mountPointsOf('tracefs'), TRACEFS_PATH, DEBUGFS_TRACING_PATH];
  const found = candidates.find(usable);
  if (found !== undefined) return (cachedRoot = found);
  if (process.platform !== 'linux') throw new TracefsError(`tracefs: not available on ${process.platform}`);
  if (options.mount === false) throw new TracefsError(`tracefs: not mounted (mount it with 'mount -t tracefs tracefs ${TRACEFS_PATH}')`, TRACEFS_PATH);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new TracefsError(`tracefs: not mounted, and mounting it needs root (uid ${process.getuid()}); run 'mount -t tracefs tracefs ${TRACEFS_PATH}' as root`, TRACEFS_PATH);
  }
  if (!readFileSafe('/proc/filesystems').split('\n').some((l) => l.trim().endsWith('tracefs'))) {
    throw new TracefsError('tracefs: this kernel has no tracefs (CONFIG_TRACING is off)', TRACEFS_PATH);
  }
  if (!existsSync(TRACEFS_PATH)) throw new TracefsError(`tracefs: ${TRACEFS_PATH} does not exist (is sysfs mounted at /sys?)`, TRACEFS_PATH);
  try {
    // Loaded only here: node:child_process costs start-up time for every tool that never mounts.
    const { execFileSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
    execFileSync('mount', ['-t', 'tracefs', 'tracefs', TRACEFS_PATH], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new TracefsError(`tracefs: mounting at ${TRACEFS_PATH} failed${stderr ? `: ${stderr}` : ''}`, TRACEFS_PATH, { cause: err });
  }
  if (!usable(TRACEFS_PATH)) throw new TracefsError(`tracefs: mounted at ${TRACEFS_PATH} but it has no events/ directory`, TRACEFS_PATH);
  return (cachedRoot = TRACEFS_PATH);
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
