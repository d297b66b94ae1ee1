/**
 * The second tier: a program compiled once to a JavaScript function (`new Function`), with every
 * operand a constant and no opcode dispatch; the semantics are those of the interpreter loop, and
 * memory, helpers and calls go through the same {@link Interpreter} methods. Control flow is a
 * `switch` over basic-block leaders inside a loop; instructions are counted per block.
 * @module
 */

import * as alu from './alu64.js';
import type { DecodedProgram } from './decoded-program.js';
import { InterpreterError } from './errors.js';
import { helperFunctions, TAIL_CALL_ID } from './helpers/helper-registry.js';
import { describeInvalid } from './invalid-insn.js';
import { helperById } from 'ebpf-bytecode-utils';

/** A compiled program: runs from `startPc` until the frame it starts in exits. */
export type CompiledProgram = (vm: unknown, startPc: number) => void;

/** What the generated code reaches besides the interpreter: arithmetic and error constructors. */
const runtime = {
  A: alu,
  O: alu.out,
  F: helperFunctions,
  limit(pc: number, max: number): never {
    throw new InterpreterError('limit', pc, `instruction budget of ${max} exhausted`);
  },
  invalid(P: DecodedProgram, pc: number): never {
    throw new InterpreterError('invalid_insn', pc, describeInvalid(P, pc));
  },
  unknownHelper(pc: number, id: number): never {
    const name = helperById(id)?.name ?? `helper #${id}`;
    throw new InterpreterError('unknown_helper', pc, `${name}#${id} is not simulated`, { helper: name });
  },
};

const cache = new WeakMap<DecodedProgram, CompiledProgram>();

function isJump(code: number): boolean {
  const cls = code & 7;
  return (cls === 5 || cls === 6) && code !== 0x85 && code !== 0x95;
}

/** Slots where a basic block starts, and the slots that are jump/call targets. */
function leaders(P: DecodedProgram): Set<number> {
  const out = new Set<number>([0]);
  for (let pc = 0; pc < P.slots; pc++) {
    const code = P.code[pc];
    if (code === 0x18) {
      if (P.src[pc] === 4) out.add(pc + P.imm[pc] + 1);
      pc++;
      continue;
    }
    if (isJump(code)) {
      out.add(pc + (code === 0x06 ? P.imm[pc] : P.off[pc]) + 1);
      out.add(pc + 1);
    } else if (code === 0x85) {
      if (P.src[pc] === 1) out.add(pc + P.imm[pc] + 1);
      out.add(pc + 1);
    } else if (code === 0x95 || (code & 7) === 0 /* LD_ABS/IND */) {
      out.add(pc + 1);
    }
  }
  // Never a case label in the middle of a ld_imm64.
  for (let pc = 0; pc < P.slots; pc++) if (P.code[pc] === 0x18) out.delete(pc + 1);
  return out;
}

const JCOND: Record<number, [string, string]> = {
  // op: [64-bit condition over (AH, AL, BH, BL), 32-bit condition over (a, b)]
  0x10: ['AH === BH && AL === BL', 'a === b'],
  0x20: ['A.ltU(BH, BL, AH, AL)', '(a >>> 0) > (b >>> 0)'],
  0x30: ['!A.ltU(AH, AL, BH, BL)', '(a >>> 0) >= (b >>> 0)'],
  0x40: ['((AL & BL) | (AH & BH)) !== 0', '(a & b) !== 0'],
  0x50: ['AH !== BH || AL !== BL', 'a !== b'],
  0x60: ['A.ltS(BH, BL, AH, AL)', 'a > b'],
  0x70: ['!A.ltS(AH, AL, BH, BL)', 'a >= b'],
  0xa0: ['A.ltU(AH, AL, BH, BL)', '(a >>> 0) < (b >>> 0)'],
  0xb0: ['!A.ltU(BH, BL, AH, AL)', '(a >>> 0) <= (b >>> 0)'],
  0xc0: ['A.ltS(AH, AL, BH, BL)', 'a < b'],
  0xd0: ['!A.ltS(BH, BL, AH, AL)', 'a <= b'],
};

/** A 64-bit shift of register d by a constant n (0–63), inline. */
function shiftByConstant(kind: 'shl64' | 'shr64' | 'sar64', d: number, n: number): string {
  if (n === 0) return '';
  if (kind === 'shl64') return n < 32 ? `H[${d}] = (H[${d}] << ${n}) | (L[${d}] >>> ${32 - n}); L[${d}] <<= ${n};` : `H[${d}] = L[${d}] << ${n - 32}; L[${d}] = 0;`;
  if (kind === 'shr64') return n < 32 ? `L[${d}] = (L[${d}] >>> ${n}) | (H[${d}] << ${32 - n}); H[${d}] = H[${d}] >>> ${n};` : `L[${d}] = H[${d}] >>> ${n - 32}; H[${d}] = 0;`;
  return n < 32 ? `L[${d}] = (L[${d}] >>> ${n}) | (H[${d}] << ${32 - n}); H[${d}] >>= ${n};` : `L[${d}] = H[${d}] >> ${n - 32}; H[${d}] >>= 31;`;
}

/** Source of one slot; `goto(t)` gives the code that transfers control to slot t. */
function emit(P: DecodedProgram, pc: number, goto: (t: number) => string): string {
  const op = P.code[pc];
  const d = P.dst[pc];
  const s = P.src[pc];
  const off = P.off[pc];
  const imm = P.imm[pc];
  const ih = imm >> 31;
  const iu = imm >>> 0;
  const z = `H[${d}] = 0; T[${d}] = 0;`;
  const x = (op & 8) !== 0;
  const bl = x ? `L[${s}]` : `${imm}`;
  const bh = x ? `H[${s}]` : `${ih}`;
  switch (op) {
    case 0x07:
      return `a = L[${d}]; r = (a + ${imm}) | 0; H[${d}] = (H[${d}] + ${ih} + ((r >>> 0) < (a >>> 0) ? 1 : 0)) | 0; L[${d}] = r;`;
    case 0x0f:
      return `a = L[${d}]; r = (a + L[${s}]) | 0; H[${d}] = (H[${d}] + H[${s}] + ((r >>> 0) < (a >>> 0) ? 1 : 0)) | 0; L[${d}] = r; if (T[${s}] !== 0) T[${d}] = T[${d}] === 0 ? T[${s}] : 0;`;
    case 0x17:
      return `a = L[${d}]; H[${d}] = (H[${d}] - ${ih} - ((a >>> 0) < ${iu} ? 1 : 0)) | 0; L[${d}] = (a - ${imm}) | 0;`;
    case 0x1f:
      return `a = L[${d}]; b = L[${s}]; H[${d}] = (H[${d}] - H[${s}] - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0; L[${d}] = (a - b) | 0; if (T[${s}] !== 0) T[${d}] = 0;`;
    case 0x27:
    case 0x2f:
      return `A.mul64(L[${d}], H[${d}], ${bl}, ${bh}); L[${d}] = O[0]; H[${d}] = O[1]; T[${d}] = 0;`;
    case 0x37:
    case 0x3f:
    case 0x97:
    case 0x9f: {
      const fn = (op & 0xf0) === 0x30 ? (off === 1 ? 'sdiv64' : 'udiv64') : off === 1 ? 'smod64' : 'umod64';
      return `A.${fn}(L[${d}], H[${d}], ${bl}, ${bh}); L[${d}] = O[0]; H[${d}] = O[1]; T[${d}] = 0;`;
    }
    case 0x47:
    case 0x4f:
      return `L[${d}] |= ${bl}; H[${d}] |= ${bh}; T[${d}] = 0;`;
    case 0x57:
    case 0x5f:
      return `L[${d}] &= ${bl}; H[${d}] &= ${bh}; T[${d}] = 0;`;
    case 0xa7:
    case 0xaf:
      return `L[${d}] ^= ${bl}; H[${d}] ^= ${bh}; T[${d}] = 0;`;
    case 0x67:
    case 0x6f:
    case 0x77:
    case 0x7f:
    case 0xc7:
    case 0xcf: {
      const kind = (op & 0xf0) === 0x60 ? 'shl64' : (op & 0xf0) === 0x70 ? 'shr64' : 'sar64';
      if (x) return `A.${kind}(L, H, ${d}, L[${s}] & 63); T[${d}] = 0;`;
      return `${shiftByConstant(kind, d, imm & 63)} T[${d}] = 0;`;
    }
    case 0x87:
      return `a = L[${d}]; L[${d}] = -a | 0; H[${d}] = (~H[${d}] + (a === 0 ? 1 : 0)) | 0; T[${d}] = 0;`;
    case 0xb7:
      return `L[${d}] = ${imm}; H[${d}] = ${ih}; T[${d}] = 0;`;
    case 0xbf:
      if (off === 0 || off === 1) return d === s ? '' : `L[${d}] = L[${s}]; H[${d}] = H[${s}]; T[${d}] = T[${s}];`;
      return `a = ${off === 8 ? `(L[${s}] << 24) >> 24` : off === 16 ? `(L[${s}] << 16) >> 16` : `L[${s}]`}; L[${d}] = a; H[${d}] = a >> 31; T[${d}] = 0;`;
    case 0xd7:
    case 0xdc:
      if (imm === 16) return `L[${d}] = A.bswap16(L[${d}]); ${z}`;
      if (imm === 32) return `L[${d}] = A.bswap32(L[${d}]); ${z}`;
      return `a = L[${d}]; L[${d}] = A.bswap32(H[${d}]); H[${d}] = A.bswap32(a); T[${d}] = 0;`;
    case 0xd4:
      return imm === 16 ? `L[${d}] &= 0xffff; ${z}` : imm === 32 ? z : `T[${d}] = 0;`;
    // ALU32
    case 0x04:
    case 0x0c:
      return `L[${d}] = (L[${d}] + ${bl}) | 0; ${z}`;
    case 0x14:
    case 0x1c:
      return `L[${d}] = (L[${d}] - ${bl}) | 0; ${z}`;
    case 0x24:
    case 0x2c:
      return `L[${d}] = Math.imul(L[${d}], ${bl}); ${z}`;
    case 0x34:
    case 0x3c:
    case 0x94:
    case 0x9c: {
      const fn = (op & 0xf0) === 0x30 ? (off === 1 ? 'sdiv32' : 'udiv32') : off === 1 ? 'smod32' : 'umod32';
      return `L[${d}] = A.${fn}(L[${d}], ${bl}); ${z}`;
    }
    case 0x44:
    case 0x4c:
      return `L[${d}] |= ${bl}; ${z}`;
    case 0x54:
    case 0x5c:
      return `L[${d}] &= ${bl}; ${z}`;
    case 0xa4:
    case 0xac:
      return `L[${d}] ^= ${bl}; ${z}`;
    case 0x64:
    case 0x6c:
      return `L[${d}] <<= ${x ? `L[${s}] & 31` : imm & 31}; ${z}`;
    case 0x74:
    case 0x7c:
      return `L[${d}] = L[${d}] >>> ${x ? `(L[${s}] & 31)` : imm & 31}; ${z}`;
    case 0xc4:
    case 0xcc:
      return `L[${d}] >>= ${x ? `L[${s}] & 31` : imm & 31}; ${z}`;
    case 0x84:
      return `L[${d}] = -L[${d}] | 0; ${z}`;
    case 0xb4:
      return `L[${d}] = ${imm}; ${z}`;
    case 0xbc:
      return `a = L[${s}]; L[${d}] = ${off === 8 ? '(a << 24) >> 24' : off === 16 ? '(a << 16) >> 16' : 'a'}; ${z}`;
    // jumps
    case 0x05:
      return goto(pc + off + 1);
    case 0x06:
      return goto(pc + imm + 1);
    case 0xe5:
      if (s !== 0) break;
      return `if (budget === 0) { ${goto(pc + off + 1)} } budget--;`;
    case 0x85:
      if (s === 0) {
        if (imm === TAIL_CALL_ID) return `vm.remaining = lim - n; if (vm.tailCall(${pc})) { vm.execute(vm.curProg, 0); return; } n = 0; lim = vm.remaining;`;
        if (helperFunctions[imm] === undefined) return `E.unknownHelper(${pc}, ${imm});`;
        return `vm.insn = ${pc}; vm.curProg = P; vm.remaining = lim - n; F[${imm}](vm); n = 0; lim = vm.remaining;`;
      }
      if (s === 1) return `vm.remaining = lim - n; vm.callSubprogram(P, ${pc + imm + 1}, ${pc}); n = 0; lim = vm.remaining;`;
      return `vm.curProg = P; vm.remaining = lim - n; vm.callKfunc(${pc}, ${imm}); n = 0; lim = vm.remaining;`;
    case 0x95:
      return 'vm.remaining = lim - n; return;';
    case 0x18:
      if (s === 0) return `L[${d}] = ${imm}; H[${d}] = ${P.immHi[pc]}; T[${d}] = 0;`;
      return `vm.curProg = P; vm.ldImm64(${pc});`;
    case 0x61:
    case 0x69:
    case 0x71:
    case 0x79:
    case 0x81:
    case 0x89:
    case 0x91: {
      const size = [4, 2, 1, 8][(op >> 3) & 3];
      return `vm.load(${pc}, ${d}, ${s}, ${off}, ${size}, ${(op & 0xe0) === 0x80});`;
    }
    case 0x62:
    case 0x6a:
    case 0x72:
    case 0x7a: {
      const size = [4, 2, 1, 8][(op >> 3) & 3];
      return `vm.store(${pc}, ${d}, ${off}, ${size}, ${imm}, ${size === 8 ? ih : 0}, 0);`;
    }
    case 0x63:
    case 0x6b:
    case 0x73:
    case 0x7b: {
      const size = [4, 2, 1, 8][(op >> 3) & 3];
      return `vm.store(${pc}, ${d}, ${off}, ${size}, L[${s}], ${size === 8 ? `H[${s}], T[${s}]` : '0, 0'});`;
    }
    case 0xc3:
    case 0xdb:
    case 0xcb:
    case 0xd3:
      return `vm.curProg = P; vm.atomic(${pc}, ${op === 0xc3 ? 4 : op === 0xdb ? 8 : op === 0xcb ? 2 : 1});`;
    case 0x20:
    case 0x28:
    case 0x30:
    case 0x40:
    case 0x48:
    case 0x50: {
      const k = (op & 0x40) !== 0 ? `(L[${s}] + ${imm}) | 0` : `${imm}`;
      const size = (op & 0x18) === 0 ? 4 : (op & 0x18) === 8 ? 2 : 1;
      return `if (!vm.loadPacket(${pc}, ${k}, ${size})) { L[0] = 0; H[0] = 0; T[0] = 0; vm.remaining = lim - n; return; }`;
    }
  }
  const cls = op & 7;
  if ((cls === 5 || cls === 6) && JCOND[op & 0xf0] !== undefined) {
    const [c64, c32] = JCOND[op & 0xf0];
    const target = pc + off + 1;
    if (cls === 5) {
      const cond = c64.replaceAll('AH', `H[${d}]`).replaceAll('AL', `L[${d}]`).replaceAll('BH', bh).replaceAll('BL', bl);
      return `if (${cond}) { ${goto(target)} }`;
    }
    return `a = L[${d}]; b = ${bl}; if (${c32}) { ${goto(target)} }`;
  }
  return `E.invalid(P, ${pc});`;
}

/** Compiles a predecoded program (cached per program). */
export function compileProgram(P: DecodedProgram): CompiledProgram {
  const hit = cache.get(P);
  if (hit !== undefined) return hit;
  const lead = leaders(P);
  const goto = (from: number) => (t: number) => {
    const check = t <= from ? `if (n > lim) E.limit(${from}, vm.maxInstructions);` : '';
    return `${check}pc = ${t}; continue;`;
  };
  const lines: string[] = [];
  for (let pc = 0; pc < P.slots; pc++) {
    if (lead.has(pc)) {
      let count = 0;
      for (let q = pc; q < P.slots && (q === pc || !lead.has(q)); q += P.code[q] === 0x18 ? 2 : 1) count++;
      lines.push(`case ${pc}: n += ${count};`);
    }
    lines.push(`  ${emit(P, pc, goto(pc))}`);
    if (P.code[pc] === 0x18) pc++;
  }
  lines.push(`E.invalid(P, ${P.slots});`);
  const source = `return function compiled(vm, startPc) {
  const L = vm.lo, H = vm.hi, T = vm.tag;
  let pc = startPc, n = 0, lim = vm.remaining, budget = ${1 << 23};
  let a = 0, b = 0, r = 0;
  for (;;) {
    switch (pc) {
${lines.join('\n')}
    default: E.invalid(P, pc);
    }
    if (n > lim) E.limit(pc, vm.maxInstructions);
  }
};`;
  const make = new Function('A', 'O', 'F', 'E', 'P', source) as (...args: unknown[]) => CompiledProgram;
  const fn = make(runtime.A, runtime.O, runtime.F, runtime, P);
  cache.set(P, fn);
  return fn;
}
