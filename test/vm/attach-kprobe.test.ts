// kprobes, kretprobes, syscall probes and kprobe.multi through tsbpf's attach API, firing for
// real inside the test VM (Debian 6.12 / 6.1 kernels with kprobes): each program filters on this
// process and sends what it saw to a ring buffer; the test triggers the probed function itself
// (fs.openSync → do_sys_openat2, process.kill(pid, 0) → kill(2)) and checks the values against
// what it did. After each test the kernel's link and program lists no longer hold what it made.
//
// Runs only inside the VM (TSBPF_IN_VM=1); on the host every test skips with that reason.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, openSync, readFileSync } from 'node:fs';
import {
  AttachTypes, Call, Exit, JNE, Label, LoadMapPtr, LoadMem, Mov, R0, R1, R10, R2, R3, R4, R6, RSh, Size, StoreMem, Add, encodeProgram,
  type ProgramItem,
} from 'ebpf-bytecode-utils';
import { closeFd, listIds, mapCreate, progInfo, progLoad } from '../../syscalls/index.js';
import { attachKprobe, attachKprobeMulti, attachSyscallKprobe, KprobeEventError, KprobeTargetError, syscallFunctionName, type Link } from '../../src/attach/index.js';
import { probeAttachKind } from '../../src/features/index.js';
import { RingBuffer } from '../../src/readers/index.js';

const test = suite('kprobe attach (vm)');
const inVm = process.env.TSBPF_IN_VM === '1';
const register = (name: string, fn: () => void | Promise<void>) => (inVm ? test(name, fn) : test.skip(name, fn));
if (!inVm) console.log('skip: kprobe attach (vm): not inside the test VM (TSBPF_IN_VM is not 1; run `npm run test:vm`)');

const PROG_KPROBE = 2;
/** `struct pt_regs` offsets on x86_64 (the VM's architecture). */
const REGS = { ax: 80, si: 104, di: 112, ip: 128, sp: 152 } as const;
const AT_FDCWD = 0xffffff9cn; // -100 as the low 32 bits of a register
const BPF_FUNC_get_current_pid_tgid = 14;
const BPF_FUNC_ringbuf_output = 130;
const BPF_FUNC_probe_read_kernel = 113;
const BPF_FUNC_get_attach_cookie = 174;

/** One u64 of the event. */
type Field =
  | { readonly ctx: number }
  | { readonly pidTgid: true }
  | { readonly cookie: true }
  /** `*(u64 *)(*(u64 *)(ctx + ptrAt) + off)` read with bpf_probe_read_kernel (PT_REGS_PARMn of the inner regs). */
  | { readonly deref: number; readonly off: number };

/** A kprobe program: for this process only, sends `fields` (u64s) to ring buffer `ring`. */
function program(ring: number, fields: readonly Field[]): Uint8Array {
  const base = -8 * fields.length;
  const p: ProgramItem[] = [Mov.reg(R6, R1), Call.helper(BPF_FUNC_get_current_pid_tgid), RSh.imm(R0, 32), JNE.imm(R0, process.pid, 'out')];
  fields.forEach((f, i) => {
    const slot = base + 8 * i;
    if ('ctx' in f) p.push(LoadMem(R1, R6, f.ctx, Size.DW), StoreMem(R10, slot, R1, Size.DW));
    else if ('pidTgid' in f) p.push(Call.helper(BPF_FUNC_get_current_pid_tgid), StoreMem(R10, slot, R0, Size.DW));
    else if ('cookie' in f) p.push(Mov.reg(R1, R6), Call.helper(BPF_FUNC_get_attach_cookie), StoreMem(R10, slot, R0, Size.DW));
    else p.push(LoadMem(R3, R6, f.deref, Size.DW), Add.imm(R3, f.off), Mov.reg(R1, R10), Add.imm(R1, slot), Mov.imm(R2, 8), Call.helper(BPF_FUNC_probe_read_kernel));
  });
  p.push(LoadMapPtr(R1, ring), Mov.reg(R2, R10), Add.imm(R2, base), Mov.imm(R3, 8 * fields.length), Mov.imm(R4, 0), Call.helper(BPF_FUNC_ringbuf_output));
  p.push(Label('out'), Mov.imm(R0, 0), Exit());
  return encodeProgram(p).bytes;
}

/** Loads a kprobe program over a new ring buffer, runs `body`, then closes both and checks that nothing is left. */
async function withProbe(fields: readonly Field[], body: (progFd: number, events: () => bigint[][]) => void | Promise<void>, expectedAttachType?: number): Promise<void> {
  const ring = mapCreate({ mapType: 27, keySize: 0, valueSize: 0, maxEntries: 1 << 16 });
  let progId = 0;
  const linksBefore = new Set(listIds('link'));
  try {
    const prog = progLoad({ progType: PROG_KPROBE, insns: program(ring, fields), license: 'GPL', ...(expectedAttachType === undefined ? {} : { expectedAttachType }) });
    progId = progInfo(prog.fd).id;
    try {
      using reader = RingBuffer.create(ring);
      const events = (): bigint[][] => {
        const out: bigint[][] = [];
        for (let e = reader.read(); e !== undefined; e = reader.read()) out.push(fields.map((_, i) => e.getBigUint64(8 * i, true)));
        return out;
      };
      await body(prog.fd, events);
    } finally {
      closeFd(prog.fd);
    }
  } finally {
    closeFd(ring);
  }
  await gone(linksBefore, progId);
}

/**
 * Waits (up to 10 s: the VM is slow) until no link that was not in `linksBefore` and no program
 * `progId` is left in the kernel's lists; some links (kprobe.multi) are freed after an RCU grace
 * period, not synchronously on close.
 */
async function gone(linksBefore: ReadonlySet<number>, progId: number): Promise<void> {
  const left = () => [...listIds('link').filter((id) => !linksBefore.has(id)).map((id) => `link ${id}`), ...(listIds('prog').includes(progId) ? [`program ${progId}`] : [])];
  for (let i = 0; i < 100 && left().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(left(), [], 'nothing left in the kernel after close');
}

/** Opens and closes /dev/null `n` times; returns the fds. */
function opens(n: number): number[] {
  const fds: number[] = [];
  for (let i = 0; i < n; i++) {
    const fd = openSync('/dev/null', 'r');
    fds.push(fd);
    closeSync(fd);
  }
  return fds;
}

/** The kernel's text symbols, sorted by address (read once: /proc/kallsyms is slow in the VM). */
let textSymbols: { readonly addrs: bigint[]; readonly names: string[] } | undefined;
function kernelText(): { readonly addrs: bigint[]; readonly names: string[] } {
  if (textSymbols !== undefined) return textSymbols;
  const rows: [bigint, string][] = [];
  for (const m of readFileSync('/proc/kallsyms', 'utf8').matchAll(/^([0-9a-f]+) [tT] (\S+)/gm)) rows.push([BigInt(`0x${m[1]}`), m[2]!]);
  rows.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  return (textSymbols = { addrs: rows.map((r) => r[0]), names: rows.map((r) => r[1]) });
}

/** `name` → address (first text symbol of that name). */
function ksymAddress(name: string): bigint {
  const { addrs, names } = kernelText();
  const i = names.indexOf(name);
  if (i < 0) throw new Error(`${name} is not in /proc/kallsyms`);
  return addrs[i]!;
}

/** The name of the kernel text symbol that contains `addr` (the last one at or below it). */
function ksymContaining(addr: bigint): string {
  const { addrs, names } = kernelText();
  let lo = 0;
  let hi = addrs.length - 1;
  if (hi < 0 || addr < addrs[0]!) return '?';
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (addrs[mid]! <= addr) lo = mid;
    else hi = mid - 1;
  }
  return names[lo]!;
}

function kprobeEvents(): string {
  return readFileSync('/sys/kernel/tracing/kprobe_events', 'utf8');
}

register('kprobe by symbol (PMU): do_sys_openat2 sees AT_FDCWD as its first argument, once per open', () =>
  withProbe([{ pidTgid: true }, { ctx: REGS.di }], (fd, events) => {
    const link = attachKprobe(fd, { symbol: 'do_sys_openat2' });
    try {
      assert.is(link.kind, 'kprobe');
      assert.is(link.mode, 'bpf_link');
      opens(3);
    } finally {
      link.close();
    }
    const got = events();
    assert.ok(got.length >= 3, `${got.length} events`);
    for (const [pidTgid, dfd] of got) {
      assert.is(pidTgid >> 32n, BigInt(process.pid));
      assert.is(dfd! & 0xffffffffn, AT_FDCWD);
    }
    opens(1);
    assert.equal(events(), [], 'no event after close');
  }));

register('kprobe by offset: the first instruction boundary after the entry fires with the IP there; others are KprobeTargetErrors', () =>
  withProbe([{ ctx: REGS.ip }], (fd, events) => {
    const base = ksymAddress('do_sys_openat2');
    let link: Link | undefined;
    let refused = 0;
    for (let off = 1n; off < 16n && link === undefined; off++) {
      try {
        link = attachKprobe(fd, { symbol: 'do_sys_openat2', offset: off });
      } catch (err) {
        assert.ok(err instanceof KprobeTargetError, String(err));
        assert.match((err as Error).message, /do_sys_openat2\+0x/);
        refused++;
      }
    }
    assert.ok(link !== undefined, 'some offset in 1…15 is an instruction boundary');
    try {
      assert.match(link.target, /^do_sys_openat2\+0x[0-9a-f]+$/);
      opens(2);
    } finally {
      link.close();
    }
    const off = BigInt(`0x${link.target.split('+0x')[1]}`);
    const got = events();
    assert.ok(got.length >= 2, `${got.length} events`);
    // x86 reports the address after the int3 (or the probed address for ftrace-based probes).
    for (const [ip] of got) assert.ok(ip! >= base + off && ip! <= base + off + 1n, `ip 0x${ip!.toString(16)} at do_sys_openat2+0x${off.toString(16)} (base 0x${base.toString(16)}, ${refused} offsets refused)`);
  }));

register('kretprobe with maxActive (tracefs kprobe_events): the return register holds each new fd; the event is removed on close', () =>
  withProbe([{ ctx: REGS.ax }], (fd, events) => {
    const link = attachKprobe(fd, { symbol: 'do_sys_openat2', retprobe: true, maxActive: 8 });
    let fds: number[];
    let event: string;
    try {
      assert.is(link.kind, 'kretprobe');
      event = /\((tsbpf\/[^)]+)\)/.exec(link.target)![1]!;
      assert.ok(kprobeEvents().split('\n').some((l) => l.startsWith(`r8:${event} do_sys_openat2`)), `kprobe_events lists r8:${event}: ${kprobeEvents()}`);
      fds = opens(3);
    } finally {
      link.close();
    }
    assert.not.ok(kprobeEvents().includes(event), 'the event is gone from kprobe_events');
    const rets = events().map(([r]) => r!);
    for (const f of fds) assert.ok(rets.includes(BigInt(f)), `fd ${f} among returns ${rets.join(',')}`);
  }));

register('kprobe through tracefs, by offset 0 with a cookie (bpf_get_attach_cookie)', () =>
  withProbe([{ cookie: true }], (fd, events) => {
    const link = attachKprobe(fd, { symbol: 'do_sys_openat2', mechanism: 'tracefs', cookie: 0x1234_5678_9abcn });
    try {
      opens(2);
    } finally {
      link.close();
    }
    const got = events();
    assert.ok(got.length >= 2, `${got.length} events`);
    for (const [c] of got) assert.is(c, 0x1234_5678_9abcn);
  }));

/** Callers of do_sys_openat2 on openat(2)'s path (inlined differently per kernel). */
const OPENAT_CALLERS = /^(do_sys_open|__do_sys_openat|__x64_sys_openat|__se_sys_openat)$/;

register('BPF_KPROBE_READ_RET_IP: at a kprobe on the entry, *(u64 *)sp is the return address, inside do_sys_openat2\'s caller', () =>
  withProbe([{ deref: REGS.sp, off: 0 }], (fd, events) => {
    const link = attachKprobe(fd, { symbol: 'do_sys_openat2' });
    try {
      opens(2);
    } finally {
      link.close();
    }
    const got = events();
    assert.ok(got.length >= 2, `${got.length} events`);
    for (const [ret] of got) assert.match(ksymContaining(ret!), OPENAT_CALLERS);
  }));

register('BPF_KRETPROBE_READ_RET_IP (kretprobe in perf ioctl mode): PT_REGS_IP is the return address in the caller; the stack word below sp is the rethook trampoline', () =>
  withProbe([{ ctx: REGS.ip }, { deref: REGS.sp, off: -8 }], (fd, events) => {
    const link = attachKprobe(fd, { symbol: 'do_sys_openat2', retprobe: true, mode: 'perf_ioctl' });
    try {
      assert.is(link.mode, 'perf_ioctl');
      assert.equal(link.linkFds, []);
      opens(2);
    } finally {
      link.close();
    }
    const got = events();
    assert.ok(got.length >= 2, `${got.length} events`);
    for (const [ip, slot] of got) {
      assert.match(ksymContaining(ip!), OPENAT_CALLERS);
      // The kretprobe replaced the return address on the stack with its trampoline.
      assert.match(ksymContaining(slot!), /rethook_trampoline|kretprobe_trampoline/);
    }
  }));

register('syscall probe via the arch prefix: kill(2) entry sees this pid in the inner pt_regs (PT_REGS_PARM1 of the syscall)', () =>
  withProbe([{ deref: REGS.di, off: REGS.di }, { deref: REGS.di, off: REGS.si }], (fd, events) => {
    assert.is(syscallFunctionName('kill'), '__x64_sys_kill');
    const link = attachSyscallKprobe(fd, 'kill');
    try {
      assert.is(link.target, '__x64_sys_kill');
      for (let i = 0; i < 3; i++) process.kill(process.pid, 0);
    } finally {
      link.close();
    }
    const got = events().filter(([pid]) => pid === BigInt(process.pid));
    assert.ok(got.length >= 3, `${got.length} kill(${process.pid}, 0) events`);
    for (const [, sig] of got) assert.is(sig, 0n);
  }));

/**
 * Registers a kprobe.multi test, or skips it with the probed reason where the kernel lacks
 * kprobe.multi (Debian's 6.1 has no CONFIG_FPROBE). The 6.12 kernel has it: there a missing
 * kprobe.multi fails the test instead of skipping it.
 */
function registerMulti(name: string, fn: () => Promise<void>): void {
  const probe = inVm ? probeAttachKind('kprobe_multi') : undefined;
  if (probe !== undefined && probe.status === 'unsupported' && process.env.TSBPF_VM_KERNEL !== '6.12') {
    console.log(`skip: ${name}: ${probe.reason}`);
    test.skip(name, fn);
  } else register(name, fn);
}

registerMulti('kprobe.multi by pattern, and by symbols with cookies', () =>
  withProbe([{ cookie: true }], (fd, events) => {
    const byPattern = attachKprobeMulti(fd, { pattern: 'do_sys_open*' });
    try {
      assert.is(byPattern.kind, 'kprobe_multi');
      opens(2);
    } finally {
      byPattern.close();
    }
    assert.ok(events().length >= 2, 'the pattern do_sys_open* covers do_sys_openat2');
    const link = attachKprobeMulti(fd, { symbols: ['do_sys_openat2', 'do_filp_open'], cookies: [11n, 22n] });
    try {
      opens(2);
    } finally {
      link.close();
    }
    const cookies = new Set(events().map(([c]) => c));
    assert.equal([...cookies].sort(), [11n, 22n], 'each function reports its own cookie');
    assert.throws(() => attachKprobeMulti(fd, { symbols: ['no_such_function_tsbpf'] }), (e: unknown) => e instanceof KprobeTargetError && /no_such_function_tsbpf/.test((e as Error).message));
  }, AttachTypes.trace_kprobe_multi));

registerMulti('kretprobe.multi reads the return value', () =>
  withProbe([{ ctx: REGS.ax }], (fd, events) => {
    const link = attachKprobeMulti(fd, { symbols: ['do_sys_openat2'], retprobe: true });
    let fds: number[];
    try {
      assert.is(link.kind, 'kretprobe_multi');
      fds = opens(2);
    } finally {
      link.close();
    }
    const rets = events().map(([r]) => r!);
    for (const f of fds) assert.ok(rets.includes(BigInt(f)), `fd ${f} among ${rets.join(',')}`);
  }, AttachTypes.trace_kprobe_multi));

register('unknown functions are KprobeTargetErrors naming them', () =>
  withProbe([{ pidTgid: true }], (fd) => {
    assert.throws(() => attachKprobe(fd, { symbol: 'no_such_function_tsbpf', mechanism: 'pmu' }), (e: unknown) => e instanceof KprobeTargetError && /no kernel function no_such_function_tsbpf in \/proc\/kallsyms/.test(e.message));
    assert.throws(() => attachKprobe(fd, { symbol: 'no_such_function_tsbpf', mechanism: 'tracefs' }), (e: unknown) => e instanceof KprobeEventError && /refused a probe on no_such_function_tsbpf/.test(e.message));
    assert.not.ok(kprobeEvents().includes('no_such_function_tsbpf'), 'nothing left in kprobe_events');
  }));

test.run();
