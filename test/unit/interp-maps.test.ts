import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Add, Call, Exit, JEq, JNE, Label, LoadImm64, LoadMapPtr, LoadMem, Mov, R0, R1, R2, R3, R4, R6, R10, Size, StoreImm, StoreMem,
  helperByName, resolve, type Instruction, type ProgramItem,
} from 'ebpf-bytecode-utils';
import { Interpreter, createMap, interpreterFromSpec, type ArrayMap, type HashMap, type QueueStackMap, type SimMap } from '../../verifier-sim/index.js';
import { encode } from 'ebpf-bytecode-utils';

const id = (name: string): number => helperByName(name)!.id;
const prog = (items: ProgramItem[]): Instruction[] => resolve(items).instructions;
const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: bigint) => new Uint8Array(new BigUint64Array([n]).buffer);
const readU64 = (b: Uint8Array | undefined) => (b === undefined ? undefined : new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
const neg = (e: number) => BigInt.asUintN(64, BigInt(-e));

/** key (u32) at fp-4 = key; value (u64) at fp-16 = value; r0 = helper(map 0, fp-4, fp-16, flags) */
function update(key: number, value: number, flags: number): Instruction[] {
  return [
    StoreImm(R10, -4, key, Size.W), StoreImm(R10, -16, value, Size.DW),
    LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -4), Mov.reg(R3, R10), Add.imm(R3, -16), Mov.imm(R4, flags),
    Call.helper(id('bpf_map_update_elem')), Exit(),
  ];
}

/** r0 = *lookup(map 0, key) or -1 */
function lookup(key: number): Instruction[] {
  return prog([
    StoreImm(R10, -4, key, Size.W), LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -4), Call.helper(id('bpf_map_lookup_elem')),
    Mov.reg(R1, R0), Mov.imm(R0, -1), JEq.imm(R1, 0, 'out'), LoadMem(R0, R1, 0, Size.DW), Label('out'), Exit(),
  ]);
}

const run = (insns: Instruction[], maps: SimMap[], env?: { cpu?: number }) => new Interpreter(insns, { progType: 'raw_tracepoint', maps, env }).run().r0;

test('hash: update flags (ANY / NOEXIST / EXIST), full map E2BIG, delete, entries', () => {
  const m = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 2 }) as HashMap;
  assert.is(run(update(1, 10, 2), [m]), neg(2)); // EXIST on a missing key: ENOENT
  assert.is(run(update(1, 10, 0), [m]), 0n);
  assert.is(run(update(1, 11, 1), [m]), neg(17)); // NOEXIST on a present key: EEXIST
  assert.is(run(update(1, 12, 2), [m]), 0n);
  assert.is(run(update(2, 20, 0), [m]), 0n);
  assert.is(run(update(3, 30, 0), [m]), neg(7)); // full
  assert.is(run(update(3, 30, 4), [m]), neg(22)); // BPF_F_LOCK not simulated: EINVAL
  assert.is(run(lookup(1), [m]), 12n);
  assert.is(run(lookup(3), [m]), 0xffffffffffffffffn);
  assert.is(readU64(m.get(u32(2))), 20n);
  assert.is(m.entries().length, 2);
  m.set(u32(2), u64(21n));
  assert.is(run(lookup(2), [m]), 21n);
  assert.ok(m.delete(u32(2)));
  assert.not.ok(m.delete(u32(2)));
  assert.is(m.size, 1);
});

test('hash: a pointer from an earlier lookup keeps the old value after an update (as in the kernel)', () => {
  const m = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4 });
  m.set(u32(1), u64(5n));
  const insns = prog([
    StoreImm(R10, -4, 1, Size.W), LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -4), Call.helper(id('bpf_map_lookup_elem')),
    JEq.imm(R0, 0, 'out'), Mov.reg(R6, R0),
    StoreImm(R10, -16, 9, Size.DW), LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -4), Mov.reg(R3, R10), Add.imm(R3, -16), Mov.imm(R4, 0),
    Call.helper(id('bpf_map_update_elem')),
    LoadMem(R0, R6, 0, Size.DW), Label('out'), Exit(),
  ]);
  assert.is(run(insns, [m]), 5n);
  assert.is(readU64(m.get(u32(1))), 9n);
});

test('array: zeroed, in-place updates, NOEXIST is EEXIST, out-of-range index is E2BIG / NULL, delete is EINVAL', () => {
  const m = createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 3 }) as ArrayMap;
  assert.is(run(lookup(2), [m]), 0n);
  assert.is(run(lookup(3), [m]), 0xffffffffffffffffn);
  assert.is(run(update(1, 7, 0), [m]), 0n);
  assert.is(run(update(1, 7, 1), [m]), neg(17));
  assert.is(run(update(3, 7, 0), [m]), neg(7));
  assert.is(readU64(m.at(1)), 7n);
  const del = [StoreImm(R10, -4, 0, Size.W), LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -4), Call.helper(id('bpf_map_delete_elem')), Exit()];
  assert.is(run(del, [m]), neg(22));
});

test('percpu_array and percpu_hash: the program sees the current CPU\'s value', () => {
  for (const type of ['percpu_array', 'percpu_hash'] as const) {
    const m = createMap({ type, keySize: 4, valueSize: 8, maxEntries: 4, cpus: 4 }) as ArrayMap | HashMap;
    if (type === 'percpu_hash') (m as HashMap).setPerCpu(u32(1), [u64(0n), u64(0n), u64(0n), u64(0n)]);
    assert.is(run(update(1, 33, 0), [m], { cpu: 2 }), 0n);
    assert.is(run(lookup(1), [m], { cpu: 2 }), 33n);
    assert.is(run(lookup(1), [m], { cpu: 1 }), 0n);
    const per = type === 'percpu_array' ? (m as ArrayMap).getPerCpu(1) : (m as HashMap).getPerCpu(u32(1))!;
    assert.equal(per.map(readU64), [0n, 0n, 33n, 0n]);
  }
});

test('lru_hash evicts the least recently used element instead of failing', () => {
  const m = createMap({ type: 'lru_hash', keySize: 4, valueSize: 8, maxEntries: 2 });
  assert.is(run(update(1, 1, 0), [m]), 0n);
  assert.is(run(update(2, 2, 0), [m]), 0n);
  assert.is(run(lookup(1), [m]), 1n); // 1 is now the most recent
  assert.is(run(update(3, 3, 0), [m]), 0n);
  assert.is(m.get(u32(2)), undefined);
  assert.is(readU64(m.get(u32(1))), 1n);
});

test('lpm_trie: longest prefix wins', () => {
  const m = createMap({ type: 'lpm_trie', keySize: 8, valueSize: 8, maxEntries: 8, flags: 1 });
  const key = (len: number, a: number, b: number, c: number, d: number) => new Uint8Array([len, 0, 0, 0, a, b, c, d]);
  m.set(key(8, 10, 0, 0, 0), u64(8n));
  m.set(key(24, 10, 1, 2, 99), u64(24n));
  m.set(key(0, 0, 0, 0, 0), u64(0n));
  assert.is(readU64(m.get(key(32, 10, 1, 2, 3))), 24n);
  assert.is(readU64(m.get(key(32, 10, 9, 2, 3))), 8n);
  assert.is(readU64(m.get(key(32, 11, 1, 2, 3))), 0n);
  assert.is(readU64(m.get(key(16, 10, 1, 2, 3))), 8n);
  assert.is(m.entries().length, 3);
});

test('queue and stack: push, pop, peek, full, BPF_EXIST overwrites the oldest', () => {
  for (const type of ['queue', 'stack'] as const) {
    const m = createMap({ type, keySize: 0, valueSize: 8, maxEntries: 2 }) as QueueStackMap;
    const push = (v: number, flags: number) => run([StoreImm(R10, -8, v, Size.DW), LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -8), Mov.imm(R3, flags), Call.helper(id('bpf_map_push_elem')), Exit()], [m]);
    const pop = (name: string) =>
      run(prog([LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -8), Call.helper(id(name)), JNE.imm(R0, 0, 'out'), LoadMem(R0, R10, -8, Size.DW), Label('out'), Exit()]), [m]);
    assert.is(push(1, 0), 0n);
    assert.is(push(2, 0), 0n);
    assert.is(push(3, 0), neg(7));
    assert.is(push(3, 2), 0n); // drops 1
    assert.is(pop('bpf_map_peek_elem'), type === 'queue' ? 2n : 3n);
    assert.is(pop('bpf_map_pop_elem'), type === 'queue' ? 2n : 3n);
    assert.is(pop('bpf_map_pop_elem'), type === 'queue' ? 3n : 2n);
    assert.is(pop('bpf_map_pop_elem'), neg(2));
    m.push(u64(5n));
    assert.equal(m.values().map(readU64), [5n]);
  }
});

test('createMap rejects unknown types and inconsistent sizes', () => {
  assert.throws(() => createMap({ type: 'cgroup_storage', keySize: 4, valueSize: 4, maxEntries: 1 }), /not simulated/);
  assert.throws(() => createMap({ type: 'array', keySize: 8, valueSize: 4, maxEntries: 1 }), /4-byte key/);
  assert.throws(() => createMap({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 1000 }), /power of 2/);
  assert.is(createMap({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1 }).type, 'array');
  void [LoadImm64, StoreMem];
});

test('interpreterFromSpec: raw insns, maps with init contents, prog_array slots', () => {
  const main = prog([LoadMapPtr(R2, 1), Mov.imm(R3, 0), Call.helper(id('bpf_tail_call')), Mov.imm(R0, 1), Exit()]);
  const slot = [...lookup(4).slice(0, -1), Exit()];
  const vm = interpreterFromSpec({
    progType: 'socket_filter',
    insns: encode(main),
    maps: [
      { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 8, init: [{ key: u32(4), value: u64(0x77n) }] },
      { type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 1, progs: [{ key: 0, insns: encode(slot) }] },
    ],
  });
  assert.is(vm.run({ data: new Uint8Array(20) }).retval, 0x77n);
  assert.throws(() => interpreterFromSpec({ progType: 1, insns: encode(main), maps: [{ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 1, innerMap: {} }] }), /map-in-map/);
});

test.run();
