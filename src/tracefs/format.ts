/**
 * The parser of tracefs `format` files (`events/<category>/<name>/format`): the layout of the
 * record a tracepoint hands to perf and to `BPF_PROG_TYPE_TRACEPOINT` programs.
 *
 * ```text
 * name: sched_process_exec
 * ID: 365
 * format:
 * 	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
 * 	…
 * 	field:__data_loc char[] filename;	offset:8;	size:4;	signed:0;
 * 	field:char prev_comm[16];	offset:8;	size:16;	signed:0;
 *
 * print fmt: "filename=%s …", __get_str(filename), …
 * ```
 * @module
 */

import { TracefsError } from './tracefs-error.js';

/**
 * How a field is stored:
 * - `scalar`: an integer or pointer of `size` bytes;
 * - `array`: a fixed array, `type elem[arrayLength]` (`char comm[16]`);
 * - `flexible`: a trailing flexible array, `type elem[]`, size 0 (`char buf[]` of ftrace:print);
 * - `data_loc`: a `u32` at `offset` whose low 16 bits are the offset of the data from the start
 *   of the record and the high 16 bits its length (`__data_loc char[] filename`);
 * - `rel_loc`: like `data_loc`, but the offset counts from the end of the field itself.
 */
export type TracepointFieldKind = 'scalar' | 'array' | 'flexible' | 'data_loc' | 'rel_loc';

/** One field of a tracepoint record. */
export interface TracepointField {
  /** The C name (`filename`, `common_pid`). */
  readonly name: string;
  /** The C type without the name and array brackets: `unsigned short`, `const char *`, `char` (of `char comm[16]`, `__data_loc char[]`). */
  readonly type: string;
  /** How it is stored. */
  readonly kind: TracepointFieldKind;
  /** Byte offset in the record. */
  readonly offset: number;
  /** Size in bytes, as the format file states (4 for `__data_loc`/`__rel_loc`). */
  readonly size: number;
  /** Whether the (element) integer type is signed. */
  readonly signed: boolean;
  /** Number of elements of an `array` field. */
  readonly arrayLength?: number;
  /** Whether it is one of the `common_*` fields every record starts with. */
  readonly common: boolean;
}

/** A parsed `format` file. */
export interface TracepointFormat {
  /** The event name (`sys_enter_openat`). */
  readonly name: string;
  /** The tracepoint id (`ID:` line). */
  readonly id: number;
  /** Every field, common ones first, in file order. */
  readonly fields: readonly TracepointField[];
  /** Bytes up to the end of the last fixed-size field (dynamic data follows). */
  readonly size: number;
  /** The `print fmt:` line's text after the colon, or ''. */
  readonly printFmt: string;
}

const FIELD = /^field:(.+?);\s*offset:(\d+);\s*size:(\d+);\s*signed:([01]);?\s*$/;

/** Parses one `field:` declaration (what lies between `field:` and the first `;`). */
export function parseFieldDeclaration(decl: string): { name: string; type: string; kind: TracepointFieldKind; arrayLength?: number } {
  const d = decl.trim();
  const loc = /^__(data|rel)_loc\s+(.+?)\s*\[\s*\]\s*([A-Za-z_][A-Za-z0-9_]*)$/.exec(d);
  if (loc !== null) return { name: loc[3], type: loc[2], kind: loc[1] === 'data' ? 'data_loc' : 'rel_loc' };
  const arr = /^(.+?)\s*([A-Za-z_][A-Za-z0-9_]*)\s*\[\s*([^\]]*)\s*\]$/.exec(d);
  if (arr !== null) {
    if (arr[3] === '') return { name: arr[2], type: arr[1].trim(), kind: 'flexible' };
    const n = Number(arr[3]);
    // Some formats print the length as an expression or macro; the size field still tells the truth.
    return { name: arr[2], type: arr[1].trim(), kind: 'array', ...(Number.isInteger(n) ? { arrayLength: n } : {}) };
  }
  const scalar = /^(.+?[\s*])([A-Za-z_][A-Za-z0-9_]*)$/.exec(d);
  if (scalar === null) throw new TracefsError(`tracefs format: cannot parse field declaration ${JSON.stringify(decl)}`);
  return { name: scalar[2], type: scalar[1].trim(), kind: 'scalar' };
}

/**
 * Parses the text of a tracefs `format` file. Throws a {@link TracefsError} naming the line when
 * a `field:` line is malformed or `name:`/`ID:` is missing.
 */
export function parseTracepointFormat(text: string): TracepointFormat {
  let name: string | undefined;
  let id: number | undefined;
  let printFmt = '';
  const fields: TracepointField[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    if (line.startsWith('name:')) name = line.slice(5).trim();
    else if (line.startsWith('ID:')) id = Number(line.slice(3).trim());
    else if (line.startsWith('print fmt:')) printFmt = line.slice(10).trim();
    else if (line.startsWith('field:')) {
      const m = FIELD.exec(line);
      if (m === null) throw new TracefsError(`tracefs format: line ${i + 1} is not 'field:…; offset:N; size:N; signed:N;': ${JSON.stringify(line)}`);
      const d = parseFieldDeclaration(m[1]);
      const size = Number(m[3]);
      const field: TracepointField = {
        name: d.name,
        type: d.type,
        kind: d.kind,
        offset: Number(m[2]),
        size,
        signed: m[4] === '1',
        ...(d.kind === 'array' ? { arrayLength: d.arrayLength ?? size / Math.max(1, elementSize(d.type, size)) } : {}),
        common: d.name.startsWith('common_'),
      };
      fields.push(field);
    }
  }
  if (name === undefined) throw new TracefsError('tracefs format: no name: line');
  if (id === undefined || !Number.isSafeInteger(id)) throw new TracefsError(`tracefs format: ${name} has no valid ID: line`);
  let size = 0;
  for (const f of fields) size = Math.max(size, f.offset + f.size);
  return { name, id, fields, size, printFmt };
}

/** Element size of a C type as far as a format file needs it (unknown types: `fallback`). */
function elementSize(type: string, fallback: number): number {
  const t = type.replace(/\b(const|volatile|unsigned|signed)\b/g, '').trim();
  if (t.endsWith('*')) return 8;
  if (/^(char|u8|s8|__u8|__s8|bool|_Bool)$/.test(t) || t === '') return 1;
  if (/^(short|u16|s16|__u16|__s16|__le16|__be16)$/.test(t)) return 2;
  if (/^(int|u32|s32|__u32|__s32|pid_t|__le32|__be32|gfp_t|uid_t|gid_t)$/.test(t)) return 4;
  if (/^(long|long long|u64|s64|__u64|__s64|size_t|loff_t|__le64|__be64|unsigned long|long int)$/.test(t)) return 8;
  return fallback;
}

/** A decoded record: field name → value. */
export type TracepointRecord = Record<string, number | bigint | string | Uint8Array>;

const utf8 = new TextDecoder();

function cString(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return utf8.decode(nul < 0 ? bytes : bytes.subarray(0, nul));
}

/**
 * Decodes one record laid out as `format` describes: integers of 1, 2 and 4 bytes as numbers,
 * 8-byte ones as bigints; `char` arrays and `__data_loc char[]` as strings (up to the NUL); other
 * arrays and dynamic data as byte copies.
 */
export function decodeTracepointRecord(format: TracepointFormat, record: DataView): TracepointRecord {
  const out: TracepointRecord = {};
  const bytes = new Uint8Array(record.buffer, record.byteOffset, record.byteLength);
  const isChar = (t: string) => /^(const\s+)?(unsigned\s+|signed\s+)?char$/.test(t);
  for (const f of format.fields) {
    if (f.offset + f.size > record.byteLength) throw new RangeError(`tracefs format: ${format.name}.${f.name} at ${f.offset}+${f.size} lies beyond the ${record.byteLength}-byte record`);
    switch (f.kind) {
      case 'scalar':
        out[f.name] = readInt(record, f.offset, f.size, f.signed);
        break;
      case 'array': {
        const b = bytes.subarray(f.offset, f.offset + f.size);
        out[f.name] = isChar(f.type) ? cString(b) : b.slice();
        break;
      }
      case 'flexible': {
        const b = bytes.subarray(f.offset);
        out[f.name] = isChar(f.type) ? cString(b) : b.slice();
        break;
      }
      case 'data_loc':
      case 'rel_loc': {
        const loc = record.getUint32(f.offset, true);
        const start = (loc & 0xffff) + (f.kind === 'rel_loc' ? f.offset + f.size : 0);
        const len = loc >>> 16;
        if (start + len > record.byteLength) throw new RangeError(`tracefs format: ${format.name}.${f.name} points at ${start}+${len}, beyond the ${record.byteLength}-byte record`);
        const b = bytes.subarray(start, start + len);
        out[f.name] = isChar(f.type) ? cString(b) : b.slice();
        break;
      }
    }
  }
  return out;
}

function readInt(dv: DataView, off: number, size: number, signed: boolean): number | bigint | Uint8Array {
  switch (size) {
    case 1:
      return signed ? dv.getInt8(off) : dv.getUint8(off);
    case 2:
      return signed ? dv.getInt16(off, true) : dv.getUint16(off, true);
    case 4:
      return signed ? dv.getInt32(off, true) : dv.getUint32(off, true);
    case 8:
      return signed ? dv.getBigInt64(off, true) : dv.getBigUint64(off, true);
    default:
      return new Uint8Array(dv.buffer, dv.byteOffset + off, size).slice();
  }
}
