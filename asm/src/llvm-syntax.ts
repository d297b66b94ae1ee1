/**
 * The LLVM text syntax of eBPF instructions, as `llvm-objdump -d` prints it: one line per
 * instruction, without address, bytes or `<label>` suffix.
 *
 * | instruction | text |
 * |---|---|
 * | `LoadImm64(R1, 0x1122334455667788n)` | `r1 = 1234605616436508552 ll` |
 * | `JGT.imm(R1, 5, 3)` | `if r1 > 5 goto +3` |
 * | `StoreMem(R10, -8, R1, Size.W)` | `*(u32 *)(r10 - 8) = r1` |
 * | `Mov.reg32(R0, R1)` | `w0 = w1` |
 * | `Atomic.add(R1, 0, R2, Size.DW)` | `lock *(u64 *)(r1 + 0) += r2` |
 * | `LoadAbs(Size.H, 12)` | `r0 = *(u16 *)skb[12]` |
 *
 * **Which LLVM.** Every encoding that LLVM 14's `llvm-objdump -d -z` decodes prints exactly as it
 * does, quirks included (checked against LLVM 14 by `test/unit/llvm-oracle.test.ts`):
 * - immediates are decimal, signed (`r1 = -1`, `if r1 > -2147483648 goto +0`); a `ld_imm64`
 *   immediate is a signed 64-bit decimal (`r1 = -1 ll`); `goto`/`if` offsets carry a sign (`+0`);
 * - `ld_imm64` with a pseudo source prints `ld_pseudo\tr1, 1, 5` (a tab; the source number; the
 *   low 32 bits unsigned; the high half is not shown);
 * - `r11`/`w11` are registers; 12–15 in a decoded register field give `<unknown>`;
 * - fields an instruction does not use are ignored (`r1 += 5` whatever its `src` and `off`,
 *   `goto +4` whatever its registers, `r0 = *(u32 *)skb[r2]` does not show `imm`), except that
 *   `exit` needs `imm` 0 and `le`/`be` need `imm` 16, 32 or 64;
 * - sub-64-bit loads and stores name 64-bit registers (`r1 = *(u32 *)(r2 + 4)`), as LLVM 14
 *   prints them without `--mattr=+alu32`;
 * - `callx` takes its register from `imm` (`callx r2` for imm 2; LLVM 19 reads `dst`);
 * - a call prints `call <imm>` whatever its `src` (helper, bpf-to-bpf `src` 1, kfunc `src` 2);
 * - 64-bit atomics look only at the low 8 bits of `imm`: `lock *(u64 *)(r1 + 0) += r2`,
 *   `r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)`, `r2 = xchg_64(r1 + 0, r2)`,
 *   `r0 = cmpxchg_64(r1 + 0, r0, r2)`.
 *
 * Three kinds of encodings print otherwise:
 * - 32-bit atomics other than a plain add, which LLVM 14 decodes only with `--mattr=+alu32`
 *   (without it they are `<unknown>`, and a 32-bit fetch-add looks like a plain add), print as
 *   `llvm-objdump -d --mattr=+alu32` does: `w2 = atomic_fetch_add((u32 *)(r1 + 0), w2)`,
 *   `lock *(u32 *)(r1 + 0) |= w2`, `w2 = xchg32_32(r1 + 0, w2)`, `w0 = cmpxchg32_32(r1 + 0, w0, w2)`;
 * - forms LLVM 14 does not know print as newer LLVM (checked against LLVM 19 where it knows them),
 *   still with decimal immediates (LLVM 17 and later print hex by default):
 *   `r1 %= r2` and `r1 s%= 5` (modulo is unknown to LLVM 14), `if r1 & 5 goto +3` (JSET, LLVM 18),
 *   `*(u32 *)(r10 - 8) = 5` (BPF_ST), `r1 s/= r2`, `r1 = (s8)r2`, `w1 = (s16)w2`,
 *   `r1 = *(s8 *)(r2 + 4)`, `r1 = bswap16 r1`, `gotol +5`, `may_goto +3`,
 *   `r1 = addr_space_cast(r2, 0, 1)` (first number `imm >> 16`, second `imm & 0xffff`),
 *   `r0 = load_acquire((u64 *)(r1 + 0))`, `w0 = load_acquire((u8 *)(r1 + 0))`,
 *   `store_release((u64 *)(r1 + 0), r2)`, `store_release((u32 *)(r1 + 0), w2)` (LLVM 21),
 *   `gotox r2` (LLVM 22). Where a newer form shares an opcode with an LLVM 14 form, the newer
 *   meaning wins: `off` 1 makes `/=` into `s/=`, `off` 1/8/16/32 makes `r1 = r2` into
 *   `addr_space_cast`/`(s8)`/…, `imm` 0x100/0x110 makes an atomic add into load-acquire/store-release.
 * - one LLVM 14 bug is not reproduced: for `ld_imm64` with dst r0, src 2 and a zero low half,
 *   LLVM 14 decodes its codegen-only `lea` pseudo (8 bytes, operands left over from the previous
 *   instruction); we print `ld_pseudo\tr0, 2, 0` over 16 bytes, as LLVM 19 does.
 *
 * Everything else is `<unknown>`, as llvm-objdump prints it; nothing here throws.
 * @module
 */

import type { Instruction } from './instruction.js';

/** What llvm-objdump prints for an encoding it cannot decode. */
export const LLVM_UNKNOWN = '<unknown>';

const R: readonly string[] = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11'];
const W: readonly string[] = ['w0', 'w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'w8', 'w9', 'w10', 'w11'];

/** Access-size names indexed by `(code >> 3) & 3` (W, H, B, DW). */
const U_SIZE: readonly string[] = ['u32', 'u16', 'u8', 'u64'];
const S_SIZE: readonly string[] = ['s32', 's16', 's8', ''];

/** Compound-assignment operators of ALU ops indexed by `code >> 4` (empty: not a plain binary op). */
const ALU_OP: readonly string[] = [' += ', ' -= ', ' *= ', '', ' |= ', ' &= ', ' <<= ', ' >>= ', '', '', ' ^= ', '', ' s>>= ', '', '', ''];

/** Comparison operators of conditional jumps indexed by `code >> 4` (empty: not a conditional jump). */
const JMP_OP: readonly string[] = ['', ' == ', ' > ', ' >= ', ' & ', ' != ', ' s> ', ' s>= ', '', '', ' < ', ' <= ', ' s< ', ' s<= ', '', ''];

/** Atomic operator names indexed by `imm8 >> 4` for add, or, and, xor. */
const ATOMIC_ASSIGN: readonly string[] = [' += ', '', '', '', ' |= ', ' &= ', '', '', '', '', ' ^= ', '', '', '', '', ''];
const ATOMIC_FETCH: readonly string[] = ['add', '', '', '', 'or', 'and', '', '', '', '', 'xor', '', '', '', '', ''];

/** ` = r2`: the end of a store. */
const STORE_SRC: readonly string[] = R.map((r) => ` = ${r}`);

const LOAD_ACQ = 0x100;
const STORE_REL = 0x110;

/** Decimal strings of -1024…1023: most offsets and immediates are small. */
const SMALL = 1024;
const small: readonly string[] = Array.from({ length: 2 * SMALL }, (_, i) => `${i - SMALL}`);

/** Decimal text of an integer. */
function dec(n: number): string {
  return n >= -SMALL && n < SMALL ? small[n + SMALL] : `${n}`;
}

/** ` + 4)` / ` - 8)`: the end of a memory operand, for offsets -1024…1023. */
const memEnd: readonly string[] = Array.from({ length: 2 * SMALL }, (_, i) => (i >= SMALL ? ` + ${i - SMALL})` : ` - ${SMALL - i})`));
/** `+3` / `-3`: branch targets -1024…1023. */
const targets: readonly string[] = Array.from({ length: 2 * SMALL }, (_, i) => (i >= SMALL ? `+${i - SMALL}` : `${i - SMALL}`));

/** `(r2 + 4)` / `(r2 - 8)`: LLVM's memory operand. */
function mem(base: number, off: number): string {
  return `(${R[base]}${memTail(off)}`;
}

function memTail(off: number): string {
  if (off >= -SMALL && off < SMALL) return memEnd[off + SMALL];
  return off >= 0 ? ` + ${off})` : ` - ${-off})`;
}

/** `+3` / `-3` / `+0`: LLVM's branch target. */
function target(n: number): string {
  if (n >= -SMALL && n < SMALL) return targets[n + SMALL];
  return n >= 0 ? `+${n}` : `${n}`;
}

/**
 * Text that depends only on the opcode and the register fields (`r1 = *(u32 *)(r2`, `if r1 > `,
 * `r1 += r2`), built on first use: most lines are then one concatenation.
 */
let heads: string[] | undefined;
function headTable(): string[] {
  return (heads ??= new Array<string>(0x10000).fill(''));
}
function headKey(code: number, dst: number, src: number): number {
  return (code << 8) | (src << 4) | dst;
}

function isField4(v: unknown): v is number {
  return typeof v === 'number' && (v & 15) === v;
}

/**
 * The LLVM text of `insn`, as `llvm-objdump -d` prints it (see the module notes for what follows
 * LLVM 14 and what follows newer LLVM). Returns `<unknown>` for an encoding LLVM cannot decode,
 * including a lone `ld_imm64` first half (a `0x18` opcode with a `number` immediate), whose
 * text depends on the next slot: {@link disassembleLlvm} handles that case as llvm-objdump does.
 * Never throws.
 */
export function formatLlvm(insn: Instruction): string {
  if (insn === null || typeof insn !== 'object') return LLVM_UNKNOWN;
  const code = insn.code;
  const dst = insn.dst;
  const src = insn.src;
  const off = insn.off;
  const rawImm = insn.imm;
  if (typeof code !== 'number' || (code & 0xff) !== code || !isField4(dst) || !isField4(src)) return LLVM_UNKNOWN;
  if (typeof off !== 'number' || (off << 16) >> 16 !== off) return LLVM_UNKNOWN;
  if (typeof rawImm !== 'number') {
    if (code === 0x18 && typeof rawImm === 'bigint') return formatWide(dst, src, off, rawImm);
    return LLVM_UNKNOWN;
  }
  if ((rawImm | 0) !== rawImm && rawImm >>> 0 !== rawImm) return LLVM_UNKNOWN;
  const imm = rawImm | 0;
  const op = code >> 4;
  switch (code & 7) {
    case 0: // LD
      return formatLd(code, dst, src, imm);
    case 1: // LDX
      return formatLdx(code, dst, src, off);
    case 2: // ST
      if ((code & 0xe0) !== 0x60 || dst > 11) return LLVM_UNKNOWN;
      return `*(${U_SIZE[(code >> 3) & 3]} *)${mem(dst, off)} = ${dec(imm)}`;
    case 3: // STX
      return formatStx(code, dst, src, off, imm);
    case 4: // ALU
      return formatAlu(code, op, W, dst, src, off, imm);
    case 7: // ALU64
      return formatAlu(code, op, R, dst, src, off, imm);
    case 5: // JMP
      return formatJmp(code, op, dst, src, off, imm);
    default: // JMP32
      return formatJmp32(code, op, dst, src, off, imm);
  }
}

function formatWide(dst: number, src: number, off: number, imm: bigint): string {
  if (dst > 11 || off !== 0) return LLVM_UNKNOWN;
  if (src === 0) return `${R[dst]} = ${BigInt.asIntN(64, imm)} ll`;
  return `ld_pseudo\t${R[dst]}, ${src}, ${BigInt.asUintN(32, imm)}`;
}

function formatLd(code: number, dst: number, src: number, imm: number): string {
  switch (code) {
    case 0x20:
      return `r0 = *(u32 *)skb[${dec(imm)}]`;
    case 0x28:
      return `r0 = *(u16 *)skb[${dec(imm)}]`;
    case 0x30:
      return `r0 = *(u8 *)skb[${dec(imm)}]`;
    case 0x40:
    case 0x48:
    case 0x50:
      return src > 11 ? LLVM_UNKNOWN : `r0 = *(${U_SIZE[(code >> 3) & 3]} *)skb[${R[src]}]`;
    default:
      // 0x18 with a number immediate: a lone first half (see disassembleLlvm).
      return LLVM_UNKNOWN;
  }
}

function formatLdx(code: number, dst: number, src: number, off: number): string {
  if (dst > 11 || src > 11) return LLVM_UNKNOWN;
  const mode = code & 0xe0;
  const size = (code >> 3) & 3;
  if (mode === 0x60) {
    const table = headTable();
    const key = headKey(code, dst, src);
    const h = table[key] || (table[key] = `${R[dst]} = *(${U_SIZE[size]} *)(${R[src]}`);
    return h + memTail(off);
  }
  if (mode === 0x80 && size !== 3) return `${R[dst]} = *(${S_SIZE[size]} *)${mem(src, off)}`;
  return LLVM_UNKNOWN;
}

function formatStx(code: number, dst: number, src: number, off: number, imm: number): string {
  if (dst > 11 || src > 11) return LLVM_UNKNOWN;
  const mode = code & 0xe0;
  const size = (code >> 3) & 3;
  if (mode === 0x60) {
    const table = headTable();
    const key = headKey(code, dst, 0);
    const h = table[key] || (table[key] = `*(${U_SIZE[size]} *)(${R[dst]}`);
    return h + memTail(off) + STORE_SRC[src];
  }
  if (mode !== 0xc0) return LLVM_UNKNOWN;
  // Load-acquire / store-release (any size): exact imm. dst/src roles as for LDX/STX.
  if (imm === LOAD_ACQ) return `${size === 3 ? R[dst] : W[dst]} = load_acquire((${U_SIZE[size]} *)${mem(src, off)})`;
  if (imm === STORE_REL) return `store_release((${U_SIZE[size]} *)${mem(dst, off)}, ${size === 3 ? R[src] : W[src]})`;
  const imm8 = imm & 0xff;
  const hi = imm8 >> 4;
  const fetch = (imm8 & 15) === 1;
  if (size === 3) {
    // LLVM 14 looks at the low 8 bits only.
    const assign = ATOMIC_ASSIGN[hi];
    if (assign !== '') return fetch ? `${R[src]} = atomic_fetch_${ATOMIC_FETCH[hi]}((u64 *)${mem(dst, off)}, ${R[src]})` : `lock *(u64 *)${mem(dst, off)}${assign}${R[src]}`;
    if (imm8 === 0xe1) return `${R[src]} = xchg_64(${R[dst]}${memOff(off)}, ${R[src]})`;
    if (imm8 === 0xf1) return `r0 = cmpxchg_64(${R[dst]}${memOff(off)}, r0, ${R[src]})`;
    return LLVM_UNKNOWN;
  }
  if (size !== 0) return LLVM_UNKNOWN;
  // 32-bit: LLVM 14 without alu32 knows only the plain add; the rest as with --mattr=+alu32.
  if (hi === 0 && !fetch) return `lock *(u32 *)${mem(dst, off)} += ${R[src]}`;
  const assign = ATOMIC_ASSIGN[hi];
  if (assign !== '') return fetch ? `${W[src]} = atomic_fetch_${ATOMIC_FETCH[hi]}((u32 *)${mem(dst, off)}, ${W[src]})` : `lock *(u32 *)${mem(dst, off)}${assign}${W[src]}`;
  if (imm8 === 0xe1) return `${W[src]} = xchg32_32(${R[dst]}${memOff(off)}, ${W[src]})`;
  if (imm8 === 0xf1) return `w0 = cmpxchg32_32(${R[dst]}${memOff(off)}, w0, ${W[src]})`;
  return LLVM_UNKNOWN;
}

/** ` + 4` / ` - 8`: the offset part of an xchg/cmpxchg address (no parentheses). */
function memOff(off: number): string {
  return off >= 0 ? ` + ${off}` : ` - ${-off}`;
}

function formatAlu(code: number, op: number, regs: readonly string[], dst: number, src: number, off: number, imm: number): string {
  if (dst > 11) return LLVM_UNKNOWN;
  const x = (code & 8) !== 0;
  if (x && src > 11 && op !== 0x8 && op !== 0xd) return LLVM_UNKNOWN;
  const d = regs[dst];
  const rhs = x ? regs[src] : dec(imm);
  const assign = ALU_OP[op];
  if (assign !== '') {
    const table = headTable();
    if (x) {
      const key = headKey(code, dst, src);
      return table[key] || (table[key] = d + assign + rhs);
    }
    const key = headKey(code, dst, 0);
    return (table[key] || (table[key] = d + assign)) + rhs;
  }
  const alu64 = regs === R;
  switch (op) {
    case 0x3: // DIV: off 1 is sdiv (v4); LLVM 14 ignores other offsets.
      return off === 1 ? `${d} s/= ${rhs}` : `${d} /= ${rhs}`;
    case 0x9: // MOD: newer LLVM only, off must be 0 or 1.
      return off === 0 ? `${d} %= ${rhs}` : off === 1 ? `${d} s%= ${rhs}` : LLVM_UNKNOWN;
    case 0x8: // NEG: K only.
      return x ? LLVM_UNKNOWN : `${d} = -${d}`;
    case 0xb: // MOV
      if (!x) return `${d} = ${rhs}`;
      if (alu64) {
        if (off === 1) return `${d} = addr_space_cast(${R[src]}, ${imm >>> 16}, ${imm & 0xffff})`;
        if (off === 8 || off === 16 || off === 32) return `${d} = (s${off})${R[src]}`;
      } else if (off === 8 || off === 16) {
        return `${d} = (s${off})${W[src]}`;
      }
      return `${d} = ${rhs}`;
    case 0xd: // END: le/be (ALU), bswap (ALU64, K only); 64-bit register names either way.
      if (imm !== 16 && imm !== 32 && imm !== 64) return LLVM_UNKNOWN;
      if (alu64) return x ? LLVM_UNKNOWN : `${R[dst]} = bswap${imm} ${R[dst]}`;
      return `${R[dst]} = ${x ? 'be' : 'le'}${imm} ${R[dst]}`;
    default:
      return LLVM_UNKNOWN;
  }
}

/** `if r1 > r2 goto ` / `if r1 > 5 goto `: a conditional jump without its target. */
function jumpHead(code: number, regs: readonly string[], dst: number, src: number, x: boolean, cmp: string, imm: number): string {
  const table = headTable();
  if (x) {
    const key = headKey(code, dst, src);
    return table[key] || (table[key] = `if ${regs[dst]}${cmp}${regs[src]} goto `);
  }
  const key = headKey(code, dst, 0);
  return `${table[key] || (table[key] = `if ${regs[dst]}${cmp}`)}${dec(imm)} goto `;
}

function formatJmp(code: number, op: number, dst: number, src: number, off: number, imm: number): string {
  const x = (code & 8) !== 0;
  const cmp = JMP_OP[op];
  if (cmp !== '') {
    if (dst > 11) return LLVM_UNKNOWN;
    if (x && src > 11) return LLVM_UNKNOWN;
    return jumpHead(code, R, dst, src, x, cmp, imm) + target(off);
  }
  switch (op) {
    case 0x0: // JA; JA|X is gotox (LLVM 22).
      if (!x) return `goto ${target(off)}`;
      return dst > 11 ? LLVM_UNKNOWN : `gotox ${R[dst]}`;
    case 0x8: // CALL; CALL|X is callx with the register in imm (LLVM 14).
      if (!x) return `call ${dec(imm)}`;
      return imm >= 0 && imm <= 11 ? `callx ${R[imm]}` : LLVM_UNKNOWN;
    case 0x9:
      return !x && imm === 0 ? 'exit' : LLVM_UNKNOWN;
    case 0xe: // JCOND: may_goto (LLVM 19 ignores the other fields).
      return x ? LLVM_UNKNOWN : `may_goto ${target(off)}`;
    default:
      return LLVM_UNKNOWN;
  }
}

function formatJmp32(code: number, op: number, dst: number, src: number, off: number, imm: number): string {
  const x = (code & 8) !== 0;
  const cmp = JMP_OP[op];
  if (cmp !== '') {
    if (dst > 11) return LLVM_UNKNOWN;
    if (x && src > 11) return LLVM_UNKNOWN;
    return jumpHead(code, W, dst, src, x, cmp, imm) + target(off);
  }
  // JMP32 | JA | K is gotol with the offset in imm (v4).
  return code === 0x06 ? `gotol ${target(imm)}` : LLVM_UNKNOWN;
}

/** Whether a lone `ld_imm64` first half is one LLVM decodes (then it takes 16 bytes). */
function loneWideDecodes(insn: Instruction): boolean {
  const { dst, src, off } = insn;
  return isField4(dst) && dst <= 11 && isField4(src) && off === 0;
}

/** Low 32 bits of the first slot of `insn` (its `imm`, or the low half of a wide immediate). */
function firstSlotImm(insn: Instruction): number {
  const imm = insn.imm;
  if (typeof imm === 'bigint') return Number(BigInt.asUintN(32, imm));
  return typeof imm === 'number' ? imm >>> 0 : 0;
}

/**
 * The LLVM text of a program, one line per instruction as llvm-objdump delimits them (`-d -z`,
 * so runs of zero bytes print as `<unknown>` rather than `...`). Usually one line per element of
 * `insns`; where the instructions came from bytes that llvm-objdump splits differently, the lines
 * follow llvm-objdump:
 * - a lone `ld_imm64` first half (see {@link formatLlvm}) that LLVM can decode takes the next slot
 *   as its second half whatever that slot holds, so it prints one line for both, using the next
 *   slot's `imm` as the high half (`r1 = 5 ll`); when the next element is itself a two-slot
 *   `ld_imm64`, its second slot is then printed alone, as `<unknown>`;
 * - such a first half at the very end prints eight `<unknown>` lines (llvm-objdump then gives up
 *   one byte at a time);
 * - a two-slot `ld_imm64` that LLVM cannot decode (dst above 11, or `off` not 0) prints two
 *   `<unknown>` lines, one per slot.
 * Never throws.
 */
export function disassembleLlvm(insns: readonly Instruction[]): string[] {
  const n = insns.length;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const insn = insns[i];
    if (insn !== null && typeof insn === 'object' && insn.code === 0x18) {
      if (typeof insn.imm === 'bigint') {
        const text = formatLlvm(insn);
        out.push(text);
        if (text === LLVM_UNKNOWN) out.push(LLVM_UNKNOWN);
        continue;
      }
      if (loneWideDecodes(insn)) {
        if (i + 1 >= n) {
          for (let k = 0; k < 8; k++) out.push(LLVM_UNKNOWN);
          continue;
        }
        const next = insns[i + 1];
        const hi = next !== null && typeof next === 'object' ? firstSlotImm(next) : 0;
        const lo = typeof insn.imm === 'number' ? insn.imm >>> 0 : 0;
        out.push(formatWide(insn.dst, insn.src, 0, (BigInt(hi) << 32n) | BigInt(lo)));
        i++;
        if (next !== null && typeof next === 'object' && typeof next.imm === 'bigint') out.push(LLVM_UNKNOWN);
        continue;
      }
    }
    out.push(formatLlvm(insn));
  }
  return out;
}
