/**
 * Finding (and mounting) the BPF file system that objects are pinned in.
 * @module
 */

import { execFileSync } from 'node:child_process';
import { existsSync, statfsSync } from 'node:fs';

/** Where bpffs is mounted by convention, and libbpf's default pin root. */
export const BPFFS_PATH = '/sys/fs/bpf';

/** `BPF_FS_MAGIC`: `statfs(2)` `f_type` of a bpffs mount. */
export const BPF_FS_MAGIC = 0xcafe4a11;

/** bpffs cannot be used at a directory: not a bpffs mount and not mountable (`message` says why). */
export class BpffsError extends Error {
  override name = 'BpffsError';
  /** The directory concerned. */
  readonly path: string;

  constructor(message: string, path: string, options?: ErrorOptions) {
    super(message, options);
    this.path = path;
  }
}

/** Whether `dir` is (inside) a bpffs mount. */
export function isBpffs(dir: string): boolean {
  try {
    return statfsSync(dir).type === BPF_FS_MAGIC;
  } catch {
    return false;
  }
}

/** Options of {@link ensureBpffs}. */
export interface EnsureBpffsOptions {
  /** Mount bpffs at the directory when it is not one (needs root). Default true. */
  readonly mount?: boolean;
}

/**
 * Makes sure `dir` (default {@link BPFFS_PATH}) is a bpffs mount, mounting one there when it is
 * not (as root, unless `mount: false`). Returns `dir`. Throws a {@link BpffsError} saying what is
 * missing when that is impossible.
 */
export function ensureBpffs(dir: string = BPFFS_PATH, options: EnsureBpffsOptions = {}): string {
  if (isBpffs(dir)) return dir;
  const how = `mount it with 'mount -t bpf bpf ${dir}'`;
  if (!existsSync(dir)) throw new BpffsError(`bpffs: ${dir} does not exist`, dir);
  if (options.mount === false) throw new BpffsError(`bpffs: ${dir} is not a bpffs mount (${how})`, dir);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new BpffsError(`bpffs: ${dir} is not a bpffs mount, and mounting one needs root (uid ${process.getuid()}); ${how} as root`, dir);
  }
  try {
    execFileSync('mount', ['-t', 'bpf', 'bpf', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new BpffsError(`bpffs: mounting at ${dir} failed${stderr ? `: ${stderr}` : ''}`, dir, { cause: err });
  }
  if (!isBpffs(dir)) throw new BpffsError(`bpffs: mounted at ${dir}, but it is not a bpffs mount afterwards`, dir);
  return dir;
}
