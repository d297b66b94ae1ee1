/**
 * kprobe.multi: one `BPF_PROG_TYPE_KPROBE` program on many kernel functions at once through a
 * single `BPF_LINK_CREATE` with attach type `BPF_TRACE_KPROBE_MULTI` (fprobe, built on ftrace:
 * far cheaper than one kprobe per function). The program must be loaded with expected attach
 * type `trace_kprobe_multi`. Functions are given by name, by address, or as a glob pattern
 * matched against tracefs `available_filter_functions`. Requires Linux 5.18 with CONFIG_FPROBE.
 * @module
 */

import { readFileSync } from 'node:fs';
import { AttachTypes } from 'ebpf-bytecode-utils';
import { currentBackend } from '../../syscalls/backend.js';
import { Errno } from '../../syscalls/errno.js';
import { SyscallError } from '../../syscalls/errors.js';
import { linkCreate } from '../../syscalls/link-create.js';
import { attachKindMinimumKernel } from '../features/minimum-kernel.js';
import { NotSupportedError } from '../features/not-supported-error.js';
import { TracefsError } from '../tracefs/tracefs-error.js';
import { tracefsRoot } from '../tracefs/tracefs-root.js';
import { missingKernelSymbols } from './kernel-symbols.js';
import { KprobeTargetError } from './kprobe.js';
import { Link, ownedFd } from './link.js';

/** `BPF_F_KPROBE_MULTI_RETURN`: the link fires on return (kretprobe.multi). */
export const BPF_F_KPROBE_MULTI_RETURN = 1;

/** Which functions, and how. Exactly one of symbols, addresses and pattern. */
export interface KprobeMultiOptions {
  /** Kernel function names. */
  readonly symbols?: readonly string[];
  /** Kernel function addresses (from `/proc/kallsyms`). */
  readonly addresses?: readonly bigint[];
  /**
   * A glob (`*`, `?`, `[abc]`) over the functions ftrace can hook (tracefs
   * `available_filter_functions`; those of modules are left out): `'vfs_*'`.
   */
  readonly pattern?: string;
  /** `bpf_get_attach_cookie` value per symbol or address (same order, same count). */
  readonly cookies?: readonly bigint[];
  /** Fire on return instead of entry. */
  readonly retprobe?: boolean;
  /** The tracefs directory (found, or mounted, by default; for tests). */
  readonly tracefs?: string;
}

/** No function matched a kprobe.multi pattern. */
export class KprobeMultiPatternError extends Error {
  override name = 'KprobeMultiPatternError';
  /** The pattern. */
  readonly pattern: string;

  constructor(pattern: string, message: string) {
    super(message);
    this.pattern = pattern;
  }
}

/** A RegExp equal to glob `pattern` (`*` any run, `?` one character, `[…]` a class). */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new RangeError(`kprobe.multi: unclosed [ in pattern ${JSON.stringify(pattern)}`);
      re += `[${pattern.slice(i + 1, end).replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * The vmlinux functions of tracefs `available_filter_functions` that match glob `pattern`, each
 * once, in file order (module functions, marked `[module]`, and the placeholders ftrace leaves for
 * discarded code are left out).
 */
export function matchFilterFunctions(pattern: string, root: string = tracefsRoot()): string[] {
  const path = `${root}/available_filter_functions`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TracefsError(`kprobe.multi: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)}; the kernel lacks CONFIG_DYNAMIC_FTRACE)`, path, { cause: err });
  }
  const re = globToRegExp(pattern);
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.includes(' ') || line.includes('__ftrace_invalid_address__')) continue;
    if (re.test(line)) seen.add(line);
  }
  return [...seen];
}

const encoder = new TextEncoder();

function u64Array(values: readonly bigint[], what: string): Uint8Array {
  const a = new BigUint64Array(values.length);
  values.forEach((v, i) => {
    if (typeof v !== 'bigint' || v < 0n || v >= 1n << 64n) throw new RangeError(`attachKprobeMulti: ${what}[${i}] = ${String(v)} is not a u64`);
    a[i] = v;
  });
  return new Uint8Array(a.buffer);
}

/**
 * Attaches kprobe program `progFd` (loaded with expected attach type `trace_kprobe_multi`) to
 * every function given, on entry or (with `retprobe`) return, as one bpf_link.
 * Throws a {@link NotSupportedError} when the kernel has no kprobe.multi (EOPNOTSUPP: no
 * CONFIG_FPROBE), a {@link KprobeTargetError} naming the functions the kernel does not know,
 * a {@link KprobeMultiPatternError} when a pattern matches nothing. Requires Linux 5.18.
 */
export function attachKprobeMulti(progFd: number, options: KprobeMultiOptions): Link {
  const given = [options.symbols, options.addresses, options.pattern].filter((x) => x !== undefined).length;
  if (given !== 1) throw new RangeError('attachKprobeMulti: give exactly one of symbols, addresses and pattern');
  if (options.pattern !== undefined && options.cookies !== undefined) throw new RangeError('attachKprobeMulti: cookies need symbols or addresses (a pattern has no fixed order)');
  let symbols = options.symbols;
  if (options.pattern !== undefined) {
    symbols = matchFilterFunctions(options.pattern, options.tracefs);
    if (symbols.length === 0) throw new KprobeMultiPatternError(options.pattern, `kprobe.multi: no traceable kernel function matches ${JSON.stringify(options.pattern)}`);
  }
  const count = symbols?.length ?? options.addresses!.length;
  if (count === 0) throw new RangeError('attachKprobeMulti: no functions given');
  if (options.cookies !== undefined && options.cookies.length !== count) throw new RangeError(`attachKprobeMulti: ${options.cookies.length} cookies for ${count} functions`);
  const retain: Uint8Array[] = [];
  let syms: Uint8Array | undefined;
  if (symbols !== undefined) {
    const backend = currentBackend();
    const ptrs = new BigUint64Array(count);
    symbols.forEach((s, i) => {
      if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(s)) throw new RangeError(`attachKprobeMulti: invalid symbol ${JSON.stringify(s)}`);
      const b = encoder.encode(`${s}\0`);
      retain.push(b);
      ptrs[i] = backend.address(b);
    });
    syms = new Uint8Array(ptrs.buffer);
  }
  const what = options.pattern ?? (symbols !== undefined ? (count === 1 ? symbols[0]! : `${symbols[0]!} and ${count - 1} more`) : `${count} addresses`);
  let fd: number;
  try {
    fd = linkCreate({
      progFd,
      targetFd: 0,
      attachType: AttachTypes.trace_kprobe_multi,
      kprobeMulti: {
        flags: options.retprobe ? BPF_F_KPROBE_MULTI_RETURN : 0,
        cnt: count,
        ...(syms !== undefined ? { syms } : { addrs: u64Array(options.addresses!, 'addresses') }),
        ...(options.cookies !== undefined ? { cookies: u64Array(options.cookies, 'cookies') } : {}),
        retain,
      },
    });
  } catch (err) {
    if (err instanceof SyscallError && (err.errno === Errno.EOPNOTSUPP || err.errno === Errno.ENOTSUPP)) {
      throw new NotSupportedError('kprobe_multi attach', attachKindMinimumKernel.kprobe_multi, `BPF_LINK_CREATE with BPF_TRACE_KPROBE_MULTI fails with ${err.code} (the kernel lacks CONFIG_FPROBE)`);
    }
    if (err instanceof SyscallError && (err.errno === Errno.ENOENT || err.errno === Errno.ESRCH || err.errno === Errno.EINVAL) && symbols !== undefined) {
      const missing = missingKernelSymbols(symbols);
      if (missing.length > 0) throw new KprobeTargetError(missing[0]!, `kprobe.multi: no kernel function ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` (and ${missing.length - 5} more)` : ''} in /proc/kallsyms (${err.code})`, { cause: err });
      if (err.errno !== Errno.EINVAL) throw new KprobeTargetError(symbols[0]!, `kprobe.multi on ${what}: the kernel cannot hook some of these functions (${err.code}: not traceable by ftrace)`, { cause: err });
    }
    throw err;
  }
  return new Link(options.retprobe ? 'kretprobe_multi' : 'kprobe_multi', what, 'bpf_link', [ownedFd(fd, true)]);
}
