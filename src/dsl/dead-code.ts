/**
 * Removal of unreachable instructions. The kernel rejects a program with any instruction that
 * no path reaches (`unreachable insn N`); code generation can leave some, e.g. the code after a
 * condition that constant-folds to always-true, or a join point both of whose branches return.
 * @module
 */

import { Class, JmpOp, isLabel, type Instruction, type ProgramItem } from 'ebpf-bytecode-utils';

function isJumpClass(code: number): boolean {
  const cls = code & 0x07;
  return cls === Class.JMP || cls === Class.JMP32;
}

/**
 * Returns `items` without the instructions unreachable from the first one. Labels are kept.
 * Works on symbolic jumps only: when any jump carries a numeric offset, `items` is returned
 * as it is (removing instructions would move its target).
 */
export function removeUnreachable(items: readonly ProgramItem[]): readonly ProgramItem[] {
  const insns: Instruction[] = [];
  const labelAt = new Map<string, number>();
  const itemIndex: number[] = [];
  items.forEach((item, i) => {
    if (isLabel(item)) labelAt.set(item.label, insns.length);
    else {
      insns.push(item);
      itemIndex.push(i);
    }
  });
  const successors = (i: number): number[] | undefined => {
    const insn = insns[i];
    const code = insn.code;
    const target = insn.ref?.kind === 'jump' || insn.ref?.kind === 'call' || insn.ref?.kind === 'func' ? labelAt.get(insn.ref.label) : undefined;
    const extra = target === undefined ? [] : [target];
    if (insn.ref?.kind === 'func') return [i + 1, ...extra];
    if (!isJumpClass(code)) return [i + 1];
    const op = code & 0xf0;
    if (op === JmpOp.EXIT) return [];
    if (op === JmpOp.CALL) return [i + 1, ...extra];
    const numeric = insn.ref === undefined && (code === (Class.JMP32 | JmpOp.JA) ? insn.imm !== 0 : insn.off !== 0);
    if (numeric) return undefined;
    if (op === JmpOp.JA) return insn.ref === undefined ? [i + 1] : extra;
    return [i + 1, ...extra];
  };
  const reached = new Uint8Array(insns.length);
  const stack = insns.length > 0 ? [0] : [];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (i >= insns.length || reached[i]) continue;
    reached[i] = 1;
    const next = successors(i);
    if (next === undefined) return items; // a numeric jump: leave the program as it is
    stack.push(...next);
  }
  if (reached.every((r) => r === 1)) return items;
  const drop = new Set<number>();
  reached.forEach((r, i) => {
    if (r === 0) drop.add(itemIndex[i]);
  });
  return items.filter((_, i) => !drop.has(i));
}
