/**
 * fentry / fexit / fmod_ret: `BPF_PROG_TYPE_TRACING` programs on BPF trampolines at a kernel
 * function's entry, exit (arguments and return value) or in place of its body's result
 * (fmod_ret, only on functions marked for error injection and `security_*` hooks). The target is
 * fixed at load time by `attach_btf_id` (the function's `BTF_KIND_FUNC` in vmlinux BTF) and
 * `expected_attach_type`; attaching is then `BPF_RAW_TRACEPOINT_OPEN`, or `BPF_LINK_CREATE` when
 * a cookie is wanted. Requires Linux 5.5 (fmod_ret 5.7) with CONFIG_DEBUG_INFO_BTF and
 * CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS.
 * @module
 */

import { AttachTypes } from 'ebpf-bytecode-utils';
import { linkCreate } from '../../syscalls/link-create.js';
import { rawTracepointOpen } from '../../syscalls/raw-tracepoint-open.js';
import { assertSupported } from '../features/assert-supported.js';
import { Link, ownedFd } from './link.js';
import { BtfKindId, vmlinuxBtfTypeId, VMLINUX_BTF_PATH } from './vmlinux-btf-id.js';

/** The three trampoline attach kinds. */
export type TracingKind = 'fentry' | 'fexit' | 'fmod_ret';

/** The expected attach type of each {@link TracingKind} (`BPF_TRACE_FENTRY`, …). */
export const TRACING_ATTACH_TYPES = {
  fentry: 'trace_fentry',
  fexit: 'trace_fexit',
  fmod_ret: 'modify_return',
} as const satisfies Record<TracingKind, keyof typeof AttachTypes>;

/** The load-time fields of a program on a BTF-described kernel function: spread into `Program.load`. */
export interface BtfAttachTarget<T extends string, A extends string> {
  /** The program type. */
  readonly type: T;
  /** The expected attach type. */
  readonly expectedAttachType: A;
  /** The target's id in vmlinux BTF. */
  readonly attachBtfId: number;
}

/** A kernel function (or LSM hook) that vmlinux BTF does not describe. */
export class BtfTargetError extends Error {
  override name = 'BtfTargetError';
  /** The function asked for. */
  readonly function: string;

  constructor(fn: string, message: string) {
    super(message);
    this.function = fn;
  }
}

/** Options of {@link tracingTarget} and `lsmTarget`. */
export interface BtfTargetOptions {
  /**
   * Probe (once per process) that the kernel can attach this kind, and throw a
   * NotSupportedError if not, instead of letting the load fail with a bare EPERM. Default true.
   */
  readonly check?: boolean;
  /** The BTF file to look in (vmlinux's by default; for tests). */
  readonly btfPath?: string;
}

/** The `BTF_KIND_FUNC` id of `name`, or a {@link BtfTargetError} that says what was looked for. */
export function btfFunctionId(name: string, what: string, btfPath = VMLINUX_BTF_PATH): number {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new RangeError(`${what}: invalid function name ${JSON.stringify(name)}`);
  const id = vmlinuxBtfTypeId(name, BtfKindId.FUNC, btfPath);
  if (id === undefined) throw new BtfTargetError(name, `${what}: no function ${name} in the kernel's BTF (${btfPath}): unknown, inlined, or static without BTF`);
  return id;
}

/**
 * What a {@link TracingKind} program on kernel function `fn` is loaded with:
 * `{type: 'tracing', expectedAttachType: 'trace_fentry', attachBtfId}` — spread it into
 * `Program.load({...tracingTarget('fentry', 'do_sys_openat2'), insns})`.
 * Throws a {@link BtfTargetError} for a function vmlinux BTF does not describe, a
 * NotSupportedError when the kernel cannot attach trampolines (e.g. EPERM where ftrace hooks are
 * blocked). Requires Linux 5.5.
 */
export function tracingTarget<K extends TracingKind>(kind: K, fn: string, options: BtfTargetOptions = {}): BtfAttachTarget<'tracing', (typeof TRACING_ATTACH_TYPES)[K]> {
  if (!(kind in TRACING_ATTACH_TYPES)) throw new RangeError(`tracingTarget: unknown kind ${JSON.stringify(kind)} (fentry, fexit or fmod_ret)`);
  const attachBtfId = btfFunctionId(fn, kind, options.btfPath);
  // fmod_ret uses the same trampolines as fentry.
  if (options.check !== false) assertSupported({ attach: kind === 'fexit' ? 'fexit' : 'fentry' });
  return { type: 'tracing', expectedAttachType: TRACING_ATTACH_TYPES[kind], attachBtfId };
}

/** Options of {@link attachTracing}. */
export interface TracingAttachOptions {
  /** The kind the program was loaded as (for the link's kind and the link request). */
  readonly kind: TracingKind;
  /** The function, for messages. */
  readonly function?: string;
  /** `bpf_get_attach_cookie` value (through `BPF_LINK_CREATE`). Requires Linux 6.0. */
  readonly cookie?: bigint;
}

/**
 * Attaches a loaded fentry/fexit/fmod_ret program (its target fixed at load time by
 * {@link tracingTarget}). Throws a SyscallError when the kernel refuses. Requires Linux 5.5.
 */
export function attachTracing(progFd: number, options: TracingAttachOptions): Link {
  const attachType = AttachTypes[TRACING_ATTACH_TYPES[options.kind]];
  if (attachType === undefined) throw new RangeError(`attachTracing: unknown kind ${JSON.stringify(options.kind)}`);
  const fd = options.cookie === undefined ? rawTracepointOpen(progFd) : linkCreate({ progFd, targetFd: 0, attachType, tracingCookie: options.cookie });
  return new Link(options.kind, options.function ?? '?', 'bpf_link', [ownedFd(fd, true)]);
}
