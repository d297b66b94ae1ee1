/**
 * kfuncs in the offline interpreter (both tiers), named by the eDSL's `CompiledProgram.kfuncs`
 * table: `$.iterNum` loops against the same loop in JS (fast-check over bounds, including empty,
 * reversed and too-large ranges), `bpf_iter_num_new`'s return values and the iterator's bytes
 * against the kernel's definition, `bpf_rcu_read_lock/unlock`, `bpf_task_from_pid` /
 * `_acquire` / `_release` over a fake task table, and the errors for an unnamed id, an
 * unsimulated kfunc (`bpf_cast_to_kern_ctx`) and an unbalanced release. The BTF is built here.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Call, Exit, Mov, R0, R1, encodeBtf, decodeBtf, type Btf, type Type } from 'ebpf-bytecode-utils';
import { BpfIterNum, bpfIterNumNew, compile, program, s32, simulate, u32, type CompiledProgram } from '../../src/dsl/index.js';
import { Interpreter, InterpreterError } from '../../verifier-sim/index.js';
import { numRuns } from '../support/num-runs.js';
import { taskLookupScore } from '../support/kfunc-fixtures.js';

const TGID_OFFSET = 12;

function makeBtf(): Btf {
  const int = { kind: 'int', name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 } as Type;
  const ull = { kind: 'int', name: 'unsigned long long', size: 8, encoding: 0, bitOffset: 0, bits: 64 } as Type;
  const voidT = { kind: 'void' } as Type;
  const iter = { kind: 'struct', name: 'bpf_iter_num', size: 8, members: [{ name: '__opaque', type: ull, bitOffset: 0, bitfieldSize: 0 }] } as unknown as Type;
  const task = { kind: 'struct', name: 'task_struct', size: 16, members: [{ name: 'flags', type: ull, bitOffset: 0, bitfieldSize: 0 }, { name: 'pid', type: int, bitOffset: 64, bitfieldSize: 0 }, { name: 'tgid', type: int, bitOffset: TGID_OFFSET * 8, bitfieldSize: 0 }] } as unknown as Type;
  const ptr = (target: Type) => ({ kind: 'ptr', target }) as Type;
  const fn = (name: string, returns: Type, params: [string, Type][]) => ({ kind: 'func', name, linkage: 0, proto: { kind: 'func_proto', returns, params: params.map(([n, t]) => ({ name: n, type: t })) } }) as Type;
  const kfuncs = [
    fn('bpf_iter_num_new', int, [['it', ptr(iter)], ['start', int], ['end', int]]),
    fn('bpf_iter_num_next', ptr(int), [['it', ptr(iter)]]),
    fn('bpf_iter_num_destroy', voidT, [['it', ptr(iter)]]),
    fn('bpf_rcu_read_lock', voidT, []),
    fn('bpf_rcu_read_unlock', voidT, []),
    fn('bpf_task_from_pid', ptr(task), [['pid', int]]),
    fn('bpf_task_acquire', ptr(task), [['p', ptr(task)]]),
    fn('bpf_task_release', voidT, [['p', ptr(task)]]),
    fn('bpf_cast_to_kern_ctx', ptr(voidT), [['obj', ptr(voidT)]]),
  ];
  const tags = kfuncs.map((target) => ({ kind: 'decl_tag', value: 'bpf_kfunc', target, componentIndex: -1, attribute: false }) as Type);
  return decodeBtf(encodeBtf([...kfuncs, task, ...tags]).bytes);
}

const btf = makeBtf();

/** `$.iterNum(from, to)` with both bounds read from the packet (two little-endian s32): sum * 65536 + count. */
function iterProgram(progType: 'sched_cls' | 'xdp'): CompiledProgram {
  return compile(program('iter', progType, ($, ctx) => {
    $.kfuncIn(btf);
    const out = $.let(u32, 0xdead);
    $.ifPacket(ctx, 0, 8, (p) => {
      const sum = $.let(u32, 0);
      const count = $.let(u32, 0);
      $.iterNum(p.u32(0).cast(s32), p.u32(4).cast(s32), (i) => {
        sum.set(sum.add(i.cast(u32)));
        count.set(count.add(1));
      });
      out.set(sum.shl(16).add(count));
    });
    return out;
  }));
}

/** The kernel's iteration of `bpf_iter_num` (kernel/bpf/bpf_iter.c) in JS: sum * 65536 + count, 32 bits. */
function iterInJs(from: number, to: number): number {
  if (from > to || to - from > 1 << 23) return 0;
  let sum = 0;
  let count = 0;
  for (let i = from; i < to; i++) {
    sum = (sum + i) | 0;
    count++;
  }
  return ((sum << 16) + count) >>> 0;
}

function packet(from: number, to: number): Uint8Array {
  const data = new Uint8Array(64);
  const dv = new DataView(data.buffer);
  dv.setInt32(0, from, true);
  dv.setInt32(4, to, true);
  return data;
}

test('the compiled program names its kfuncs by BTF id', () => {
  const c = iterProgram('xdp');
  const names = [...(c.kfuncs ?? new Map()).values()].sort();
  assert.equal(names, ['bpf_iter_num_destroy', 'bpf_iter_num_new', 'bpf_iter_num_next']);
  for (const [id, name] of c.kfuncs!) assert.is(btf.idOf(btf.find('func', name)!), id);
});

test('$.iterNum in the interpreter and the compiled tier equals the kernel iterator in JS (random bounds)', () => {
  for (const progType of ['sched_cls', 'xdp'] as const) {
    const c = iterProgram(progType);
    const interp = simulate(c);
    const compiled = simulate(c, { compile: true });
    const bound = fc.integer({ min: -3000, max: 3000 });
    // Edges: empty, reversed and too-large ranges (ranges of about 8M iterations are too slow here: the exact limit is checked on new's return value below).
    const edge = fc.constantFrom(-0x80000000, 0x7fffffff, 0);
    fc.assert(fc.property(fc.oneof(bound, edge), fc.oneof(bound, edge), (from, to) => {
      const want = BigInt(iterInJs(from, to));
      assert.is(interp.run({ data: packet(from, to) }).retval, want, `interpreter ${from}..${to}`);
      assert.is(compiled.run({ data: packet(from, to) }).retval, want, `compiled ${from}..${to}`);
    }), { numRuns: numRuns(60) });
  }
});

test('bpf_iter_num_new: 0, -EINVAL (start > end), -E2BIG (more than BPF_MAX_LOOPS); the iterator bytes hold cur = start - 1, end', () => {
  const Out = BpfIterNum;
  for (const [from, to, ret, cur, end] of [[3, 10, 0, 2, 10], [5, 5, 0, 4, 5], [9, 3, -22, 0, 0], [0, (1 << 23) + 1, -7, 0, 0], [-1, (1 << 23) - 1, 0, -2, (1 << 23) - 1], [-0x80000000, 0x7fffffff, -7, 0, 0]] as const) {
    const c = compile(program('itnew', 'socket_filter', ($) => {
      $.kfuncIn(btf);
      const it = $.struct(Out);
      const r = $.let(s32, $.kfunc(bpfIterNumNew, it, from, to));
      // Returns ret in the low 16 bits, and whether the opaque word equals (end << 32 | (u32)cur).
      const want = (BigInt.asUintN(32, BigInt(end)) << 32n) | BigInt.asUintN(32, BigInt(cur));
      return r.cast(u32).and(0xffff).or(it.field('__opaque').get().eq(want).cast(u32).shl(16));
    }));
    for (const tier of [false, true]) {
      const got = simulate(c, { compile: tier }).run({ data: new Uint8Array(20) }).retval;
      assert.is(got, BigInt(((ret & 0xffff) | 0x10000) >>> 0), `${from}..${to} (${tier ? 'compiled' : 'interpreted'})`);
    }
  }
});

/** The kernel test's task program: 0 when the lookup fails, else 1 + (tgid read back ? 10) + (acquire ? 100). */
function taskProgram(pid: number): CompiledProgram {
  return compile(program('task', 'sched_cls', ($) => {
    $.kfuncIn(btf);
    $.kfunc('bpf_rcu_read_lock');
    const out = taskLookupScore($, pid, btf);
    $.kfunc('bpf_rcu_read_unlock');
    return out;
  }));
}

test('bpf_task_from_pid / acquire / release over the fake task table; rcu lock/unlock are no-ops', () => {
  const bytes = new Uint8Array(16);
  new DataView(bytes.buffer).setInt32(TGID_OFFSET, 777, true);
  const tasks = [{ pid: 777, bytes }];
  for (const tier of [false, true]) {
    assert.is(simulate(taskProgram(777), { env: { tasks }, compile: tier }).run({ data: new Uint8Array(20) }).retval, 111n);
    assert.is(simulate(taskProgram(778), { env: { tasks }, compile: tier }).run({ data: new Uint8Array(20) }).retval, 0n);
    assert.is(simulate(taskProgram(777), { compile: tier }).run({ data: new Uint8Array(20) }).retval, 0n, 'no tasks: NULL');
  }
});

test('errors: an id without a name, an unsimulated kfunc, a release without a reference', () => {
  const insns = [Mov.imm(R1, 1), Call.kfunc(4242), Mov.imm(R0, 0), Exit()];
  for (const compileTier of [false, true]) {
    const noName = new Interpreter(insns, { progType: 'socket_filter', compile: compileTier });
    assert.throws(() => noName.run({ data: new Uint8Array(20) }), (e: unknown) => e instanceof InterpreterError && e.insn === 1 && /kfunc call of BTF id 4242: no name for it/.test(e.message));
    const cast = new Interpreter(insns, { progType: 'socket_filter', compile: compileTier, kfuncs: new Map([[4242, 'bpf_cast_to_kern_ctx']]) });
    assert.throws(() => cast.run({ data: new Uint8Array(20) }), (e: unknown) => e instanceof InterpreterError && /kfunc bpf_cast_to_kern_ctx \(BTF id 4242\) is not simulated/.test(e.message));
    const release = new Interpreter(insns, { progType: 'socket_filter', compile: compileTier, kfuncs: { 4242: 'bpf_task_release' } });
    assert.throws(() => release.run({ data: new Uint8Array(20) }), (e: unknown) => e instanceof InterpreterError && /bpf_task_release: R1 is not a task pointer/.test(e.message));
  }
});

test.run();
