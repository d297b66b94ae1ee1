/**
 * Struct types in eDSL programs: struct map values reached field by field (atomic adds at the
 * field's C offset), stack structs zeroed before their address escapes (padding included),
 * filled by helpers (`bpf_get_current_comm`) and sent through perf and ring buffers, decoded in
 * JS with the same declaration.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { char, struct } from '../../src/types/index.js';
import { compile, dump, lit, program, simulate, u8, u32, u64 } from '../../src/dsl/index.js';
import type { PerfEventArrayMap, RingbufMap } from '../../verifier-sim/index.js';

const Event = struct('event', { pid: u32, ts: u64, comm: char(16), proto: u8 });
const Stats = struct('stats', { packets: u64, bytes: u64 });

function frame(proto: number, len = 64): Uint8Array {
  const f = new Uint8Array(len);
  f.set([0x08, 0x00], 12);
  if (len >= 34) {
    f[14] = 0x45;
    f[23] = proto;
  }
  return f;
}

export function eventsProgram() {
  return program('events', 'xdp', ($, ctx) => {
    const events = $.perfEventArray('events', { maxEntries: 1024 });
    const rb = $.ringbuf('rb', { size: 4096 });
    const stats = $.hash('stats', u32, Stats, { maxEntries: 16 });
    $.ifPacket(ctx, 14, 20, (ip) => {
      const proto = ip.u8(9);
      const len = ip.u16be(2).cast(u64);
      $.ifSome(stats.lookup(proto.cast(u32)), (s) => {
        s.field('packets').atomicAdd(1n);
        s.field('bytes').atomicAdd(len);
      }, () => {
        stats.update(proto.cast(u32), $.struct(Stats, { packets: 1n, bytes: len }));
      });
      const ev = $.struct(Event, { pid: $.getCurrentPidTgid().shr(32n).cast(u32), ts: $.ktimeGetNs(), proto });
      $.getCurrentComm(ev.field('comm'));
      events.output(ev);
      rb.output(ev);
    });
    return 2;
  });
}

test('struct map values by field, stack structs sent to perf and ring buffers, decoded with the same type', () => {
  const out = compile(eventsProgram());
  assert.equal(out.maps.find((m) => m.name === 'stats'), { name: 'stats', type: 'hash', keySize: 4, valueSize: 16, maxEntries: 16, flags: 0 });
  const sim = simulate(out, { env: { pidTgid: (4242n << 32n) | 4243n, comm: 'tsbpf-test', ktimeNs: 555n } });
  const lens = [[6, 60], [6, 1500], [17, 100]] as const;
  for (const [proto, len] of lens) {
    const f = frame(proto);
    f[16] = len >> 8;
    f[17] = len & 0xff;
    sim.run({ data: f });
  }
  const tcp = Stats.decode(sim.maps.stats.get(Uint8Array.of(6, 0, 0, 0))!);
  assert.equal(tcp, { packets: 2n, bytes: 1560n });
  assert.equal(Stats.decode(sim.maps.stats.get(Uint8Array.of(17, 0, 0, 0))!), { packets: 1n, bytes: 100n });
  const perf = (sim.maps.events as PerfEventArrayMap).records();
  assert.is(perf.length, 3);
  assert.is(perf[0].data.length, Event.size);
  const ev = Event.decode(perf[2].data);
  assert.is(ev.pid, 4242);
  assert.is(ev.comm, 'tsbpf-test');
  assert.is(ev.proto, 17);
  assert.is(typeof ev.ts, 'bigint');
  // Padding (bytes 4..7 and 33..39) is zero: the object was zeroed before its fields were written.
  assert.equal([...perf[2].data.subarray(4, 8)], [0, 0, 0, 0]);
  assert.equal([...perf[2].data.subarray(33)], [0, 0, 0, 0, 0, 0, 0]);
  const ring = (sim.maps.rb as RingbufMap).records();
  assert.equal(ring.map((r) => Event.decode(r).proto), [6, 6, 17]);
});

test('a stack struct is zeroed where its initialiser does not write first (padding, helper-filled fields)', () => {
  const text = dump(compile(eventsProgram()));
  const zeroing = text.split('\n').filter((l) => /\*\(u64 \*\)\(r10 -\d+\) = 0$/.test(l));
  // Event: pid + padding (0..7), comm (16..31, filled by a helper later), proto + padding (32..39);
  // ts (8..15) and the whole of Stats are written by their initialisers before any read.
  assert.is(zeroing.length, 4, text);
  assert.match(text, /call bpf_get_current_comm#16/);
  assert.match(text, /lock \*\(u64 \*\)\(r\d \+8\) \+= r\d/); // stats.bytes at offset 8
});

export function reserveProgram() {
  return program('reserve', 'xdp', ($, ctx) => {
    const rb = $.ringbuf('rb', { size: 4096 });
    $.ifPacket(ctx, 14, 20, (ip) => {
      $.ifSome(rb.reserve(Event), (ev) => {
        ev.field('proto').set(ip.u8(9));
        ev.field('pid').set(7);
        ev.field('ts').set(0n);
        $.getCurrentComm(ev.field('comm'));
      });
    });
    return 2;
  });
}

test('ring buffer reserve: filled in place, submitted at the end of the checked block', () => {
  const out = compile(reserveProgram());
  const text = dump(out);
  assert.match(text, /call bpf_ringbuf_reserve#131/);
  assert.match(text, /call bpf_ringbuf_submit#132/);
  const sim = simulate(out, { env: { comm: 'ring' } });
  sim.run({ data: frame(17) });
  sim.run({ data: frame(6) });
  const recs = (sim.maps.rb as RingbufMap).records().map((r) => Event.decode(r));
  assert.equal(recs.map((r) => [r.pid, r.proto, r.comm]), [[7, 17, 'ring'], [7, 6, 'ring']]);
});

test('returning before a reservation is submitted does not build', () => {
  assert.throws(() => program('leak', 'xdp', ($) => {
    const rb = $.ringbuf('rb', { size: 4096 });
    $.ifSome(rb.reserve(u64), (v) => {
      v.set(1n);
      $.if(lit(u64, 1n).eq(v.get()), () => $.return(1));
    });
  }), /would leak the reservation/);
});

test.run();
