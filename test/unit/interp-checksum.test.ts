/**
 * The interpreter's checksum arithmetic (verifier-sim/interpreter/helpers/checksum.ts) against
 * an RFC 1071 reference written here: the folded partial sum of any buffer is the RFC 1071
 * checksum, and incremental updates (RFC 1624) give the checksum of the changed data. The
 * bit-exact agreement with the kernel is tested in test/kernel/interp-helpers-vs-kernel.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { csumAdd, csumFold, csumPartial, csumReplace2, csumReplace4, csumSub } from '../../verifier-sim/interpreter/helpers/checksum.js';

/** RFC 1071 over `bytes` as 16-bit little-endian words (how a `__sum16` sits in a register after a load): the complemented folded sum. */
function rfc1071(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += bytes[i] | ((bytes[i + 1] ?? 0) << 8);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Equal as one's-complement numbers (0 and 0xffff are both zero). */
function same16(a: number, b: number): boolean {
  return a === b || ((a === 0 || a === 0xffff) && (b === 0 || b === 0xffff));
}

test('csum_fold(csum_partial(x)) is the RFC 1071 checksum, for every length and seed 0', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
    assert.ok(same16(csumFold(csumPartial(bytes, 0)), rfc1071(bytes)), `${bytes.length} bytes`);
  }));
});

test('csum_partial is additive: a seed adds as csum_add, csum_sub undoes csum_add', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), (bytes, seed, x) => {
    assert.ok(same16(csumFold(csumPartial(bytes, seed)), csumFold(csumAdd(csumPartial(bytes, 0), seed))));
    assert.ok(same16(csumFold(csumSub(csumAdd(seed, x), x)), csumFold(seed)));
  }));
});

test('csum_replace2/4 (RFC 1624) give the checksum of the changed buffer', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 0xffffffff }), (header, word, to) => {
    const h = header.slice();
    h[10] = h[11] = 0;
    const sum = rfc1071(h);
    const at = word === 2 ? 12 : word * 4; // any aligned 32-bit word but the checksum's
    const view = new DataView(h.buffer);
    const from4 = view.getUint32(at, true);
    const from2 = view.getUint16(at, true);
    const four = h.slice();
    new DataView(four.buffer).setUint32(at, to, true);
    assert.ok(same16(csumReplace4(sum, from4, to), rfc1071(four)), 'replace4');
    const two = h.slice();
    new DataView(two.buffer).setUint16(at, to & 0xffff, true);
    assert.ok(same16(csumReplace2(sum, from2, to & 0xffff), rfc1071(two)), 'replace2');
  }));
});

test.run();
