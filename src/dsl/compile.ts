/**
 * `compile(program)`: a built {@link Program} to instructions and the specs of its maps. Jumps
 * are resolved; map references stay symbolic (`LoadMapPtr(R1, 'counts')`, resolved at load time
 * with asm's `resolve(insns, { maps: { counts: fd } })`). The result is plain data, inspectable
 * without a kernel.
 *
 * ```ts
 * const out = compile(prog);
 * out.insns;   // Instruction[]
 * out.maps;    // [{ name: 'counts', type: 'hash', keySize: 4, valueSize: 8, maxEntries: 256, flags: 0 }]
 * dump(out);   // kernel verifier-log text
 * ```
 * @module
 */

import { kfuncNames } from './kfunc-names.js';
import { removeUnreachable } from './dead-code.js';
import { peephole } from './peephole.js';
import { isLabel, resolve, slotCount, type Instruction, type ProgramItem } from 'ebpf-bytecode-utils';
import { CodeGen } from './codegen.js';
import { compileSubprograms } from './compile-subprograms.js';
import type { ProgType } from './context.js';
import { DslError } from './errors.js';
import { liveRanges } from './liveness.js';
import type { DslMapSpec } from './maps.js';
import type { Program, ProgramAttach } from './program.js';
import { allocate } from './regalloc.js';
import { programBtf, type ProgramBtf, type SourceLine } from './program-btf.js';
import { siteOf, sourceLocationOf, type SourceLocation } from './source-location.js';

/** A compiled program: what to load, as data. */
export interface CompiledProgram<P extends ProgType = ProgType> {
  /** The program's name. */
  readonly name: string;
  /** Program type. */
  readonly progType: P;
  /** License string. */
  readonly license: string;
  /** Instructions: jumps resolved, map references symbolic (`ref: { kind: 'map', name }`). */
  readonly insns: readonly Instruction[];
  /** The maps the instructions refer to, by name. */
  readonly maps: readonly DslMapSpec[];
  /** Stack bytes used (the main program's frame). */
  readonly stackBytes: number;
  /** The subprograms and callbacks laid out after the main program, in declaration order (absent when none). */
  readonly subprograms?: readonly CompiledSubprogram[];
  /**
   * CO-RE `FIELD_BYTE_OFFSET` relocations of kernel struct reads: the instruction (byte offset,
   * a multiple of 8) whose immediate is a field offset, the root type and the access string.
   */
  readonly coreRelos?: readonly CompiledCoreRelo[];
  /** `tracing`/`lsm` programs: the attach target (`expected_attach_type` and the BTF type of `attach_btf_id`). */
  readonly attach?: ProgramAttach;
  /**
   * Where the instructions come from in the user's source: one entry per run of instructions
   * produced by one statement (the line_info records). Absent when compiled with `lineInfo: false`
   * or when no position could be found.
   */
  readonly lineInfo?: readonly SourceLine[];
  /**
   * The kfuncs the instructions call: BTF id (the `call`'s `imm`) → name. Absent when none. The
   * offline interpreter simulates kfuncs by name from this table ({@link simulate} passes it).
   */
  readonly kfuncs?: ReadonlyMap<number, string>;
  /** The program's BTF (FUNCs + line strings) with its func_info and line_info records, when {@link CompiledProgram.lineInfo} or {@link CompiledProgram.subprograms} is present. */
  readonly btf?: ProgramBtf;
}

/** A bpf-to-bpf subprogram or callback of a compiled program (its func_info record). */
export interface CompiledSubprogram {
  /** Its name (`$.func` name, or `loop_cbN`). */
  readonly name: string;
  /** Its first instruction (8-byte slot index). */
  readonly insn: number;
  /** Its stack frame in bytes. */
  readonly stackBytes: number;
  /** How each parameter is passed. */
  readonly params: readonly ('scalar' | 'pointer')[];
}

/** Options of {@link compile}. */
export interface CompileOptions {
  /**
   * Work out the source line of every instruction (line_info and the program BTF): true by
   * default; false saves the source-map lookups (about 10 µs per statement).
   */
  readonly lineInfo?: boolean;
}

/** A CO-RE relocation of a compiled program (names instead of the type and string ids of a BTF blob). */
export interface CompiledCoreRelo {
  /** Byte offset of the instruction (`insn_off`). */
  readonly insnOff: number;
  /** Root struct or union name. */
  readonly rootName: string;
  /** Root kind. */
  readonly rootKind: 'struct' | 'union';
  /** Access string: `0:57`. */
  readonly access: string;
  /** `bpf_core_relo_kind`: 0, `FIELD_BYTE_OFFSET`. */
  readonly kind: 0;
}

/** The line_info of `items`: a new entry wherever the statement's source position changes. */
function sourceLines(program: Program, items: readonly ProgramItem[], origins: ReadonlyMap<ProgramItem, object>, starts: ReadonlySet<number>): SourceLine[] {
  const programSite = siteOf(program);
  const fallback = programSite === undefined ? undefined : sourceLocationOf(programSite);
  const out: SourceLine[] = [];
  let slot = 0;
  let prev: SourceLocation | undefined;
  for (const item of items) {
    if (isLabel(item)) continue;
    const origin = origins.get(item);
    const site = origin === undefined ? undefined : siteOf(origin);
    const at = (site === undefined ? undefined : sourceLocationOf(site)) ?? prev ?? fallback;
    // Every subprogram needs a record at its first instruction, even on the same line.
    if (at !== undefined && (prev === undefined || out.length === 0 || starts.has(slot) || at.file !== prev.file || at.line !== prev.line || at.column !== prev.column)) {
      out.push(Object.freeze({ insn: slot, file: at.file, line: at.line, column: at.column, text: at.text }));
    }
    prev = at;
    slot += slotCount(item);
  }
  // The kernel wants the first record at instruction 0, and one at each subprogram's start.
  if (out.length === 0 || out[0].insn !== 0) return [];
  for (const s of starts) if (!out.some((l) => l.insn === s)) return [];
  return out;
}

/** Compiles `program` to instructions. Throws {@link DslError} for programs that cannot be compiled. */
export function compile<P extends ProgType>(program: Program<P>, options: CompileOptions = {}): CompiledProgram<P> {
  const where = `compile ${program.progType} '${program.name}'`;
  const ranges = liveRanges(program.body, program.ctx);
  const { locations, spillBytes } = allocate(ranges);
  const gen = new CodeGen(locations, ranges, spillBytes, where);
  gen.prologue(program.ctx);
  if (!gen.block(program.body)) throw new DslError(`${where}: the program does not end with a return`);
  const mainItems: readonly ProgramItem[] = peephole(removeUnreachable(gen.items), gen.origins);
  const origins = gen.origins as Map<ProgramItem, object>;
  const funcs = compileSubprograms(program.funcs ?? [], mainItems, gen.stackBytes, origins, where);
  const items: readonly ProgramItem[] = funcs.length === 0 ? mainItems : [...mainItems, ...funcs.flatMap((f) => f.items)];
  const used = new Set<string>();
  for (const item of items) if (!isLabel(item) && item.ref?.kind === 'map') used.add(item.ref.name);
  for (const name of used) if (!program.maps.some((m) => m.name === name)) throw new DslError(`${where}: map '${name}' is not declared in this program`);
  // Resolve jumps only: map references resolve to a placeholder, then get their symbol back.
  const resolved = resolve(items, { maps: () => ({ fd: 0 }) }).instructions;
  const originals = items.filter((i): i is Instruction => !isLabel(i));
  const insns = resolved.map((insn, i) => {
    const ref = originals[i].ref;
    return ref?.kind === 'map' ? originals[i] : insn;
  });
  const slotOf = new Map<ProgramItem, number>();
  let slot = 0;
  for (const item of items) {
    if (isLabel(item)) continue;
    slotOf.set(item, slot);
    slot += slotCount(item);
  }
  const coreRelos = [...gen.coreRelos, ...funcs.flatMap((f) => f.coreRelos)].flatMap(({ insn, core }): CompiledCoreRelo[] => {
    const at = slotOf.get(insn);
    return at === undefined ? [] : [Object.freeze({ insnOff: at * 8, rootName: core.rootName, rootKind: core.rootKind, access: core.access, kind: 0 as const })];
  });
  const subprograms = funcs.map((f): CompiledSubprogram => Object.freeze({ name: f.func.name, insn: slotOf.get(f.first)!, stackBytes: f.stackBytes, params: f.func.params.map((p) => p.type.kind === 'ptr' ? 'pointer' as const : 'scalar' as const) }));
  const lines = options.lineInfo === false ? [] : sourceLines(program, items, origins, new Set(subprograms.map((f) => f.insn)));
  // Subprograms need BTF even without line info: the kernel wants func_info for callbacks.
  const lineInfo = lines.length > 0 ? { lineInfo: Object.freeze(lines), btf: programBtf(program.name, lines, subprograms) }
    : subprograms.length > 0 ? { btf: programBtf(program.name, [], subprograms) } : {};
  const kfuncs = kfuncNames(program.body, program.funcs);
  return Object.freeze({ name: program.name, progType: program.progType, license: program.license, insns: Object.freeze(insns), maps: program.maps, stackBytes: gen.stackBytes, coreRelos: Object.freeze(coreRelos), ...(kfuncs.size === 0 ? {} : { kfuncs }), ...(subprograms.length === 0 ? {} : { subprograms: Object.freeze(subprograms) }), ...(program.attach === undefined ? {} : { attach: program.attach }), ...lineInfo });
}
