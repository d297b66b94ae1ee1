/**
 * Compiling a program's bpf-to-bpf subprograms and `$.loop` callbacks, and laying them out
 * after the main program: each function gets its own live ranges, register allocation (R6–R9
 * again: a call preserves the caller's), stack frame and labels, then the same clean-up passes
 * as the main program. Functions no reachable code calls are left out (the kernel wants
 * func_info for exactly the functions present). The call graph is checked against the kernel's
 * limits: at most {@link MAX_CALL_FRAMES} frames on a chain, and the frames of a chain, each
 * rounded up to 16 bytes as `check_max_stack_depth` rounds them for JIT-compiled programs,
 * within 512 bytes together (loop callbacks count: the kernel follows `ld_imm64` of a function
 * as it follows a call).
 * @module
 */

import { isLabel, Label, Mov, R1, R10, Size, StoreMem, type Instruction, type ProgramItem, type Register } from 'ebpf-bytecode-utils';
import { CodeGen, STACK_LIMIT } from './codegen.js';
import { removeUnreachable } from './dead-code.js';
import { DslError } from './errors.js';
import { liveRanges } from './liveness.js';
import type { CoreAccess, FuncNode } from './nodes.js';
import { peephole } from './peephole.js';
import { allocate } from './regalloc.js';
import { MAX_CALL_FRAMES } from './subprogram.js';

/** One compiled function, ready to be appended after the main program. */
export interface CompiledFunction {
  /** The function. */
  readonly func: FuncNode;
  /** Its items: its entry label first, its labels prefixed to be unique in the program. */
  readonly items: readonly ProgramItem[];
  /** Its first instruction (the func_info and line_info records point at it). */
  readonly first: Instruction;
  /** Its stack frame in bytes. */
  readonly stackBytes: number;
  /** Its CO-RE relocations. */
  readonly coreRelos: readonly { readonly insn: ProgramItem; readonly core: CoreAccess }[];
}

/** The labels of the functions that `items` call or take the address of. */
function callees(items: readonly ProgramItem[]): Set<string> {
  const out = new Set<string>();
  for (const item of items) if (!isLabel(item) && (item.ref?.kind === 'call' || item.ref?.kind === 'func')) out.add(item.ref.label);
  return out;
}

/** Compiles one function; `origins` receives the statement of each of its items. */
function compileFunction(func: FuncNode, origins: Map<ProgramItem, object>, where: string): CompiledFunction {
  const at = `${where}: ${func.name}`;
  let ranges;
  try {
    ranges = liveRanges(func.body, func.params);
  } catch (err) {
    if (err instanceof DslError) throw new DslError(`${at}: ${err.message}`, { cause: err });
    throw err;
  }
  const { locations, spillBytes } = allocate(ranges);
  const gen = new CodeGen(locations, ranges, spillBytes, at);
  // Parameters arrive in R1–R5: move the used ones to their locations (R6–R9 or a spill slot).
  func.params.forEach((p, i) => {
    const loc = locations.get(p.id);
    if (loc === undefined) return;
    const arg = (R1 + i) as Register;
    const insn = 'reg' in loc ? Mov.reg(loc.reg, arg) : StoreMem(R10, loc.slot, arg, Size.DW);
    gen.items.push(insn);
    origins.set(insn, func);
  });
  if (!gen.block(func.body)) throw new DslError(`${at}: the function does not end with a return`);
  for (const [item, stmt] of gen.origins) if (!origins.has(item)) origins.set(item, stmt);
  // Codegen numbers its labels per function: prefix them with the function's own label.
  const prefix = `${func.label}.`;
  const renamed = gen.items.map((item): ProgramItem => {
    if (isLabel(item)) return Label(prefix + item.label);
    if (item.ref?.kind !== 'jump') return item;
    const copy: Instruction = { ...item, ref: { kind: 'jump', label: prefix + item.ref.label } };
    const origin = origins.get(item);
    if (origin !== undefined) origins.set(copy, origin);
    return copy;
  });
  const items = [Label(func.label), ...peephole(removeUnreachable(renamed), origins)];
  const first = items.find((i): i is Instruction => !isLabel(i));
  if (first === undefined) throw new DslError(`${at}: the function has no instructions`);
  return { func, items, first, stackBytes: gen.stackBytes, coreRelos: gen.coreRelos };
}

/**
 * Compiles the functions of `funcs` that `mainItems` reach (directly or through each other), in
 * declaration order, and checks the call graph's depth and stack use (`mainStack`: the main
 * program's frame). `origins` receives the statements of the functions' items.
 */
export function compileSubprograms(funcs: readonly FuncNode[], mainItems: readonly ProgramItem[], mainStack: number, origins: Map<ProgramItem, object>, where: string): CompiledFunction[] {
  if (funcs.length === 0) return [];
  const byLabel = new Map(funcs.map((f) => [f.label, f]));
  const compiled = new Map<string, CompiledFunction>();
  const pending = [...callees(mainItems)];
  while (pending.length > 0) {
    const label = pending.pop()!;
    if (compiled.has(label)) continue;
    const func = byLabel.get(label);
    if (func === undefined) throw new DslError(`${where}: a call refers to function label '${label}', which is not a function of this program`);
    const c = compileFunction(func, origins, where);
    compiled.set(label, c);
    pending.push(...callees(c.items));
  }
  checkCallGraph(mainItems, mainStack, compiled, where);
  return funcs.flatMap((f) => compiled.get(f.label) ?? []);
}

/**
 * A frame's size on a call chain as the kernel counts it when the program is JIT-compiled
 * (`round_up_stack_depth`: `round_up(depth, 16)`; measured on Linux 6.18: 488 + 8 loads, 504 + 8
 * is refused as 528). A kernel running the interpreter instead rounds to 32 and may refuse a
 * chain this check lets through; its verifier then says so.
 */
function frameSize(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

function checkCallGraph(mainItems: readonly ProgramItem[], mainStack: number, compiled: ReadonlyMap<string, CompiledFunction>, where: string): void {
  const walk = (name: string, items: readonly ProgramItem[], stack: number, chain: readonly string[], used: number): void => {
    const path = [...chain, name];
    const total = used + frameSize(stack);
    if (path.length > MAX_CALL_FRAMES) throw new DslError(`${where}: the call chain ${path.join(' -> ')} has ${path.length} frames, more than the kernel's ${MAX_CALL_FRAMES}`);
    if (chain.includes(name)) throw new DslError(`${where}: recursive call ${path.join(' -> ')} (the kernel refuses recursion)`);
    if (total > STACK_LIMIT) throw new DslError(`${where}: the call chain ${path.join(' -> ')} needs ${total} bytes of stack (frames rounded up to 16 bytes), more than the kernel's ${STACK_LIMIT} for all frames together`);
    for (const label of callees(items)) {
      const c = compiled.get(label)!;
      walk(c.func.name, c.items, c.stackBytes, path, total);
    }
  };
  walk('main', mainItems, mainStack, [], 0);
}
