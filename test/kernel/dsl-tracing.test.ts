/**
 * eDSL BTF-typed tracing programs against the running kernel's BTF. tp_btf works on this
 * kernel: a `tp_btf/sys_enter` program typed from `btf_trace_sys_enter` (`struct pt_regs *regs,
 * long id`) is loaded with `attach_btf_id` and attached, and must see this process's
 * `close(987654)` (the verifier is the oracle for the typed arguments, the event for their
 * meaning). fentry/fexit/lsm cannot load here (EPERM: ftrace hooks are blocked), so their
 * signatures are checked against the kernel source's prototypes and their load is tried in the
 * VM (test/vm/dsl-tracing.test.ts). Skips when not root.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync } from 'node:fs';
import { attachTpBtf } from '../../src/attach/index.js';
import { compile, hostArch, loadCompiled, ptRegsLayout, s32, s64, tracingProgram, tracingSignature, u64 } from '../../src/dsl/index.js';
import { MapElemAccess } from '../../syscalls/map-elem.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('dsl tracing (kernel BTF)');

kernelTest(test, 'signatures of kernel functions, LSM hooks and BTF tracepoints from /sys/kernel/btf/vmlinux', () => {
  // fs/namei.c: int do_unlinkat(int dfd, struct filename *name)
  const u = tracingSignature('fexit', 'do_unlinkat');
  assert.equal(u.params.map((p) => [p.name, p.type?.name]), [['dfd', 's32'], ['name', 'u64']]);
  assert.equal([u.returns?.type?.name, u.returns?.slot], ['s32', 2]);
  // include/linux/lsm_hook_defs.h: LSM_HOOK(int, 0, file_open, struct file *file)
  const l = tracingSignature('lsm', 'file_open');
  assert.equal(l.params.map((p) => [p.name, p.type?.name]), [['file', 'u64']]);
  // include/trace/events/syscalls.h: TP_PROTO(struct pt_regs *regs, long id); the
  // btf_trace_* prototypes carry no parameter names.
  const t = tracingSignature('tp_btf', 'sys_enter');
  assert.equal(t.params.map((p) => p.type?.name), ['u64', 's64']);
  // The declared form compiles and carries the target.
  const out = compile(tracingProgram('fexit', 'do_unlinkat', (_$, ctx) => ctx.ret.ne(0).cast(s32), { args: [s32, u64], ret: s32 }));
  assert.equal(out.attach, { attachType: 'trace_fexit', target: 'do_unlinkat', btfName: 'do_unlinkat', btfKind: 'func' });
});

kernelTest(test, 'tp_btf sys_enter: typed args accepted by the verifier; the program sees close(987654)', () => {
  const closeNr = hostArch() === 'x86_64' ? 3n : 57n;
  const di = ptRegsLayout(hostArch()).parm[0];
  const prog = tracingProgram('tp_btf', 'sys_enter', ($, ctx) => {
    const out = $.array('out', u64, { maxEntries: 1 });
    $.if($.getCurrentPidTgid().shr(32n).ne(BigInt(process.pid)), () => $.return(0));
    $.if(ctx.arg(1).ne(closeNr), () => $.return(0));
    const fd = $.readKernel(u64, ctx.arg(0).add(BigInt(di)));
    $.if(fd.eq(987654n), () => { $.ifSome(out.lookup(0), (v) => v.atomicAdd(1n)); });
    return 0;
  }, { args: [u64, s64], name: 'tpbtf_enter' });
  const loaded = loadCompiled(compile(prog));
  const link = attachTpBtf(loaded.progFd, 'sys_enter');
  try {
    for (let i = 0; i < 3; i++) assert.throws(() => closeSync(987654), /EBADF/);
    const a = new MapElemAccess(loaded.mapFds.out, 4, 8);
    assert.is(a.lookup(), 0);
    assert.is(new DataView(a.value.buffer, a.value.byteOffset).getBigUint64(0, true), 3n);
  } finally {
    link.close();
    loaded.close();
  }
});

test.run();
