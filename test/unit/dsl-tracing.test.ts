/**
 * eDSL BTF-typed tracing programs offline (fentry, fexit, fmod_ret, tp_btf, lsm): argument
 * slots and types from a BTF prototype (a blob built here with asm's encoder, so the expected
 * types are known independently of the kernel), fexit's return value after the arguments, the
 * declared-type check, the attach target carried by the compiled program, and the interpreter
 * reading the right slot with the right width and sign.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeBtf, encodeBtf, type Type } from 'ebpf-bytecode-utils';
import { compile, s32, s64, simulate, tracingProgram, tracingSignature, u16, u64, u8 } from '../../src/dsl/index.js';

const int: Type = { kind: 'int', name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 };
const ushort: Type = { kind: 'int', name: 'unsigned short', size: 2, encoding: 0, bitOffset: 0, bits: 16 };
const long: Type = { kind: 'int', name: 'long', size: 8, encoding: 1, bitOffset: 0, bits: 64 };
const u8t: Type = { kind: 'int', name: 'unsigned char', size: 1, encoding: 0, bitOffset: 0, bits: 8 };
const pid_t: Type = { kind: 'typedef', name: 'pid_t', target: int };
const file: Type = { kind: 'struct', name: 'file', size: 16, members: [{ name: 'f_mode', type: int, bitOffset: 0, bitfieldSize: 0 }, { name: 'f_flags', type: long, bitOffset: 64, bitfieldSize: 0 }] };
const pair: Type = { kind: 'struct', name: 'pair', size: 16, members: [{ name: 'a', type: long, bitOffset: 0, bitfieldSize: 0 }, { name: 'b', type: long, bitOffset: 64, bitfieldSize: 0 }] };
const voidT: Type = { kind: 'void' };
const fn = (name: string, returns: Type, params: [string, Type][]): Type => ({ kind: 'func', name, linkage: 1, proto: { kind: 'func_proto', returns, params: params.map(([n, t]) => ({ name: n, type: t })) } });
const tpProto: Type = { kind: 'func_proto', returns: voidT, params: [{ name: '__data', type: { kind: 'ptr', target: voidT } }, { name: 'prev', type: pid_t }, { name: 'f', type: { kind: 'ptr', target: file } }] };
const btf = decodeBtf(encodeBtf([
  fn('do_thing', { kind: 'const', target: int }, [['fd', pid_t], ['f', { kind: 'ptr', target: file }], ['mode', ushort], ['n', long], ['b', u8t]]),
  fn('by_value', long, [['p', pair], ['x', int]]),
  fn('bpf_lsm_file_open', int, [['file', { kind: 'ptr', target: file }]]),
  fn('no_ret', voidT, [['x', int]]),
  { kind: 'typedef', name: 'btf_trace_sched_thing', target: { kind: 'ptr', target: tpProto } },
]).bytes);

/** A context of `n` u64 slots, slot i holding `values[i]`. */
function slots(values: bigint[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  values.forEach((v, i) => new DataView(out.buffer).setBigUint64(i * 8, BigInt.asUintN(64, v), true));
  return out;
}

test('signatures: argument types and slots from the prototype; fexit/fmod_ret/lsm see ret after them', () => {
  const s = tracingSignature('fentry', 'do_thing', btf);
  assert.equal(s.params.map((p) => [p.name, p.type?.name, p.slot]), [['fd', 's32', 0], ['f', 'u64', 1], ['mode', 'u16', 2], ['n', 's64', 3], ['b', 'u8', 4]]);
  assert.is(s.returns, undefined);
  assert.is(s.attachType, 'trace_fentry');
  assert.equal(s.btfTarget, { name: 'do_thing', kind: 'func' });
  const x = tracingSignature('fexit', 'do_thing', btf);
  assert.equal([x.returns?.type?.name, x.returns?.slot, x.attachType], ['s32', 5, 'trace_fexit']);
  assert.is(tracingSignature('fmod_ret', 'do_thing', btf).attachType, 'modify_return');
  assert.is(tracingSignature('fexit', 'no_ret', btf).returns, undefined);
  // A 16-byte struct by value takes two slots.
  assert.equal(tracingSignature('fentry', 'by_value', btf).params.map((p) => [p.name, p.type?.name, p.slot]), [['p', undefined, 0], ['x', 's32', 2]]);
  const l = tracingSignature('lsm', 'file_open', btf);
  assert.equal([l.progType, l.attachType, l.btfTarget.name, l.returns?.slot], ['lsm', 'lsm_mac', 'bpf_lsm_file_open', 1]);
  const t = tracingSignature('tp_btf', 'sched_thing', btf);
  assert.equal([t.params.map((p) => p.name), t.btfTarget, t.attachType], [['prev', 'f'], { name: 'btf_trace_sched_thing', kind: 'typedef' }, 'trace_raw_tp']);
});

test('unknown targets and mismatched declarations are DslErrors that say what the kernel has', () => {
  assert.throws(() => tracingSignature('fentry', 'nope', btf), /no function nope/);
  assert.throws(() => tracingSignature('lsm', 'nope', btf), /unknown LSM hook 'nope'/);
  assert.throws(() => tracingSignature('tp_btf', 'nope', btf), /btf_trace_nope/);
  assert.throws(() => tracingProgram('fentry', 'do_thing', () => 0, { btf, args: [s32, u64] }), /2 argument types declared.*has 5/);
  assert.throws(() => tracingProgram('fentry', 'do_thing', () => 0, { btf, args: [s64, u64, u16, s64, u8] }), /argument 0 'fd' is pid_t \(s32\).*declared s64/);
  assert.throws(() => tracingProgram('fentry', 'do_thing', () => 0, { btf, ret: s32 }), /sees no return value/);
  assert.throws(() => tracingProgram('fentry', 'do_thing', (_$, ctx) => ctx.ret, { btf }), /fentry programs see no return value/);
  assert.throws(() => tracingProgram('fentry', 'by_value', (_$, ctx) => ctx.arg(0), { btf }), /struct pair passed by value/);
  assert.throws(() => tracingProgram('fentry', 'do_thing', (_$, ctx) => ctx.arg(5), { btf }), /out of range 0\.\.4/);
});

test('fexit: each argument and ret read from its slot with its width and sign; attach target compiled in', () => {
  const ctx = slots([-5n, 0xffff888012345678n, 0x1234ffffn, -7n, 0x1ffn, -22n]);
  const run = (pick: number | 'ret') => {
    const p = tracingProgram('fexit', 'do_thing', (_$, c) => (pick === 'ret' ? c.ret.cast(s64) : c.arg(pick as 0).cast(s64)), { btf });
    const out = compile(p);
    assert.equal(out.attach, { attachType: 'trace_fexit', target: 'do_thing', btfName: 'do_thing', btfKind: 'func' });
    assert.is(out.progType, 'tracing');
    return BigInt.asIntN(64, simulate(out).run({ ctx }).r0);
  };
  assert.equal([run(0), run(1), run(2), run(3), run(4), run('ret')], [-5n, BigInt.asIntN(64, 0xffff888012345678n), 0xffffn, -7n, 0xffn, -22n]);
  const named = compile(tracingProgram('fentry', 'do_thing', (_$, c) => c.argNamed('n'), { btf }));
  assert.is(BigInt.asIntN(64, simulate(named).run({ ctx }).r0), -7n);
});

test('typed declarations give typed arguments; lsm programs get program type lsm', () => {
  const p = tracingProgram('lsm', 'file_open', (_$, ctx) => ctx.ret.eq(0).cast(s32), { btf, args: [u64], ret: s32 });
  const out = compile(p);
  assert.is(out.progType, 'lsm');
  assert.is(simulate(out).run({ ctx: slots([0x1000n, 0n]) }).r0, 1n);
});

test('argRef: a pointer argument as a BTF-typed kernel object (struct file *f → f->f_flags)', () => {
  const file = new Uint8Array(16);
  new DataView(file.buffer).setBigInt64(8, -3n, true);
  const address = 0xffff888012340000n;
  const out = compile(tracingProgram('fentry', 'do_thing', (_$, c) => c.argRef(1).field('f_flags').value(), { btf }));
  assert.equal((out.coreRelos ?? []).map((r) => [r.rootName, r.access]), [['file', '0:1']]);
  const r0 = simulate(out, { env: { memory: [{ address, bytes: file }] } }).run({ ctx: slots([0n, address, 0n, 0n, 0n]) }).r0;
  assert.is(BigInt.asIntN(64, r0), -3n);
  assert.throws(() => tracingProgram('fentry', 'do_thing', (_$, c) => c.argRef(0).value(), { btf }), /'fd' is a pid_t, not a pointer/);
});

test.run();
