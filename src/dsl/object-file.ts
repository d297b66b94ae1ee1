/**
 * eDSL programs written out as a BPF ELF object, the file `clang -target bpf -O2 -g -c` makes
 * from C, which libbpf (`bpf_object__open`, `bpftool prog loadall`), cilium/ebpf and aya load:
 * one section per program named as libbpf's `SEC()` names it for the program type and target,
 * BTF-defined maps in `.maps` (typed keys and values where the program declared them; maps of
 * maps with their inner map definition, `__array(values, …)`), subprograms and `$.loop`
 * callbacks as static functions in `.text`, kfunc calls as externs that libbpf resolves against
 * the kernel it loads on, func_info and line_info pointing at the TypeScript
 * source, and CO-RE relocations for kernel struct reads, so that a loader on another kernel
 * re-resolves their field offsets; string constants (`$.snprintf`, `$.strncmp`) in `.rodata`.
 *
 * ```ts
 * const bytes = writeObject([
 *   { program: openat, target: 'syscalls:sys_enter_openat' },   // SEC("tracepoint/syscalls/sys_enter_openat")
 *   countPackets,                                               // SEC("xdp")
 * ]);
 * writeFileSync('prog.o', bytes);   // bpftool prog loadall prog.o /sys/fs/bpf/prog
 * ```
 * @module
 */

import { ElfWriteError, mapType, writeBpfObject, type Btf, type BpfObjectCoreRelo, type BpfObjectMap, type BpfObjectProgram, type Composite, type FuncProto, type Instruction, type Type } from 'ebpf-bytecode-utils';

const CALL = 0x85;
const CALL_KFUNC = 2;
import { compile, type CompiledProgram } from './compile.js';
import type { ProgType } from './context.js';
import { kernelBtf } from './kernel-btf.js';
import type { DslMapSpec } from './maps.js';
import { mapTypesOf } from './map-types.js';
import type { Program, ProgramAttach } from './program.js';
import { btfFuncName } from './program-btf.js';
import { RODATA_MAP_NAME } from './read-only-data.js';

/** One program of an object, with where it goes. */
export interface ObjectProgram {
  /** The program (compiled here when given as a {@link Program}). */
  readonly program: Program | CompiledProgram;
  /**
   * The attach target the section name carries: `syscalls:sys_enter_openat` (tracepoint),
   * `do_unlinkat` (kprobe), `sched_switch` (raw tracepoint). `tracing` and `lsm` programs take
   * theirs from the program.
   */
  readonly target?: string;
  /** The section name, when not the one {@link objectSectionName} gives; it must be one libbpf reads as this program type. */
  readonly section?: string;
}

/** Options of {@link writeObject}. */
export interface WriteObjectOptions {
  /** The `license` section; by default the programs' license (they must agree). */
  readonly license?: string;
  /**
   * The BTF the programs' kernel struct reads were resolved against (the `btf` argument given to
   * `$.currentTask()`/`$.kernel()`): the source of the CO-RE relocations' local types and of the
   * names and prototypes of called kfuncs. The running kernel's by default; read only when some
   * program has CO-RE relocations or kfunc calls.
   */
  readonly btf?: Btf;
}

/**
 * libbpf's section names (`SEC()` prefixes, `tools/lib/bpf/libbpf.c` `section_defs`) that load
 * as each eDSL program type. A `/target` may follow the ones libbpf marks with `+`.
 */
const SECTION_PREFIXES: Record<ProgType, readonly string[]> = {
  socket_filter: ['socket'],
  sched_cls: ['tc', 'classifier'],
  xdp: ['xdp'],
  tracepoint: ['tracepoint', 'tp'],
  kprobe: ['kprobe', 'kretprobe', 'uprobe', 'uretprobe', 'ksyscall', 'kretsyscall', 'usdt'],
  raw_tracepoint: ['raw_tracepoint', 'raw_tp'],
  perf_event: ['perf_event'],
  tracing: ['fentry', 'fexit', 'fmod_ret', 'tp_btf'],
  lsm: ['lsm'],
};

/** Prefixes after which libbpf accepts a `/target`. */
const WITH_TARGET = new Set(['tracepoint', 'tp', 'kprobe', 'kretprobe', 'uprobe', 'uretprobe', 'ksyscall', 'kretsyscall', 'usdt', 'raw_tracepoint', 'raw_tp', 'fentry', 'fexit', 'fmod_ret', 'tp_btf', 'lsm']);

/** The section prefix of a `tracing`/`lsm` program's expected attach type. */
const ATTACH_PREFIX: Readonly<Record<string, string>> = {
  trace_fentry: 'fentry',
  trace_fexit: 'fexit',
  modify_return: 'fmod_ret',
  trace_raw_tp: 'tp_btf',
  lsm_mac: 'lsm',
};

/**
 * The section name libbpf expects for a program of type `progType` (`xdp`, `socket`, `tc`,
 * `perf_event`, `tracepoint/CAT/NAME`, `kprobe/FN`, `raw_tracepoint/NAME`, `fentry/FN`,
 * `lsm/HOOK`, …). `target` is the attach target (a tracepoint as `cat:name` or `cat/name`);
 * `tracing`/`lsm` programs take theirs from `attach`. Throws an {@link ElfWriteError} for a
 * `tracing`/`lsm` program without an attach target.
 */
export function objectSectionName(progType: ProgType, target?: string, attach?: ProgramAttach): string {
  if (progType === 'tracing' || progType === 'lsm') {
    const prefix = attach === undefined ? undefined : ATTACH_PREFIX[attach.attachType];
    if (attach === undefined || prefix === undefined) throw new ElfWriteError(`object: a ${progType} program needs its attach target (${attach === undefined ? 'none given' : `attach type '${attach.attachType}' has no libbpf section`})`);
    return `${prefix}/${attach.target}`;
  }
  const base = SECTION_PREFIXES[progType][0];
  if (target === undefined || target === '') return base;
  if (!WITH_TARGET.has(base)) throw new ElfWriteError(`object: ${progType} programs take no attach target in their section name ('${base}'), got '${target}'`);
  return `${base}/${progType === 'tracepoint' ? target.replace(':', '/') : target}`;
}

function checkSection(progType: ProgType, section: string, name: string): void {
  const slash = section.indexOf('/');
  const prefix = slash < 0 ? section : section.slice(0, slash);
  const allowed = SECTION_PREFIXES[progType];
  if (allowed.includes(prefix) && slash >= 0 && !WITH_TARGET.has(prefix)) {
    throw new ElfWriteError(`object: program '${name}': section '${section}': libbpf's '${prefix}' takes no '/…' suffix`);
  }
  if (!allowed.includes(prefix)) {
    const owner = (Object.keys(SECTION_PREFIXES) as ProgType[]).find((t) => SECTION_PREFIXES[t].includes(prefix));
    throw new ElfWriteError(`object: program '${name}': section '${section}' does not load as a ${progType} program${owner === undefined ? '' : ` (libbpf reads it as ${owner})`}; use ${allowed.map((a) => `'${a}${WITH_TARGET.has(a) ? '[/…]' : ''}'`).join(', ')}`);
  }
}

function sameMap(a: DslMapSpec, b: DslMapSpec): boolean {
  const ai = a.innerMap;
  const bi = b.innerMap;
  const sameInner = ai === undefined || bi === undefined ? ai === bi
    : ai.type === bi.type && ai.keySize === bi.keySize && ai.valueSize === bi.valueSize && ai.maxEntries === bi.maxEntries && ai.flags === bi.flags;
  return a.type === b.type && a.keySize === b.keySize && a.valueSize === b.valueSize && a.maxEntries === b.maxEntries && a.flags === b.flags && sameInner;
}

function mapTypeNumber(name: string, type: string): number {
  try {
    return mapType(type);
  } catch {
    throw new ElfWriteError(`object: map '${name}' has unknown map type '${type}'`);
  }
}

function objectMap(spec: DslMapSpec): BpfObjectMap {
  const type = mapTypeNumber(spec.name, spec.type);
  const types = mapTypesOf(spec);
  const inner = spec.innerMap;
  return {
    name: spec.name, type, maxEntries: spec.maxEntries, flags: spec.flags,
    ...(types === undefined ? { keySize: spec.keySize, valueSize: spec.valueSize } : { key: types.key.btf(), value: types.value.btf() }),
    ...(inner === undefined ? {} : { inner: { type: mapTypeNumber(`${spec.name}'s inner map`, inner.type), maxEntries: inner.maxEntries, flags: inner.flags, keySize: inner.keySize, valueSize: inner.valueSize } }),
  };
}

function isCompiled(p: Program | CompiledProgram): p is CompiledProgram {
  return 'insns' in p;
}

/**
 * Writes `programs` as one BPF ELF object (see the module notes). Programs are given as built
 * or compiled programs, or as {@link ObjectProgram}s with an attach target or a section name.
 * Maps of one name are written once when they agree. Throws an {@link ElfWriteError} for no
 * programs, two programs of one name, two different maps of one name, a map or program name
 * that is not a C identifier, a section name libbpf would not read as the program's type,
 * programs with different licenses, two subprograms of one name (they are static functions of
 * one `.text`), and module kfuncs (only vmlinux kfuncs are written, as externs in `.ksyms`).
 * The string constants (`$.snprintf`, `$.strncmp`) of all the programs go to one `.rodata`.
 */
export function writeObject(programs: readonly (Program | CompiledProgram | ObjectProgram)[], options: WriteObjectOptions = {}): Uint8Array {
  if (programs.length === 0) throw new ElfWriteError('object: no programs to write');
  const entries = programs.map((p): ObjectProgram => ('program' in p ? p : { program: p }));
  const compiled = entries.map((e) => ({ entry: e, out: isCompiled(e.program) ? e.program : compile(e.program) }));
  const licenses = new Set(compiled.map((c) => c.out.license));
  if (options.license === undefined && licenses.size > 1) throw new ElfWriteError(`object: the programs have different licenses (${[...licenses].map((l) => `'${l}'`).join(', ')}); pass one as options.license`);
  const license = options.license ?? compiled[0].out.license;

  const maps = new Map<string, DslMapSpec>();
  const rodata: number[] = [];
  const externs = new Map<string, FuncProto>();
  const names = new Set<string>();
  let btf: Btf | undefined;
  const objectPrograms = compiled.map(({ entry, out }): BpfObjectProgram => {
    const name = btfFuncName(out.name);
    if (names.has(name)) throw new ElfWriteError(`object: two programs are named '${name}'${name === out.name ? '' : ` (from '${out.name}')`}`);
    names.add(name);
    const section = entry.section ?? objectSectionName(out.progType, entry.target, out.attach);
    checkSection(out.progType, section, out.name);
    for (const m of out.maps) {
      if (m.rodata !== undefined) continue; // its bytes go to .rodata (below)
      const seen = maps.get(m.name);
      if (seen === undefined) maps.set(m.name, m);
      else if (seen !== m && !sameMap(seen, m)) throw new ElfWriteError(`object: map '${m.name}' is declared differently by two programs (${seen.type} ${seen.keySize}/${seen.valueSize}/${seen.maxEntries} and ${m.type} ${m.keySize}/${m.valueSize}/${m.maxEntries})`);
    }
    const coreRelos = (out.coreRelos ?? []).map((r): BpfObjectCoreRelo => {
      btf ??= options.btf ?? kernelBtf();
      const root = btf.find(r.rootKind, r.rootName) as Composite | undefined;
      if (root === undefined) throw new ElfWriteError(`object: program '${out.name}': CO-RE root ${r.rootKind} ${r.rootName} is not in the BTF given (pass the BTF the program was built with as options.btf)`);
      return { insnOff: r.insnOff, root, access: r.access, kind: r.kind };
    });
    const subprograms = (out.subprograms ?? []).map((f) => ({ name: btfFuncName(f.name), insn: f.insn, params: f.params }));
    // kfunc calls name the running kernel's BTF id: the object names the kfunc instead.
    // The program's string constants join the object's .rodata, after those of earlier programs.
    const own = out.maps.find((m) => m.rodata !== undefined);
    const base = rodata.length;
    if (own?.rodata !== undefined) rodata.push(...own.rodata);
    const insns = out.insns.map((insn, i): Instruction => {
      if (own !== undefined && insn.ref?.kind === 'map' && insn.ref.name === own.name) {
        return { ...insn, ref: { ...insn.ref, name: RODATA_MAP_NAME, valueOffset: base + (insn.ref.valueOffset ?? 0) } };
      }
      if (insn.code !== CALL || insn.src !== CALL_KFUNC || insn.ref !== undefined) return insn;
      if (insn.off !== 0) throw new ElfWriteError(`object: program '${out.name}' instruction ${i} calls a module kfunc (BTF fd index ${insn.off}); only vmlinux kfuncs are written to object files`);
      btf ??= options.btf ?? kernelBtf();
      let func: Type | undefined;
      try { func = btf.typeById(insn.imm as number); } catch { func = undefined; }
      if (func?.kind !== 'func') throw new ElfWriteError(`object: program '${out.name}' instruction ${i} calls kfunc BTF id ${String(insn.imm)}, which is not a FUNC in the BTF given (pass the BTF the program was built with as options.btf)`);
      externs.set(func.name, func.proto);
      return { ...insn, ref: { kind: 'kfunc', name: func.name } };
    });
    return { name, section, insns, ...(out.lineInfo === undefined ? {} : { lines: out.lineInfo }), coreRelos, ...(subprograms.length === 0 ? {} : { subprograms }) };
  });
  return writeBpfObject({ license, programs: objectPrograms, maps: [...maps.values()].map(objectMap), externs: [...externs].map(([name, proto]) => ({ name, proto })), ...(rodata.length === 0 ? {} : { rodata: { map: RODATA_MAP_NAME, bytes: Uint8Array.from(rodata) } }) });
}
