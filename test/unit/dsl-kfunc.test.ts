/**
 * kfunc calls in the eDSL: the call instruction (`src_reg` 2, `off` 0, `imm` the BTF id of the
 * FUNC), the prototype read from BTF (a BTF built here, and the running kernel's against
 * bpftool's listing of ids), typed declarations, the open-coded `$.iterNum` loop, and the typed
 * errors of misuse.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CallKind, decodeBtf, encodeBtf, type Btf, type Instruction, type Type } from 'ebpf-bytecode-utils';
import {
  BpfIterNum, KfuncError, compile, dump, kfuncDecl, kfuncPrototype, program, s32, u32, u64, u8, type Expr, type U64,
} from '../../src/dsl/index.js';

/** A BTF with the iterator kfuncs, two scalar kfuncs, one by-value kfunc, and a kernel function that is not a kfunc. */
function makeBtf(): { btf: Btf; ids: Record<string, number> } {
  const int = { kind: 'int', name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 } as Type;
  const ull = { kind: 'int', name: 'unsigned long long', size: 8, encoding: 0, bitOffset: 0, bits: 64 } as Type;
  const voidT = { kind: 'void' } as Type;
  const iter = { kind: 'struct', name: 'bpf_iter_num', size: 8, members: [{ name: '__opaque', type: ull, bitOffset: 0, bitfieldSize: 0 }] } as unknown as Type;
  const iterPtr = { kind: 'ptr', target: iter } as Type;
  const intPtr = { kind: 'ptr', target: int } as Type;
  const fn = (name: string, returns: Type, params: [string, Type][]) => ({ kind: 'func', name, linkage: 0, proto: { kind: 'func_proto', returns, params: params.map(([n, t]) => ({ name: n, type: t })) } }) as Type;
  const kfuncs = [
    fn('bpf_iter_num_new', int, [['it', iterPtr], ['start', int], ['end', int]]),
    fn('bpf_iter_num_next', intPtr, [['it', iterPtr]]),
    fn('bpf_iter_num_destroy', voidT, [['it', iterPtr]]),
    fn('bpf_rcu_read_lock', voidT, []),
    fn('bpf_add_u64', ull, [['a', ull], ['b', int]]),
    fn('bpf_by_value', int, [['it', iter]]),
  ];
  const plain = fn('do_unlinkat', int, [['dfd', int]]);
  const tags = kfuncs.map((target) => ({ kind: 'decl_tag', value: 'bpf_kfunc', target, componentIndex: -1, attribute: false }) as Type);
  const encoded = encodeBtf([...kfuncs, plain, ...tags]);
  const ids: Record<string, number> = {};
  for (const f of [...kfuncs, plain]) ids[(f as { name: string }).name] = encoded.typeId(f);
  return { btf: decodeBtf(encoded.bytes), ids };
}

const { btf, ids } = makeBtf();

function kfuncCalls(insns: readonly Instruction[]): Instruction[] {
  return insns.filter((i) => i.code === 0x85 && i.src === CallKind.KFUNC);
}

test('a kfunc call is `call` with src_reg 2, off 0 and the BTF id of the FUNC as imm', () => {
  const p = program('rcu', 'socket_filter', ($) => {
    $.kfuncIn(btf).kfunc('bpf_rcu_read_lock');
    return 0;
  });
  const calls = kfuncCalls(compile(p).insns);
  assert.is(calls.length, 1);
  assert.equal({ src: calls[0].src, off: calls[0].off, imm: calls[0].imm }, { src: 2, off: 0, imm: ids.bpf_rcu_read_lock });
  assert.match(dump(compile(p)), new RegExp(`call kernel-function#${ids.bpf_rcu_read_lock}`));
});

test('scalar arguments go to R1–R5 converted to the parameter type; a scalar result is typed from BTF', () => {
  const p = program('add', 'socket_filter', ($) => {
    const r = $.kfuncIn(btf).kfunc('bpf_add_u64', 5n, $.let(u8, 200))!;
    assert.is(r.type, u64);
    return r.cast(u32);
  });
  const text = dump(compile(p));
  assert.match(text, /r1 = 5\n/);
  assert.match(text, /r2 = r6\n/, text); // u8 to int: already zero-extended, no conversion
  assert.match(text, new RegExp(`call kernel-function#${ids.bpf_add_u64}\\n`));
});

test('typed declarations: checked against BTF, results typed (pointer → u64 expression)', () => {
  const next = kfuncDecl('bpf_iter_num_next', ['ptr'], 'ptr');
  program('decl', 'xdp', ($) => {
    const it = $.struct(BpfIterNum);
    const p: Expr<U64> = $.kfuncIn(btf).kfunc(next, it);
    assert.is(p.type, u64);
    // @ts-expect-error a pointer parameter takes no number
    assert.throws(() => $.kfunc(next, 5), (e: unknown) => e instanceof KfuncError);
    // @ts-expect-error one argument declared
    assert.throws(() => $.kfunc(next, it, it), (e: unknown) => e instanceof KfuncError);
    return 0;
  });
  const wrong = [
    [kfuncDecl('bpf_iter_num_next', [s32], 'ptr'), /parameter 1 is a pointer/],
    [kfuncDecl('bpf_iter_num_next', ['ptr'], s32), /the result is a pointer/],
    [kfuncDecl('bpf_iter_num_new', ['ptr', s32], s32), /2 parameters declared/],
    [kfuncDecl('bpf_add_u64', [u32, s32], u64), /parameter 1 is 8 bytes, declared 4/],
  ] as const;
  for (const [decl, message] of wrong) {
    assert.throws(() => program('bad', 'xdp', ($) => {
      const it = $.struct(BpfIterNum);
      ($.kfuncIn(btf).kfunc as (d: unknown, ...a: unknown[]) => unknown)(decl, it, 1, 2);
      return 0;
    }), (e: unknown) => e instanceof KfuncError && e.kfunc === decl.name && message.test(e.message) && /does not match the kernel's/.test(e.message), decl.name);
  }
});

test('$.iterNum: new(&it, from, to), then next/NULL check/load/body/back jump, then destroy, all on one stack slot', () => {
  const p = program('iter', 'xdp', ($) => {
    const sum = $.let(u32, 0);
    $.kfuncIn(btf).iterNum(3, 9, (i) => sum.set(sum.add(i.cast(u32))));
    return sum;
  });
  const out = compile(p);
  const calls = kfuncCalls(out.insns).map((c) => c.imm);
  assert.equal(calls, [ids.bpf_iter_num_new, ids.bpf_iter_num_next, ids.bpf_iter_num_destroy]);
  const text = dump(out);
  // The iterator's slot: zeroed once, its address passed to all three calls.
  const slots = [...text.matchAll(/r1 \+= (-\d+)/g)].map((m) => m[1]);
  assert.is(slots.length, 3, text);
  assert.ok(slots.every((s) => s === slots[0]), text);
  assert.match(text, new RegExp(`\\*\\(u64 \\*\\)\\(r10 ${slots[0]}\\) = 0`));
  assert.match(text, /w2 = 3\n.*w3 = 9\n/);
  assert.match(text, new RegExp(`call kernel-function#${ids.bpf_iter_num_next}\\n\\d+: \\(15\\) if r0 == 0x0 goto pc\\+\\d+\\n\\d+: \\(61\\) r\\d = \\*\\(u32 \\*\\)\\(r0 \\+0\\)`));
  assert.match(text, /goto pc-\d+/);
});

test('misuse is a KfuncError naming the kfunc; an iterNum body may not return', () => {
  const cases: [string, (b: any) => unknown, RegExp][] = [
    ['bpf_no_such_kfunc', (b) => b.kfunc('bpf_no_such_kfunc'), /kfunc bpf_no_such_kfunc: not in the kernel's BTF/],
    ['do_unlinkat', (b) => b.kfunc('do_unlinkat', 1), /kernel function but not a kfunc/],
    ['bpf_iter_num_new', (b) => b.kfunc('bpf_iter_num_new', b.struct(BpfIterNum), 1), /takes 3 arguments \(int bpf_iter_num_new\(struct bpf_iter_num \*it, int start, int end\)\), got 2/],
    ['bpf_iter_num_next', (b) => b.kfunc('bpf_iter_num_next', 7), /argument 1 \(struct bpf_iter_num \*it\) is a pointer/],
    ['bpf_add_u64', (b) => b.kfunc('bpf_add_u64', b.struct(BpfIterNum), 1), /argument 1 \(unsigned long long a\) is a scalar, not a pointer/],
    ['bpf_by_value', (b) => b.kfunc('bpf_by_value', 1), /passed by value/],
  ];
  for (const [name, call, message] of cases) {
    assert.throws(() => program('bad', 'xdp', ($) => { call($.kfuncIn(btf)); return 0; }),
      (e: unknown) => e instanceof KfuncError && e.kfunc === name && message.test(e.message), name);
  }
  assert.throws(() => program('lic', 'xdp', ($) => { $.kfuncIn(btf).kfunc('bpf_rcu_read_lock'); return 0; }, { license: 'MIT' }),
    (e: unknown) => e instanceof KfuncError && /GPL-compatible license, the program's is 'MIT'/.test(e.message));
  assert.throws(() => program('ret', 'xdp', ($) => { $.kfuncIn(btf).iterNum(0, 3, () => $.return(1)); return 0; }),
    (e: unknown) => e instanceof Error && /iterNum: the body may not return/.test(e.message));
});

const vmlinux = '/sys/kernel/btf/vmlinux';
function bpftoolIds(names: readonly string[]): Map<string, number> | string {
  if (!existsSync(vmlinux)) return `no ${vmlinux}`;
  let text: string;
  try {
    text = execFileSync('bpftool', ['btf', 'dump', 'file', vmlinux], { encoding: 'utf8', maxBuffer: 256 << 20 });
  } catch (err) {
    return `bpftool unavailable (${(err as Error).message.split('\n')[0]})`;
  }
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^\[(\d+)\] FUNC '([^']+)'/gm)) if (names.includes(m[2])) out.set(m[2], Number(m[1]));
  return out;
}

test("the running kernel's kfunc ids equal bpftool's, and the call carries them", () => {
  const names = ['bpf_rcu_read_lock', 'bpf_rcu_read_unlock', 'bpf_iter_num_new', 'bpf_iter_num_next', 'bpf_iter_num_destroy', 'bpf_task_from_pid', 'bpf_task_acquire', 'bpf_task_release', 'bpf_cast_to_kern_ctx'];
  const oracle = bpftoolIds(names);
  if (typeof oracle === 'string') {
    console.log(`skip: kernel kfunc ids against bpftool: ${oracle}`);
    return;
  }
  for (const name of names) {
    const expected = oracle.get(name);
    if (expected === undefined) {
      assert.throws(() => kfuncPrototype(name), (e: unknown) => e instanceof KfuncError && e.kfunc === name, `${name} is missing: a KfuncError`);
      continue;
    }
    assert.is(kfuncPrototype(name).btfId, expected, name);
  }
  const p = program('rcu', 'socket_filter', ($) => {
    $.kfunc('bpf_rcu_read_lock');
    $.kfunc('bpf_rcu_read_unlock');
    return 0;
  });
  assert.equal(kfuncCalls(compile(p).insns).map((c) => c.imm), [oracle.get('bpf_rcu_read_lock'), oracle.get('bpf_rcu_read_unlock')]);
});

test.run();
