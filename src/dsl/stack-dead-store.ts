/**
 * Dead stack stores: a store to `r10 + off` whose bytes are all written again before anything
 * can read them is removed. This is what makes zeroing a stack object cheap: `$.struct(T, init)`
 * zeroes the whole object (padding included) so that no uninitialised byte can ever escape, and
 * the fields the initialiser writes straight away make the zeroing of their bytes dead. Bytes
 * that are not certainly rewritten first (padding, a `char[]` a helper fills later) keep their
 * zeroes, so the promise holds.
 *
 * A store is dead when, following the straight-line path after it (through labels, which only
 * join other paths), every one of its bytes is overwritten by later stores through `r10`, or the
 * function exits, before any of these happens: a read of one of the bytes through `r10`, a load
 * or atomic through a register that may hold a stack-frame address, a call (it may read the
 * stack through a pointer argument), or a jump.
 *
 * ```ts
 * removeDeadStackStores(items, origins);   // *(u64 *)(r10 -24) = 0 … *(u64 *)(r10 -24) = r8 → only the second
 * ```
 * @module
 */

import type { ProgramItem } from 'ebpf-bytecode-utils';
import { analyseFlow, frameAccess, pointerBase, regBit, type InsnFlow } from './insn-flow.js';

/** Whether the store at instruction `i` of `flow` is overwritten before any possible read. */
function isDeadStore(flow: InsnFlow, i: number): boolean {
  const own = frameAccess(flow.ops[i]);
  if (own === undefined || !own.write || own.read) return false;
  // Bit k: byte own.off + k not yet rewritten.
  let pending = (1 << own.size) - 1;
  for (let j = i + 1; j < flow.insns.length; j++) {
    const op = flow.ops[j];
    if (op.kind === 'exit') return true;
    if (op.kind === 'goto' || op.kind === 'jump' || op.kind === 'may_goto' || op.kind === 'call' || op.kind === 'ld_packet') return false;
    const access = frameAccess(op);
    if (access !== undefined) {
      const lo = Math.max(access.off, own.off) - own.off;
      const hi = Math.min(access.off + access.size, own.off + own.size) - own.off;
      if (lo >= hi) continue;
      const bytes = ((1 << hi) - 1) & ~((1 << lo) - 1);
      if (access.read && (pending & bytes) !== 0) return false;
      if (access.write) pending &= ~bytes;
      if (pending === 0) return true;
      continue;
    }
    const base = pointerBase(op);
    if (base !== undefined && (flow.framePtrIn[j] & regBit(base)) !== 0 && op.kind !== 'store' && op.kind !== 'store_imm') return false;
  }
  return false;
}

/**
 * `items` without the stack stores that are overwritten before they can be read (see the module
 * comment). `items` is returned unchanged when the flow analysis does not apply. `origins`
 * (item → the statement that produced it) loses the removed items.
 */
export function removeDeadStackStores<O>(items: readonly ProgramItem[], origins?: Map<ProgramItem, O>): readonly ProgramItem[] {
  const flow = analyseFlow(items);
  if (flow === undefined) return items;
  const drop = new Set<number>();
  for (let i = 0; i < flow.insns.length; i++) if (isDeadStore(flow, i)) drop.add(flow.itemIndex[i]);
  if (drop.size === 0) return items;
  for (const k of drop) origins?.delete(items[k]);
  return items.filter((_, k) => !drop.has(k));
}
