/**
 * `tsbpf disasm [FILE]`: disassembles raw bytecode (or hex with `--hex`) to the kernel's
 * verifier-log syntax (`N: (op) text`) or to llvm-objdump's instruction text.
 * @module
 */

import { decode, disassembleKernel, disassembleLlvm, hexToBytes, pseudoImmName } from 'ebpf-bytecode-utils';
import { EXIT_OK, UsageError, parseArgsOrHelp, readInput, type CliIo, type Command } from '../command.js';

const help = `Usage: tsbpf disasm [--hex] [--syntax kernel|llvm] [--names] [FILE]

Disassembles raw little-endian eBPF bytecode from FILE, or stdin when FILE is
missing or '-'.

Options:
  --hex              the input is hex text (white space ignored), not raw bytes
  --syntax kernel    the verifier log's form, one 'N: (op) text' line per
                     instruction, N counting 8-byte slots (default)
  --syntax llvm      the instruction text exactly as llvm-objdump -d prints it,
                     one per line, without address, bytes or <label> suffix
  --names            kernel syntax: name ld_imm64 pseudo sources as bpftool does
                     (map[fd:3], map[fd:3][0]+16, map[idx:1], subprog[+6], …)
                     instead of the kernel's bare 0x…, so 'tsbpf asm' reads the
                     text back to the same bytes
  -h, --help         show this help

Exit status: 0 disassembled, 2 bad input or usage (one line on stderr).
`;

/** The `disasm` command. */
export const disasm: Command = {
  name: 'disasm',
  help,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseArgsOrHelp(args, {
      hex: { type: 'boolean' },
      syntax: { type: 'string', default: 'kernel' },
      names: { type: 'boolean' },
    }, help, io);
    if (parsed === undefined) return EXIT_OK;
    const { values, positionals } = parsed;
    const syntax = values.syntax;
    if (syntax !== 'kernel' && syntax !== 'llvm') throw new UsageError(`--syntax must be 'kernel' or 'llvm', not '${syntax}'`);
    if (values.names && syntax !== 'kernel') throw new UsageError('--names goes with --syntax kernel');
    if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
    const input = await readInput(positionals[0], io);
    let bytes: Uint8Array;
    try {
      bytes = values.hex ? hexToBytes(new TextDecoder().decode(input)) : input;
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (bytes.length % 8 !== 0) throw new UsageError(`bytecode length ${bytes.length} is not a multiple of 8`);
    const insns = decode(bytes);
    const lines = syntax === 'kernel' ? disassembleKernel(insns, values.names ? { immName: pseudoImmName } : undefined) : disassembleLlvm(insns);
    io.writeOut(lines.length === 0 ? '' : `${lines.join('\n')}\n`);
    return EXIT_OK;
  },
};
