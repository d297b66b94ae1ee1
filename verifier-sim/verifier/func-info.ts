/**
 * BTF `func_info` as the verifier sees it (`check_btf_func_early` and `check_btf_func` in
 * kernel/bpf/verifier.c): one record per subprogram, in instruction order, naming the BTF
 * `FUNC` type of each and (through that type) its linkage. Programs that take the address of
 * a subprogram (`ld_imm64` with `BPF_PSEUDO_FUNC`, the callbacks of `bpf_loop` and
 * `bpf_for_each_map_elem`) cannot be loaded without it.
 * @module
 */

import { RejectError } from './verifier-error.js';

/** Linkage of a BTF `FUNC` (`btf_func_linkage`): callbacks must be static. */
export type FuncLinkage = 'static' | 'global' | 'extern';

/** One `struct bpf_func_info` record, plus the linkage of the `FUNC` type it names. */
export interface FuncInfo {
  /** First instruction (8-byte slot) of the subprogram. */
  readonly insnOff: number;
  /** BTF type id of the subprogram's `FUNC` (must be non-zero). */
  readonly typeId: number;
  /** Linkage of that `FUNC` type; `static` when omitted (what the eDSL and clang emit for callbacks). */
  readonly linkage?: FuncLinkage;
}

/**
 * `check_btf_func_early`: the first record starts at instruction 0 and the offsets ascend
 * strictly; every type id names a `FUNC` (here: is a positive integer, the BTF itself is not
 * parsed).
 */
export function checkFuncInfoEarly(funcInfo: readonly FuncInfo[]): void {
  let prev = 0;
  funcInfo.forEach((rec, i) => {
    if (i === 0) {
      if (rec.insnOff !== 0) throw new RejectError(`nonzero insn_off ${rec.insnOff >>> 0} for the first func info record`, null);
    } else if (rec.insnOff <= prev) {
      throw new RejectError(`same or smaller insn offset (${rec.insnOff >>> 0}) than previous func info record (${prev})`, null);
    }
    if (!Number.isInteger(rec.typeId) || rec.typeId <= 0) throw new RejectError(`invalid type id ${rec.typeId | 0} in func info`, null);
    prev = rec.insnOff;
  });
}

/** `check_btf_func`: one record per subprogram, each at its subprogram's first instruction. */
export function checkFuncInfoLayout(funcInfo: readonly FuncInfo[], subprogs: readonly number[]): void {
  if (funcInfo.length === 0) return;
  if (funcInfo.length !== subprogs.length) throw new RejectError("number of funcs in func_info doesn't match number of subprogs", null);
  funcInfo.forEach((rec, i) => {
    if (rec.insnOff !== subprogs[i]) throw new RejectError("func_info BTF section doesn't match subprog layout in BPF program", null);
  });
}

/** The linkage of the subprogram starting at `start`, or null without func_info. */
export function linkageAt(funcInfo: readonly FuncInfo[] | null, start: number): FuncLinkage | null {
  if (funcInfo === null || funcInfo.length === 0) return null;
  const rec = funcInfo.find((r) => r.insnOff === start);
  return rec === undefined ? null : (rec.linkage ?? 'static');
}
