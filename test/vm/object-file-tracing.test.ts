// fentry / fexit programs written as one BPF ELF object (writeObject) and loaded by libbpf
// (`bpftool prog loadall`) inside the test VM (Debian 6.12 / 6.1, where BPF trampolines work):
// libbpf resolves the targets from the section names (`fentry/do_unlinkat`, `fexit/do_unlinkat`),
// applies the CO-RE relocation of the `struct filename` read, and the programs, attached with
// BPF_RAW_TRACEPOINT_OPEN, see the test's own unlinkat(): AT_FDCWD, the path, -ENOENT.
//
// Runs only inside the VM (TSBPF_IN_VM=1); on the host every test skips with that reason.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { char, struct } from '../../src/types/index.js';
import { compile, s32, tracingProgram, u32, u64, writeObject } from '../../src/dsl/index.js';
import { ensureBpffs, isBpffs } from '../../src/maps/index.js';
import { closeFd } from '../../syscalls/close-fd.js';
import { objGet } from '../../syscalls/obj-pin.js';
import { rawTracepointOpen } from '../../syscalls/raw-tracepoint-open.js';

const test = suite('vm object file tracing');
const inVm = process.env.TSBPF_IN_VM === '1';
const bpftoolMissing = spawnSync('bpftool', ['version']).status !== 0;
function register(name: string, fn: () => void): void {
  if (inVm && !bpftoolMissing) test(name, fn);
  else test.skip(name, fn);
}
if (!inVm) console.log('skip: vm object file tracing: not inside the test VM (TSBPF_IN_VM is not 1; run `node test/vm/run.js --kernel 6.12 object-file`)');
else if (bpftoolMissing) console.log('skip: vm object file tracing: bpftool is not installed');

function bpftool(...args: string[]): string {
  const r = spawnSync('bpftool', args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.is(r.status, 0, `bpftool ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const Name = struct('name', { text: char(64) });
const missing = `/tmp/tsbpf-vm-obj-missing-${process.pid}`;

register('fentry/fexit do_unlinkat from one object: libbpf finds the targets by section name and relocates the struct filename read', () => {
  rmSync(missing, { force: true });
  const entry = compile(tracingProgram('fentry', 'do_unlinkat', ($, ctx) => {
    const dfds = $.array('dfds', u64, { maxEntries: 1 });
    const names = $.array('names', Name, { maxEntries: 1 });
    $.if($.getCurrentPidTgid().shr(32n).cast(u32).ne(process.pid), () => $.return(0));
    dfds.update(0, ctx.arg(0).cast(u32).cast(u64));
    $.ifSome(names.lookup(0), (n) => { $.probeReadKernelStr(n.field('text'), ctx.argRef(1).field('name').valueAs(u64)); });
    return 0;
  }, { args: [s32, u64], name: 'on_unlink' }));
  const exit = compile(tracingProgram('fexit', 'do_unlinkat', ($, ctx) => {
    const rets = $.array('rets', u64, { maxEntries: 1 });
    $.if($.getCurrentPidTgid().shr(32n).cast(u32).ne(process.pid), () => $.return(0));
    rets.update(0, ctx.ret.cast(u32).cast(u64));
    return 0;
  }, { args: [s32, u64], ret: s32, name: 'on_unlink_ret' }));
  assert.ok((entry.coreRelos ?? []).some((r) => r.rootName === 'filename'), 'a CO-RE access on struct filename');
  const work = mkdtempSync(path.join(tmpdir(), 'tsbpf-vm-obj-'));
  const fs = path.join(work, 'bpffs');
  mkdirSync(fs);
  try {
    ensureBpffs(fs);
    const object = path.join(work, 'p.o');
    writeFileSync(object, writeObject([entry, exit]));
    bpftool('prog', 'loadall', object, path.join(fs, 'progs'), 'pinmaps', path.join(fs, 'maps'));
    const links: number[] = [];
    try {
      for (const name of [entry.name, exit.name]) {
        const fd = objGet(path.join(fs, 'progs', name));
        try { links.push(rawTracepointOpen(fd)); } finally { closeFd(fd); }
      }
      assert.throws(() => unlinkSync(missing), /ENOENT/);
    } finally {
      for (const l of links) closeFd(l);
    }
    const value = (map: string) => (JSON.parse(bpftool('-j', 'map', 'dump', 'pinned', path.join(fs, 'maps', map))) as Array<{ formatted: { value: unknown } }>)[0].formatted.value;
    assert.is(BigInt.asIntN(32, BigInt(value('dfds') as number)), -100n, 'AT_FDCWD');
    assert.is(BigInt.asIntN(32, BigInt(value('rets') as number)), -2n, '-ENOENT');
    const text = (value('names') as { text: string | number[] }).text;
    assert.is(typeof text === 'string' ? text : Buffer.from(text.slice(0, text.indexOf(0))).toString(), missing);
  } finally {
    if (isBpffs(fs)) execFileSync('umount', [fs]);
    rmSync(work, { recursive: true, force: true });
  }
});

test.run();
