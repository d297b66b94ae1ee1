// eDSL programs that need a stock kernel (run inside the test VM, `node test/vm/run.js --kernel
// 6.12 'vm/dsl'`): fentry and fexit on do_unlinkat, fmod_ret on security_file_open, fexit on the openat() wrapper reading the
// inner registers (BCC's KRETFUNC_PROBE example), typed from the guest's BTF (dfd, the
// `struct filename *` read through to its name, fexit's return value), an LSM file_open program,
// and a kprobe on the close() syscall wrapper reading the real argument with
// PT_REGS_PARM1_SYSCALL. Oracle: what this process did (unlinkat(AT_FDCWD, path) of a missing
// file returns -ENOENT; close(987654)). Runs only inside the VM (TSBPF_IN_VM=1); elsewhere it
// skips with that reason.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, existsSync, openSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { attachKprobe, syscallFunctionName } from '../../src/attach/index.js';
import { char, struct } from '../../src/types/index.js';
import { compile, loadCompiled, program, s32, s64, tracingProgram, u32, u64, type CompiledProgram, type LoadedProgram } from '../../src/dsl/index.js';
import { closeFd } from '../../syscalls/close-fd.js';
import { MapElemAccess } from '../../syscalls/map-elem.js';
import { rawTracepointOpen } from '../../syscalls/raw-tracepoint-open.js';

const test = suite('vm dsl tracing');
const inVm = process.env.TSBPF_IN_VM === '1';
function register(name: string, fn: () => void): void {
  if (inVm) test(name, fn);
  else test.skip(name, fn);
}
if (!inVm) console.log('skip: vm dsl tracing: not inside the test VM (TSBPF_IN_VM is not 1; run `node test/vm/run.js --kernel 6.12 vm/dsl`)');

function slot(loaded: LoadedProgram, map: string, index: number, valueSize = 8): Uint8Array {
  const a = new MapElemAccess(loaded.mapFds[map], 4, valueSize);
  new DataView(a.key.buffer, a.key.byteOffset).setUint32(0, index, true);
  assert.is(a.lookup(), 0);
  return a.value.slice();
}
const u64At = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset).getBigUint64(0, true);

/** Loads `compiled`, attaches it with BPF_RAW_TRACEPOINT_OPEN (fentry/fexit/lsm take no name), runs `act`, detaches. */
function withTracing(compiled: CompiledProgram, act: (loaded: LoadedProgram) => void): void {
  const loaded = loadCompiled(compiled);
  const fd = rawTracepointOpen(loaded.progFd);
  try {
    act(loaded);
  } finally {
    closeFd(fd);
    loaded.close();
  }
}

const Name = struct('name', { text: char(64) });
const missing = `/tmp/tsbpf-vm-missing-${process.pid}`;

register('fentry do_unlinkat: dfd, and the filename through the struct filename pointer (argRef, CO-RE access)', () => {
  rmSync(missing, { force: true });
  const prog = tracingProgram('fentry', 'do_unlinkat', ($, ctx) => {
    const out = $.array('out', u64, { maxEntries: 1 });
    const names = $.array('names', Name, { maxEntries: 1 });
    $.if($.getCurrentPidTgid().shr(32n).cast(u32).ne(process.pid), () => $.return(0));
    // No sign extension (movsx needs Linux 6.6): the s32 is stored zero-extended.
    out.update(0, ctx.arg(0).cast(u32).cast(u64));
    $.ifSome(names.lookup(0), (n) => { $.probeReadKernelStr(n.field('text'), ctx.argRef(1).field('name').valueAs(u64)); });
    return 0;
  }, { args: [s32, u64] });
  const compiled = compile(prog);
  assert.ok((compiled.coreRelos ?? []).some((r) => r.rootName === 'filename'), 'a CO-RE access on struct filename');
  withTracing(compiled, (loaded) => {
    assert.throws(() => unlinkSync(missing), /ENOENT/);
    assert.is(BigInt.asIntN(32, u64At(slot(loaded, 'out', 0))), -100n, 'AT_FDCWD');
    const text = slot(loaded, 'names', 0, 64);
    assert.is(Buffer.from(text.subarray(0, text.indexOf(0))).toString(), missing);
  });
});

register('fexit do_unlinkat: ctx.ret is the return value (-ENOENT)', () => {
  const prog = tracingProgram('fexit', 'do_unlinkat', ($, ctx) => {
    const out = $.array('out', u64, { maxEntries: 1 });
    $.if($.getCurrentPidTgid().shr(32n).cast(u32).ne(process.pid), () => $.return(0));
    out.update(0, ctx.ret.cast(u32).cast(u64));
    return 0;
  }, { args: [s32, u64], ret: s32 });
  withTracing(compile(prog), (loaded) => {
    assert.throws(() => unlinkSync(missing), /ENOENT/);
    assert.is(BigInt.asIntN(32, u64At(slot(loaded, 'out', 0))), -2n);
  });
});

register('fmod_ret security_file_open: runs before the function, sees its argument, returns 0 (no change)', () => {
  const prog = tracingProgram('fmod_ret', 'security_file_open', ($, ctx) => {
    const out = $.array('out', u64, { maxEntries: 1 });
    $.if($.getCurrentPidTgid().shr(32n).cast(u32).eq(process.pid).and(ctx.arg(0).ne(0n)), () => { $.ifSome(out.lookup(0), (v) => v.atomicAdd(1n)); });
    return 0;
  }, { args: [u64], ret: s32 });
  withTracing(compile(prog), (loaded) => {
    for (let i = 0; i < 3; i++) readFileSync('/proc/self/stat');
    assert.ok(u64At(slot(loaded, 'out', 0)) >= 3n);
  });
});

register('lsm file_open counts this process\'s opens (when the bpf LSM is enabled)', () => {
  const lsms = existsSync('/sys/kernel/security/lsm') ? readFileSync('/sys/kernel/security/lsm', 'utf8') : '';
  if (!lsms.split(',').includes('bpf')) {
    console.log(`skip: lsm file_open: the guest kernel's LSM list has no bpf (${lsms || 'securityfs missing'})`);
    return;
  }
  const prog = tracingProgram('lsm', 'file_open', ($, ctx) => {
    const out = $.array('out', u64, { maxEntries: 1 });
    $.if($.getCurrentPidTgid().shr(32n).cast(u32).eq(process.pid), () => { $.ifSome(out.lookup(0), (v) => v.atomicAdd(1n)); });
    return ctx.ret;
  }, { args: [u64], ret: s32 });
  withTracing(compile(prog), (loaded) => {
    for (let i = 0; i < 3; i++) readFileSync('/proc/self/stat');
    assert.ok(u64At(slot(loaded, 'out', 0)) >= 3n);
  });
});

register('fexit on the openat() syscall wrapper: PT_REGS_PARM2 of the inner regs is the path, ret the fd', () => {
  const fn = syscallFunctionName('openat');
  const prog = tracingProgram('fexit', fn, ($, ctx) => {
    const names = $.array('names', Name, { maxEntries: 1 });
    const out = $.array('out', u64, { maxEntries: 1 });
    $.if($.getCurrentPidTgid().shr(32n).cast(u32).ne(process.pid), () => $.return(0));
    $.ifSome(names.lookup(0), (n) => { $.probeReadUserStr(n.field('text'), $.syscallArgOf(ctx.arg(0), 2)); });
    out.update(0, ctx.ret.cast(u64));
    return 0;
  }, { name: 'openat_exit', args: [u64], ret: s64 });
  withTracing(compile(prog), (loaded) => {
    const fd = openSync('/proc/self/stat', 'r');
    closeSync(fd);
    const text = slot(loaded, 'names', 0, 64);
    assert.is(Buffer.from(text.subarray(0, text.indexOf(0))).toString(), '/proc/self/stat');
    assert.is(u64At(slot(loaded, 'out', 0)), BigInt(fd));
  });
});

register('kprobe on the close() wrapper: PT_REGS_PARM1_SYSCALL is the fd', () => {
  const prog = program('close_fd', 'kprobe', ($, ctx) => {
    const out = $.array('out', u64, { maxEntries: 1 });
    $.if($.getCurrentPidTgid().shr(32n).cast(u32).ne(process.pid), () => $.return(0));
    $.if(ctx.syscallParm(1).eq(987654n), () => { $.ifSome(out.lookup(0), (v) => v.atomicAdd(1n)); });
    return 0;
  });
  const loaded = loadCompiled(compile(prog));
  const link = attachKprobe(loaded.progFd, { symbol: syscallFunctionName('close') });
  try {
    for (let i = 0; i < 2; i++) assert.throws(() => closeSync(987654), /EBADF/);
    assert.is(u64At(slot(loaded, 'out', 0)), 2n);
  } finally {
    link.close();
    loaded.close();
  }
});

test.run();
