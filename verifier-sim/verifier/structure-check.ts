/**
 * Whole-program checks that run before any path is simulated, in the kernel's order
 * (`bpf_check()`): subprogram discovery (`add_subprog_and_kfunc`), jumps within their
 * subprogram and a final exit/jump per subprogram (`check_subprogs`), `ld_imm64` and opcode
 * sanity (`resolve_pseudo_ldimm64`), and the control-flow walk that finds out-of-range jumps,
 * unreachable instructions and jumps into the middle of a `ld_imm64` (`check_cfg`).
 * Runs as root would: back-edges are allowed (bounded loops are explored by state).
 * @module
 */

import { opcodeInTable } from './opcode-table.js';
import { isLdImm64, type Slot } from './program-slots.js';
import type { MapInfo } from './verifier-env.js';
import { RejectError } from './verifier-error.js';
import { isSyncCallbackCall } from './callbacks.js';
import { checkFuncInfoEarly, checkFuncInfoLayout, type FuncInfo } from './func-info.js';

/** What the structural pass learned about the program. */
export interface ProgramShape {
  /** Start slot of every subprogram, ascending (the main program is 0). */
  readonly subprogs: readonly number[];
  /** Slots where states are compared for pruning (`mark_prune_point`). */
  readonly prunePoints: ReadonlySet<number>;
}

const JMP = 0x05;
const JMP32 = 0x06;
const CALL = 0x80;
const EXIT = 0x90;

function isPseudoCall(s: Slot): boolean {
  return s.code === (JMP | CALL) && s.src === 1;
}
function isPseudoFunc(s: Slot): boolean {
  return s.code === 0x18 && s.src === 4;
}
function jumpOffset(s: Slot): number {
  return s.code === (JMP32 | 0x00) ? s.imm : s.off;
}

function findSubprogs(slots: readonly Slot[]): number[] {
  const starts = new Set<number>([0]);
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i];
    if (!isPseudoCall(s) && !isPseudoFunc(s)) continue;
    const target = i + s.imm + 1;
    if (target < 0 || target >= slots.length) throw new RejectError('call to invalid destination', i);
    starts.add(target);
  }
  return [...starts].sort((a, b) => a - b);
}

function checkSubprogs(slots: readonly Slot[], subprogs: readonly number[]): void {
  let cur = 0;
  let start = subprogs[0];
  let end = subprogs.length > 1 ? subprogs[1] : slots.length;
  for (let i = 0; i < slots.length; i++) {
    const code = slots[i].code;
    const cls = code & 7;
    const op = code & 0xf0;
    if ((cls === JMP || cls === JMP32) && op !== EXIT && op !== CALL) {
      const to = i + jumpOffset(slots[i]) + 1;
      if (to < start || to >= end) throw new RejectError(`jump out of range from insn ${i} to ${to}`, i);
    }
    if (i === end - 1) {
      if (code !== (JMP | EXIT) && code !== (JMP32 | 0x00) && code !== (JMP | 0x00)) throw new RejectError('last insn is not an exit or jmp', i);
      start = end;
      cur++;
      end = cur + 1 < subprogs.length ? subprogs[cur + 1] : slots.length;
    }
  }
}

function checkLdImm64(slots: readonly Slot[], maps: readonly MapInfo[]): void {
  const mapCount = maps.length;
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i];
    const mode = s.code & 0xe0;
    if ((s.code & 7) === 0x01 && ((mode !== 0x60 && mode !== 0x80) || s.imm !== 0)) throw new RejectError('BPF_LDX uses reserved fields', i);
    if (isLdImm64(s)) {
      const next = slots[i + 1];
      if (i === slots.length - 1 || next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) throw new RejectError('invalid bpf_ld_imm64 insn', i);
      if (s.src !== 0 && s.src !== 3 && s.src !== 4) {
        const ok = s.src === 2 || s.src === 6 || ((s.src === 1 || s.src === 5) && next.imm === 0);
        if (!ok) throw new RejectError('unrecognized bpf_ld_imm64 insn', i);
        if (s.src === 5 || s.src === 6) throw new RejectError('fd_idx without fd_array is invalid', i);
        if (s.imm < 0 || s.imm >= mapCount) throw new RejectError(`fd ${s.imm} is not pointing to valid bpf_map`, i);
        if (s.src === 2) {
          const map = maps[s.imm];
          const off = next.imm >>> 0;
          if (off >= 1 << 29) throw new RejectError(`direct value offset of ${off} is not allowed`, i);
          if (map.type !== 'array') throw new RejectError('no direct value access support for this map type', i);
          if (map.maxEntries !== 1 || off >= map.valueSize) throw new RejectError(`invalid access to map value pointer, value_size=${map.valueSize} off=${off}`, i);
        }
      }
      if (s.src === 3) throw new RejectError('kernel variables (BPF_PSEUDO_BTF_ID) are not simulated', i);
      i++;
      continue;
    }
    if (!opcodeInTable(s.code)) throw new RejectError(`unknown opcode ${(s.code & 0xff).toString(16).padStart(2, '0')}`, i);
  }
}

const DISCOVERED = 0x10;
const EXPLORED = 0x20;
const FALLTHROUGH = 1;
const BRANCH = 2;
const DONE = 0;
const KEEP = 1;

function checkCfg(slots: readonly Slot[], prune: Set<number>): void {
  const n = slots.length;
  const state = new Int32Array(n);
  const stack: number[] = [0];
  state[0] = DISCOVERED;

  const push = (t: number, w: number, e: number): number => {
    if (e === FALLTHROUGH && state[t] >= (DISCOVERED | FALLTHROUGH)) return DONE;
    if (e === BRANCH && state[t] >= (DISCOVERED | BRANCH)) return DONE;
    if (w < 0 || w >= n) throw new RejectError(`jump out of range from insn ${t} to ${w}`, t);
    if (e === BRANCH) prune.add(w);
    if (state[w] === 0) {
      state[t] = DISCOVERED | e;
      state[w] = DISCOVERED;
      stack.push(w);
      return KEEP;
    }
    if ((state[w] & 0xf0) === DISCOVERED) return DONE; // back-edge: allowed when bpf_capable
    if (state[w] === EXPLORED) state[t] = DISCOVERED | e;
    return DONE;
  };

  const visitCall = (t: number, visitCallee: boolean): number => {
    const size = isLdImm64(slots[t]) ? 2 : 1;
    const r = push(t, t + size, FALLTHROUGH);
    if (r !== DONE) return r;
    prune.add(t + size);
    if (visitCallee) {
      prune.add(t);
      return push(t, t + slots[t].imm + 1, BRANCH);
    }
    return DONE;
  };

  const visit = (t: number): number => {
    const s = slots[t];
    if (isPseudoFunc(s)) return visitCall(t, true);
    const cls = s.code & 7;
    if (cls !== JMP && cls !== JMP32) return push(t, t + (isLdImm64(s) ? 2 : 1), FALLTHROUGH);
    const op = s.code & 0xf0;
    if (op === EXIT) return DONE;
    // mark_calls_callback: a callback-calling helper call is a prune point (forced checkpoint).
    if (op === CALL && isSyncCallbackCall(s)) prune.add(t);
    if (op === CALL) return visitCall(t, s.src === 1);
    if (op === 0x00) {
      if ((s.code & 0x08) !== 0) throw new RejectError('BPF_JA uses reserved fields', t);
      const w = t + jumpOffset(s) + 1;
      const r = push(t, w, FALLTHROUGH);
      if (r !== DONE) return r;
      prune.add(w);
      return r;
    }
    prune.add(t);
    const r = push(t, t + 1, FALLTHROUGH);
    if (r !== DONE) return r;
    return push(t, t + s.off + 1, BRANCH);
  };

  while (stack.length > 0) {
    const t = stack[stack.length - 1];
    if (visit(t) === DONE) {
      state[t] = EXPLORED;
      stack.pop();
    }
  }
  for (let i = 0; i < n; i++) {
    if (state[i] !== EXPLORED) throw new RejectError(`unreachable insn ${i}`, i);
    if (isLdImm64(slots[i])) {
      if (state[i + 1] !== 0) throw new RejectError(`jump into the middle of ldimm64 insn ${i}`, i);
      i++;
    }
  }
}

/**
 * Runs the structural checks; throws {@link RejectError} with the kernel's message for the
 * first violation, in the kernel's order. `onSubprogs` sees the subprogram starts as soon as
 * they are known (the level-2 log prints them as `func#N @start`).
 */
export function checkStructure(slots: readonly Slot[], maps: readonly MapInfo[], onSubprogs?: (starts: readonly number[]) => void, funcInfo: readonly FuncInfo[] = []): ProgramShape {
  if (slots.length === 0) throw new RejectError('empty program', null);
  checkFuncInfoEarly(funcInfo);
  const subprogs = findSubprogs(slots);
  onSubprogs?.(subprogs);
  checkSubprogs(slots, subprogs);
  checkFuncInfoLayout(funcInfo, subprogs);
  checkLdImm64(slots, maps);
  const prunePoints = new Set<number>();
  checkCfg(slots, prunePoints);
  return { subprogs, prunePoints };
}
