// The BCC facade without a kernel: prefix parsing (BCC's auto-attach names), table declarations
// (map types, sizes, flags, validation), misuse errors, type-level misuse (@ts-expect-error,
// checked by the type check), and functions compiled offline and run in the interpreter.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  autoTarget, BccError, BPF_ARRAY, BPF_HASH, BPF_HISTOGRAM, BPF_LPM_TRIE, BPF_PERCPU_ARRAY, BPF_PERF_OUTPUT, BPF_PROG_ARRAY, BPF_QUEUE,
  BPF_RINGBUF_OUTPUT, BPF_STACK, BPF_STACK_TRACE, compileFunctions, tableMapSpec, type FunctionEntry, type ProgramTables,
} from '../../src/bcc/index.js';
import { dump, simulate, u32, u64, u8 } from '../../src/dsl/index.js';
import { struct } from '../../src/types/index.js';

test('autoTarget: BCC prefixes', () => {
  assert.equal(autoTarget('kprobe__do_sys_openat2'), { kind: 'kprobe', fn: 'do_sys_openat2' });
  assert.equal(autoTarget('kretprobe__vfs_read'), { kind: 'kretprobe', fn: 'vfs_read' });
  assert.equal(autoTarget('syscall__execve'), { kind: 'syscall', syscall: 'execve' });
  assert.equal(autoTarget('tracepoint__syscalls__sys_enter_openat'), { kind: 'tracepoint', category: 'syscalls', event: 'sys_enter_openat' });
  assert.equal(autoTarget('tracepoint__sched__sched_process_exec'), { kind: 'tracepoint', category: 'sched', event: 'sched_process_exec' });
  assert.equal(autoTarget('raw_tracepoint__sched_switch'), { kind: 'raw_tracepoint', event: 'sched_switch' });
  assert.equal(autoTarget('kfunc__vfs_unlink'), { kind: 'kfunc', fn: 'vfs_unlink' });
  assert.equal(autoTarget('kfunc__vmlinux__vfs_unlink'), { kind: 'kfunc', fn: 'vfs_unlink' });
  assert.equal(autoTarget('kretfunc____x64_sys_openat'), { kind: 'kretfunc', fn: '__x64_sys_openat' });
  assert.equal(autoTarget('lsm__file_open'), { kind: 'lsm', hook: 'file_open' });
  assert.is(autoTarget('do_entry'), undefined);
  assert.is(autoTarget('trace_kprobe__x'), undefined);
});

test('autoTarget: a prefix with nothing valid after it is a BccError', () => {
  for (const bad of ['kprobe__', 'tracepoint__syscalls', 'tracepoint____x', 'syscall__Open-At', 'lsm__']) {
    assert.throws(() => autoTarget(bad), (e: unknown) => e instanceof BccError && e.message.includes(`'${bad}'`), bad);
  }
});

test('table declarations: kernel map types, sizes and BCC defaults', () => {
  const Key = struct('k', { pid: u32, slot: u32 });
  const Lpm = struct('lpm', { prefixlen: u32, addr: u32 });
  const rows: [ReturnType<typeof tableMapSpec>, Partial<ReturnType<typeof tableMapSpec>>][] = [
    [tableMapSpec('h', BPF_HASH()), { type: 'hash', keySize: 8, valueSize: 8, maxEntries: 10240, flags: 0 }],
    [tableMapSpec('h', BPF_HASH(Key, u32, 7)), { type: 'hash', keySize: 8, valueSize: 4, maxEntries: 7 }],
    [tableMapSpec('a', BPF_ARRAY()), { type: 'array', keySize: 4, valueSize: 8, maxEntries: 10240 }],
    [tableMapSpec('d', BPF_HISTOGRAM()), { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 64 }],
    [tableMapSpec('d', BPF_HISTOGRAM(Key)), { type: 'hash', keySize: 8, valueSize: 8, maxEntries: 64 }],
    [tableMapSpec('p', BPF_PERCPU_ARRAY(u64, 1)), { type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 1 }],
    [tableMapSpec('l', BPF_LPM_TRIE(Lpm, u8, 16)), { type: 'lpm_trie', keySize: 8, valueSize: 1, maxEntries: 16, flags: 1 }],
    [tableMapSpec('j', BPF_PROG_ARRAY(4)), { type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4 }],
    [tableMapSpec('s', BPF_STACK_TRACE(128)), { type: 'stack_trace', keySize: 4, valueSize: 127 * 8, maxEntries: 128 }],
    [tableMapSpec('q', BPF_QUEUE(u32, 16)), { type: 'queue', keySize: 0, valueSize: 4, maxEntries: 16 }],
    [tableMapSpec('q', BPF_STACK(u64, 16)), { type: 'stack', keySize: 0, valueSize: 8, maxEntries: 16 }],
    [tableMapSpec('e', BPF_PERF_OUTPUT()), { type: 'perf_event_array', keySize: 4, valueSize: 4 }],
    [tableMapSpec('r', BPF_RINGBUF_OUTPUT(u64, 4)), { type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4 * 4096 }],
  ];
  for (const [got, want] of rows) for (const [k, v] of Object.entries(want)) assert.is(got[k as keyof typeof got], v, `${got.type}.${k}`);
});

test('table declarations: bad sizes are BccErrors that say why', () => {
  assert.throws(() => BPF_RINGBUF_OUTPUT(u64, 3), (e: unknown) => e instanceof BccError && /power of two/.test(e.message));
  assert.throws(() => BPF_HASH(u32, u64, 0), (e: unknown) => e instanceof BccError && /size 0/.test(e.message));
  assert.throws(() => BPF_LPM_TRIE(u32, u64), (e: unknown) => e instanceof BccError && /prefix length/.test(e.message));
});

const counterTables = { counts: BPF_ARRAY(u64, 256), seen: BPF_HASH(u32, u64), labels: BPF_HASH(u32, struct('lbl', { a: u32 })) };

test('compileFunctions: an XDP counter with atomic increments, run in the interpreter', () => {
  const fns = compileFunctions(counterTables, {
    count: {
      xdp: ($: never, ctx: never, t: ProgramTables<typeof counterTables>) => {
        const b = $ as unknown as import('../../src/dsl/index.js').Builder<'xdp'>;
        b.ifPacket(ctx, 0, 34, (p) => {
          t.counts.increment(p.u8(23).cast(u32));
          t.seen.increment(p.u8(23).cast(u32), 10n);
        });
        return 2;
      },
    },
  });
  const c = fns.get('count')!;
  assert.is(c.plan.kind, 'xdp');
  assert.is(c.plan.auto, undefined);
  assert.equal(c.compiled.maps.map((m) => m.name).sort(), ['counts', 'seen'], 'only the tables it uses');
  assert.match(dump(c.compiled), /lock \*\(u64 \*\)\(r\d+ \+0\) \+= r\d+/);
  const sim = simulate(c.compiled);
  const frame = (proto: number) => { const f = new Uint8Array(64); f[23] = proto; return f; };
  for (const p of [6, 17, 6]) assert.is(sim.run({ data: frame(p) }).retval, 2n);
  const u64At = (m: { get(k: Uint8Array): Uint8Array | undefined }, key: number) => {
    const k = new Uint8Array(4); new DataView(k.buffer).setUint32(0, key, true);
    const v = m.get(k);
    return v === undefined ? undefined : new DataView(v.buffer, v.byteOffset).getBigUint64(0, true);
  };
  const maps = sim.maps as unknown as Record<string, { get(k: Uint8Array): Uint8Array | undefined }>;
  assert.is(u64At(maps.counts, 6), 2n);
  assert.is(u64At(maps.counts, 17), 1n);
  assert.is(u64At(maps.seen, 6), 20n, 'hash: inserted at 0, then added to');
  assert.is(u64At(maps.seen, 1), undefined);
});

test('compileFunctions: misuse is a BccError naming the function or table', () => {
  const is = (re: RegExp) => (e: unknown) => e instanceof BccError && re.test(e.message);
  assert.throws(() => compileFunctions(counterTables, { do_entry: () => 0 }), is(/function 'do_entry' has no probe prefix/));
  assert.throws(() => compileFunctions(counterTables, { f: { bogus: () => 0 } }), is(/function 'f': unknown kind \(keys: bogus\)/));
  assert.throws(() => compileFunctions(counterTables, { f: { tracepoint: 'nocolon', fn: () => 0 } }), is(/'category:name'/));
  assert.throws(() => compileFunctions(counterTables, { f: { xdp: (_$: unknown, _c: unknown, t: Record<string, unknown>) => { void t.nope; } } }), is(/no table 'nope' is declared \(tables: counts, seen, labels\)/));
  assert.throws(() => compileFunctions(counterTables, { f: { xdp: (_$: unknown, _c: unknown, t: ProgramTables<typeof counterTables>) => { t.labels.increment(1); } } }), is(/increment: table values are struct lbl/));
});

// Type-level: the context follows the prefix; misuse does not compile.
type D = typeof counterTables;
const typeChecks: Record<string, FunctionEntry<string, D>> = {};
const tp: FunctionEntry<'tracepoint__syscalls__sys_enter_openat', D> = ($, ctx, t) => {
  void ctx.args.filename; // known field
  // @ts-expect-error: not a field of sys_enter_openat
  void ctx.args.nosuchfield;
  // @ts-expect-error: no such table
  void t.nosuchtable;
  t.counts.increment(1);
  void $;
};
const kp: FunctionEntry<'kprobe__do_sys_openat2', D> = (_$, ctx) => {
  void ctx.parm(2);
  void ctx.rc;
  // @ts-expect-error: kprobes have no tracepoint args
  void ctx.args;
};
const sc: FunctionEntry<'syscall__openat', D> = (_$, ctx) => {
  void ctx.parm(1);
  // @ts-expect-error: syscall arguments are 1..6
  void ctx.parm(7);
};
void typeChecks; void tp; void kp; void sc;

test.run();
