// Maps whose key/value codecs carry BTF (struct types, scalars) are created with that BTF: the
// kernel records the type ids, and bpftool prints the elements field by field.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { ArrayMap, BpfMap, HashMap, u32 } from '../../src/maps/index.js';
import { char, struct, u32 as u32Type, u64 as u64Type } from '../../src/types/index.js';
import { KernelObjectError } from '../../src/errors.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('maps BTF (kernel)');

const event = struct('event', { pid: u32Type, comm: char(16), ts: u64Type });
const flowKey = struct('flow_key', { saddr: u32Type, daddr: u32Type });

function bpftoolMissing(): string | null {
  try {
    execFileSync('bpftool', ['version'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'bpftool is not installed';
  }
}

/** `bpftool -j map dump id N`, parsed. */
function bpftoolDump(id: number): { formatted?: { key: unknown; value: unknown } }[] {
  return JSON.parse(execFileSync('bpftool', ['-j', 'map', 'dump', 'id', String(id)], { encoding: 'utf8' })) as { formatted?: { key: unknown; value: unknown } }[];
}

kernelTest(test, 'a hash map of struct keys and values: bpftool prints the fields', () => {
  using m = HashMap.create({ key: flowKey, value: event, maxEntries: 8, name: 'tsbpf_t_btf' });
  m.set({ saddr: 0x0100007f, daddr: 0x0200007f }, { pid: 4242, comm: 'tsbpf', ts: 123456789n });
  const info = m.map.info();
  assert.ok(info.btfId > 0, 'the map has BTF');
  assert.ok(info.btfKeyTypeId > 0 && info.btfValueTypeId > 0);
  const dump = bpftoolDump(info.id);
  assert.is(dump.length, 1);
  assert.equal(dump[0]!.formatted, {
    key: { saddr: 0x0100007f, daddr: 0x0200007f },
    value: { pid: 4242, comm: 'tsbpf', ts: 123456789 },
  });
  // The plain text form names the fields too.
  const text = execFileSync('bpftool', ['map', 'dump', 'id', String(info.id)], { encoding: 'utf8' });
  for (const field of ['"saddr"', '"daddr"', '"pid"', '"comm": "tsbpf"', '"ts"']) assert.ok(text.includes(field), `${field} in:\n${text}`);
}, bpftoolMissing);

kernelTest(test, 'an array map of structs (u32 index key BTF) and a scalar hash map', () => {
  using a = ArrayMap.create({ value: event, maxEntries: 2 });
  a.set(1, { pid: 7, comm: 'x', ts: 9n });
  const dump = bpftoolDump(a.map.info().id);
  assert.equal(dump.map((e) => e.formatted), [
    { key: 0, value: { pid: 0, comm: '', ts: 0 } },
    { key: 1, value: { pid: 7, comm: 'x', ts: 9 } },
  ]);
  using h = HashMap.create({ key: u32, value: u32, maxEntries: 2 });
  h.set(3, 4);
  assert.equal(bpftoolDump(h.map.info().id).map((e) => e.formatted), [{ key: 3, value: 4 }]);
}, bpftoolMissing);

kernelTest(test, 'BTF whose size is not the map\'s is a clear error before any system call', () => {
  assert.throws(
    () => BpfMap.create({ type: 'hash', keySize: 4, valueSize: 16, maxEntries: 1, name: 'bad', btf: { key: u32Type.btf(), value: event.btf() } }),
    (e: unknown) => e instanceof KernelObjectError && e.message === 'create map "bad": value BTF struct event is 32 bytes but the value size is 16',
  );
});

test.run();
