/**
 * `tsbpf asm FILE`: assembles LLVM-syntax or kernel-syntax text (mixed freely; see
 * `assemble` in ebpf-bytecode-utils) to raw little-endian bytes on stdout.
 * @module
 */

import { assemble, encode } from 'ebpf-bytecode-utils';
import { EXIT_OK, UsageError, parseArgsOrHelp, readInput, type CliIo, type Command } from '../command.js';

const help = `Usage: tsbpf asm [--hex] FILE

Assembles eBPF text to raw little-endian bytecode on stdout. FILE may be '-' for stdin.

The text may be LLVM syntax, as clang -S and llvm-objdump -d print it (r0 = 1,
if r1 > 5 goto +3, r1 = 0x1122334455667788 ll, *(u32 *)(r10 - 8) = r1, labels,
directives, listing addresses and raw bytes), or kernel verifier-log lines
(0: (b7) r0 = 0, if r1 > 0x5 goto pc+3, call bpf_map_lookup_elem#1), mixed line
by line. Log text around the instructions (processed N insns, register state,
error messages) is skipped. Numeric jump offsets are encoded as written, as
llvm-mc does.

Options:
  --hex       print hex instead of bytes: one 8-byte instruction slot per line
              (16 hex digits; a ld_imm64 takes two lines)
  -h, --help  show this help

Exit status: 0 assembled, 2 bad input or usage (one line on stderr, with the
line and column of a syntax error: 'tsbpf asm: 3:9: expected a register, found 'r11'').
`;

/** Lower-case hex, one 8-byte slot per line. */
function hexLines(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8) out += `${Buffer.from(bytes.subarray(i, i + 8)).toString('hex')}\n`;
  return out;
}

/** The `asm` command. */
export const asm: Command = {
  name: 'asm',
  help,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseArgsOrHelp(args, {
      hex: { type: 'boolean' },
    }, help, io);
    if (parsed === undefined) return EXIT_OK;
    const { values, positionals } = parsed;
    if (positionals.length === 0) throw new UsageError("missing FILE (use '-' for stdin)");
    if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
    const text = new TextDecoder().decode(await readInput(positionals[0], io));
    const bytes = encode(assemble(text).instructions);
    io.writeOut(values.hex ? hexLines(bytes) : bytes);
    return EXIT_OK;
  },
};
