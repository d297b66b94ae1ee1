// The kernel accepts BTF the encoder deduplicated (BPF_BTF_LOAD), and what it holds is exactly
// our types: bpftool lists one `struct node` where the model had two identical copies.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { encodeBtf, IntEncoding, type Member, type Pointer, type Struct } from 'ebpf-bytecode-utils';
import { btfLoad, closeFd, objGetInfoByFd } from '../../syscalls/index.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('btf dedup (kernel)');

function node(): Struct {
  const s = { kind: 'struct', name: 'node', size: 16, members: [] as Member[] } as Struct;
  (s.members as Member[]).push(
    { name: 'v', type: { kind: 'int', name: 'int', size: 4, encoding: IntEncoding.SIGNED, bitOffset: 0, bits: 32 }, bitOffset: 0, bitfieldSize: 0 },
    { name: 'next', type: { kind: 'ptr', target: s } as Pointer, bitOffset: 64, bitfieldSize: 0 },
  );
  return s;
}

function bpftoolMissing(): string | null {
  try {
    execFileSync('bpftool', ['version'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'bpftool is not installed';
  }
}

/** Loads `blob`, returns the `[id] KIND 'name'` lines bpftool prints for it. */
function loadAndList(blob: Uint8Array): string[] {
  const fd = btfLoad({ btf: blob }).fd;
  try {
    const info = new Uint8Array(32);
    objGetInfoByFd(fd, info);
    const id = new DataView(info.buffer).getUint32(12, true);
    const text = execFileSync('bpftool', ['btf', 'dump', 'id', String(id)], { encoding: 'utf8' });
    return text.split('\n').filter((l) => l.startsWith('[')).map((l) => l.replace(/ size=.*| type_id=.*/, ''));
  } finally {
    closeFd(fd);
  }
}

kernelTest(test, 'a model with two copies of a recursive struct loads as one', () => {
  const a = node();
  const b = node();
  const pair: Struct = { kind: 'struct', name: 'pair', size: 32, members: [{ name: 'a', type: a, bitOffset: 0, bitfieldSize: 0 }, { name: 'b', type: b, bitOffset: 128, bitfieldSize: 0 }] };
  assert.equal(loadAndList(encodeBtf([pair]).bytes), ["[1] STRUCT 'pair'", "[2] STRUCT 'node'", "[3] INT 'int'", "[4] PTR '(anon)'"]);
  // Without dedup the kernel holds both copies (it does not deduplicate program BTF itself).
  assert.is(loadAndList(encodeBtf([pair], { dedup: false }).bytes).filter((l) => l.includes("STRUCT 'node'")).length, 2);
}, bpftoolMissing);

test.run();
