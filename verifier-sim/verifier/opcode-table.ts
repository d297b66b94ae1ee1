/**
 * The opcodes the kernel accepts at all (`bpf_opcode_in_insntable()` in kernel/bpf/core.c):
 * its first sanity check, which rejects anything else with `unknown opcode %02x`.
 * @module
 */

const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0];
const JMP_CONDS = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];

function build(): Uint8Array {
  const t = new Uint8Array(256);
  for (const cls of [0x04, 0x07]) {
    for (const op of ALU_OPS) {
      t[cls | op | 0x00] = 1;
      t[cls | op | 0x08] = 1;
    }
    t[cls | 0x80] = 1; // neg
    t[cls | 0xd0] = 1; // end to_le / bswap
  }
  t[0x04 | 0xd0 | 0x08] = 1; // ALU end to_be
  for (const cls of [0x05, 0x06]) {
    for (const op of JMP_CONDS) {
      t[cls | op] = 1;
      t[cls | op | 0x08] = 1;
    }
    t[cls | 0x00] = 1; // ja / gotol
  }
  t[0x85] = 1; // call
  t[0x95] = 1; // exit
  t[0xe5] = 1; // jcond (may_goto)
  for (const size of [0x00, 0x08, 0x10, 0x18]) {
    t[0x03 | 0xc0 | size] = 1; // atomic
    t[0x03 | 0x60 | size] = 1; // stx mem
    t[0x02 | 0x60 | size] = 1; // st mem
    t[0x01 | 0x60 | size] = 1; // ldx mem
  }
  for (const size of [0x00, 0x08, 0x10]) {
    t[0x01 | 0x80 | size] = 1; // ldx memsx
    t[0x00 | 0x20 | size] = 1; // ld abs
    t[0x00 | 0x40 | size] = 1; // ld ind
  }
  t[0x18] = 1; // ld_imm64
  return t;
}

const TABLE = build();

/** Whether the kernel's instruction table knows `code`. */
export function opcodeInTable(code: number): boolean {
  return TABLE[code & 0xff] === 1;
}
