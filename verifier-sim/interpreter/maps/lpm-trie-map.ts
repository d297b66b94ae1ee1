/**
 * Simulated `lpm_trie` map (`kernel/bpf/lpm_trie.c`): keys are `struct bpf_lpm_trie_key_u8`
 * (a u32 prefix length in host order, then the data bytes in network order); a lookup finds the
 * stored prefix that matches the most leading bits of the key.
 * @module
 */

import { Errno } from '../errno.js';
import { SimMap, checkUpdateFlags, keyString, UpdateFlags, type SimMapSpec } from './sim-map.js';

interface Entry {
  readonly prefixLen: number;
  readonly data: Uint8Array;
  value: Uint8Array;
}

function prefixLength(buf: Uint8Array, off: number): number {
  return (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24)) >>> 0;
}

/** Number of leading bits `a` and `b` share, up to `max`. */
function commonBits(a: Uint8Array, aOff: number, b: Uint8Array, max: number): number {
  let n = 0;
  for (let i = 0; n < max; i++) {
    const x = a[aOff + i] ^ b[i];
    if (x === 0) {
      n += 8;
      continue;
    }
    n += Math.clz32(x) - 24;
    break;
  }
  return Math.min(n, max);
}

/** A longest-prefix-match map. */
export class LpmTrieMap extends SimMap {
  private readonly elements = new Map<string, Entry>();
  private readonly dataSize: number;

  constructor(spec: SimMapSpec) {
    super(spec);
    if (spec.keySize <= 4) throw new RangeError(`map '${this.name}': an lpm_trie key holds a u32 prefix length and data, got ${spec.keySize} bytes`);
    this.dataSize = spec.keySize - 4;
  }

  private normalized(buf: Uint8Array, off: number, prefixLen: number): Uint8Array {
    const data = buf.slice(off + 4, off + 4 + this.dataSize);
    for (let bit = prefixLen; bit < this.dataSize * 8; bit++) data[bit >> 3] &= ~(0x80 >> (bit & 7));
    return data;
  }

  private id(prefixLen: number, data: Uint8Array): string {
    return `${prefixLen}/${keyString(data, 0, data.length)}`;
  }

  override lookupElem(key: Uint8Array, off: number): Uint8Array | undefined {
    const max = Math.min(prefixLength(key, off), this.dataSize * 8);
    let best: Entry | undefined;
    for (const e of this.elements.values()) {
      if (e.prefixLen > max || (best !== undefined && e.prefixLen <= best.prefixLen)) continue;
      if (commonBits(key, off + 4, e.data, e.prefixLen) >= e.prefixLen) best = e;
    }
    return best?.value;
  }

  override updateElem(key: Uint8Array, keyOff: number, value: Uint8Array, valueOff: number, flags: bigint): number {
    const bad = checkUpdateFlags(flags);
    if (bad < 0) return bad;
    const prefixLen = prefixLength(key, keyOff);
    if (prefixLen > this.dataSize * 8) return -Errno.EINVAL;
    const data = this.normalized(key, keyOff, prefixLen);
    const id = this.id(prefixLen, data);
    const old = this.elements.get(id);
    if (old !== undefined && flags === BigInt(UpdateFlags.NOEXIST)) return -Errno.EEXIST;
    if (old === undefined && flags === BigInt(UpdateFlags.EXIST)) return -Errno.ENOENT;
    const bytes = value.slice(valueOff, valueOff + this.valueSize);
    if (old !== undefined) {
      old.value = bytes;
      return 0;
    }
    if (this.elements.size >= this.maxEntries) return -Errno.ENOSPC;
    this.elements.set(id, { prefixLen, data, value: bytes });
    return 0;
  }

  override deleteElem(key: Uint8Array, off: number): number {
    const prefixLen = prefixLength(key, off);
    if (prefixLen > this.dataSize * 8) return -Errno.EINVAL;
    return this.elements.delete(this.id(prefixLen, this.normalized(key, off, prefixLen))) ? 0 : -Errno.ENOENT;
  }

  override entries(): [Uint8Array, Uint8Array][] {
    return [...this.elements.values()].map((e) => {
      const k = new Uint8Array(this.keySize);
      new DataView(k.buffer).setUint32(0, e.prefixLen, true);
      k.set(e.data, 4);
      return [k, e.value.slice()];
    });
  }
}
