/**
 * Golden disassembly of eDSL programs, one per feature: the exact instructions the compiler
 * emits (kernel verifier-log syntax, maps by name). A change in code generation shows here as
 * a diff to review; the kernel accepting these programs is checked in test/kernel/dsl.test.ts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile, dump, program, s16, s32, u8, u32, u64 } from '../../src/dsl/index.js';

const golden: [string, () => ReturnType<typeof program>, string][] = [
  ['xdp: count per protocol (bounds check, lookup, null check, atomic add, update)', () => program('count_proto', 'xdp', ($, ctx) => {
    const counts = $.hash('counts', u32, u64, { maxEntries: 256 });
    $.ifPacket(ctx, 14, 20, (ip) => {
      const proto = ip.u8(9).cast(u32);
      $.ifSome(counts.lookup(proto), (v) => v.atomicAdd(1n), () => { counts.update(proto, 1n); });
    });
    return 2;
  }), `
0: (bf) r6 = r1
1: (61) r1 = *(u32 *)(r6 +4)
2: (61) r6 = *(u32 *)(r6 +0)
3: (bf) r2 = r6
4: (07) r2 += 34
5: (2d) if r2 > r1 goto pc+22
6: (71) r6 = *(u8 *)(r6 +23)
7: (63) *(u32 *)(r10 -8) = r6
8: (18) r1 = map[counts]
10: (bf) r2 = r10
11: (07) r2 += -8
12: (85) call bpf_map_lookup_elem#1
13: (bf) r7 = r0
14: (15) if r7 == 0x0 goto pc+3
15: (b7) r1 = 1
16: (db) lock *(u64 *)(r7 +0) += r1
17: (05) goto pc+10
18: (63) *(u32 *)(r10 -8) = r6
19: (7a) *(u64 *)(r10 -16) = 1
20: (18) r1 = map[counts]
22: (bf) r2 = r10
23: (07) r2 += -8
24: (bf) r3 = r10
25: (07) r3 += -16
26: (b7) r4 = 0
27: (85) call bpf_map_update_elem#2
28: (b7) r0 = 2
29: (95) exit`],
  ['socket_filter: __sk_buff fields, signed 32-bit compare on w registers, short-circuit or, early return', () => program('sf', 'socket_filter', ($, ctx) => {
    const m = ctx.mark.cast(s32);
    $.if(m.lt(-5).or(ctx.len.gt(1500)), () => $.return(0));
    return ctx.len.sub(14);
  }), `
0: (bf) r6 = r1
1: (61) r0 = *(u32 *)(r6 +8)
2: (c6) if w0 s< 0xfffffffb goto pc+2
3: (61) r0 = *(u32 *)(r6 +0)
4: (b6) if w0 <= 0x5dc goto pc+2
5: (b7) r0 = 0
6: (95) exit
7: (61) r0 = *(u32 *)(r6 +0)
8: (14) w0 -= 14
9: (95) exit`],
  ['sched_cls: trace_printk with the format on the stack, u64 → u32 truncation', () => program('pk', 'sched_cls', ($) => {
    const pid = $.getCurrentPidTgid().shr(32n).cast(u32);
    $.printk('hi %u\n', pid);
    return 0;
  }), `
0: (85) call bpf_get_current_pid_tgid#14
1: (bf) r6 = r0
2: (62) *(u32 *)(r10 -8) = 622881128
3: (62) *(u32 *)(r10 -4) = 2677
4: (bf) r1 = r10
5: (07) r1 += -8
6: (b7) r2 = 7
7: (bf) r3 = r6
8: (77) r3 >>= 32
9: (bc) w3 = w3
10: (85) call bpf_trace_printk#6
11: (b7) r0 = 0
12: (95) exit`],
  ['xdp: per-CPU array read-modify-write through a checked pointer, no needless move', () => program('arr', 'xdp', ($) => {
    const hits = $.percpuArray('hits', u64, { maxEntries: 1 });
    $.ifSome(hits.lookup(0), (v) => v.set(v.get().add(1n)));
    return 2;
  }), `
0: (62) *(u32 *)(r10 -8) = 0
1: (18) r1 = map[hits]
3: (bf) r2 = r10
4: (07) r2 += -8
5: (85) call bpf_map_lookup_elem#1
6: (bf) r6 = r0
7: (15) if r6 == 0x0 goto pc+3
8: (79) r7 = *(u64 *)(r6 +0)
9: (07) r7 += 1
10: (7b) *(u64 *)(r6 +0) = r7
11: (b7) r0 = 2
12: (95) exit`],
  ['u8 arithmetic re-normalised, s16 sign-extended with shifts, 64-bit constants by ld_imm64', () => program('ar', 'xdp', ($, ctx) => {
    const q = ctx.rx_queue_index;
    const a = $.let(u64, q.cast(u64).mul(0x100000001n));
    const b = q.cast(s32).sub(1).cast(u64);
    const c = q.cast(u8).add(200).cast(u32).add(q.cast(s16).mul(3).cast(u32));
    return a.xor(b).cast(u32).cast(s32).add(c.cast(s32)).lt(0).cast(u32);
  }), `
0: (bf) r6 = r1
1: (61) r7 = *(u32 *)(r6 +16)
2: (18) r0 = 0x100000001
4: (2f) r7 *= r0
5: (61) r1 = *(u32 *)(r6 +16)
6: (14) w1 -= 1
7: (67) r1 <<= 32
8: (c7) r1 s>>= 32
9: (af) r7 ^= r1
10: (bc) w7 = w7
11: (61) r1 = *(u32 *)(r6 +16)
12: (54) w1 &= 255
13: (04) w1 += 200
14: (54) w1 &= 255
15: (61) r2 = *(u32 *)(r6 +16)
16: (64) w2 <<= 16
17: (c4) w2 s>>= 16
18: (24) w2 *= 3
19: (64) w2 <<= 16
20: (c4) w2 s>>= 16
21: (0c) w1 += w2
22: (0c) w7 += w1
23: (76) if w7 s>= 0x0 goto pc+2
24: (b4) w0 = 1
25: (05) goto pc+1
26: (b4) w0 = 0
27: (95) exit`],
];

for (const [name, build, text] of golden) {
  test(name, () => {
    const out = dump(compile(build()));
    assert.fixture(out, text.trim());
  });
}

test.run();
