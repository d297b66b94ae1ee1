/**
 * The BTF that goes with a compiled program at `BPF_PROG_LOAD`: a `FUNC` (with its
 * `FUNC_PROTO`, `int name(void *ctx)`) for the program, and the strings of its line_info — the
 * user's TypeScript file names and source lines — so that the kernel's verifier log, bpftool
 * and {@link dump} show the `.ts` line of every instruction. Also the reverse lookup: the source
 * line of an instruction, for error messages.
 *
 * ```ts
 * const btf = programBtf('count', compiled.lineInfo);
 * progLoad({ …, progBtfFd: btfLoad({ btf: btf.bytes }).fd, funcInfo: btf.funcInfo, lineInfo: btf.lineInfo });
 * ```
 * @module
 */

import { encodeFuncInfo, FUNC_INFO_SIZE, FuncLinkage, IntEncoding, LINE_INFO_SIZE, lineCol } from 'ebpf-bytecode-utils';

/** One line_info entry of a compiled program: from instruction `insn` on, the code comes from this source line. */
export interface SourceLine {
  /** Instruction index (8-byte slot) where the line's code starts. */
  readonly insn: number;
  /** Absolute path of the source file. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  /** The line's text, trimmed. */
  readonly text: string;
}

/** ext-info records ready for `BPF_PROG_LOAD` (`func_info`/`line_info` with their record sizes). */
export interface ExtInfoRecords {
  /** Encoded records. */
  readonly records: Uint8Array;
  /** Record size in bytes. */
  readonly recSize: number;
}

/** A program's BTF blob with its func_info and line_info records. */
export interface ProgramBtf {
  /** The BTF blob for `BPF_BTF_LOAD`. */
  readonly bytes: Uint8Array;
  /** The `bpf_func_info` records: the program at instruction 0, then each subprogram at its first instruction. */
  readonly funcInfo: ExtInfoRecords;
  /** The `bpf_line_info` records, one per {@link SourceLine}. */
  readonly lineInfo: ExtInfoRecords;
}

/** `name` made a valid C identifier (BTF func names must be). */
export function btfFuncName(name: string): string {
  const id = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(id) ? id : `_${id}`;
}

const KIND_INT = 1;
const KIND_PTR = 2;
const KIND_FUNC = 12;
const KIND_FUNC_PROTO = 13;
/** Type id of `FUNC name` in {@link programBtf}'s blob (int 1, void * 2, proto 3, func 4). */
const FUNC_ID = 4;
/** Type id of `long` (the result and scalar parameters of subprograms), present when there are subprograms. */
const LONG_ID = 5;
const utf8 = new TextEncoder();

/** A subprogram as {@link programBtf} describes it: `long name(long arg1, void *arg2, …)`, static, at instruction `insn`. */
export interface BtfSubprogram {
  /** Function name (made a C identifier). */
  readonly name: string;
  /** Its first instruction (8-byte slot index), the func_info record's `insn_off`. */
  readonly insn: number;
  /** Each parameter: a scalar (`long`) or a pointer (`void *`). */
  readonly params: readonly ('scalar' | 'pointer')[];
}

/**
 * The BTF of program `name` with `lines` as its line_info (sorted by `insn`, the first at 0, as
 * {@link compile} produces them), and a FUNC with its FUNC_PROTO and func_info record for each
 * of `subprograms` (the kernel wants one for every subprogram when a program has BTF). Lines and columns beyond the record's 22/10 bits are clamped.
 * The four types are written directly (a general encoder costs far more than this blob is worth
 * at every build): `int`, `void *`, `int (void *ctx)` and the static `FUNC name`.
 */
export function programBtf(name: string, lines: readonly SourceLine[], subprograms: readonly BtfSubprogram[] = []): ProgramBtf {
  const offsets = new Map<string, number>([['', 0]]);
  const strings: string[] = [''];
  let strLen = 1;
  const str = (s: string): number => {
    let off = offsets.get(s);
    if (off === undefined) {
      off = strLen;
      offsets.set(s, off);
      strings.push(s);
      strLen += Buffer.byteLength(s) + 1;
    }
    return off;
  };
  const types = [
    str('int'), KIND_INT << 24, 4, (IntEncoding.SIGNED << 24) | 32,
    0, KIND_PTR << 24, 0,
    0, (KIND_FUNC_PROTO << 24) | 1, 1, str('ctx'), 2,
    str(btfFuncName(name)), (KIND_FUNC << 24) | FuncLinkage.STATIC, 3,
  ];
  const funcInfo = [{ insnOff: 0, typeId: FUNC_ID }];
  if (subprograms.length > 0) {
    // Type 5 is `long`; then, per subprogram, its FUNC_PROTO and its static FUNC.
    types.push(str('long'), KIND_INT << 24, 8, (IntEncoding.SIGNED << 24) | 64);
    subprograms.forEach((f, k) => {
      const proto = LONG_ID + 1 + 2 * k;
      types.push(0, (KIND_FUNC_PROTO << 24) | f.params.length, LONG_ID);
      f.params.forEach((p, i) => types.push(str(`arg${i + 1}`), p === 'pointer' ? 2 : LONG_ID));
      types.push(str(btfFuncName(f.name)), (KIND_FUNC << 24) | FuncLinkage.STATIC, proto);
      funcInfo.push({ insnOff: f.insn, typeId: proto + 1 });
    });
  }
  const lineInfo = new Uint8Array(lines.length * LINE_INFO_SIZE);
  const li = new DataView(lineInfo.buffer);
  lines.forEach((l, i) => {
    li.setUint32(i * 16, l.insn, true);
    li.setUint32(i * 16 + 4, str(l.file), true);
    li.setUint32(i * 16 + 8, str(l.text), true);
    li.setUint32(i * 16 + 12, lineCol(Math.min(l.line, 0x3fffff), Math.min(l.column, 0x3ff)), true);
  });
  const typeLen = types.length * 4;
  const bytes = new Uint8Array(24 + typeLen + strLen);
  const v = new DataView(bytes.buffer);
  v.setUint16(0, 0xeb9f, true);
  v.setUint8(2, 1);
  v.setUint32(4, 24, true);
  v.setUint32(8, 0, true);
  v.setUint32(12, typeLen, true);
  v.setUint32(16, typeLen, true);
  v.setUint32(20, strLen, true);
  types.forEach((w, i) => v.setUint32(24 + i * 4, w >>> 0, true));
  bytes.set(utf8.encode(`${strings.join('\0')}\0`), 24 + typeLen);
  return {
    bytes,
    funcInfo: { records: encodeFuncInfo(funcInfo), recSize: FUNC_INFO_SIZE },
    lineInfo: { records: lineInfo, recSize: LINE_INFO_SIZE },
  };
}

/** The source line that instruction `insn` belongs to (the last entry starting at or before it). */
export function sourceLineAt(lines: readonly SourceLine[] | undefined, insn: number): SourceLine | undefined {
  if (lines === undefined) return undefined;
  let found: SourceLine | undefined;
  for (const l of lines) {
    if (l.insn > insn) break;
    found = l;
  }
  return found;
}

/** `file:line` of a source line, as the kernel prints it after `@`. */
export function sourceLineText(l: SourceLine): string {
  return `${l.file}:${l.line}`;
}
