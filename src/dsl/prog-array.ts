/**
 * `prog_array` maps (BCC's `BPF_PROG_ARRAY`) and tail calls: `$.tailCall(progs, index)` is
 * `bpf_tail_call(ctx, &progs, index)`, which jumps to the program in slot `index` and does not
 * return; when the slot is empty (or the chain is 33 calls deep) execution continues after it.
 * User space fills the slots with program fds of the same type.
 * @module
 */

import type { DslMapSpec } from './maps.js';

/** A `prog_array` map. */
export class ProgArrayHandle {
  /** Discriminant (so no other map handle passes for a prog array). */
  readonly kind = 'prog_array' as const;
  /** The map's spec. */
  readonly spec: DslMapSpec;

  /** Declares the map (internal: made by `$.progArray`). */
  constructor(spec: DslMapSpec) {
    this.spec = spec;
  }
}
