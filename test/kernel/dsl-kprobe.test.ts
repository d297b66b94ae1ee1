/**
 * eDSL register contexts in the live kernel. Oracles: the kernel verifier accepting kprobe and
 * perf_event programs that use every `PT_REGS_*` reader (kprobes cannot fire here, but the
 * program type loads); `BPF_PROG_TEST_RUN` of raw_tracepoint programs against the interpreter;
 * a uprobe and a uretprobe on libc's `labs` in a child process this test starts (PT_REGS_PARM1
 * and PT_REGS_RC must be the argument and result); raw_tp `sys_enter` seeing this process's
 * `close(987654)` with the fd read through `ctx.arg(0)`'s pt_regs. Skips when not root.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { closeSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { attachRawTracepoint, attachUprobe } from '../../src/attach/index.js';
import { compile, hostArch, loadCompiled, program, ptRegsLayout, simulate, u32, u64, type ParmIndex } from '../../src/dsl/index.js';
import { MapElemAccess } from '../../syscalls/map-elem.js';
import { progTestRun } from '../../syscalls/prog-test-run.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('dsl kprobe/raw_tp/perf_event (kernel)');

/** Reads u64 slot `index` of array map `fd`. */
function readSlot(fd: number, index: number): bigint {
  const a = new MapElemAccess(fd, 4, 8);
  new DataView(a.key.buffer, a.key.byteOffset).setUint32(0, index, true);
  assert.is(a.lookup(), 0);
  return new DataView(a.value.buffer, a.value.byteOffset).getBigUint64(0, true);
}

kernelTest(test, 'kprobe programs using PT_REGS_PARM1..6/RC/IP/SP/FP, the _SYSCALL variants and READ_RET_IP load', () => {
  const prog = program('regs', 'kprobe', ($, ctx) => {
    const out = $.array('out', u64, { maxEntries: 16 });
    ([1, 2, 3, 4, 5, 6] as ParmIndex[]).forEach((n) => { out.update(n, ctx.parm(n)); out.update(n + 6, ctx.syscallParm(n)); });
    out.update(0, ctx.rc.add(ctx.ip).add(ctx.sp).add(ctx.fp));
    out.update(13, ctx.readRetIp());
    out.update(14, ctx.readKretRetIp());
    return 0;
  });
  const loaded = loadCompiled(compile(prog));
  assert.ok(loaded.progFd > 0);
  loaded.close();
});

kernelTest(test, 'perf_event programs reading regs, sample_period and addr load', () => {
  const prog = program('pe', 'perf_event', ($, ctx) => {
    const out = $.array('out', u64, { maxEntries: 4 });
    out.update(0, ctx.regs.ip);
    out.update(1, ctx.samplePeriod);
    out.update(2, ctx.addr);
    out.update(3, ctx.regs.parm(6));
    return 0;
  });
  loadCompiled(compile(prog)).close();
});

kernelTest(test, 'raw_tracepoint ctx.arg(i) under BPF_PROG_TEST_RUN matches the interpreter', () => {
  const args = new Uint8Array(6 * 8);
  const dv = new DataView(args.buffer);
  for (let i = 0; i < 6; i++) dv.setBigUint64(i * 8, 0x1111n * BigInt(i + 1) + (BigInt(i) << 40n), true);
  for (const i of [0, 3, 5] as const) {
    const compiled = compile(program(`rtp${i}`, 'raw_tracepoint', (_$, ctx) => ctx.arg(i).xor(ctx.arg(i).shr(40n))));
    const loaded = loadCompiled(compiled);
    try {
      const k = progTestRun({ progFd: loaded.progFd, ctxIn: args });
      const s = simulate(compiled).run({ ctx: args });
      assert.is(BigInt(k.retval), s.retval, `arg ${i}`);
      assert.is(s.retval, BigInt.asUintN(32, 0x1111n * BigInt(i + 1) ^ BigInt(i)));
    } finally {
      loaded.close();
    }
  }
});

kernelTest(test, 'raw_tp sys_enter: ctx.arg(1) is the syscall number, ctx.arg(0) the pt_regs holding its arguments', async () => {
  const layout = ptRegsLayout(hostArch());
  const closeNr = hostArch() === 'x86_64' ? 3 : 57;
  const compiled = compile(program('sysenter', 'raw_tracepoint', ($, ctx) => {
    const out = $.array('out', u64, { maxEntries: 1 });
    $.if($.getCurrentPidTgid().shr(32n).ne(BigInt(process.pid)), () => $.return(0));
    $.if(ctx.arg(1).ne(BigInt(closeNr)), () => $.return(0));
    const fd = $.readKernel(u64, ctx.arg(0).add(BigInt(layout.parm[0])));
    $.if(fd.eq(987654n), () => { $.ifSome(out.lookup(0), (v) => v.atomicAdd(1n)); });
    return 0;
  }));
  const loaded = loadCompiled(compiled);
  const link = attachRawTracepoint(loaded.progFd, 'sys_enter');
  try {
    for (let i = 0; i < 5; i++) assert.throws(() => closeSync(987654), /EBADF/);
    assert.is(readSlot(loaded.mapFds.out, 0), 5n);
  } finally {
    link.close();
    loaded.close();
  }
});

kernelTest(test, 'uprobe and uretprobe on libc labs in a child: PT_REGS_PARM1 is the argument, PT_REGS_RC the result', async () => {
  const libc = hostArch() === 'x86_64' ? '/lib/x86_64-linux-gnu/libc.so.6' : '/lib/aarch64-linux-gnu/libc.so.6';
  const child = spawn('python3', ['-c', 'import ctypes,sys\nl=ctypes.CDLL("libc.so.6")\nl.labs.restype=ctypes.c_long\nprint("ready",flush=True)\nsys.stdin.readline()\nprint(l.labs(ctypes.c_long(-4242424242)),flush=True)'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const ready = once(child.stdout!, 'data');
  const entry = compile(program('labs_in', 'kprobe', ($, ctx) => {
    const out = $.array('out', u64, { maxEntries: 2 });
    $.if($.getCurrentPidTgid().shr(32n).cast(u32).ne(child.pid!), () => $.return(0));
    out.update(0, ctx.parm(1));
    return 0;
  }));
  const exit = compile(program('labs_out', 'kprobe', ($, ctx) => {
    const out = $.array('out', u64, { maxEntries: 2 });
    $.if($.getCurrentPidTgid().shr(32n).cast(u32).ne(child.pid!), () => $.return(0));
    out.update(1, ctx.rc);
    return 0;
  }));
  const a = loadCompiled(entry);
  const b = loadCompiled(exit);
  const links = [attachUprobe(a.progFd, { path: libc, symbol: 'labs', pid: child.pid! }), attachUprobe(b.progFd, { path: libc, symbol: 'labs', retprobe: true, pid: child.pid! })];
  try {
    await ready;
    const done = once(child, 'exit');
    child.stdin!.write('go\n');
    await done;
    assert.is(readSlot(a.mapFds.out, 0), BigInt.asUintN(64, -4242424242n), 'PT_REGS_PARM1 at entry');
    assert.is(readSlot(b.mapFds.out, 1), 4242424242n, 'PT_REGS_RC at return');
  } finally {
    for (const l of links) l.close();
    a.close();
    b.close();
    child.kill();
  }
});

kernelTest(test, '$.currentTask() fields from the kernel BTF: tgid, real_parent->tgid, comm (raw_tp sys_enter on our close)', () => {
  const closeNr = hostArch() === 'x86_64' ? 3 : 57;
  const compiled = compile(program('task', 'raw_tracepoint', ($, ctx) => {
    const out = $.array('out', u64, { maxEntries: 3 });
    $.if($.getCurrentPidTgid().shr(32n).ne(BigInt(process.pid)), () => $.return(0));
    $.if(ctx.arg(1).ne(BigInt(closeNr)), () => $.return(0));
    const task = $.currentTask();
    out.update(0, task.field('tgid').value().cast(u64));
    out.update(1, task.field('real_parent').field('tgid').value().cast(u64));
    out.update(2, task.field('comm').index(0).value().cast(u64));
    return 0;
  }));
  assert.ok((compiled.coreRelos ?? []).some((r) => r.rootName === 'task_struct' && r.access !== '0'), 'CO-RE relocations recorded');
  const loaded = loadCompiled(compiled);
  const link = attachRawTracepoint(loaded.progFd, 'sys_enter');
  try {
    assert.throws(() => closeSync(987654), /EBADF/);
    assert.is(readSlot(loaded.mapFds.out, 0), BigInt(process.pid));
    assert.is(readSlot(loaded.mapFds.out, 1), BigInt(process.ppid));
    assert.is(readSlot(loaded.mapFds.out, 2), BigInt(readFileSync('/proc/self/comm', 'latin1').charCodeAt(0)), 'comm[0]');
  } finally {
    link.close();
    loaded.close();
  }
});

test.run();
