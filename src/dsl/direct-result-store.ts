/**
 * Call results stored straight from `r0`: `rX = r0` followed later by `*(size *)(r10 + off) = rX`,
 * where that store is the only use of the copy, becomes `*(size *)(r10 + off) = r0` in place of
 * the move (clang's output for `ev.ts = bpf_ktime_get_ns()` or a map key that is a helper's
 * result). Saves one instruction and a callee-saved register.
 *
 * The store moves earlier, so it must not matter when it happens: on the straight-line path from
 * the move to the store (no label or jump in between), nothing reads or writes its bytes through
 * `r10`, no load, store or atomic goes through a register that may hold a stack-frame address,
 * and no call receives such a register as an argument. `rX` must be dead after the store.
 *
 * ```ts
 * storeResultsDirectly(items, origins);   // r8 = r0 … *(u64 *)(r10 -24) = r8 → *(u64 *)(r10 -24) = r0
 * ```
 * @module
 */

import { R0, R10, StoreMem, sizeForBytes, type ProgramItem } from 'ebpf-bytecode-utils';
import { analyseFlow, frameAccess, pointerBase, regBit, regEffects, type InsnFlow } from './insn-flow.js';

/** The index of the store that may take `r0` directly in place of the move at `i`, if any. */
function directStoreFor(flow: InsnFlow, i: number): number | undefined {
  const mov = flow.ops[i];
  if (mov.kind !== 'alu' || mov.op !== 'mov' || mov.width !== 64 || mov.source !== 'reg' || mov.src !== 0 || mov.dst === 0 || mov.dst === 10) return undefined;
  const x = mov.dst;
  const xBit = regBit(x);
  const between: number[] = [];
  for (let j = i + 1; j < flow.insns.length; j++) {
    if (flow.labelled[j]) return undefined;
    const op = flow.ops[j];
    const fx = regEffects(op);
    if ((fx.reads & xBit) !== 0) {
      if (op.kind !== 'store' || op.dst !== 10 || op.src !== x) return undefined;
      if ((flow.liveOut[j] & xBit) !== 0) return undefined;
      // Nothing in between may touch its bytes.
      for (const k of between) {
        const access = frameAccess(flow.ops[k]);
        if (access !== undefined && access.off < op.off + op.size && op.off < access.off + access.size) return undefined;
      }
      return j;
    }
    if ((fx.writes & xBit) !== 0) return undefined;
    if (op.kind === 'goto' || op.kind === 'jump' || op.kind === 'may_goto' || op.kind === 'exit' || op.kind === 'ld_packet' || op.kind === 'invalid') return undefined;
    const fp = flow.framePtrIn[j];
    if (op.kind === 'call' && (fp & 0b111110) !== 0) return undefined;
    const base = pointerBase(op);
    if (base !== undefined && (fp & regBit(base)) !== 0) return undefined;
    between.push(j);
  }
  return undefined;
}

/**
 * `items` with call results stored straight from `r0` where the copy in another register only
 * fed one stack store (see the module comment); unchanged when the flow analysis does not apply.
 * `origins` (item → the statement that produced it) gives the new store the origin of the old one.
 */
export function storeResultsDirectly<O>(items: readonly ProgramItem[], origins?: Map<ProgramItem, O>): readonly ProgramItem[] {
  let current = items;
  for (let round = 0; round < 16; round++) {
    const flow = analyseFlow(current);
    if (flow === undefined) return current;
    // Rewrites whose move..store spans do not overlap are independent: take them all this round.
    const replace = new Map<number, ProgramItem | undefined>();
    let busyUntil = -1;
    let deferred = false;
    for (let i = 0; i < flow.insns.length; i++) {
      const j = directStoreFor(flow, i);
      if (j === undefined) continue;
      if (i <= busyUntil) { deferred = true; continue; }
      const store = flow.ops[j];
      if (store.kind !== 'store') continue;
      const movItem = flow.itemIndex[i];
      const storeItem = flow.itemIndex[j];
      const replacement = StoreMem(R10, store.off, R0, sizeForBytes(store.size));
      if (origins !== undefined) {
        const origin = origins.get(current[storeItem]);
        origins.delete(current[movItem]);
        origins.delete(current[storeItem]);
        if (origin !== undefined) origins.set(replacement, origin);
      }
      replace.set(movItem, replacement);
      replace.set(storeItem, undefined);
      busyUntil = j;
    }
    if (replace.size === 0) return current;
    const before = current;
    current = before.flatMap((item, k) => {
      if (!replace.has(k)) return [item];
      const r = replace.get(k);
      return r === undefined ? [] : [r];
    });
    if (!deferred) return current;
  }
  return current;
}
