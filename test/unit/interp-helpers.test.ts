import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Add, Call, Exit, JEq, Label, LoadImm64, LoadMapPtr, LoadMem, Mov, R0, R1, R2, R3, R4, R5, R6, R7, R10, Size, StoreImm, StoreMem,
  helperByName, resolve, type Instruction, type ProgramItem,
} from 'ebpf-bytecode-utils';
import {
  Interpreter, InterpreterError, createMap, type PerfEventArrayMap, type RingbufMap, type StackTraceMap, type Environment,
} from '../../verifier-sim/index.js';

const id = (name: string): number => helperByName(name)!.id;
const prog = (items: ProgramItem[]): Instruction[] => resolve(items).instructions;
const neg = (e: number) => BigInt.asUintN(64, BigInt(-e));

function vm(insns: Instruction[], opts: { maps?: ReturnType<typeof createMap>[]; env?: Partial<Environment>; type?: string } = {}) {
  return new Interpreter(insns, { progType: opts.type ?? 'raw_tracepoint', maps: opts.maps, env: opts.env });
}

/** Writes `text` (NUL-terminated) to the stack ending at fp; returns the instructions and the offset. */
function stackString(text: string): { insns: Instruction[]; off: number } {
  const bytes = new TextEncoder().encode(`${text}\0`);
  const len = (bytes.length + 7) & ~7;
  const buf = new Uint8Array(len);
  buf.set(bytes);
  const insns: Instruction[] = [];
  for (let i = 0; i < len; i += 8) {
    insns.push(LoadImm64(R1, new DataView(buf.buffer).getBigUint64(i, true)), StoreMem(R10, -len + i, R1, Size.DW));
  }
  return { insns, off: -len };
}

test('environment helpers return the configured values; ktime advances by its step', () => {
  const env = { ktimeNs: 5000n, ktimeStepNs: 10n, pidTgid: (7n << 32n) | 8n, uidGid: (3n << 32n) | 4n, cpu: 1 };
  const call = (name: string) => vm([Call.helper(id(name)), Exit()], { env }).run().r0;
  assert.is(call('bpf_get_current_pid_tgid'), (7n << 32n) | 8n);
  assert.is(call('bpf_get_current_uid_gid'), (3n << 32n) | 4n);
  assert.is(call('bpf_get_smp_processor_id'), 1n);
  assert.is(call('bpf_ktime_get_ns'), 5000n);
  const twice = vm([Call.helper(id('bpf_ktime_get_ns')), Mov.reg(R6, R0), Call.helper(id('bpf_ktime_get_boot_ns')), Mov.reg(R1, R0), Mov.reg(R0, R6), Mov.reg(R0, R1), Exit()], { env }).run();
  assert.is(twice.r0, 5010n);
});

test('bpf_get_prandom_u32 is a deterministic sequence per seed', () => {
  const p = [Call.helper(id('bpf_get_prandom_u32')), Mov.reg(R6, R0), Call.helper(id('bpf_get_prandom_u32')), Mov.reg(R0, R6), Exit()];
  const a = vm(p, { env: { seed: 42 } }).run().r0;
  assert.is(vm(p, { env: { seed: 42 } }).run().r0, a);
  assert.is.not(vm(p, { env: { seed: 43 } }).run().r0, a);
  assert.ok(a < 1n << 32n);
});

test('bpf_get_current_comm writes the comm, NUL-padded', () => {
  const r = vm([Mov.reg(R1, R10), Add.imm(R1, -16), Mov.imm(R2, 16), Call.helper(id('bpf_get_current_comm')), LoadMem(R0, R10, -16, Size.DW), Exit()], { env: { comm: 'node' } }).run();
  assert.is(r.r0, 0x65646f6en);
});

test('bpf_trace_printk formats %d %u %x %s %lld and captures the line', () => {
  const fmt = stackString('n=%d x=%x ll=%lld');
  const r = vm([...fmt.insns, Mov.reg(R1, R10), Add.imm(R1, fmt.off), Mov.imm(R2, -fmt.off), Mov.imm(R3, -5), Mov.imm(R4, -16), LoadImm64(R5, 0xfffffffffffffff0n), Call.helper(id('bpf_trace_printk')), Exit()]).run();
  assert.equal(r.trace, ['n=-5 x=fffffff0 ll=-16']);
  assert.is(r.r0, BigInt('n=-5 x=fffffff0 ll=-16'.length));
  const u = stackString('%u %d %d %d');
  const tooMany = vm([...u.insns, Mov.reg(R1, R10), Add.imm(R1, u.off), Mov.imm(R2, -u.off), Call.helper(id('bpf_trace_printk')), Exit()]).run();
  assert.is(tooMany.r0, neg(22));
  const s = stackString('hello %s');
  const r2 = vm([...s.insns, Mov.reg(R1, R10), Add.imm(R1, s.off), Mov.imm(R2, 16), Mov.reg(R3, R10), Add.imm(R3, s.off), Call.helper(id('bpf_trace_printk')), Exit()]).run();
  assert.equal(r2.trace, ['hello hello %s']);
});

test('bpf_perf_event_output: records on the current CPU; other CPUs are EOPNOTSUPP, out of range E2BIG', () => {
  const events = createMap({ type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 4, cpus: 4 }) as PerfEventArrayMap;
  const out = (flags: bigint) => [
    Mov.reg(R6, R1), StoreImm(R10, -8, 0x01020304, Size.DW), Mov.reg(R1, R6), LoadMapPtr(R2, 0), LoadImm64(R3, flags), Mov.reg(R4, R10), Add.imm(R4, -8), Mov.imm(R5, 4),
    Call.helper(id('bpf_perf_event_output')), Exit(),
  ];
  assert.is(vm(out(0xffffffffn), { maps: [events], env: { cpu: 2 } }).run().r0, 0n);
  assert.is(vm(out(2n), { maps: [events], env: { cpu: 2 } }).run().r0, 0n);
  assert.is(vm(out(1n), { maps: [events], env: { cpu: 2 } }).run().r0, neg(95));
  assert.is(vm(out(4n), { maps: [events], env: { cpu: 2 } }).run().r0, neg(7));
  const recs = events.consume();
  assert.equal(recs.map((r) => [r.cpu, [...r.data]]), [[2, [4, 3, 2, 1]], [2, [4, 3, 2, 1]]]);
  assert.equal(events.records(), []);
  // skb programs can append packet bytes (flags >> 32)
  const frame = new Uint8Array(20).map((_, i) => i + 100);
  const skb = new Interpreter(out((3n << 32n) | 0xffffffffn), { progType: 'sched_cls', maps: [events] }).run({ data: frame });
  assert.is(skb.r0, 0n);
  assert.equal([...events.consume()[0].data], [4, 3, 2, 1, 100, 101, 102]);
});

test('ring buffer: output, reserve/submit/discard, query, full → EAGAIN / NULL', () => {
  const rb = createMap({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 }) as RingbufMap;
  const output = (size: number) => [StoreImm(R10, -8, 0x11223344, Size.DW), LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -8), Mov.imm(R3, size), Mov.imm(R4, 0), Call.helper(id('bpf_ringbuf_output')), Exit()];
  assert.is(vm(output(5), { maps: [rb] }).run().r0, 0n);
  const reserve = (submit: boolean) =>
    prog([
      LoadMapPtr(R1, 0), Mov.imm(R2, 16), Mov.imm(R3, 0), Call.helper(id('bpf_ringbuf_reserve')), JEq.imm(R0, 0, 'null'),
      StoreImm(R0, 0, 0x55, Size.DW), StoreImm(R0, 8, 0x66, Size.DW), Mov.reg(R1, R0), Mov.imm(R2, 0),
      Call.helper(id(submit ? 'bpf_ringbuf_submit' : 'bpf_ringbuf_discard')), Mov.imm(R0, 1), Exit(), Label('null'), Mov.imm(R0, 0), Exit(),
    ]);
  assert.is(vm(reserve(true), { maps: [rb] }).run().r0, 1n);
  assert.is(vm(reserve(false), { maps: [rb] }).run().r0, 1n);
  const query = (flag: number) => vm([LoadMapPtr(R1, 0), Mov.imm(R2, flag), Call.helper(id('bpf_ringbuf_query')), Exit()], { maps: [rb] }).run().r0;
  assert.is(query(0), BigInt(16 + 24 + 24));
  assert.is(query(1), 4096n);
  const got = rb.consume();
  assert.equal(got.map((b) => [...b]), [[0x44, 0x33, 0x22, 0x11, 0], [0x55, 0, 0, 0, 0, 0, 0, 0, 0x66, 0, 0, 0, 0, 0, 0, 0]]);
  assert.is(query(0), 0n);
  assert.is(query(2), 64n);
  // fill it: 4096 / (8 + 2040) = 2 records of 2040 bytes
  const big = prog([LoadMapPtr(R1, 0), Mov.imm(R2, 2040), Mov.imm(R3, 0), Call.helper(id('bpf_ringbuf_reserve')), JEq.imm(R0, 0, 'out'), Mov.reg(R1, R0), Mov.imm(R2, 0), Call.helper(id('bpf_ringbuf_submit')), Mov.imm(R0, 1), Label('out'), Exit()]);
  assert.is(vm(big, { maps: [rb] }).run().r0, 1n);
  assert.is(vm(big, { maps: [rb] }).run().r0, 1n);
  assert.is(vm(big, { maps: [rb] }).run().r0, 0n);
  assert.is(vm(output(5), { maps: [rb] }).run().r0, neg(11));
  assert.is(rb.consume().length, 2);
});

test('ring buffer: a submitted record is no longer accessible; submitting twice is an error', () => {
  const rb = createMap({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 });
  const p = (after: Instruction[]) => prog([LoadMapPtr(R1, 0), Mov.imm(R2, 8), Mov.imm(R3, 0), Call.helper(id('bpf_ringbuf_reserve')), JEq.imm(R0, 0, 'out'), Mov.reg(R6, R0), Mov.reg(R1, R0), Mov.imm(R2, 0), Call.helper(id('bpf_ringbuf_submit')), ...after, Label('out'), Exit()]);
  assert.throws(() => vm(p([StoreImm(R6, 0, 1, Size.W)]), { maps: [rb] }).run(), (e: unknown) => e instanceof InterpreterError && e.kind === 'memory');
  assert.throws(() => vm(p([Mov.reg(R1, R6), Mov.imm(R2, 0), Call.helper(id('bpf_ringbuf_submit'))]), { maps: [rb] }).run(), (e: unknown) => e instanceof InterpreterError && e.kind === 'helper_args');
});

test('bpf_probe_read_kernel(_str): simulated regions and environment memory; a fault zeroes and returns EFAULT', () => {
  const memory = [{ address: 0xffff888000001000n, bytes: new TextEncoder().encode('/etc/passwd\0junk') }];
  const read = (name: string, addr: bigint, size: number) =>
    vm([StoreImm(R10, -16, -1, Size.DW), StoreImm(R10, -8, -1, Size.DW), Mov.reg(R1, R10), Add.imm(R1, -16), Mov.imm(R2, size), LoadImm64(R3, addr), Call.helper(id(name)), Mov.reg(R6, R0), LoadMem(R7, R10, -16, Size.DW), Mov.reg(R0, R6), StoreMem(R10, -24, R7, Size.DW), Exit()], { env: { memory } });
  const str = read('bpf_probe_read_kernel_str', 0xffff888000001000n, 16).run();
  assert.is(str.r0, 12n);
  const fault = read('bpf_probe_read_kernel', 0x1234n, 8).run();
  assert.is(fault.r0, neg(14));
  const r = vm([StoreImm(R10, -8, 0x2a, Size.DW), Mov.reg(R3, R10), Add.imm(R3, -8), Mov.reg(R1, R10), Add.imm(R1, -16), Mov.imm(R2, 8), Call.helper(id('bpf_probe_read_kernel')), LoadMem(R0, R10, -16, Size.DW), Exit()]).run();
  assert.is(r.r0, 0x2an);
  const truncated = vm([Mov.reg(R1, R10), Add.imm(R1, -8), Mov.imm(R2, 5), LoadImm64(R3, 0xffff888000001000n), Call.helper(id('bpf_probe_read_user_str')), LoadMem(R1, R10, -8, Size.DW), Exit()], { env: { memory } }).run();
  assert.is(truncated.r0, 5n);
});

test('bpf_get_stackid stores the environment\'s stack and returns its id', () => {
  const st = createMap({ type: 'stack_trace', keySize: 4, valueSize: 8 * 8, maxEntries: 64 }) as StackTraceMap;
  const r = vm([LoadMapPtr(R2, 0), Mov.imm(R3, 1), Call.helper(id('bpf_get_stackid')), Exit()], { maps: [st], env: { kernelStack: [1n, 2n, 3n] } }).run();
  assert.equal(st.stack(Number(r.r0)), [2n, 3n]);
  const u = vm([LoadMapPtr(R2, 0), Mov.imm(R3, 1 << 8), Call.helper(id('bpf_get_stackid')), Exit()], { maps: [st], env: { userStack: [0x400000n] } }).run();
  assert.equal(st.stack(Number(u.r0)), [0x400000n]);
});

test('bpf_skb_load_bytes copies from data + offset; out of range zeroes and returns EFAULT', () => {
  const frame = new Uint8Array(30).map((_, i) => i);
  const load = (off: number) => new Interpreter([StoreImm(R10, -8, -1, Size.DW), Mov.imm(R2, off), Mov.reg(R3, R10), Add.imm(R3, -8), Mov.imm(R4, 4), Call.helper(id('bpf_skb_load_bytes')), Mov.reg(R6, R0), LoadMem(R0, R10, -8, Size.W), StoreMem(R10, -16, R6, Size.DW), Exit()], { progType: 'sched_cls' }).run({ data: frame }).r0;
  assert.is(load(12), 0x0f0e0d0cn);
  assert.is(load(27), 0n);
});

test('xdp_adjust_head / adjust_tail move data and data_end within the buffer', () => {
  const frame = new Uint8Array(40).map((_, i) => i);
  const adjust = (name: string, delta: number) => new Interpreter([Mov.imm(R2, delta), Call.helper(id(name)), Exit()], { progType: 'xdp' }).run({ data: frame });
  let r = adjust('bpf_xdp_adjust_head', 14);
  assert.is(r.r0, 0n);
  assert.equal([...r.dataOut.subarray(0, 2)], [14, 15]);
  r = adjust('bpf_xdp_adjust_head', -8);
  assert.is(r.dataOut.length, 48);
  assert.is(adjust('bpf_xdp_adjust_head', 30).r0, neg(22));
  assert.is(adjust('bpf_xdp_adjust_head', -300).r0, neg(22));
  r = adjust('bpf_xdp_adjust_tail', 10);
  assert.is(r.dataOut.length, 50);
  assert.is(adjust('bpf_xdp_adjust_tail', -30).r0, neg(22));
});

test('helpers check their map arguments', () => {
  assert.throws(() => vm([Mov.imm(R1, 0), Mov.reg(R2, R10), Call.helper(id('bpf_map_lookup_elem')), Exit()]).run(), (e: unknown) => e instanceof InterpreterError && e.kind === 'helper_args' && e.helper === 'bpf_map_lookup_elem');
  const m = createMap({ type: 'hash', keySize: 8, valueSize: 8, maxEntries: 1 });
  assert.throws(() => vm([LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -4), Call.helper(id('bpf_map_lookup_elem')), Exit()], { maps: [m] }).run(), (e: unknown) => e instanceof InterpreterError && e.kind === 'memory');
});

test('repeat runs keep map state and report the average duration', () => {
  const m = createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
  const insns = prog([StoreImm(R10, -4, 0, Size.W), LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -4), Call.helper(id('bpf_map_lookup_elem')), JEq.imm(R0, 0, 'out'), LoadMem(R1, R0, 0, Size.DW), Add.imm(R1, 1), StoreMem(R0, 0, R1, Size.DW), Mov.reg(R0, R1), Label('out'), Exit()]);
  const r = vm(insns, { maps: [m] }).run({ repeat: 100 });
  assert.is(r.r0, 100n);
  assert.ok(r.duration > 0);
  assert.is(r.instructions, 11);
});

test.run();
