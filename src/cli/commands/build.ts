/**
 * `tsbpf build MODULE -o FILE.o`: the eDSL programs a module exports, written as one BPF ELF
 * object (what `clang -target bpf -O2 -g -c` writes from C), for libbpf, `bpftool prog loadall`,
 * cilium/ebpf or aya to load. See `writeObject` in src/dsl/object-file.ts.
 * @module
 */

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeObject, type CompiledProgram, type ObjectProgram, type Program } from '../../dsl/index.js';
import { EXIT_OK, UsageError, parseArgsOrHelp, type CliIo, type Command } from '../command.js';

const help = `Usage: tsbpf build [--export NAME] [-o FILE] MODULE

Writes the eDSL programs that MODULE exports as one BPF ELF object: a section
per program named as libbpf's SEC() names it, BTF-defined maps in .maps,
.BTF and .BTF.ext (func_info, line_info pointing at the TypeScript source,
CO-RE relocations of kernel struct reads), subprograms in .text. Load it with
'bpftool prog loadall FILE.o /sys/fs/bpf/DIR' or any libbpf-based loader.

MODULE is a .js module, or a .ts module when tsx is installed. The programs are
its default export, else its named exports: each a built program, a compiled
program, an entry { program, target?, section? } (target: the attach target the
section name carries, e.g. 'syscalls:sys_enter_openat'), an array or object of
those, or a function of no arguments returning them.

Options:
  --export NAME  take the programs from this export only
  -o FILE        write the object to FILE (default: standard output)
  -h, --help     show this help

Exit status: 0 written, 2 bad input or usage (one line on stderr).
`;

type Entry = Program | CompiledProgram | ObjectProgram;

function isEntry(v: unknown): v is Entry {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  if (o.kind === 'program' && typeof o.progType === 'string') return true; // Program
  if (Array.isArray(o.insns) && typeof o.progType === 'string') return true; // CompiledProgram
  return 'program' in o && isEntry(o.program); // ObjectProgram
}

/** The program entries in an exported value (see the help text). */
function entriesOf(value: unknown, depth = 0): Entry[] {
  if (isEntry(value)) return [value];
  if (depth > 2) return [];
  if (typeof value === 'function') return value.length === 0 ? entriesOf((value as () => unknown)(), depth + 1) : [];
  if (Array.isArray(value)) return value.flatMap((v) => entriesOf(v, depth + 1));
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap((v) => entriesOf(v, depth + 1));
  return [];
}

/** Imports `file`: directly, or through tsx's loader for TypeScript that Node cannot import. */
async function importModule(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(path.resolve(file)).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && (e as Error).message.includes(path.resolve(file))) throw new UsageError(`cannot read '${file}': no such file`);
    if (code === 'ERR_REQUIRE_CYCLE_MODULE' || /require\(\) ES Module/.test((e as Error).message)) throw new UsageError(`cannot import '${file}' as a CommonJS module; make it an ES module (name it .mts/.mjs, or set "type": "module" in its package.json)`);
    if (code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw e;
  }
  // A string the bundler does not follow: tsx is a development tool, not part of the build.
  const tsxApi = 'tsx/esm/api';
  let tsImport: (specifier: string, parent: string) => Promise<unknown>;
  try {
    ({ tsImport } = (await import(tsxApi)) as { tsImport: typeof tsImport });
  } catch {
    throw new UsageError(`cannot import '${file}': TypeScript modules need tsx (npm install tsx), or pass a compiled .js module`);
  }
  return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
}

/** The `build` command. */
export const build: Command = {
  name: 'build',
  help,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseArgsOrHelp(args, {
      export: { type: 'string' },
      o: { type: 'string', short: 'o' },
    }, help, io);
    if (parsed === undefined) return EXIT_OK;
    const { values, positionals } = parsed;
    if (positionals.length === 0) throw new UsageError('missing MODULE');
    if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
    const file = positionals[0];
    const mod = await importModule(file);
    let entries: Entry[];
    if (values.export !== undefined) {
      if (!Object.hasOwn(mod, values.export)) throw new UsageError(`'${file}' has no export '${values.export}'`);
      entries = entriesOf(mod[values.export]);
    } else {
      entries = mod.default !== undefined ? entriesOf(mod.default) : [];
      if (entries.length === 0) entries = Object.entries(mod).filter(([k]) => k !== 'default').flatMap(([, v]) => (isEntry(v) || Array.isArray(v) ? entriesOf(v) : []));
    }
    if (entries.length === 0) throw new UsageError(`'${file}' exports no eDSL programs${values.export === undefined ? '' : ` in '${values.export}'`}`);
    const bytes = writeObject(entries);
    if (values.o === undefined) io.writeOut(bytes);
    else {
      try {
        writeFileSync(values.o, bytes);
      } catch (e) {
        throw new UsageError(`cannot write '${values.o}': ${(e as { code?: string }).code ?? (e as Error).message}`);
      }
    }
    return EXIT_OK;
  },
};
