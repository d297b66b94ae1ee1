/**
 * Simulated `stack_trace` map: `bpf_get_stackid` stores a stack (an array of u64 instruction
 * pointers, zero-padded to the value size) under an id derived from its contents.
 * @module
 */

import { Errno } from '../errno.js';
import { SimMap, type SimMapSpec } from './sim-map.js';

/** `bpf_get_stackid` flags (`BPF_F_SKIP_FIELD_MASK`, `BPF_F_USER_STACK`, `BPF_F_FAST_STACK_CMP`, `BPF_F_REUSE_STACKID`). */
export const StackIdFlags = { SKIP_MASK: 0xff, USER_STACK: 1 << 8, FAST_STACK_CMP: 1 << 9, REUSE_STACKID: 1 << 10 } as const;

/** A stack trace map. */
export class StackTraceMap extends SimMap {
  private readonly stacks = new Map<number, Uint8Array>();

  constructor(spec: SimMapSpec) {
    super(spec);
    if (spec.keySize !== 4 || spec.valueSize % 8 !== 0 || spec.valueSize === 0) throw new RangeError(`map '${this.name}': a stack_trace map has 4-byte keys and values of n × 8 bytes`);
  }

  /**
   * Stores `ips` and returns its id, or `-EEXIST` when another stack holds the bucket and
   * `BPF_F_REUSE_STACKID` is not set (as the kernel does).
   */
  store(ips: readonly bigint[], flags: number): number {
    const depth = this.valueSize / 8;
    const value = new Uint8Array(this.valueSize);
    const view = new DataView(value.buffer);
    ips.slice(0, depth).forEach((ip, i) => view.setBigUint64(i * 8, BigInt.asUintN(64, ip), true));
    // FNV-1a over the bytes: deterministic bucket ids.
    let h = 0x811c9dc5;
    for (const b of value) h = Math.imul(h ^ b, 0x01000193);
    const id = (h >>> 0) % this.maxEntries;
    const old = this.stacks.get(id);
    if (old !== undefined && !equal(old, value) && (flags & StackIdFlags.REUSE_STACKID) === 0) return -Errno.EEXIST;
    this.stacks.set(id, value);
    return id;
  }

  override lookupElem(key: Uint8Array, off: number): Uint8Array | undefined {
    return this.stacks.get((key[off] | (key[off + 1] << 8) | (key[off + 2] << 16) | (key[off + 3] << 24)) >>> 0);
  }

  override deleteElem(key: Uint8Array, off: number): number {
    return this.stacks.delete((key[off] | (key[off + 1] << 8) | (key[off + 2] << 16) | (key[off + 3] << 24)) >>> 0) ? 0 : -Errno.ENOENT;
  }

  /** Test API: the stack stored under `id` as instruction pointers (trailing zeros dropped). */
  stack(id: number): bigint[] | undefined {
    const v = this.stacks.get(id);
    if (v === undefined) return undefined;
    const view = new DataView(v.buffer);
    const out: bigint[] = [];
    for (let i = 0; i < v.length; i += 8) {
      const ip = view.getBigUint64(i, true);
      if (ip === 0n) break;
      out.push(ip);
    }
    return out;
  }

  override entries(): [Uint8Array, Uint8Array][] {
    return [...this.stacks].map(([id, v]) => {
      const k = new Uint8Array(4);
      new DataView(k.buffer).setUint32(0, id, true);
      return [k, v.slice()];
    });
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
