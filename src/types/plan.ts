/**
 * Codecs as closures over a precomputed plan, without `new Function`: the fallback where code
 * generation is not allowed, and the baseline `bench/struct.ts` compares the generated codecs
 * with. Same results and errors as the generated ones.
 * @module
 */

import type { ArrayOfType } from './array.js';
import { showValue, ValueProblem, type RawCodec, type RawRead, type RawWrite } from './codec-entry.js';
import { readCString, writeCString } from './c-string.js';
import type { AnyType } from './codegen.js';
import type { FieldLayout } from './layout.js';
import type { IntType } from './scalars.js';

function fail(path: string, value: unknown, reason: string): never {
  throw new ValueProblem(path, value, `${showValue(value)} ${reason}`);
}

function readInt(t: IntType): RawRead<number | bigint> {
  switch (t.name) {
    case 'u8': return (_dv, u8, o) => u8[o];
    case 's8': return (dv, _u8, o) => dv.getInt8(o);
    case 'u16': return (dv, _u8, o) => dv.getUint16(o, true);
    case 's16': return (dv, _u8, o) => dv.getInt16(o, true);
    case 'u32': return (dv, _u8, o) => dv.getUint32(o, true);
    case 's32': return (dv, _u8, o) => dv.getInt32(o, true);
    case 'u64': return (dv, _u8, o) => dv.getBigUint64(o, true);
    case 's64': return (dv, _u8, o) => dv.getBigInt64(o, true);
  }
}

function writeInt(t: IntType): RawWrite<unknown> {
  const reason = `is not a ${t.name} (${t.bits === 64 ? 'a bigint' : 'an integer'} in [${t.min}, ${t.max}])`;
  if (t.bits === 64) {
    const min = t.min as bigint;
    const max = t.max as bigint;
    return (dv, _u8, o, v, p) => {
      if (typeof v !== 'bigint' || v < min || v > max) fail(p, v, reason);
      if (t.signed) dv.setBigInt64(o, v, true);
      else dv.setBigUint64(o, v, true);
    };
  }
  const min = t.min as number;
  const max = t.max as number;
  return (dv, _u8, o, v, p) => {
    if (typeof v !== 'number' || !(v >= min && v <= max) || Math.floor(v) !== v) fail(p, v, reason);
    switch (t.bits) {
      case 8: dv.setUint8(o, v & 255); break;
      case 16: dv.setUint16(o, v & 65535, true); break;
      default: dv.setUint32(o, v >>> 0, true); break;
    }
  };
}

/** Reads `nb` bytes little-endian as a bigint. */
function loadBig(u8: Uint8Array, o: number, nb: number): bigint {
  let x = 0n;
  for (let i = nb - 1; i >= 0; i--) x = (x << 8n) | BigInt(u8[o + i]);
  return x;
}

function storeBig(u8: Uint8Array, o: number, nb: number, x: bigint): void {
  for (let i = 0; i < nb; i++) {
    u8[o + i] = Number(x & 255n);
    x >>= 8n;
  }
}

function bitsCodec(f: FieldLayout): RawCodec<unknown, unknown> {
  const t = f.type as AnyType;
  const signed = t.kind === 'int' && t.signed;
  const w = f.bitSize;
  const first = Math.floor(f.bitOffset / 8);
  const shift = BigInt(f.bitOffset % 8);
  const nb = Math.ceil((f.bitOffset % 8 + w) / 8);
  const mask = (1n << BigInt(w)) - 1n;
  const min = signed ? -(1n << BigInt(w - 1)) : 0n;
  const max = signed ? (1n << BigInt(w - 1)) - 1n : mask;
  return {
    read: (_dv, u8, o) => {
      let x = (loadBig(u8, o + first, nb) >> shift) & mask;
      if (signed) x = BigInt.asIntN(w, x);
      return t.kind === 'bool' ? x !== 0n : w <= 32 ? Number(x) : x;
    },
    write: (_dv, u8, o, v, p) => {
      let x: bigint;
      if (t.kind === 'bool') {
        if (typeof v !== 'boolean') fail(p, v, 'is not a boolean');
        x = v ? 1n : 0n;
      } else if (w <= 32) {
        if (typeof v !== 'number' || !Number.isInteger(v) || BigInt(v) < min || BigInt(v) > max) fail(p, v, `is not a ${w}-bit ${signed ? 'signed' : 'unsigned'} bitfield value (an integer in [${min}, ${max}])`);
        x = BigInt(v);
      } else {
        if (typeof v !== 'bigint' || v < min || v > max) fail(p, v, `is not a ${w}-bit ${signed ? 'signed' : 'unsigned'} bitfield value (a bigint in [${min}, ${max}])`);
        x = v;
      }
      const old = loadBig(u8, o + first, nb);
      storeBig(u8, o + first, nb, (old & ~(mask << shift)) | ((x & mask) << shift));
    },
  };
}

function arrayPlan(t: ArrayOfType): RawCodec<unknown, unknown> {
  const e = t.element as AnyType;
  const el = compilePlan(e);
  const n = t.length;
  const size = e.size;
  return {
    read: e.kind === 'int'
      ? (dv, u8, o) => {
          const a = new ({ u8: Uint8Array, s8: Int8Array, u16: Uint16Array, s16: Int16Array, u32: Uint32Array, s32: Int32Array, u64: BigUint64Array, s64: BigInt64Array }[e.name])(n);
          for (let i = 0; i < n; i++) (a as unknown as unknown[])[i] = el.read(dv, u8, o + i * size);
          return a;
        }
      : (dv, u8, o) => {
          const a = new Array<unknown>(n);
          for (let i = 0; i < n; i++) a[i] = el.read(dv, u8, o + i * size);
          return a;
        },
    write: (dv, u8, o, v, p) => {
      const arr = v as ArrayLike<unknown> | null;
      if (arr === null || typeof arr !== 'object' || arr.length !== n) fail(p, v, `is not ${e.kind === 'int' ? 'an array-like' : 'an array'} of length ${n} (${t.cName})`);
      for (let i = 0; i < n; i++) el.write(dv, u8, o + i * size, arr[i], `${p}[${i}]`);
    },
  };
}

/** The closure-based reader/writer pair of `t`. */
export function compilePlan(t: AnyType): RawCodec<unknown, unknown> {
  switch (t.kind) {
    case 'int':
      return { read: readInt(t), write: writeInt(t) };
    case 'bool':
      return {
        read: (_dv, u8, o) => u8[o] !== 0,
        write: (_dv, u8, o, v, p) => {
          if (typeof v !== 'boolean') fail(p, v, 'is not a boolean');
          u8[o] = v ? 1 : 0;
        },
      };
    case 'ptr':
      return {
        read: (dv, _u8, o) => dv.getBigUint64(o, true),
        write: (dv, _u8, o, v, p) => {
          if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn) fail(p, v, 'is not a pointer (a bigint in [0, 2^64))');
          dv.setBigUint64(o, v, true);
        },
      };
    case 'chars': {
      const n = t.length;
      return { read: (_dv, u8, o) => readCString(u8, o, n), write: (_dv, u8, o, v, p) => writeCString(u8, o, n, v, p) };
    }
    case 'array':
      return arrayPlan(t);
    case 'struct': case 'union': {
      const fields = t.fields.filter((f) => f.kind !== 'pad');
      const names = fields.map((f) => f.name);
      const offs = fields.map((f) => (f.kind === 'bits' ? 0 : f.offset));
      const codecs = fields.map((f) => (f.kind === 'bits' ? bitsCodec(f) : compilePlan(f.type as AnyType)));
      const isUnion = t.kind === 'union';
      const what = `is not an object (${t.cName})`;
      return {
        read: (dv, u8, o) => {
          const r: Record<string, unknown> = {};
          for (let i = 0; i < names.length; i++) r[names[i]] = codecs[i].read(dv, u8, o + offs[i]);
          return r;
        },
        write: (dv, u8, o, v, p) => {
          if (v === null || typeof v !== 'object') fail(p, v, what);
          const obj = v as Record<string, unknown>;
          for (let i = 0; i < names.length; i++) {
            const x = obj[names[i]];
            if (isUnion && x === undefined) continue;
            codecs[i].write(dv, u8, o + offs[i], x, `${p}.${names[i]}`);
          }
        },
      };
    }
  }
}
