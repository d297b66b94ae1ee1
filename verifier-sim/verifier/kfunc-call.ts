/**
 * kfunc calls (`BPF_CALL` with `src_reg` = `BPF_PSEUDO_KFUNC_CALL`, `imm` = the BTF id of a
 * FUNC in vmlinux): the load-time checks of `add_kfunc_call` (BTF present, GPL, the id names a
 * function) and the walk-time checks of `check_kfunc_call` (the function is a kfunc offered to
 * the program type, arguments against its BTF prototype and flags, acquired and released
 * references, the RCU read-side section, R0 from the return type).
 *
 * Which functions are kfuncs is read from vmlinux BTF (the `bpf_kfunc` decl tag), but their
 * flags (`KF_ACQUIRE`, `KF_RELEASE`, `KF_RET_NULL`, `KF_RCU`) and the program types they are
 * registered for live in the kernel's `.BTF_ids` sections, so they are tabled here for the
 * common kfuncs of kernel/bpf/helpers.c; other kfuncs are rejected as not simulated.
 * @module
 */

import { markChainPrecision } from './precision.js';
import type { KernelSyntaxOptions, Param, Type } from 'ebpf-bytecode-utils';
import { TypeFlag, isRcuPointer, isTrustedPointer } from './btf-pointee.js';
import { pointeeOf } from './btf-id-access.js';
import { skipModifiers, structIdsMatch } from './btf-struct-walk.js';
import type { Slot } from './program-slots.js';
import { acquireReference, releaseReference } from './references.js';
import { notInit, regTypeName, type RegState } from './register-state.js';
import { markKnown, markUnknown } from './scalar-bounds.js';
import { tnumIsConst } from './tnum.js';
import type { VerifierEnv } from './verifier-env.js';
import type { KernelBtf } from './kernel-btf.js';
import { RejectError } from './verifier-error.js';
import { allFrames, zeroBounds } from './verifier-state.js';
import { StackByte } from './stack-state.js';
import { checkIterArg, iterKfuncOf, processIterNext, setIterNextReturn } from './iterator-num.js';

/** `KF_*` flags (include/linux/btf.h) of the tabled kfuncs. */
const KF_ACQUIRE = 1 << 0;
const KF_RELEASE = 1 << 1;
const KF_RET_NULL = 1 << 2;
const KF_RCU = 1 << 7;

/**
 * Which kfunc set registers a kfunc: `common` (`common_kfunc_set`, registered for
 * BPF_PROG_TYPE_UNSPEC: every program type) or `generic` (`generic_kfunc_set`: the TRACING,
 * TC, XDP, STRUCT_OPS, SYSCALL and CGROUP hooks).
 */
type KfuncSet = 'common' | 'generic';

interface KfuncSpec {
  readonly flags: number;
  readonly set: KfuncSet;
}

/** Flags and set of the kfuncs the simulator knows (kernel/bpf/helpers.c, Linux 6.18). */
const KFUNCS: Readonly<Record<string, KfuncSpec>> = {
  bpf_task_acquire: { flags: KF_ACQUIRE | KF_RCU | KF_RET_NULL, set: 'generic' },
  bpf_task_release: { flags: KF_RELEASE, set: 'generic' },
  bpf_task_from_pid: { flags: KF_ACQUIRE | KF_RET_NULL, set: 'generic' },
  bpf_rcu_read_lock: { flags: 0, set: 'common' },
  bpf_rcu_read_unlock: { flags: 0, set: 'common' },
  bpf_cast_to_kern_ctx: { flags: 0, set: 'common' },
  bpf_rdonly_cast: { flags: 0, set: 'common' },
  bpf_iter_num_new: { flags: 0, set: 'common' },
  bpf_iter_num_next: { flags: KF_RET_NULL, set: 'common' },
  bpf_iter_num_destroy: { flags: 0, set: 'common' },
};

/** Program types whose kfunc hook (`bpf_prog_type_to_kfunc_hook`) has `generic_kfunc_set`. */
const GENERIC_SET_TYPES = new Set([
  'tracing', 'tracepoint', 'perf_event', 'lsm', 'sched_cls', 'xdp', 'struct_ops', 'syscall',
  'cgroup_skb', 'cgroup_sock', 'cgroup_device', 'cgroup_sock_addr', 'cgroup_sockopt', 'cgroup_sysctl', 'sock_ops',
]);

/**
 * `get_kern_ctx_btf_id`: the kernel type behind the program type's context, read from the
 * `BPF_PROG_TYPE_<TYPE>_kern` member of vmlinux's `struct bpf_ctx_convert`.
 */
function kernCtxType(env: VerifierEnv): Type {
  const kbtf = env.kernelBtf;
  const convId = kbtf.structId('bpf_ctx_convert');
  const conv = convId === undefined ? undefined : kbtf.typeById(convId);
  const member = conv?.kind === 'struct' ? conv.members.find((m) => m.name === `BPF_PROG_TYPE_${env.progType.toUpperCase()}_kern`) : undefined;
  if (member === undefined) reject(env, `bpf_cast_to_kern_ctx for program type ${env.progType} is not simulated`);
  if (member.type.kind !== 'struct') reject(env, `kern ctx type id ${kbtf.btf!.idOf(member.type) ?? 0} is not a struct`);
  return member.type;
}

function reject(env: VerifierEnv, msg: string, extra: readonly string[] = []): never {
  throw new RejectError(msg, env.insnIdx, extra);
}

/** Whether `funcId` is a FUNC tagged `bpf_kfunc` in vmlinux BTF (declared with `__bpf_kfunc`). */
function isTaggedKfunc(kbtf: KernelBtf, funcId: number): boolean {
  const btf = kbtf.btf!;
  for (const tag of btf.idsByName('bpf_kfunc')) {
    if (btf.kindOf(tag) === 'decl_tag' && btf.referencedIds(tag)[0] === funcId) return true;
  }
  return false;
}

/** The function name of `funcId` when it is a FUNC in vmlinux BTF. */
export function kfuncName(kbtf: KernelBtf, funcId: number): string | undefined {
  const btf = kbtf.btf;
  if (btf === undefined || funcId <= 0 || funcId >= btf.typeCount || btf.kindOf(funcId) !== 'func') return undefined;
  return btf.nameOf(funcId);
}

/**
 * `add_kfunc_call` for every kfunc call of the program, before anything else is checked
 * (`add_subprog_and_kfunc`): the kernel BTF must exist, the program must be GPL, module kfuncs
 * need an fd_array, and `imm` must be the id of a FUNC.
 */
export function checkKfuncCallsAtLoad(env: VerifierEnv, slots: readonly Slot[]): void {
  let first = true;
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i];
    if (s.code === 0x18) {
      i++;
      continue;
    }
    if (s.code !== 0x85 || s.src !== 2) continue;
    if (first) {
      first = false;
      if (env.kernelBtf.btf === undefined) throw new RejectError('calling kernel function is not supported without CONFIG_DEBUG_INFO_BTF', i);
      if (!env.gpl) throw new RejectError('cannot call kernel function from non-GPL compatible program', i);
    }
    if (s.imm === 0) continue;
    if (s.off < 0) throw new RejectError('negative offset disallowed for kernel module function call', i);
    if (s.off > 0) throw new RejectError('kfunc offset > 0 without fd_array is invalid', i, ['failed to find BTF for kernel function']);
    if (kfuncName(env.kernelBtf, s.imm) === undefined) throw new RejectError(`kernel btf_id ${s.imm >>> 0} is not a function`, i);
  }
}

/** Per run (keyed by its {@link KernelBtf}): the first reached kfunc call with `imm` 0. */
const zeroCallsSeen = new WeakMap<KernelBtf, number>();

/**
 * After the walk: a reached kfunc call with `imm` 0 survives dead-code elimination and fails
 * the kernel's fixup pass (`fixup_kfunc_call`).
 */
export function checkKfuncCallsAfterWalk(env: VerifierEnv): void {
  const insn = zeroCallsSeen.get(env.kernelBtf);
  if (insn === undefined) return;
  // The walk succeeded: a level-1 log keeps nothing of it (as for an accepted program).
  if (env.log.level === 1) env.log.reset(0);
  throw new RejectError('invalid kernel function call not eliminated in verifier pass', insn);
}

/** Disassembler options naming kfunc calls from BTF (`call bpf_rcu_read_lock#12345`), as the kernel's log does. */
export function kfuncSyntax(env: VerifierEnv, idx = env.insnIdx): KernelSyntaxOptions | undefined {
  const s = env.slots[idx];
  if (s.code !== 0x85 || s.src !== 2) return undefined;
  return { callName: () => (s.imm === 0 ? '' : (kfuncName(env.kernelBtf, s.imm) ?? '')) };
}

/** `btf_type_is_scalar`: int, enum or float (after typedefs and qualifiers). */
function isScalarType(t: Type): boolean {
  return t.kind === 'int' || t.kind === 'enum' || t.kind === 'enum64' || t.kind === 'float';
}

function isNullConst(r: RegState): boolean {
  return r.type === 'scalar' && tnumIsConst(r.varOff) && r.varOff.value === 0n;
}

/** `btf_type_str` of a kind: `STRUCT`, `UNION`, `INT`, … */
function kindText(t: Type): string {
  return t.kind.toUpperCase();
}

function typeNameOf(t: Type): string {
  return 'name' in t ? t.name : '';
}

interface KfuncMeta {
  refObjId: number;
  releaseRegno: number;
  retType: Type | null;
}

/** One argument of a tabled kfunc (`check_kfunc_args`, for scalars and struct pointers). */
function checkKfuncArg(env: VerifierEnv, name: string, spec: KfuncSpec, i: number, param: Param, meta: KfuncMeta): void {
  const regno = i + 1;
  const reg = env.cur.regs[regno];
  const t = skipModifiers(param.type);
  if (name === 'bpf_rdonly_cast' && i === 0) return; // obj__ign
  if (isScalarType(t)) {
    if (reg.type !== 'scalar') reject(env, `R${regno} is not a scalar`);
    if (param.name.endsWith('__k')) {
      if (!tnumIsConst(reg.varOff)) reject(env, `R${regno} must be a known constant`);
      markChainPrecision(env, regno);
      meta.retType = env.kernelBtf.typeById(Number(reg.varOff.value)) ?? null;
    }
    return;
  }
  if (t.kind !== 'ptr') reject(env, `Unrecognized arg#${i} type ${kindText(t)}`);
  const trustedArgs = (spec.flags & (KF_RELEASE | KF_RCU)) !== 0;
  // 6.18 kfunc pointer arguments are trusted by default (the kernels measured reject NULL for
  // every tabled kfunc, KF_TRUSTED_ARGS or not).
  if (isNullConst(reg) || reg.maybeNull) reject(env, `Possibly NULL pointer passed to trusted arg${i}`);
  if (reg.refObjId !== 0) {
    meta.refObjId = reg.refObjId;
    if ((spec.flags & KF_RELEASE) !== 0) meta.releaseRegno = regno;
  }
  const iter = iterKfuncOf(name);
  if (iter !== undefined) {
    checkIterArg(env, iter);
    return;
  }
  const refT = skipModifiers(t.target);
  if (name === 'bpf_cast_to_kern_ctx') {
    if (reg.type !== 'ctx') reject(env, `arg#${i} expected pointer to ctx, but got ${regTypeName(reg)}`);
    if (reg.off !== 0) reject(env, `dereference of modified ctx ptr R${regno} off=${reg.off} disallowed`);
    meta.retType = kernCtxType(env);
    return;
  }
  if (reg.type !== 'btf_id') {
    reject(env, `arg#${i} pointer type ${kindText(refT)} ${typeNameOf(refT)} must point to scalar, or struct with scalar`);
  }
  if (refT.kind !== 'struct') reject(env, `kernel function ${name} args#${i} pointer type ${kindText(refT)} ${typeNameOf(refT)} is not supported`);
  if (trustedArgs && !isTrustedPointer(reg)) {
    if ((spec.flags & KF_RCU) === 0) reject(env, `R${regno} must be referenced or trusted`);
    if (!isRcuPointer(reg)) reject(env, `R${regno} must be a rcu pointer`);
  }
  if ((spec.flags & KF_RELEASE) !== 0 && reg.refObjId !== 0 && reg.off !== 0) reject(env, `R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
  if (!tnumIsConst(reg.varOff) || reg.varOff.value !== 0n) reject(env, `R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
  const have = env.kernelBtf.typeById(reg.btf!.id)!;
  const strict = (spec.flags & KF_RELEASE) !== 0 && reg.refObjId !== 0;
  const m = structIdsMatch(have, reg.off, refT, strict);
  if (!m.match) {
    const line = `kernel function ${name} args#${i} expected pointer to ${kindText(refT)} ${typeNameOf(refT)} but R${regno} has a pointer to STRUCT ${reg.btf!.name}`;
    if (m.logged !== null) reject(env, m.logged, [line]);
    reject(env, line);
  }
}

/** `check_kfunc_call` for the call at `env.insnIdx` (`slot.imm` = the FUNC's BTF id). */
export function checkKfuncCall(env: VerifierEnv, slot: Slot): void {
  if (slot.imm === 0) {
    if (!zeroCallsSeen.has(env.kernelBtf)) zeroCallsSeen.set(env.kernelBtf, env.insnIdx);
    env.scratchedRegs |= 1;
    return;
  }
  const kbtf = env.kernelBtf;
  const name = kfuncName(kbtf, slot.imm)!;
  const spec = KFUNCS[name];
  if (spec === undefined) {
    if (!isTaggedKfunc(kbtf, slot.imm)) reject(env, `calling kernel function ${name} is not allowed`);
    reject(env, `kfunc ${name} is not simulated`);
  }
  if (spec.set === 'generic' && !GENERIC_SET_TYPES.has(env.progType)) reject(env, `calling kernel function ${name} is not allowed`);
  const func = kbtf.typeById(slot.imm)!;
  if (func.kind !== 'func') reject(env, `kernel btf_id ${slot.imm} is not a function`);
  const proto = func.proto;
  const meta: KfuncMeta = { refObjId: 0, releaseRegno: 0, retType: null };
  proto.params.forEach((p, i) => checkKfuncArg(env, name, spec, i, p, meta));
  if ((spec.flags & KF_RELEASE) !== 0) {
    if (meta.releaseRegno === 0) reject(env, `release kernel function ${name} expects refcounted PTR_TO_BTF_ID`);
    if (!releaseReference(env.cur, meta.refObjId)) reject(env, `kfunc ${name}#${slot.imm} reference has not been acquired before`);
  }
  updateRcuLock(env, name);
  const regs = env.cur.regs;
  const iterPtr = regs[1];
  for (let r = 0; r <= 5; r++) regs[r] = notInit();
  env.scratchedRegs |= 0x3f;
  if (iterKfuncOf(name) === 'next') {
    setIterNextReturn(env, iterPtr);
    processIterNext(env, iterPtr);
    return;
  }
  setReturn(env, name, spec, skipModifiers(proto.returns), meta);
}

/** `bpf_rcu_read_lock`/`unlock`: the section may not nest; unlocking makes RCU pointers untrusted. */
function updateRcuLock(env: VerifierEnv, name: string): void {
  const s = env.cur;
  const lock = name === 'bpf_rcu_read_lock';
  const unlock = name === 'bpf_rcu_read_unlock';
  if (s.activeRcuLock) {
    if (lock) reject(env, `nested rcu read lock (kernel function ${name})`);
    if (unlock) {
      for (const f of allFrames(s)) {
        const regs = [...f.regs];
        for (const slot of f.stack) if (slot.types[7] === StackByte.SPILL) regs.push(slot.spilled);
        for (const r of regs) {
          if ((r.typeFlags & TypeFlag.RCU) === 0) continue;
          r.typeFlags = (r.typeFlags & ~TypeFlag.RCU) | TypeFlag.UNTRUSTED;
          r.maybeNull = false;
        }
      }
      s.activeRcuLock = false;
    }
  } else if (lock) {
    s.activeRcuLock = true;
  } else if (unlock) {
    reject(env, `unmatched rcu read unlock (kernel function ${name})`);
  }
}

/** R0 after the call: nothing for void, an unknown scalar, or a BTF-id pointer. */
function setReturn(env: VerifierEnv, name: string, spec: KfuncSpec, ret: Type, meta: KfuncMeta): void {
  const r0 = env.cur.regs[0];
  if (ret.kind === 'void') return;
  if (isScalarType(ret)) {
    markUnknown(r0);
    return;
  }
  if (ret.kind !== 'ptr') reject(env, `kernel function ${name} returns an unsupported type`);
  const target = meta.retType ?? skipModifiers(ret.target);
  markKnown(r0, 0n);
  zeroBounds(r0);
  if (target.kind !== 'struct') {
    // bpf_rdonly_cast to a non-struct: read-only untrusted memory.
    r0.type = 'mem';
    r0.typeFlags = TypeFlag.RDONLY | TypeFlag.UNTRUSTED;
    return;
  }
  r0.type = 'btf_id';
  r0.btf = pointeeOf(env.kernelBtf, target);
  if (name === 'bpf_cast_to_kern_ctx') r0.typeFlags = TypeFlag.TRUSTED;
  else if (name === 'bpf_rdonly_cast') r0.typeFlags = TypeFlag.UNTRUSTED;
  if ((spec.flags & KF_RET_NULL) !== 0) {
    r0.maybeNull = true;
    r0.id = ++env.idGen;
  }
  if ((spec.flags & KF_ACQUIRE) !== 0) {
    const ref = acquireReference(env);
    r0.refObjId = ref;
    if (r0.maybeNull) r0.id = ref;
  }
}

/**
 * The parameter count of the kfunc `imm` names, when the program may call it (a tabled kfunc
 * offered to the program type): what the kernel's live-register analysis uses; else undefined.
 */
export function kfuncParamCount(env: VerifierEnv, imm: number): number | undefined {
  if (imm === 0 || env.kernelBtf.btf === undefined) return undefined;
  const name = kfuncName(env.kernelBtf, imm);
  const spec = name === undefined ? undefined : KFUNCS[name];
  if (spec === undefined || (spec.set === 'generic' && !GENERIC_SET_TYPES.has(env.progType))) return undefined;
  const func = env.kernelBtf.typeById(imm);
  return func?.kind === 'func' ? func.proto.params.length : undefined;
}
