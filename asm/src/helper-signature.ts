/**
 * What a helper's kernel prototype (`struct bpf_func_proto`: `ARG_*` argument kinds, a `RET_*`
 * result) means for a typed call from a higher-level language such as tsbpf's eDSL: the
 * parameters a caller passes (a size argument that follows a memory pointer is omitted, to be
 * filled in with the pointed-to object's size), the result, or why the helper cannot be called
 * generically. Used by tsbpf's `scripts/gen-helper-prototypes.ts` (the `as const` table that
 * types `$.callHelper`) and by its run-time checks.
 * @module
 */

import type { Helper } from './helpers.js';

/**
 * A parameter kind of the eDSL call:
 * - `scalar`: an integer expression or literal (`ARG_ANYTHING`, a size or flag constant);
 * - `ctx`, `ctxOrNull`: the program's context (`ARG_PTR_TO_CTX`, `…_OR_NULL`);
 * - `map`: a map handle (`ARG_CONST_MAP_PTR`);
 * - `key`, `value`: a key / value of that map, by value or as a `Ref` (`ARG_PTR_TO_MAP_KEY`, `ARG_PTR_TO_MAP_VALUE`);
 * - `valueOut`: a `Ref` the helper writes a value of that map into (`ARG_PTR_TO_MAP_VALUE|MEM_UNINIT`);
 * - `mem`, `memOrNull`: a `Ref` to any object, followed in the kernel's prototype by its byte size (omitted by the caller);
 * - `fixedMem`: a `Ref` to an object of at least the size the kernel's prototype fixes (`ARG_PTR_TO_FIXED_SIZE_MEM`; see `fixedSizes`).
 */
export type HelperParamKind = 'scalar' | 'ctx' | 'ctxOrNull' | 'map' | 'key' | 'value' | 'valueOut' | 'mem' | 'memOrNull' | 'fixedMem';

/** The result kind: `integer` (`RET_INTEGER`, an `Expr<s64>`), `void`, or `mapValue` (`RET_PTR_TO_MAP_VALUE_OR_NULL`, a `Maybe`). */
export type HelperResultKind = 'integer' | 'void' | 'mapValue';

/** A helper the generic call supports: its parameters (without the implied sizes) and result. */
export interface CallableSignature {
  /** What the caller passes, in order (sizes that follow memory pointers left out). */
  readonly params: readonly HelperParamKind[];
  /** For each kernel argument, the index of the parameter it comes from, or `sizeof` of the parameter whose size it is. */
  readonly argSources: readonly (number | { readonly sizeof: number })[];
  /** What the call yields. */
  readonly result: HelperResultKind;
  /** For `fixedMem` parameters (by parameter index), the byte size the kernel's prototype fixes (`arg<N>_size`). */
  readonly fixedSizes: Readonly<Record<number, number>>;
}

/** A helper the generic call refuses: the argument or result kind it cannot express, and what to use instead. */
export interface RefusedSignature {
  /** The kernel kind refused (`ARG_PTR_TO_BTF_ID`, `RET_PTR_TO_SOCKET_OR_NULL`, …, without modifiers), the refusal's category. */
  readonly refusedKind: string;
  /** A readable reason, naming the dedicated method where one exists. */
  readonly refusal: string;
}

/** Helpers with a method of their own that covers what the generic call refuses (name without `bpf_`). */
const DEDICATED: Readonly<Record<string, string>> = {
  ringbuf_reserve: 'ringbuf.reserve(type) with $.ifSome',
  ringbuf_submit: 'the reservation of $.ifSome(ringbuf.reserve(…)) (submitted at the end of the block)',
  ringbuf_discard: 'record.discard() inside $.ifSome(ringbuf.reserve(…))',
  loop: '$.loop(count, body)',
  trace_printk: '$.printk(fmt, …args)',
  tail_call: '$.tailCall(progs, index)',
};

const REASONS: Readonly<Record<string, string>> = {
  ARG_PTR_TO_BTF_ID: 'kernel object pointers typed by BTF id are not eDSL values (use $.kfunc or $.kernel)',
  ARG_PTR_TO_BTF_ID_OR_NULL: 'kernel object pointers typed by BTF id are not eDSL values (use $.kfunc or $.kernel)',
  ARG_PTR_TO_BTF_ID_SOCK_COMMON: 'socket pointers are not eDSL values',
  ARG_PTR_TO_SOCK_COMMON: 'socket pointers are not eDSL values',
  ARG_PTR_TO_PERCPU_BTF_ID: 'per-CPU kernel variables (ksym) are not eDSL values',
  ARG_PTR_TO_DYNPTR: 'dynptrs are not eDSL values',
  ARG_PTR_TO_TIMER: 'bpf_timer fields in map values are not supported',
  ARG_PTR_TO_SPIN_LOCK: 'bpf_spin_lock fields in map values are not supported',
  ARG_KPTR_XCHG_DEST: 'kptr fields in map values are not supported',
  ARG_PTR_TO_RINGBUF_MEM: 'ring buffer records are released by the reservation of $.ifSome(ringbuf.reserve(…))',
  ARG_PTR_TO_CONST_STR: 'read-only string constants in a map (.rodata) are not supported',
  ARG_PTR_TO_FUNC: 'callbacks need a signature the kernel fixes per helper',
  ARG_PTR_TO_STACK_OR_NULL: 'callback context pointers go with ARG_PTR_TO_FUNC callbacks',
  ARG_PTR_TO_MAP_VALUE_OR_NULL: 'local-storage initial values go with BTF-typed kernel objects',
};

/** The base kind of an `ARG_…|FLAG` string: the part before the first `|`. */
export function baseKind(kind: string): string {
  return kind.split('|')[0];
}

/**
 * `arg<N>_size` of the prototypes with `ARG_PTR_TO_FIXED_SIZE_MEM` arguments (by helper, then by
 * 1-based argument number), from their `bpf_func_proto`s in Linux 6.18 (the helper table does not
 * carry it): `sizeof(s64)`, `sizeof(u32)`, `sizeof(struct iphdr)` = 20, `sizeof(struct ipv6hdr)` = 40,
 * `sizeof(struct tcphdr)` = 20.
 */
const FIXED_SIZES: Readonly<Record<string, Readonly<Record<number, number>>>> = {
  bpf_strtol: { 4: 8 },
  bpf_strtoul: { 4: 8 },
  bpf_check_mtu: { 3: 4 },
  bpf_kallsyms_lookup_name: { 4: 8 },
  bpf_get_func_arg: { 3: 8 },
  bpf_get_func_ret: { 2: 8 },
  bpf_tcp_raw_gen_syncookie_ipv4: { 1: 20 },
  bpf_tcp_raw_gen_syncookie_ipv6: { 1: 40 },
  bpf_tcp_raw_check_syncookie_ipv4: { 1: 20, 2: 20 },
  bpf_tcp_raw_check_syncookie_ipv6: { 1: 40, 2: 20 },
};

const SIZE_KINDS = new Set(['ARG_CONST_SIZE', 'ARG_CONST_SIZE_OR_ZERO']);

/** The eDSL signature of helper `h`, or why the generic call refuses it. */
export function helperSignature(h: Helper): CallableSignature | RefusedSignature {
  const short = h.name.replace(/^bpf_/, '');
  const refuse = (refusedKind: string, why: string): RefusedSignature => {
    const instead = DEDICATED[short];
    return { refusedKind, refusal: `${h.name}: ${why}${instead === undefined ? '' : `; use ${instead}`}` };
  };
  if (h.ret === null) return refuse('no prototype', 'the kernel has no prototype for it (not a callable helper)');
  let result: HelperResultKind;
  if (h.ret === 'RET_INTEGER') result = 'integer';
  else if (h.ret === 'RET_VOID') result = 'void';
  else if (h.ret === 'RET_PTR_TO_MAP_VALUE_OR_NULL' && h.args[0] === 'ARG_CONST_MAP_PTR') result = 'mapValue';
  else return refuse(baseKind(h.ret), `returns ${h.ret}, which has no eDSL type`);
  const params: HelperParamKind[] = [];
  const argSources: (number | { sizeof: number })[] = [];
  const fixedSizes: Record<number, number> = {};
  for (let i = 0; i < h.args.length; i++) {
    const kind = h.args[i];
    const base = baseKind(kind);
    const flags = kind.split('|').slice(1);
    const next = h.args[i + 1];
    const push = (p: HelperParamKind): void => { argSources.push(params.length); params.push(p); };
    switch (base) {
      case 'ARG_ANYTHING': case 'ARG_CONST_SIZE': case 'ARG_CONST_SIZE_OR_ZERO': case 'ARG_CONST_ALLOC_SIZE_OR_ZERO': push('scalar'); break;
      case 'ARG_PTR_TO_CTX': push('ctx'); break;
      case 'ARG_PTR_TO_CTX_OR_NULL': push('ctxOrNull'); break;
      case 'ARG_CONST_MAP_PTR': push('map'); break;
      case 'ARG_PTR_TO_MAP_KEY': push('key'); break;
      case 'ARG_PTR_TO_MAP_VALUE': push(flags.includes('MEM_UNINIT') ? 'valueOut' : 'value'); break;
      case 'ARG_PTR_TO_FIXED_SIZE_MEM': {
        const size = FIXED_SIZES[h.name]?.[i + 1];
        if (size === undefined) return refuse(base, `argument ${i + 1} (${kind}) has a fixed size this table does not know`);
        fixedSizes[params.length] = size;
        push('fixedMem');
        break;
      }
      case 'ARG_PTR_TO_MEM': case 'ARG_PTR_TO_UNINIT_MEM': case 'ARG_PTR_TO_MEM_OR_NULL': {
        if (next === undefined || !SIZE_KINDS.has(baseKind(next))) return refuse(base, `argument ${i + 1} (${kind}) is not followed by its size`);
        const p = params.length;
        push(base === 'ARG_PTR_TO_MEM_OR_NULL' || flags.includes('PTR_MAYBE_NULL') ? 'memOrNull' : 'mem');
        argSources.push({ sizeof: p });
        i++;
        break;
      }
      default: {
        const why = REASONS[base];
        return refuse(base, `argument ${i + 1} is ${kind}: ${why ?? 'not supported by the generic call'}`);
      }
    }
  }
  if (result === 'mapValue' && params[0] !== 'map') return refuse(baseKind(h.ret), `returns ${h.ret} without a map argument`);
  return { params, argSources, result, fixedSizes };
}

/** Whether `s` is a refusal. */
export function isRefused(s: CallableSignature | RefusedSignature): s is RefusedSignature {
  return 'refusal' in s;
}
