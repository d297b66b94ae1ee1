/**
 * Context access beyond reads: context writes allowed per program type, packet bytes copied
 * with bpf_skb_load_bytes into a stack struct (socket filters have no direct packet access),
 * scalar helpers called by name with the helper table's prototypes, GPL-only helpers refused
 * under a non-GPL license.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { struct } from '../../src/types/index.js';
import { DslError, compile, program, simulate, u8, u16, u32, u64 } from '../../src/dsl/index.js';

export const IpHdr = struct('iphdr', { ver_ihl: u8, tos: u8, tot_len: u16, id: u16, frag_off: u16, ttl: u8, protocol: u8, check: u16, saddr: u32, daddr: u32 });

export const loadBytesProgram = () =>
  program('sf_ip', 'socket_filter', ($) => {
    const ip = $.struct(IpHdr);
    $.if($.skbLoadBytes(0, ip).ne(0), () => $.return(0));
    return ip.field('protocol').get().cast(u32).add(ip.field('tot_len').get().byteSwap().cast(u32).shl(8));
  });

function frame(proto: number, totLen: number, len = 64): Uint8Array {
  const f = new Uint8Array(len);
  f.set([0x08, 0x00, 0x45, 0, totLen >> 8, totLen & 0xff], 12);
  f[23] = proto;
  return f;
}

test('socket_filter: bpf_skb_load_bytes into a stack struct, fields read by name', () => {
  const sim = simulate(compile(loadBytesProgram()));
  assert.is(sim.run({ data: frame(17, 0x123) }).retval, 17n + (0x123n << 8n));
  assert.is(sim.run({ data: frame(6, 20, 20) }).retval, 0n); // 6 bytes of network header: the load fails
});

test('sched_cls: writes to mark and cb, read back', () => {
  const prog = program('tc_mark', 'sched_cls', ($, ctx) => {
    $.writeCtx('mark', ctx.len.add(7));
    $.writeCtx('cb0', 3);
    return ctx.mark.add(ctx.cb0.mul(1000)).add($.helper('get_numa_node_id').cast(u32).and(0));
  });
  const sim = simulate(compile(prog));
  assert.is(sim.run({ data: frame(6, 20) }).retval, 3071n);
});

test('context writes the program type forbids, pointer helpers by name, GPL-only helpers without GPL', () => {
  // @ts-expect-error socket filters may only write cb
  assert.throws(() => program('a', 'socket_filter', ($) => { $.writeCtx('mark', 1); }), /cannot write 'mark'/);
  assert.throws(() => program('b', 'xdp', ($) => { $.helper('map_lookup_elem', 1, 2); }), /needs its own method/);
  assert.throws(() => program('c', 'xdp', ($) => { $.helper('ktime_get_ns', 1); }), /takes 0 arguments/);
  assert.throws(() => program('d', 'xdp', ($) => { $.printk('x'); }, { license: 'MIT' }), (e: unknown) => e instanceof DslError && /GPL-only/.test(e.message));
  assert.ok(compile(program('e', 'xdp', ($) => $.helper('jiffies64').cast(u32).and(0), { license: 'MIT' })).insns.length > 0);
  void u64;
});

test.run();
