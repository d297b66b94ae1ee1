/**
 * A `.BTF` section as clang emits it (fixtures/btf/prog.btf, see fixtures/btf/README.md):
 * decoded against what bpftool prints for it, re-encoded to an equivalent graph, and dumped
 * as C identical to `bpftool btf dump file prog.btf format c`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { decodeBtf, dumpC, encodeBtf, findMember, FuncLinkage, skipQualifiers, VarLinkage, type Type } from '../../asm/src/btf/index.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../../fixtures/btf/${name}`, import.meta.url));
const blob = fixture('prog.btf');

test('clang .BTF: structs, bitfields, anonymous members, tags', () => {
  const btf = decodeBtf(blob);
  assert.is(btf.typeCount, 41);
  const ev = btf.get('struct', 'event');
  assert.is(ev.size, 48);
  assert.equal(ev.members.map((m) => [m.name, m.bitOffset, m.bitfieldSize]), [
    ['pid', 0, 0], ['flags', 32, 3], ['kind', 35, 5], ['comm', 40, 0], ['', 192, 0], ['type', 256, 0], ['path', 320, 0],
  ]);
  assert.is(findMember(ev, 'secs')!.bitOffset, 192);
  const path = findMember(ev, 'path')!.member.type;
  assert.ok(path.kind === 'ptr' && path.target.kind === 'type_tag' && path.target.value === 'user');
  const tags = btf.byName('event', 'decl_tag');
  assert.is(tags.length, 1);
  assert.ok(tags[0].target === ev && tags[0].componentIndex === -1);
  const nonnull = btf.get('decl_tag', 'nonnull');
  assert.ok(nonnull.target.kind === 'func' && nonnull.target.name === 'helper' && nonnull.componentIndex === 0);
});

test('clang .BTF: funcs, vars and data sections', () => {
  const btf = decodeBtf(blob);
  const prog = btf.get('func', 'prog');
  assert.is(prog.linkage, FuncLinkage.GLOBAL);
  assert.equal(prog.proto.params.map((p) => p.name), ['ctx']);
  assert.is(btf.get('func', 'helper').linkage, FuncLinkage.STATIC);
  const counter = btf.get('var', 'counter');
  assert.is(counter.linkage, VarLinkage.GLOBAL_ALLOCATED);
  assert.is(skipQualifiers(counter.type).kind, 'int');
  const sections = Object.fromEntries(btf.byName('.bss').concat(btf.byName('.maps'), btf.byName('.rodata')).map((t) => [
    (t as { name: string }).name, t.kind === 'datasec' ? t.vars.map((v) => [(v.type as { name: string }).name, v.offset, v.size]) : [],
  ]));
  assert.equal(sections, { '.bss': [['counter', 0, 8]], '.maps': [['events', 0, 32]], '.rodata': [['filter_pid', 0, 4]] });
});

test('clang .BTF re-encodes to an equivalent graph (the string order may differ)', () => {
  const btf = decodeBtf(blob);
  const again = decodeBtf(encodeBtf(btf.types()).bytes);
  assert.is(again.typeCount, btf.typeCount);
  const describe = (t: Type): string => JSON.stringify(t, (k, v) => (typeof v === 'bigint' ? String(v) : v));
  for (let id = 1; id < btf.typeCount; id++) {
    assert.is(again.kindOf(id), btf.kindOf(id));
    assert.is(again.nameOf(id), btf.nameOf(id));
    if (btf.kindOf(id) === 'int' || btf.kindOf(id) === 'enum') assert.is(describe(again.typeById(id)), describe(btf.typeById(id)));
  }
  assert.equal(encodeBtf(again.types()).bytes, encodeBtf(btf.types()).bytes);
});

test('C dump equals bpftool btf dump file prog.btf format c', () => {
  assert.fixture(dumpC(decodeBtf(blob), { vmlinuxHeader: true }), fixture('prog.bpftool.h').toString());
});

test.run();
