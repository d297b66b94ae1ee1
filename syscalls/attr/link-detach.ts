/**
 * Layout of the `BPF_LINK_DETACH` member (`link_detach`) of `union bpf_attr`.
 * @module
 */

import { defineLayout, u32 } from './layout.js';

/** `BPF_LINK_DETACH` attr fields (Linux 6.18). */
export const linkDetachAttr = defineLayout('BPF_LINK_DETACH', 'union bpf_attr', 'link_detach', {
  /** The link to detach (its fd stays open, defunct). */
  link_fd: u32(0),
});
/** A field name of {@link linkDetachAttr}. */
export type LinkDetachField = keyof typeof linkDetachAttr.fields;
