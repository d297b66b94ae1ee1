/**
 * `BPF_LINK_CREATE`.
 * @module
 */

import { AttrBuffer } from './attr/layout.js';
import { linkCreateAttr, type LinkCreateField } from './attr/link-create.js';
import { bpf } from './bpf.js';
import { BpfCmd } from './bpf-cmd.js';

/** What {@link linkCreate} attaches; the names follow the attr fields. */
export interface LinkCreateOptions {
  /** The program fd. */
  readonly progFd: number;
  /** The target fd (perf event, cgroup, netns, …) or ifindex. */
  readonly targetFd: number;
  /** `enum bpf_attach_type` value. */
  readonly attachType: number;
  /** Attach flags. */
  readonly flags?: number;
  /** `target_btf_id`. Requires Linux 5.10. */
  readonly targetBtfId?: number;
  /** `perf_event.bpf_cookie` (attach type `BPF_PERF_EVENT`). Requires Linux 5.15. */
  readonly bpfCookie?: bigint;
  /** `tracing.cookie` (fentry/fexit/fmod_ret/LSM links). Requires Linux 6.0. */
  readonly tracingCookie?: bigint;
  /**
   * `kprobe_multi` (attach type `BPF_TRACE_KPROBE_MULTI`): `flags`, and `cnt` symbols (an array of
   * pointers to NUL-terminated names: `syms`, whose pointees the caller keeps alive in `retain`)
   * or addresses (`addrs`, u64s), with optional u64 `cookies`. Requires Linux 5.18.
   */
  readonly kprobeMulti?: {
    readonly flags: number;
    readonly cnt: number;
    readonly syms?: Uint8Array;
    readonly addrs?: Uint8Array;
    readonly cookies?: Uint8Array;
    readonly retain?: readonly Uint8Array[];
  };
}

/** Encodes the attr of `options` (exported for tests). */
export function linkCreateAttrOf(options: LinkCreateOptions): AttrBuffer<LinkCreateField> {
  const a = new AttrBuffer(linkCreateAttr);
  a.set('prog_fd', options.progFd).set('target_fd', options.targetFd).set('attach_type', options.attachType);
  if (options.flags !== undefined) a.set('flags', options.flags);
  if (options.targetBtfId !== undefined && options.bpfCookie !== undefined) throw new RangeError('linkCreate: targetBtfId and bpfCookie share one attr field; give one');
  if (options.targetBtfId !== undefined) a.set('target_btf_id', options.targetBtfId);
  if (options.bpfCookie !== undefined) a.set('bpf_cookie', options.bpfCookie);
  if (options.tracingCookie !== undefined) a.set('tracing_cookie', options.tracingCookie);
  const km = options.kprobeMulti;
  if (km !== undefined) {
    if (options.targetBtfId !== undefined || options.bpfCookie !== undefined) throw new RangeError('linkCreate: kprobeMulti shares its attr fields with targetBtfId/bpfCookie; give one');
    if ((km.syms === undefined) === (km.addrs === undefined)) throw new RangeError('linkCreate: kprobeMulti needs exactly one of syms and addrs');
    for (const [name, buf] of [['syms', km.syms], ['addrs', km.addrs], ['cookies', km.cookies]] as const) {
      if (buf !== undefined && buf.byteLength !== 8 * km.cnt) throw new RangeError(`linkCreate: kprobeMulti.${name} is ${buf.byteLength} bytes, not 8 × cnt (${km.cnt})`);
    }
    a.set('kprobe_multi_flags', km.flags).set('kprobe_multi_cnt', km.cnt);
    a.pointer('kprobe_multi_syms', km.syms).pointer('kprobe_multi_addrs', km.addrs).pointer('kprobe_multi_cookies', km.cookies);
    if (km.retain !== undefined) a.retain(...km.retain);
  }
  return a;
}

/** Creates a link; returns its fd (closing it detaches). Throws a {@link SyscallError} on failure. */
export function linkCreate(options: LinkCreateOptions): number {
  return bpf(BpfCmd.LINK_CREATE, linkCreateAttrOf(options));
}
