/**
 * The fields of the 8-bit eBPF opcode, named like the kernel's macros in
 * `include/uapi/linux/bpf_common.h` and `include/uapi/linux/bpf.h`.
 *
 * ```
 *   7 6 5 4 3 2 1 0
 *  +-------+-+-----+
 *  |  op   |s|class|   ALU, ALU64, JMP, JMP32   (op: 4 bits, s: source K/X)
 *  +-------+-+-----+
 *  | mode|sz |class|   LD, LDX, ST, STX         (mode: 3 bits, size: 2 bits)
 *  +-----+---+-----+
 * ```
 * @module
 */

/** Instruction class: the low three bits of the opcode. */
export const Class = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  JMP32: 0x06,
  ALU64: 0x07,
} as const;
/** One of {@link Class}. */
export type Class = (typeof Class)[keyof typeof Class];

/** Access size of a load or store: bits 3–4 of the opcode. */
export const Size = {
  W: 0x00,
  H: 0x08,
  B: 0x10,
  DW: 0x18,
} as const;
/** One of {@link Size}. */
export type Size = (typeof Size)[keyof typeof Size];

/** Addressing mode of a load or store: bits 5–7 of the opcode. */
export const Mode = {
  IMM: 0x00,
  ABS: 0x20,
  IND: 0x40,
  MEM: 0x60,
  /** Sign-extending load (`LDX` only). Requires Linux 6.6. */
  MEMSX: 0x80,
  /** Atomic read-modify-write, load-acquire, store-release (`STX` only). */
  ATOMIC: 0xc0,
} as const;
/** One of {@link Mode}. */
export type Mode = (typeof Mode)[keyof typeof Mode];

/** Operand source of ALU and jump instructions: bit 3 of the opcode. */
export const Source = {
  /** The 32-bit immediate. */
  K: 0x00,
  /** The source register. */
  X: 0x08,
} as const;
/** One of {@link Source}. */
export type Source = (typeof Source)[keyof typeof Source];

/** ALU operation: bits 4–7 of an `ALU`/`ALU64` opcode. */
export const AluOp = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  /** Unsigned division; signed when `off` is 1 (`sdiv`, Linux 6.6). */
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  /** Unsigned modulo; signed when `off` is 1 (`smod`, Linux 6.6). */
  MOD: 0x90,
  XOR: 0xa0,
  /** Move; sign-extending when `off` is 8, 16 or 32 (`movsx`, Linux 6.6). */
  MOV: 0xb0,
  ARSH: 0xc0,
  /** Byte swap: `le`/`be` in class ALU, unconditional `bswap` in class ALU64. */
  END: 0xd0,
} as const;
/** One of {@link AluOp}. */
export type AluOp = (typeof AluOp)[keyof typeof AluOp];

/** Byte-order target of an `END` instruction (shares the source bit). */
export const Endian = {
  /** Convert to little endian (`le16`, `le32`, `le64`). */
  TO_LE: 0x00,
  /** Convert to big endian (`be16`, `be32`, `be64`). */
  TO_BE: 0x08,
} as const;
/** One of {@link Endian}. */
export type Endian = (typeof Endian)[keyof typeof Endian];

/** Jump operation: bits 4–7 of a `JMP`/`JMP32` opcode. */
export const JmpOp = {
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  CALL: 0x80,
  EXIT: 0x90,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
  /** Conditional pseudo jump; with `src` = {@link MAY_GOTO} it is `may_goto`. Requires Linux 6.9. */
  JCOND: 0xe0,
} as const;
/** One of {@link JmpOp}. */
export type JmpOp = (typeof JmpOp)[keyof typeof JmpOp];

/** `src_reg` of a `JCOND` jump that makes it `may_goto`. */
export const MAY_GOTO = 0;

/** The `imm` of an `STX | ATOMIC` instruction. */
export const AtomicOp = {
  ADD: 0x00,
  OR: 0x40,
  AND: 0x50,
  XOR: 0xa0,
  /** Flag: the old value is returned in the source register. */
  FETCH: 0x01,
  /** Exchange (always fetches). */
  XCHG: 0xe1,
  /** Compare with R0 and exchange (always fetches into R0). */
  CMPXCHG: 0xf1,
  /** Load-acquire. Requires Linux 6.15. */
  LOAD_ACQ: 0x100,
  /** Store-release. Requires Linux 6.15. */
  STORE_REL: 0x110,
} as const;
/** One of {@link AtomicOp}. */
export type AtomicOp = (typeof AtomicOp)[keyof typeof AtomicOp];

/** `src_reg` values of a `ld_imm64` (`BPF_LD | BPF_IMM | BPF_DW`): what the immediate means. */
export const Pseudo = {
  /** A plain 64-bit constant. */
  NONE: 0,
  /** imm is a map file descriptor; the register gets a map pointer. */
  MAP_FD: 1,
  /** imm is a map fd, next.imm an offset into its value (e.g. global data). */
  MAP_VALUE: 2,
  /** imm is a BTF id of a kernel variable (ksym). */
  BTF_ID: 3,
  /** imm is the relative offset of a subprogram (callback address). */
  FUNC: 4,
  /** imm is an index into the load's `fd_array`. Requires Linux 5.14. */
  MAP_IDX: 5,
  /** imm is an `fd_array` index, next.imm an offset into its value. Requires Linux 5.14. */
  MAP_IDX_VALUE: 6,
} as const;
/** One of {@link Pseudo}. */
export type Pseudo = (typeof Pseudo)[keyof typeof Pseudo];

/** `src_reg` values of a `call`: what the immediate names. */
export const CallKind = {
  /** imm is a helper id. */
  HELPER: 0,
  /** imm is the relative offset of a bpf-to-bpf subprogram (`BPF_PSEUDO_CALL`). */
  SUBPROG: 1,
  /** imm is a BTF id of a kernel function, off a module BTF fd index (`BPF_PSEUDO_KFUNC_CALL`). */
  KFUNC: 2,
} as const;
/** One of {@link CallKind}. */
export type CallKind = (typeof CallKind)[keyof typeof CallKind];

/** `off` of `ALU64 | MOV | X` that makes it `addr_space_cast` (arena pointers). Requires Linux 6.9. */
export const ADDR_SPACE_CAST = 1;

/** The opcode of `ld_imm64`, the only instruction two slots (16 bytes) wide. */
export const LD_IMM64 = Class.LD | Mode.IMM | Size.DW;

/** The class of an opcode. */
export function classOf(code: number): Class {
  return (code & 0x07) as Class;
}
/** The access size field of a load/store opcode. */
export function sizeOf(code: number): Size {
  return (code & 0x18) as Size;
}
/** The mode field of a load/store opcode. */
export function modeOf(code: number): number {
  return code & 0xe0;
}
/** The operation field of an ALU or jump opcode. */
export function opOf(code: number): number {
  return code & 0xf0;
}
/** The source bit of an ALU or jump opcode. */
export function sourceOf(code: number): Source {
  return (code & 0x08) as Source;
}

/** Bytes accessed by each {@link Size}. */
export function sizeBytes(size: Size): 1 | 2 | 4 | 8 {
  switch (size) {
    case Size.B:
      return 1;
    case Size.H:
      return 2;
    case Size.W:
      return 4;
    default:
      return 8;
  }
}

/** The {@link Size} for an access of 1, 2, 4 or 8 bytes. */
export function sizeForBytes(bytes: number): Size {
  switch (bytes) {
    case 1:
      return Size.B;
    case 2:
      return Size.H;
    case 4:
      return Size.W;
    case 8:
      return Size.DW;
  }
  throw new RangeError(`access size: ${bytes} bytes is not 1, 2, 4 or 8`);
}
