/**
 * BPF ELF objects as `clang -target bpf -O2 -g -c` writes them and libbpf (`bpf_object__open`,
 * `bpftool prog loadall`) reads them:
 *
 * - `.text`: bpf-to-bpf subprograms as static `FUNC`s (clang's place for static functions);
 * - one section per program section name (`xdp`, `tracepoint/syscalls/sys_enter_openat`, …);
 *   programs that share a section follow one another in it, each a global `FUNC` symbol;
 * - `.rel<section>`: an `R_BPF_64_64` relocation against the map's symbol on every map `ld_imm64`
 *   (whose immediate and source register are left 0, as clang leaves them), and `R_BPF_64_32`
 *   against `.text` on every call into a subprogram (`R_BPF_64_64` on a callback's address);
 * - `license`: the license string with its NUL, symbol `LICENSE`;
 * - `.rodata`: read-only data (string constants), when given. An `ld_imm64` taking an address
 *   in it gets an `R_BPF_64_64` relocation against the section symbol with the offset in its
 *   immediate, as clang writes string literals; libbpf makes the section a frozen array map,
 *   read-only for programs, and the instruction a `BPF_PSEUDO_MAP_VALUE` load;
 * - `.maps`: BTF-defined maps. Each map is a global `OBJECT` symbol over a zeroed struct of
 *   pointers, and its definition lives in `.BTF`, the way libbpf's `__uint`/`__type` macros
 *   spell it: `int (*type)[BPF_MAP_TYPE_…]`, `int (*max_entries)[N]`, `K *key`, `V *value` (or
 *   `int (*key_size)[N]` when the key has no type), `int (*map_flags)[F]`; a `VAR` per map and a
 *   `DATASEC .maps` (with its real size and offsets; clang leaves those to libbpf);
 * - kfunc calls: `call -1` with an `R_BPF_64_32` relocation against an undefined symbol, an
 *   extern `FUNC` in `DATASEC .ksyms` (libbpf puts in the kernel's BTF id);
 * - `.BTF`: the map definitions, a global `FUNC` `int name(void *ctx)` per program, the local
 *   types of CO-RE relocations (see `core-local-types.ts`), and the strings of line_info;
 * - `.BTF.ext`: func_info, line_info and CO-RE relocations per section, instruction offsets in
 *   bytes from the start of the section.
 *
 * Pure: no `node:` imports.
 * @module
 */

import { encode } from '../codec.js';
import { makeInstruction, slotCount, type Instruction } from '../instruction.js';
import { LD_IMM64 } from '../opcode.js';
import { encodeBtfExt, type BtfExtSection } from '../btf/btf-ext.js';
import { encodeBtf } from '../btf/encode.js';
import { lineCol, type CoreRelo, type FuncInfo, type LineInfo } from '../btf/ext-info.js';
import { FuncLinkage, IntEncoding, VarLinkage } from '../btf/kind.js';
import type { ArrayType, Composite, Datasec, Func, FuncProto, Int, Member, Type, Var } from '../btf/types.js';
import { coreLocalTypes } from './core-local-types.js';
import { externFuncProto } from './extern-func-types.js';
import { ElfWriteError } from './elf-write-error.js';
import { EM_BPF, R_BPF_64_32, R_BPF_64_64, SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHT_PROGBITS, writeElfObject, type ElfRelocationSpec, type ElfSymbolSpec } from './elf-writer.js';

/** A source line of a program's line_info. */
export interface BpfObjectLine {
  /** Instruction index (8-byte slot) in the program where the line's code starts. */
  readonly insn: number;
  /** Source file name. */
  readonly file: string;
  /** 1-based line (clamped to 22 bits). */
  readonly line: number;
  /** 1-based column (clamped to 10 bits). */
  readonly column: number;
  /** The line's text. */
  readonly text: string;
}

/** A CO-RE relocation of a program. */
export interface BpfObjectCoreRelo {
  /** Byte offset of the instruction in the program (a multiple of 8). */
  readonly insnOff: number;
  /** The root struct or union, from the BTF the instruction's offset was computed with. */
  readonly root: Composite;
  /** Access string (`"0:57"`). */
  readonly access: string;
  /** `bpf_core_relo_kind` (`CoreReloKind.FIELD_BYTE_OFFSET` = 0, …). */
  readonly kind: number;
}

/** One program of an object. */
export interface BpfObjectProgram {
  /** Function name: the `FUNC` symbol and BTF func, a C identifier. */
  readonly name: string;
  /** ELF section name, libbpf's `SEC()` (`xdp`, `tracepoint/syscalls/sys_enter_openat`). */
  readonly section: string;
  /** Instructions: jumps resolved, map `ld_imm64`s with a symbolic `{ kind: 'map', name }` reference. */
  readonly insns: readonly Instruction[];
  /** line_info, sorted by instruction, the first at 0 (optional). */
  readonly lines?: readonly BpfObjectLine[];
  /** CO-RE relocations (optional). */
  readonly coreRelos?: readonly BpfObjectCoreRelo[];
  /**
   * The bpf-to-bpf subprograms and callbacks laid out after the main program in `insns`
   * (sorted by `insn`). They are written to `.text` as static functions; calls and function
   * addresses into them from the main program get `R_BPF_64_32`/`R_BPF_64_64` relocations.
   */
  readonly subprograms?: readonly BpfObjectSubprogram[];
}

/** A subprogram of a {@link BpfObjectProgram}. */
export interface BpfObjectSubprogram {
  /** Function name (its static `FUNC` symbol and BTF func), a C identifier. */
  readonly name: string;
  /** Its first instruction (8-byte slot index in the program's `insns`). */
  readonly insn: number;
  /** Each parameter, for its BTF prototype: a scalar (`long`) or a pointer (`void *`). */
  readonly params: readonly ('scalar' | 'pointer')[];
}

/** One BTF-defined map of `.maps`. */
export interface BpfObjectMap {
  /** Map name (its symbol and `VAR`), a C identifier. */
  readonly name: string;
  /** `enum bpf_map_type` number. */
  readonly type: number;
  /** `max_entries` (0 is written as absent: perf event arrays sized by libbpf). */
  readonly maxEntries: number;
  /** `map_flags` (written when non-zero). */
  readonly flags: number;
  /** Key type (`__type(key, K)`); without it, `keySize` is written as `__uint(key_size, N)` when non-zero. */
  readonly key?: Type;
  /** Value type (`__type(value, V)`); without it, `valueSize` as `__uint(value_size, N)` when non-zero. */
  readonly value?: Type;
  /** Key size in bytes (used when there is no key type). */
  readonly keySize?: number;
  /** Value size in bytes (used when there is no value type). */
  readonly valueSize?: number;
  /**
   * Map-in-map (`array_of_maps`, `hash_of_maps`): the inner maps' definition, written as libbpf's
   * `__array(values, struct { … })` (a `values` member: an empty array of pointers to the inner
   * definition; libbpf creates a template inner map from it). Its `name` is not used.
   */
  readonly inner?: Omit<BpfObjectMap, 'name' | 'inner'>;
}

/** An extern kernel function (kfunc) the programs call: `extern … name(…) __ksym;` in C. */
export interface BpfObjectExternFunc {
  /** The kfunc's name, as in the kernel's BTF. */
  readonly name: string;
  /** Its prototype from the kernel's BTF; the object gets a compatible copy (`extern-func-types.ts`). */
  readonly proto: FuncProto;
}

/** What {@link writeBpfObject} writes. */
export interface BpfObjectSpec {
  /** The license (`GPL`, `Dual BSD/GPL`, …). */
  readonly license: string;
  /** Programs, in the order their sections and symbols are written. */
  readonly programs: readonly BpfObjectProgram[];
  /** Maps, in `.maps` order. */
  readonly maps: readonly BpfObjectMap[];
  /**
   * The kfuncs that instructions call through a `{ kind: 'kfunc', name }` reference: each an
   * undefined global symbol, an extern `FUNC` in `.BTF` and a `VAR` of `DATASEC .ksyms`; calls
   * are `call -1` with an `R_BPF_64_32` relocation against the symbol, as clang writes them, and
   * libbpf puts in the kernel's BTF id.
   */
  readonly externs?: readonly BpfObjectExternFunc[];
  /**
   * Read-only data, written as the `.rodata` section: instructions take addresses in it through
   * `{ kind: 'map', name: map, valueOffset }` references (`LoadMapValue(dst, map, offset)`).
   */
  readonly rodata?: BpfObjectRodata;
}

/** The read-only data of an object (see {@link BpfObjectSpec.rodata}). */
export interface BpfObjectRodata {
  /** The map name the instructions' references use for it (not written: libbpf names the map). */
  readonly map: string;
  /** The section's bytes. */
  readonly bytes: Uint8Array;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED_SECTIONS = new Set(['', '.text', '.maps', 'license', 'version', '.BTF', '.BTF.ext', '.strtab', '.symtab', '.data', '.rodata', '.bss', '.kconfig', '.ksyms']);
const CALL_SUBPROG = 1;
const CALL_KFUNC = 2;
const PSEUDO_FUNC = 4;
const CALL = 0x85;

/** `int`, as clang writes it for `__uint` arrays. */
function intType(): Int {
  return { kind: 'int', name: 'int', size: 4, encoding: IntEncoding.SIGNED, bitOffset: 0, bits: 32 };
}

/** The BTF of a map definition struct (`__uint`/`__type` members, 8 bytes each, and a flexible `__array(values, …)`). */
function mapDefinition(m: Omit<BpfObjectMap, 'name'>, int: Int, arrayIndex: Int): Composite {
  const members: Member[] = [];
  const uint = (name: string, n: number): void => {
    const array: ArrayType = { kind: 'array', element: int, index: arrayIndex, length: n };
    members.push({ name, type: { kind: 'ptr', target: array }, bitOffset: members.length * 64, bitfieldSize: 0 });
  };
  const typed = (name: string, t: Type): void => { members.push({ name, type: { kind: 'ptr', target: t }, bitOffset: members.length * 64, bitfieldSize: 0 }); };
  uint('type', m.type);
  if (m.maxEntries !== 0) uint('max_entries', m.maxEntries);
  if (m.key !== undefined) typed('key', m.key);
  else if ((m.keySize ?? 0) !== 0) uint('key_size', m.keySize!);
  if (m.value !== undefined) typed('value', m.value);
  else if ((m.valueSize ?? 0) !== 0) uint('value_size', m.valueSize!);
  if (m.flags !== 0) uint('map_flags', m.flags);
  const size = members.length * 8;
  if (m.inner !== undefined) {
    // A flexible array member (`struct inner *values[]`): it adds nothing to the size.
    const values: ArrayType = { kind: 'array', element: { kind: 'ptr', target: mapDefinition(m.inner, int, arrayIndex) }, index: arrayIndex, length: 0 };
    members.push({ name: 'values', type: values, bitOffset: size * 8, bitfieldSize: 0 });
  }
  return { kind: 'struct', name: '', size, members };
}

function checkSpec(spec: BpfObjectSpec): void {
  if (spec.programs.length === 0) throw new ElfWriteError('object: no programs to write');
  if (spec.license.includes('\0')) throw new ElfWriteError('object: the license contains a NUL byte');
  const names = new Map<string, string>();
  const claim = (name: string, what: string): void => {
    if (!IDENTIFIER.test(name)) throw new ElfWriteError(`object: ${what} name '${name}' is not a C identifier`);
    const other = names.get(name);
    if (other !== undefined) throw new ElfWriteError(`object: ${what} name '${name}' is also the name of ${other}`);
    names.set(name, what);
  };
  claim('LICENSE', 'the license symbol');
  for (const p of spec.programs) {
    claim(p.name, `program`);
    for (const f of p.subprograms ?? []) claim(f.name, `a subprogram of '${p.name}'`);
    if (RESERVED_SECTIONS.has(p.section) || p.section.startsWith('.rel') || p.section.includes('\0')) throw new ElfWriteError(`object: program '${p.name}': section name '${p.section}' is reserved or invalid for programs`);
    if (p.insns.length === 0) throw new ElfWriteError(`object: program '${p.name}' has no instructions`);
  }
  for (const e of spec.externs ?? []) claim(e.name, 'extern function');
  if (spec.rodata !== undefined && spec.rodata.bytes.length === 0) throw new ElfWriteError('object: the read-only data is empty (leave rodata out instead)');
  for (const m of spec.maps) {
    claim(m.name, 'map');
    for (const [what, v] of [['type', m.type], ['max_entries', m.maxEntries], ['map_flags', m.flags], ['key_size', m.keySize ?? 0], ['value_size', m.valueSize ?? 0]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) throw new ElfWriteError(`object: map '${m.name}': ${what} ${v} is not an integer in 0..2147483647`);
    }
  }
}

/**
 * Writes a BPF ELF object (see the module notes). Throws an {@link ElfWriteError} for no
 * programs, a program or map name that is not a C identifier or is used twice, a reserved
 * section name, a map reference to an undeclared map or into a map's value (other than the
 * read-only data, at an offset inside it), an unresolved
 * reference, a kfunc call by id or to a kfunc not in `externs`, a call or function address that is not the start of a
 * subprogram, or a CO-RE access string that does not fit its root type.
 */
export function writeBpfObject(spec: BpfObjectSpec): Uint8Array {
  checkSpec(spec);
  const int = intType();
  const arrayIndex: Int = { kind: 'int', name: '__ARRAY_SIZE_TYPE__', size: 4, encoding: 0, bitOffset: 0, bits: 32 };

  // .maps: definitions, VARs, DATASEC.
  const mapVars: Var[] = [];
  const mapsDatasec: Datasec = { kind: 'datasec', name: '.maps', size: 0, vars: [] };
  const mapOffset = new Map<string, number>();
  const mapSymbols: ElfSymbolSpec[] = [];
  for (const m of spec.maps) {
    const def = mapDefinition(m, int, arrayIndex);
    const v: Var = { kind: 'var', name: m.name, type: def, linkage: VarLinkage.GLOBAL_ALLOCATED };
    mapVars.push(v);
    mapOffset.set(m.name, mapsDatasec.size);
    mapsDatasec.vars.push({ type: v, offset: mapsDatasec.size, size: def.size });
    mapSymbols.push({ name: m.name, section: '.maps', value: mapsDatasec.size, size: def.size, type: 'object', binding: 'global' });
    mapsDatasec.size += def.size;
  }

  // CO-RE local types.
  const allRelos = spec.programs.flatMap((p) => p.coreRelos ?? []);
  const locals = coreLocalTypes(allRelos.map((r) => ({ root: r.root, access: r.access })));

  const charType: Int = { kind: 'int', name: 'char', size: 1, encoding: IntEncoding.SIGNED, bitOffset: 0, bits: 8 };
  const licenseBytes = new TextEncoder().encode(`${spec.license}\0`);
  const licenseVar: Var = { kind: 'var', name: 'LICENSE', type: { kind: 'array', element: charType, index: arrayIndex, length: licenseBytes.length }, linkage: VarLinkage.GLOBAL_ALLOCATED };
  const licenseDatasec: Datasec = { kind: 'datasec', name: 'license', size: licenseBytes.length, vars: [{ type: licenseVar, offset: 0, size: licenseBytes.length }] };

  // FUNCs: `int name(void *ctx)` (global) per program, `long name(long|void *…)` (static) per subprogram.
  const voidPtr: Type = { kind: 'ptr', target: { kind: 'void' } };
  const long: Int = { kind: 'int', name: 'long', size: 8, encoding: IntEncoding.SIGNED, bitOffset: 0, bits: 64 };
  const funcs = new Map<object, Func>();
  for (const p of spec.programs) {
    funcs.set(p, { kind: 'func', name: p.name, linkage: FuncLinkage.GLOBAL, proto: { kind: 'func_proto', returns: int, params: [{ name: 'ctx', type: voidPtr }] } });
    for (const f of p.subprograms ?? []) {
      funcs.set(f, { kind: 'func', name: f.name, linkage: FuncLinkage.STATIC, proto: { kind: 'func_proto', returns: long, params: f.params.map((k, i) => ({ name: `arg${i + 1}`, type: k === 'pointer' ? voidPtr : long })) } });
    }
  }
  const hasText = spec.programs.some((p) => (p.subprograms ?? []).length > 0);
  const strings = new Set<string>(hasText ? ['.text'] : []);
  for (const p of spec.programs) {
    strings.add(p.section);
    for (const l of p.lines ?? []) { strings.add(l.file); strings.add(l.text); }
    for (const r of p.coreRelos ?? []) strings.add(r.access);
  }
  const externFuncs = new Map<string, Func>((spec.externs ?? []).map((e) => [e.name, { kind: 'func', name: e.name, linkage: FuncLinkage.EXTERN, proto: externFuncProto(e.proto) }]));
  const ksyms: Datasec = { kind: 'datasec', name: '.ksyms', size: 0, vars: [...externFuncs.values()].map((f) => ({ type: f, offset: 0, size: 0 })) };
  const roots: Type[] = [...mapVars, ...funcs.values(), ...externFuncs.values(), licenseVar, ...new Set(locals.values())];
  if (externFuncs.size > 0) roots.push(ksyms);
  if (spec.maps.length > 0) roots.push(mapsDatasec);
  roots.push(licenseDatasec);
  const btf = encodeBtf(roots, { strings });

  // Code sections: `.text` (subprograms, as clang places static functions) first, then the
  // program sections in order of first appearance.
  interface CodeSection { readonly name: string; readonly parts: Uint8Array[]; bytes: number; readonly fi: FuncInfo[]; readonly li: LineInfo[]; readonly cr: CoreRelo[] }
  const code = new Map<string, CodeSection>();
  const codeSection = (name: string): CodeSection => {
    let s = code.get(name);
    if (s === undefined) { s = { name, parts: [], bytes: 0, fi: [], li: [], cr: [] }; code.set(name, s); }
    return s;
  };
  if (hasText) codeSection('.text');
  for (const p of spec.programs) codeSection(p.section);

  const relocations: ElfRelocationSpec[] = [];
  const localSymbols: ElfSymbolSpec[] = [];
  const globalSymbols: ElfSymbolSpec[] = [];
  for (const p of spec.programs) {
    // Slot of every instruction, and where the subprograms start (the main program ends).
    const slots: number[] = [];
    let total = 0;
    for (const insn of p.insns) { slots.push(total); total += slotCount(insn); }
    const subs = [...(p.subprograms ?? [])];
    subs.forEach((f, k) => {
      if (!Number.isInteger(f.insn) || f.insn <= (k === 0 ? 0 : subs[k - 1].insn) || f.insn >= total || !slots.includes(f.insn)) throw new ElfWriteError(`object: program '${p.name}': subprogram '${f.name}' starts at instruction ${f.insn}, which is not an instruction after the main program and the previous subprogram`);
    });
    const mainEnd = subs.length > 0 ? subs[0].insn : total;
    const main = codeSection(p.section);
    const text = hasText ? codeSection('.text') : undefined;
    const mainStart = main.bytes;
    const textStart = text?.bytes ?? 0;
    /** The section and byte offset that program slot `s` is written at. */
    const place = (s: number): { section: CodeSection; offset: number } => (s < mainEnd ? { section: main, offset: mainStart + s * 8 } : { section: text!, offset: textStart + (s - mainEnd) * 8 });
    const mainInsns: Instruction[] = [];
    const textInsns: Instruction[] = [];
    p.insns.forEach((insn, i) => {
      const at = slots[i];
      const { section, offset } = place(at);
      const inMain = at < mainEnd;
      let out = insn;
      const ref = insn.ref;
      if (ref?.kind === 'map' && spec.rodata !== undefined && ref.name === spec.rodata.map) {
        const off = ref.valueOffset ?? -1;
        if (!Number.isInteger(off) || off < 0 || off >= spec.rodata.bytes.length) throw new ElfWriteError(`object: program '${p.name}' instruction ${i} takes offset ${String(ref.valueOffset)} of the read-only data, which has ${spec.rodata.bytes.length} bytes`);
        relocations.push({ section: section.name, offset, symbol: '.rodata', type: R_BPF_64_64 });
        out = makeInstruction(LD_IMM64, insn.dst, 0, 0, BigInt(off));
      } else if (ref?.kind === 'map') {
        if (!mapOffset.has(ref.name)) throw new ElfWriteError(`object: program '${p.name}' instruction ${i} refers to map '${ref.name}', which is not among the object's maps`);
        if (ref.valueOffset !== undefined) throw new ElfWriteError(`object: program '${p.name}' instruction ${i} takes an address inside map '${ref.name}'s value; BTF-defined maps in .maps cannot be referenced that way`);
        relocations.push({ section: section.name, offset, symbol: ref.name, type: R_BPF_64_64 });
        out = makeInstruction(LD_IMM64, insn.dst, 0, 0, 0n);
      } else if (ref?.kind === 'kfunc' && insn.code === CALL) {
        if (!externFuncs.has(ref.name)) throw new ElfWriteError(`object: program '${p.name}' instruction ${i} calls kfunc '${ref.name}', which is not among the object's externs`);
        relocations.push({ section: section.name, offset, symbol: ref.name, type: R_BPF_64_32 });
        out = makeInstruction(CALL, 0, CALL_SUBPROG, 0, -1);
      } else if (ref !== undefined && ref.kind !== 'jump') {
        throw new ElfWriteError(`object: program '${p.name}' instruction ${i} has an unresolved ${ref.kind} reference (${'label' in ref ? ref.label : ref.name}); object files hold resolved programs with map references only`);
      } else if (insn.code === CALL && insn.src === CALL_KFUNC) {
        throw new ElfWriteError(`object: program '${p.name}' instruction ${i} is a kfunc call by BTF id (${insn.imm}); give it a { kind: 'kfunc', name } reference and the kfunc in externs`);
      } else if ((insn.code === CALL && insn.src === CALL_SUBPROG) || (insn.code === LD_IMM64 && insn.src === PSEUDO_FUNC)) {
        const rel = insn.code === CALL ? (insn.imm as number) : Number(BigInt.asIntN(32, insn.imm as bigint));
        const target = at + rel + 1;
        const what = insn.code === CALL ? 'call' : 'function address';
        if (target < mainEnd || target >= total) throw new ElfWriteError(`object: program '${p.name}' instruction ${i}: ${what} target ${target} is not a subprogram (they start at ${mainEnd})`);
        if (!subs.some((f) => f.insn === target)) throw new ElfWriteError(`object: program '${p.name}' instruction ${i}: ${what} target ${target} is not the start of a subprogram`);
        if (inMain) {
          // Into .text: relative to the section symbol, as clang writes calls to static functions.
          const textSlot = textStart / 8 + (target - mainEnd);
          relocations.push({ section: section.name, offset, symbol: '.text', type: insn.code === CALL ? R_BPF_64_32 : R_BPF_64_64 });
          out = insn.code === CALL ? makeInstruction(CALL, 0, CALL_SUBPROG, 0, textSlot - 1) : makeInstruction(LD_IMM64, insn.dst, PSEUDO_FUNC, 0, BigInt(textSlot * 8));
        } else if (ref !== undefined) {
          out = makeInstruction(insn.code, insn.dst, insn.src, insn.off, insn.imm);
        }
        // Within .text the subprograms keep their order, so relative targets stay right.
      } else if (ref !== undefined) {
        out = makeInstruction(insn.code, insn.dst, insn.src, insn.off, insn.imm);
      }
      (inMain ? mainInsns : textInsns).push(out);
    });
    const mainBytes = encode(mainInsns);
    main.parts.push(mainBytes);
    main.bytes += mainBytes.length;
    globalSymbols.push({ name: p.name, section: p.section, value: mainStart, size: mainBytes.length, type: 'func', binding: 'global' });
    main.fi.push({ insnOff: mainStart, typeId: btf.typeId(funcs.get(p)!) });
    if (text !== undefined && textInsns.length > 0) {
      const textBytes = encode(textInsns);
      text.parts.push(textBytes);
      text.bytes += textBytes.length;
      subs.forEach((f, k) => {
        const end = k + 1 < subs.length ? subs[k + 1].insn : total;
        localSymbols.push({ name: f.name, section: '.text', value: textStart + (f.insn - mainEnd) * 8, size: (end - f.insn) * 8, type: 'func', binding: 'local' });
        text.fi.push({ insnOff: textStart + (f.insn - mainEnd) * 8, typeId: btf.typeId(funcs.get(f)!) });
      });
    }
    for (const l of p.lines ?? []) {
      const { section, offset } = place(l.insn);
      section.li.push({ insnOff: offset, fileNameOff: btf.stringOffset(l.file), lineOff: btf.stringOffset(l.text), lineCol: lineCol(Math.min(Math.max(l.line, 0), 0x3fffff), Math.min(Math.max(l.column, 0), 0x3ff)) });
    }
    for (const r of p.coreRelos ?? []) {
      if (r.insnOff % 8 !== 0 || !slots.includes(r.insnOff / 8)) throw new ElfWriteError(`object: program '${p.name}': CO-RE relocation at byte ${r.insnOff} is not at an instruction of the program`);
      const { section, offset } = place(r.insnOff / 8);
      section.cr.push({ insnOff: offset, typeId: btf.typeId(locals.get(r.root)!), accessStrOff: btf.stringOffset(r.access), kind: r.kind });
    }
  }

  const elfSections: { name: string; type: number; flags: number; align: number; data: Uint8Array }[] = [];
  const funcInfo: BtfExtSection<FuncInfo>[] = [];
  const lineInfo: BtfExtSection<LineInfo>[] = [];
  const coreRelo: BtfExtSection<CoreRelo>[] = [];
  const sectionSymbols: ElfSymbolSpec[] = [];
  for (const s of code.values()) {
    const data = new Uint8Array(s.bytes);
    let at = 0;
    for (const part of s.parts) { data.set(part, at); at += part.length; }
    elfSections.push({ name: s.name, type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, align: 8, data });
    sectionSymbols.push({ name: s.name, section: s.name, value: 0, size: 0, type: 'section', binding: 'local' });
    const nameOff = btf.stringOffset(s.name);
    const byOffset = <R extends { insnOff: number }>(records: R[]): R[] => records.sort((a, b) => a.insnOff - b.insnOff);
    if (s.fi.length > 0) funcInfo.push({ sectionNameOff: nameOff, records: byOffset(s.fi) });
    if (s.li.length > 0) lineInfo.push({ sectionNameOff: nameOff, records: byOffset(s.li) });
    if (s.cr.length > 0) coreRelo.push({ sectionNameOff: nameOff, records: s.cr });
  }
  if (spec.rodata !== undefined) {
    elfSections.push({ name: '.rodata', type: SHT_PROGBITS, flags: SHF_ALLOC, align: 8, data: spec.rodata.bytes });
    sectionSymbols.push({ name: '.rodata', section: '.rodata', value: 0, size: 0, type: 'section', binding: 'local' });
  }
  if (spec.maps.length > 0) elfSections.push({ name: '.maps', type: SHT_PROGBITS, flags: SHF_WRITE | SHF_ALLOC, align: 8, data: new Uint8Array(mapsDatasec.size) });
  elfSections.push({ name: 'license', type: SHT_PROGBITS, flags: SHF_WRITE | SHF_ALLOC, align: 1, data: licenseBytes });
  elfSections.push({ name: '.BTF', type: SHT_PROGBITS, flags: 0, align: 4, data: btf.bytes });
  elfSections.push({ name: '.BTF.ext', type: SHT_PROGBITS, flags: 0, align: 4, data: encodeBtfExt({ funcInfo, lineInfo, coreRelo }) });
  globalSymbols.push(...mapSymbols, { name: 'LICENSE', section: 'license', value: 0, size: licenseBytes.length, type: 'object', binding: 'global' });
  for (const name of externFuncs.keys()) globalSymbols.push({ name, value: 0, size: 0, type: 'notype', binding: 'global' });
  return writeElfObject({ machine: EM_BPF, sections: elfSections, symbols: [...sectionSymbols, ...localSymbols, ...globalSymbols], relocations });
}
