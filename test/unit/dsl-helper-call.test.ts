/**
 * `$.callHelper`: the generic helper call typed from the generated prototype table. Type tests
 * (`@ts-expect-error`) for arity, argument kinds, map kinds and key types; the code it emits
 * compared with the dedicated methods' (`$.getCurrentComm`, `$.skbLoadBytes`, map methods, …);
 * the run-time checks (typed `DslError`s); and a sweep over the whole helper table: every helper
 * has a callable signature (and is built and compiled with synthesized arguments in a program
 * type the eDSL supports and the table lists) or a refusal with its reason.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { helpers, helperSignature, isRefused, type Helper } from 'ebpf-bytecode-utils';
import { compile, dump, DslError, lit, program, s64, u32, u64, type Builder, type ProgType } from '../../src/dsl/index.js';
import { char, struct } from '../../src/types/index.js';
import type { Ref } from '../../src/dsl/ref.js';
import { PLAIN_PROG_TYPES, prototypeRow, synthesizeArgs } from '../support/helper-call-args.js';

const Comm = struct('comm_buf', { comm: char(16) });
const text = (p: Parameters<typeof compile>[0]) => dump(compile(p));

test('emits what the dedicated methods emit', () => {
  const pairs: [string, ProgType, (d: boolean) => ($: Builder<never>, ctx: never) => unknown][] = [
    ['get_current_comm', 'kprobe', (d) => ($: Builder<'kprobe'>) => { const b = $.struct(Comm); return d ? $.getCurrentComm(b.field('comm')) : $.callHelper('bpf_get_current_comm', b.field('comm')); }],
    ['skb_load_bytes', 'socket_filter', (d) => ($: Builder<'socket_filter'>, ctx: unknown) => { const b = $.struct(Comm); return d ? $.skbLoadBytes(14, b) : $.callHelper('bpf_skb_load_bytes', ctx as never, lit(u32, 14), b); }],
    ['probe_read_kernel', 'raw_tracepoint', (d) => ($: Builder<'raw_tracepoint'>) => { const b = $.struct(Comm); return d ? $.probeReadKernel(b, 0x1000n) : $.callHelper('bpf_probe_read_kernel', b, 0x1000n); }],
    ['map_update_elem + delete', 'xdp', (d) => ($: Builder<'xdp'>) => {
      const m = $.hash('m', u32, u64, { maxEntries: 4 });
      const r = d ? m.update(7, 9n, 0) : $.callHelper('bpf_map_update_elem', m, 7, 9n, 0);
      return r.add(d ? m.delete(7) : $.callHelper('bpf_map_delete_elem', m, 7));
    }],
    ['map_lookup_elem + ifSome', 'xdp', (d) => ($: Builder<'xdp'>) => {
      const m = $.array('a', u64, { maxEntries: 4 });
      $.ifSome(d ? m.lookup(1) : $.callHelper('bpf_map_lookup_elem', m, 1), (v) => v.atomicAdd(1n));
    }],
    ['ringbuf_output', 'raw_tracepoint', (d) => ($: Builder<'raw_tracepoint'>) => {
      const rb = $.ringbuf('rb', { size: 4096 });
      const b = $.struct(Comm);
      return d ? rb.output(b, 0) : $.callHelper('bpf_ringbuf_output', rb, b, 0);
    }],
  ];
  for (const [what, progType, body] of pairs) {
    const a = text(program('p', progType, body(true) as never));
    const b = text(program('p', progType, body(false) as never));
    assert.is(b, a, what);
  }
});

test('results: RET_INTEGER is s64, RET_VOID nothing, a map value a Maybe', () => {
  program('p', 'sched_cls', ($, ctx) => {
    const r = $.callHelper('bpf_get_numa_node_id');
    assert.is(r.type, s64);
    const m = $.progArray('progs', { maxEntries: 2 });
    assert.is($.callHelper('bpf_tail_call', ctx, m, 0), undefined);
    return r;
  });
});

test('run-time checks: typed errors for JS callers', () => {
  const throws = (progType: ProgType, fn: ($: Builder<never>, ctx: never) => void, re: RegExp, license?: string) => {
    try {
      program('p', progType, fn as never, license === undefined ? {} : { license });
    } catch (e) {
      assert.instance(e, DslError);
      assert.match((e as Error).message, re);
      return;
    }
    assert.unreachable(`expected ${re}`);
  };
  const any = ($: unknown) => $ as { callHelper(...a: unknown[]): unknown } & Builder<ProgType>;
  throws('xdp', ($) => any($).callHelper('get_numa_node_id'), /not a helper of the helper table \(helpers are named as the kernel names them: 'bpf_get_numa_node_id'\)/);
  throws('xdp', ($) => any($).callHelper('bpf_nope'), /'bpf_nope' is not a helper/);
  throws('xdp', ($) => any($).callHelper('bpf_ktime_get_ns', 1), /takes 0 arguments.*got 1/);
  throws('xdp', ($) => any($).callHelper('bpf_skb_store_bytes', 0, 0, 0, 0), /not offered to xdp programs.*over-approximation/);
  throws('sched_cls', ($) => any($).callHelper('bpf_skb_store_bytes', 0, 0, 0, 0), /argument 1 \(ctx\): needs the program's ctx, got number 0/);
  throws('sched_cls', ($, ctx) => any($).callHelper('bpf_skb_store_bytes', ctx, 0, 5, 0), /argument 3 \(mem\): needs a Ref/);
  throws('sched_cls', ($, ctx) => any($).callHelper('bpf_skb_store_bytes', ctx, 'x', any($).struct(Comm), 0), /argument 2 \(scalar\): needs an integer/);
  throws('xdp', ($) => any($).callHelper('bpf_ringbuf_output', any($).hash('h', u32, u64, { maxEntries: 1 }), any($).struct(Comm), 0), /the kernel does not let bpf_ringbuf_output take a hash map \('h'\)/);
  throws('xdp', ($) => any($).callHelper('bpf_map_delete_elem', any($).hash('h', u32, u64, { maxEntries: 1 }), any($).struct(Comm)), /argument 2 \(key\): struct comm_buf where __u32 is expected/);
  throws('xdp', ($) => any($).callHelper('bpf_sk_lookup_tcp'), /bpf_sk_lookup_tcp: returns RET_PTR_TO_SOCKET_OR_NULL/);
  throws('xdp', ($) => any($).callHelper('bpf_ringbuf_reserve'), /use ringbuf.reserve/);
  throws('kprobe', ($) => any($).callHelper('bpf_probe_read_kernel', any($).struct(Comm), 0), /GPL-only and the license is 'MIT'/, 'MIT');
  throws('xdp', ($) => any($).callHelper('bpf_strtol', any($).struct(Comm), 0, any($).struct(struct('r4', { v: u32 }))), /argument 3 \(fixedMem\): struct r4 is 4 bytes, the kernel's prototype fixes 8/);
  throws('xdp', ($) => any($).callHelper('bpf_map_lookup_elem', any($).arrayOfMaps('mm', { type: 'array', key: u32, value: u64, maxEntries: 1 }, { maxEntries: 1 }), 0), /yields an inner map, not a value: use outer.lookup\(key\) with \$.ifSomeMap/);
});

test('sweep: every helper of the table has a callable signature or a documented refusal', () => {
  const refused = new Map<string, number>();
  let callable = 0, built = 0;
  const notBuilt: string[] = [];
  for (const h of helpers) {
    if (h.id === 0) continue;
    const sig = helperSignature(h);
    const row = prototypeRow(h.name);
    assert.ok(row !== undefined, `${h.name} is in the generated table`);
    if (isRefused(sig)) {
      assert.is(row.refusal, sig.refusal, `${h.name}: generated table is up to date`);
      assert.ok(sig.refusal.startsWith(`${h.name}: `) && sig.refusal.length > h.name.length + 20, `${h.name}: a readable reason`);
      refused.set(sig.refusedKind, (refused.get(sig.refusedKind) ?? 0) + 1);
      continue;
    }
    callable++;
    assert.equal(row.params, sig.params, `${h.name}: generated table is up to date`);
    assert.is(sig.argSources.length, h.args.length, `${h.name}: every kernel argument has a source`);
    sig.argSources.forEach((src, k) => {
      if (typeof src !== 'number') assert.ok(/^ARG_CONST_SIZE/.test(h.args[k]) && /^ARG_PTR_TO_(MEM|UNINIT_MEM)/.test(h.args[k - 1]), `${h.name}: argument ${k + 1} is the size of argument ${k}`);
    });
    const progType = PLAIN_PROG_TYPES.find((t) => h.programTypes.includes(t));
    if (progType === undefined) { notBuilt.push(h.name); continue; }
    let ok = false;
    const p = program('p', progType, (($: Builder<ProgType>, ctx: unknown) => {
      const args = synthesizeArgs($, ctx, h);
      if (args === undefined) return;
      const r = ($ as unknown as { callHelper(n: string, ...a: unknown[]): unknown }).callHelper(h.name, ...args);
      ok = true;
      if (r !== undefined && 'call' in (r as object)) $.ifSome(r as never, () => {});
    }) as never, { license: 'GPL' });
    if (!ok) { notBuilt.push(h.name); continue; }
    const insns = compile(p).insns;
    assert.ok(insns.some((i) => i.code === 0x85 && i.imm === h.id), `${h.name}: emits call #${h.id}`);
    built++;
  }
  const total = helpers.length - 1;
  const refusedTotal = [...refused.values()].reduce((a, b) => a + b, 0);
  assert.is(callable + refusedTotal, total);
  console.log(`  helper sweep: ${total} helpers, ${callable} callable (${built} built and compiled, ${notBuilt.length} only in program types the eDSL does not build), ${refusedTotal} refused: ${[...refused].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  assert.ok(callable >= 140, `callable ${callable}`);
});

/** Never called: each `@ts-expect-error` line must be a type error (tsc fails on an unused directive). */
export function typeTests(): void {
  program('t', 'sched_cls', ($, ctx) => {
    const buf = $.struct(Comm);
    const m = $.hash('m', u32, u64, { maxEntries: 1 });
    const wide = $.struct(struct('w', { a: u64, b: u64 }));
    const r: ReturnType<typeof $.ktimeGetNs> extends unknown ? unknown : never = $.callHelper('bpf_skb_store_bytes', ctx, 0, buf, 0);
    void r;
    $.callHelper('bpf_map_delete_elem', m, 1);
    // @ts-expect-error wrong arity: the size after a pointer is implied
    $.callHelper('bpf_skb_store_bytes', ctx, 0, buf, 16, 0);
    // @ts-expect-error too few arguments
    $.callHelper('bpf_skb_store_bytes', ctx, 0, buf);
    // @ts-expect-error a scalar where a pointer to memory is expected
    $.callHelper('bpf_skb_store_bytes', ctx, 0, 5, 0);
    // @ts-expect-error a map where the context is expected
    $.callHelper('bpf_skb_store_bytes', m, 0, buf, 0);
    // @ts-expect-error a hash map where a ring buffer is expected
    $.callHelper('bpf_ringbuf_output', m, buf, 0);
    // @ts-expect-error a key of the wrong type (u64 struct for a u32 key)
    $.callHelper('bpf_map_delete_elem', m, wide);
    // @ts-expect-error a refused helper (socket result)
    $.callHelper('bpf_sk_lookup_tcp', ctx, buf, 0, 0);
    // @ts-expect-error not a helper name (names carry bpf_)
    $.callHelper('ktime_get_ns');
    $.ifSome($.callHelper('bpf_map_lookup_elem', m, 1), (v: Ref<typeof u64>) => v.atomicAdd(1n));
    const n: ReturnType<Builder<'xdp'>['ktimeGetNs']> | undefined = undefined;
    void n;
  });
}

test.run();
