/**
 * {@link relocateMaps}: rewrites a spec's map references for loading. Pure.
 * @module
 */

import type { SpecMapRef } from './program-spec.js';

/** Bytecode ready for `BPF_PROG_LOAD`, and the `fd_array` it needs (undefined when none). */
export interface RelocatedInsns {
  /** A copy of the bytecode with `src_reg` 1/2 immediates replaced by map fds. */
  readonly insns: Uint8Array;
  /** The map fds by spec index, when a `src_reg` 5/6 reference needs them. */
  readonly fdArray: readonly number[] | undefined;
}

/**
 * Rewrites `insns` for maps whose fds are `fds` (by spec index): `src_reg` 1
 * (`BPF_PSEUDO_MAP_FD`) and 2 (`BPF_PSEUDO_MAP_VALUE`) get the fd as immediate (the value
 * offset in the next slot stays); `src_reg` 5 and 6 keep the index and the fds go in `fd_array`.
 */
export function relocateMaps(insns: Uint8Array, refs: readonly SpecMapRef[], fds: readonly number[]): RelocatedInsns {
  const out = insns.slice();
  const view = new DataView(out.buffer);
  let needsArray = false;
  for (const ref of refs) {
    if (ref.srcReg === 1 || ref.srcReg === 2) {
      const fd = fds[ref.map];
      if (fd === undefined) throw new RangeError(`relocate: no fd for maps[${ref.map}]`);
      view.setInt32(ref.slot * 8 + 4, fd, true);
    } else {
      needsArray = true;
    }
  }
  return { insns: out, fdArray: needsArray ? fds : undefined };
}
