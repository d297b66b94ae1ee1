// The BCC facade's kernel-probe paths, for real inside the test VM (Debian kernels with kprobes
// and fentry): `syscall__openat` on its best mechanism (a kprobe on __x64_sys_openat, reading
// PT_REGS_PARMn_SYSCALL) and forced onto fentry, both against the arguments this process passed;
// `kprobe__`/`kretprobe__` auto-attach on do_sys_openat2 with PT_REGS_RC equal to the fd; a
// KRETFUNC_PROBE on __x64_sys_openat reading PT_REGS_PARM1/PARM2 of the inner registers and the
// return value; `kfunc__`/`kretfunc__` and `lsm__` auto-attach (arguments, return value, an LSM
// denial). Closing each BPF object detaches everything (no kprobe left).
//
// Runs only inside the VM (TSBPF_IN_VM=1): `node test/vm/run.js --kernel 6.12 'vm/bcc'`.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BPF, BPF_ARRAY, BPF_PERF_OUTPUT, BPF_RINGBUF_OUTPUT, type SyscallMechanism } from '../../src/bcc/index.js';
import { kretfuncOpenat } from '../../examples/bcc-kretfunc-openat.js';
import { s32, s64, u32, u64 } from '../../src/dsl/index.js';
import { char, struct } from '../../src/types/index.js';

const test = suite('bcc probes (vm)');
const inVm = process.env.TSBPF_IN_VM === '1';
const register = (name: string, fn: () => void | Promise<void>) => (inVm ? test(name, fn) : test.skip(name, fn));
if (!inVm) console.log('skip: bcc probes (vm): not inside the test VM (TSBPF_IN_VM is not 1; run `node test/vm/run.js --kernel 6.12 vm/bcc`)');

const OpenArgs = struct('open_args', { pid: u32, dfd: s32, flags: u64, mode: u64, path: char(64) });

function scratch(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-bcc-vm-'));
  return { dir, path: join(dir, 'made-here') };
}

function syscallProbe(mechanism: SyscallMechanism | 'auto') {
  return new BPF({
    syscallMechanism: mechanism,
    tables: { events: BPF_PERF_OUTPUT(OpenArgs) },
    functions: {
      syscall__openat: ($, ctx, t) => {
        const ev = $.struct(OpenArgs, { pid: $.getCurrentPidTgid().shr(32n).cast(u32), dfd: ctx.parm(1).cast(s32), flags: ctx.parm(3), mode: ctx.parm(4) });
        $.probeReadUserStr(ev.field('path'), ctx.parm(2));
        t.events.perf_submit(ev);
      },
    },
  });
}

for (const mechanism of ['auto', 'fentry', 'tracepoint'] as const) {
  register(`syscall__openat (${mechanism}): the arguments this process passed`, () => {
    const { dir, path } = scratch();
    try {
      using b = syscallProbe(mechanism);
      assert.is(b.syscallMechanism, mechanism === 'auto' ? 'kprobe' : mechanism);
      const got: { pid: number; dfd: number; flags: bigint; mode: bigint; path: string }[] = [];
      const ev = b.get('events');
      ev.open_perf_buffer((_cpu, data) => { const e = ev.event(data); if (e.pid === process.pid) got.push(e); });
      closeSync(openSync(path, 'w', 0o640));
      const deadline = Date.now() + 20000;
      while (!got.some((e) => e.path === path) && Date.now() < deadline) b.perf_buffer_poll(200);
      const e = got.find((x) => x.path === path);
      assert.ok(e, `an openat of ${path}`);
      assert.is(e!.dfd, -100);
      assert.is(e!.flags & 0o3n, 1n);
      assert.is(e!.flags & 0o100n, 0o100n);
      assert.is(e!.mode, 0o640n);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

register('kprobe__ / kretprobe__ on do_sys_openat2: PT_REGS_RC is the fd', () => {
  const { dir, path } = scratch();
  try {
    const Ev = struct('rc_event', { pid: u32, entry: u32, rc: s64 });
    using b = new BPF({
      tables: { events: BPF_RINGBUF_OUTPUT(Ev, 8) },
      functions: {
        kprobe__do_sys_openat2: ($, _ctx, t) => { t.events.ringbuf_output($.struct(Ev, { pid: $.getCurrentPidTgid().shr(32n).cast(u32), entry: 1 })); },
        kretprobe__do_sys_openat2: ($, ctx, t) => { t.events.ringbuf_output($.struct(Ev, { pid: $.getCurrentPidTgid().shr(32n).cast(u32), rc: ctx.rc.cast(s64) })); },
      },
    });
    {
      assert.is(b.num_open_kprobes(), 2);
      assert.is(b.get_syscall_fnname('openat'), '__x64_sys_openat');
      const seen: { entry: number; rc: bigint }[] = [];
      const ev = b.get('events');
      ev.open_ring_buffer((_c, data) => { const e = ev.event(data); if (e.pid === process.pid) seen.push(e); });
      const fd = openSync(path, 'w');
      closeSync(fd);
      const deadline = Date.now() + 20000;
      while (!seen.some((e) => e.entry === 0 && e.rc === BigInt(fd)) && Date.now() < deadline) b.ring_buffer_poll(200);
      assert.ok(seen.some((e) => e.entry === 1), 'the entry probe fired');
      assert.ok(seen.some((e) => e.entry === 0 && e.rc === BigInt(fd)), `a return with rc ${fd}: ${JSON.stringify(seen.map((e) => String(e.rc)))}`);
      b.detach_kretprobe({ event: 'do_sys_openat2' });
      assert.is(b.num_open_kprobes(), 1);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

register('KRETFUNC_PROBE(__x64_sys_openat) (examples/bcc-kretfunc-openat.ts): PT_REGS_PARM1/PARM2 of the inner regs and the return value', () => {
  const { dir, path } = scratch();
  try {
    using b = kretfuncOpenat();
    assert.ok(b.links.includes('kretfunc __x64_sys_openat'), b.links.join(', '));
    const got: { pid: number; dfd: number; ret: bigint; path: string }[] = [];
    const ev = b.get('events');
    ev.open_perf_buffer((_cpu, data) => { const e = ev.event(data); if (e.pid === process.pid) got.push(e); });
    const fd = openSync(path, 'w');
    closeSync(fd);
    const deadline = Date.now() + 20000;
    while (!got.some((e) => e.path === path) && Date.now() < deadline) b.perf_buffer_poll(200);
    const e = got.find((x) => x.path === path);
    assert.ok(e, `an openat of ${path}`);
    assert.is(e!.dfd, -100);
    assert.is(e!.ret, BigInt(fd));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

register('kfunc__ / kretfunc__ on do_unlinkat: the dfd argument and the return value (-ENOENT), auto-attached by name', () => {
  const missing = `/tmp/tsbpf-bcc-vm-missing-${process.pid}`;
  rmSync(missing, { force: true });
  using b = new BPF({
    tables: { seen: BPF_ARRAY(u64, 2) },
    functions: {
      kfunc__do_unlinkat: ($, ctx, t) => {
        $.if($.getCurrentPidTgid().shr(32n).cast(u32).ne(process.pid), () => $.return(0));
        t.seen.update(0, ctx.arg(0).cast(u32).cast(u64));
      },
      kretfunc__do_unlinkat: ($, ctx, t) => {
        $.if($.getCurrentPidTgid().shr(32n).cast(u32).ne(process.pid), () => $.return(0));
        t.seen.update(1, ctx.ret.cast(u32).cast(u64));
      },
    },
  });
  assert.ok(b.links.includes('kfunc do_unlinkat') && b.links.includes('kretfunc do_unlinkat'), b.links.join(', '));
  assert.throws(() => unlinkSync(missing), /ENOENT/);
  const seen = b.get('seen');
  assert.is(BigInt.asIntN(32, seen.get(0) as bigint), -100n, 'AT_FDCWD');
  assert.is(BigInt.asIntN(32, seen.get(1) as bigint), -2n, '-ENOENT');
});

register('lsm__file_open: a non-zero return denies this process\'s opens while the switch is on', () => {
  const lsms = existsSync('/sys/kernel/security/lsm') ? readFileSync('/sys/kernel/security/lsm', 'utf8') : '';
  if (!lsms.split(',').includes('bpf')) {
    console.log(`skip: lsm__file_open: the guest kernel's LSM list has no bpf (${lsms || 'securityfs missing'})`);
    return;
  }
  const { dir, path } = scratch();
  try {
    closeSync(openSync(path, 'w'));
    using b = new BPF({
      tables: { deny: BPF_ARRAY(u64, 1) },
      functions: {
        lsm__file_open: ($, _ctx, t) => {
          $.if($.getCurrentPidTgid().shr(32n).cast(u32).ne(process.pid), () => $.return(0));
          $.ifSome(t.deny.lookup(0), (v) => { $.if(v.get().ne(0n), () => $.return(-1)); });
          return 0;
        },
      },
    });
    closeSync(openSync(path, 'r'));
    b.get('deny').set(0, 1n);
    assert.throws(() => openSync(path, 'r'), /EPERM/);
    b.get('deny').set(0, 0n);
    closeSync(openSync(path, 'r'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
