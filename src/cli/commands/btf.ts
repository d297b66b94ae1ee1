/**
 * `tsbpf btf dump [FILE]`: BTF as compilable C declarations, like
 * `bpftool btf dump file FILE format c`. FILE is a raw BTF blob (default: the running kernel's
 * `/sys/kernel/btf/vmlinux`), a module's split BTF (its base is vmlinux, or `--base FILE`), or
 * an ELF object with a `.BTF` section.
 * @module
 */

import { readFileSync } from 'node:fs';
import { BtfError, decodeBtf, dumpC, type Btf } from 'ebpf-bytecode-utils';
import { ElfError, elfSectionBytes } from '../../elf/elf-sections.js';
import { EXIT_OK, UsageError, parseArgsOrHelp, type CliIo, type Command } from '../command.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';

const help = `Usage: tsbpf btf dump [--base FILE] [--no-vmlinux-header] [--no-type-tags] [FILE]

Prints the BTF in FILE as C declarations that compile (what
'bpftool btf dump file FILE format c' prints). FILE is a raw BTF blob, a
module's split BTF, or an ELF object with a .BTF section; default ${VMLINUX}.

Options:
  --base FILE         base BTF of a split blob (default ${VMLINUX} when FILE is
                      another file under /sys/kernel/btf/)
  --no-vmlinux-header leave out what bpftool wraps the declarations in (the
                      __VMLINUX_H__ guard and clang's preserve_access_index pragma)
  --no-type-tags      leave out btf_type_tag attributes (gcc warns about them)
  -h, --help          show this help

Exit status: 0 printed, 2 bad input or usage (one line on stderr).
`;

/**
 * The bytes of `file`, read synchronously: for a /sys BTF file (megabytes, size known) one
 * read costs a third of the CPU of the promise API's chunked reads, and nothing else waits.
 */
function readBytes(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new UsageError(`cannot read '${file}': ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`);
  }
}

/** The BTF blob of `bytes`: the bytes themselves, or an ELF object's `.BTF` section. */
function btfBytes(file: string, bytes: Uint8Array): Uint8Array {
  if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) return bytes;
  try {
    const section = elfSectionBytes(bytes, '.BTF', file);
    if (section === undefined) throw new UsageError(`${file}: ELF file has no .BTF section`);
    return section;
  } catch (e) {
    if (e instanceof ElfError) throw new UsageError(e.message);
    throw e;
  }
}

function load(file: string, base: Btf | undefined): Btf {
  try {
    return decodeBtf(btfBytes(file, readBytes(file)), base === undefined ? undefined : { base });
  } catch (e) {
    if (e instanceof BtfError) throw new UsageError(`${file}: ${e.message}`);
    throw e;
  }
}

/** The `btf` command (subcommand `dump`). */
export const btf: Command = {
  name: 'btf',
  help,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseArgsOrHelp(args, {
      base: { type: 'string' },
      'no-vmlinux-header': { type: 'boolean' },
      'no-type-tags': { type: 'boolean' },
    }, help, io);
    if (parsed === undefined) return EXIT_OK;
    const { values, positionals } = parsed;
    const [sub, file = VMLINUX, extra] = positionals;
    if (sub === undefined) throw new UsageError("missing subcommand: 'tsbpf btf dump [FILE]'");
    if (sub !== 'dump') throw new UsageError(`unknown subcommand '${sub}' (expected 'dump')`);
    if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
    const splitOfVmlinux = values.base === undefined && file !== VMLINUX && file.startsWith('/sys/kernel/btf/');
    const baseFile = values.base ?? (splitOfVmlinux ? VMLINUX : undefined);
    const base = baseFile === undefined ? undefined : load(baseFile, undefined);
    const decoded = load(file, base);
    let text: string;
    try {
      text = dumpC(decoded, { vmlinuxHeader: values['no-vmlinux-header'] !== true, typeTags: values['no-type-tags'] !== true });
    } catch (e) {
      if (e instanceof BtfError) throw new UsageError(`${file}: ${e.message}`);
      throw e;
    }
    io.writeOut(text.endsWith('\n') ? text : `${text}\n`);
    return EXIT_OK;
  },
};
