// kprobe / kretprobe / syscall-probe / kprobe.multi / fentry-fexit-fmod_ret / LSM attach requests
// without a kernel: a fake backend records bpf(), perf_event_open() and ioctl() with their attrs;
// the kprobe PMU, tracefs (kprobe_events, available_filter_functions), /proc/kallsyms and vmlinux
// BTF are stand-ins written to a temporary directory. Checks the attr fields of each kind, the
// names chosen, the kprobe_events lines written, and the release order on close and on failure.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AttachTypes, encodeBtf, type Type } from 'ebpf-bytecode-utils';
import { BpfCmd, Errno, installBackend, PerfEventIoc, SyscallError } from '../../syscalls/index.js';
import {
  attachKprobe, attachKprobeMulti, kernelSymbolExists, missingKernelSymbols, attachLsm, attachTracing, BtfTargetError, globToRegExp, KprobeEvent, kprobeEventLine, kprobeEventName, KprobeTargetError,
  KprobeMultiPatternError, lsmTarget, matchFilterFunctions, ProbePmuError, syscallFunctionName, SyscallNameError, tracingTarget,
} from '../../src/attach/index.js';
import { TracefsError } from '../../src/tracefs/index.js';
import { NotSupportedError } from '../../src/features/index.js';
import { FakeBackend } from '../support/fake-backend.js';

const test = suite('kprobe / kprobe.multi / tracing / lsm attach (fake backend)');

/** The fake kernel: bpf() answers through `answer`, perf_event_open and ioctl are recorded; fds count up from 100. */
class Fake extends FakeBackend {
  nextFd = 100;
  readonly perf: { attr: Uint8Array; pid: number; cpu: number; fd: number }[] = [];
  readonly ioctls: [number, number, number][] = [];
  answer: (cmd: number, attr: Uint8Array) => number = () => this.nextFd++;
  constructor() {
    super((cmd, attr) => this.answer(cmd, attr));
  }
  perfEventOpen(attr: Uint8Array, pid: number, cpu: number): number {
    const fd = this.nextFd++;
    this.perf.push({ attr: attr.slice(), pid, cpu, fd });
    return fd;
  }
  ioctl(fd: number, request: number, arg: number): number {
    this.ioctls.push([fd, request, arg]);
    return 0;
  }
  /** The bpf() calls of command `cmd`, as DataViews over their attrs. */
  attrs(cmd: number): DataView[] {
    return this.calls.filter((c) => c.cmd === cmd).map((c) => new DataView(c.attr.buffer, c.attr.byteOffset, c.attr.byteLength));
  }
  /** The NUL-terminated string at fake address `a`. */
  string(a: bigint): string {
    const b = this.buffer(a)!;
    return new TextDecoder().decode(b.subarray(0, b.indexOf(0)));
  }
}

let dir = '';
function withFake(fn: (f: Fake) => void): () => void {
  return () => {
    const f = new Fake();
    dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-kprobe-'));
    const restore = installBackend(f);
    try {
      fn(f);
    } finally {
      restore();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** A kprobe PMU description (type 8, retprobe at config bit 0). */
function fakePmu(): string {
  const pmu = path.join(dir, 'kprobe');
  mkdirSync(path.join(pmu, 'format'), { recursive: true });
  writeFileSync(path.join(pmu, 'type'), '8\n');
  writeFileSync(path.join(pmu, 'format/retprobe'), 'config:0\n');
  return pmu;
}

/** A tracefs stand-in with an empty kprobe_events; `nextIds` are the ids the next created events get. */
function fakeTracefs(): string {
  const root = path.join(dir, 'tracing');
  mkdirSync(root, { recursive: true });
  writeFileSync(path.join(root, 'kprobe_events'), '');
  return root;
}

/** Pre-creates the id file of the event the next kprobe attach will create (names are `<p|r>_<pid>_<n>_<symbol>`). */
function expectEvent(root: string, retprobe: boolean, symbol: string, id: number): string {
  const n = Number(kprobeEventName({ symbol: 'x' }).split('_')[2]) + 1;
  const event = `${retprobe ? 'r' : 'p'}_${process.pid}_${n}_${symbol}`;
  mkdirSync(path.join(root, 'events/tsbpf', event), { recursive: true });
  writeFileSync(path.join(root, 'events/tsbpf', event, 'id'), `${id}\n`);
  return event;
}

const perfConfig = (a: Uint8Array, off: number) => new DataView(a.buffer, a.byteOffset).getBigUint64(off, true);
const perfType = (a: Uint8Array) => new DataView(a.buffer, a.byteOffset).getUint32(0, true);

test('kprobe via the PMU: perf_event_open(type, kprobe_func, probe_offset), then a BPF_PERF_EVENT link with the cookie', withFake((f) => {
  const link = attachKprobe(7, { symbol: 'do_sys_openat2', offset: 0x10n, cookie: 99n, pmuDir: fakePmu() });
  assert.is(link.kind, 'kprobe');
  assert.is(link.target, 'do_sys_openat2+0x10');
  const [p] = f.perf;
  assert.is(perfType(p!.attr), 8);
  assert.is(perfConfig(p!.attr, 8), 0n, 'config: entry probe');
  assert.is(f.string(perfConfig(p!.attr, 56)), 'do_sys_openat2', 'config1 points at kprobe_func');
  assert.is(perfConfig(p!.attr, 64), 0x10n, 'config2 = probe_offset');
  assert.equal([p!.pid, p!.cpu], [-1, 0]);
  const [lc] = f.attrs(BpfCmd.LINK_CREATE);
  assert.equal([lc!.getUint32(0, true), lc!.getUint32(4, true), lc!.getUint32(8, true), lc!.getBigUint64(16, true)], [7, p!.fd, AttachTypes.perf_event, 99n]);
  const linkFd = link.linkFds[0]!;
  link.close();
  assert.equal(f.closed, [linkFd, p!.fd], 'link fd first, then the perf event');
}));

test('kretprobe via the PMU sets the retprobe config bit; offsets and maxActive on the wrong kind are RangeErrors', withFake((f) => {
  attachKprobe(7, { symbol: 'do_sys_openat2', retprobe: true, mode: 'perf_ioctl', pmuDir: fakePmu() }).close();
  assert.is(perfConfig(f.perf[0]!.attr, 8), 1n);
  assert.equal(f.ioctls.map(([, r, a]) => [r, a]), [[PerfEventIoc.SET_BPF, 7], [PerfEventIoc.ENABLE, 0]]);
  assert.throws(() => attachKprobe(7, { symbol: 'x', retprobe: true, offset: 4n }), (e: unknown) => e instanceof RangeError);
  assert.throws(() => attachKprobe(7, { symbol: 'x', maxActive: 4 }), (e: unknown) => e instanceof RangeError);
  assert.throws(() => attachKprobe(7, { symbol: 'x', retprobe: true, maxActive: 4, mechanism: 'pmu', pmuDir: fakePmu() }), /no maxActive/);
  assert.throws(() => attachKprobe(7, { symbol: 'a b' }), (e: unknown) => e instanceof RangeError);
  assert.throws(() => attachKprobe(7, { symbol: 'x', offset: -1n }), (e: unknown) => e instanceof RangeError);
}));

test('kretprobe with maxActive goes through tracefs: `r16:tsbpf/<event> fn` appended, a tracepoint perf event on its id, `-:` after close', withFake((f) => {
  const root = fakeTracefs();
  writeFileSync(path.join(root, 'kprobe_events'), 'p:other/keep do_exit\n');
  const event = expectEvent(root, true, 'do_sys_openat2', 4321);
  const link = attachKprobe(7, { symbol: 'do_sys_openat2', retprobe: true, maxActive: 16, pmuDir: fakePmu(), tracefs: root });
  assert.is(link.kind, 'kretprobe');
  assert.is(link.target, `do_sys_openat2 (tsbpf/${event})`);
  assert.is(readFileSync(path.join(root, 'kprobe_events'), 'utf8'), `p:other/keep do_exit\nr16:tsbpf/${event} do_sys_openat2\n`, 'appended, never truncated');
  assert.equal([perfType(f.perf[0]!.attr), perfConfig(f.perf[0]!.attr, 8)], [2, 4321n], 'PERF_TYPE_TRACEPOINT, config = event id');
  link.close();
  assert.equal(f.closed.length, 2);
  assert.is(readFileSync(path.join(root, 'kprobe_events'), 'utf8'), `p:other/keep do_exit\nr16:tsbpf/${event} do_sys_openat2\n-:tsbpf/${event}\n`);
}));

test('tracefs kprobe: a failed attach closes the perf event and removes the event', withFake((f) => {
  const root = fakeTracefs();
  const event = expectEvent(root, false, 'vfs_read', 77);
  f.answer = () => -Errno.EPERM;
  assert.throws(() => attachKprobe(7, { symbol: 'vfs_read', offset: 5n, mechanism: 'tracefs', tracefs: root }), (e: unknown) => e instanceof SyscallError && e.errno === Errno.EPERM);
  assert.equal(f.closed, [f.perf[0]!.fd]);
  assert.is(readFileSync(path.join(root, 'kprobe_events'), 'utf8'), `p:tsbpf/${event} vfs_read+0x5\n-:tsbpf/${event}\n`);
}));

test('no kprobe PMU and no kprobe_events: a ProbePmuError naming CONFIG_KPROBE_EVENTS', withFake(() => {
  mkdirSync(path.join(dir, 'tracing'));
  assert.throws(() => attachKprobe(7, { symbol: 'vfs_read', pmuDir: path.join(dir, 'none'), tracefs: path.join(dir, 'tracing') }), (e: unknown) => e instanceof ProbePmuError && /CONFIG_KPROBE_EVENTS/.test((e as Error).message));
  assert.throws(() => KprobeEvent.create({ symbol: 'vfs_read' }, path.join(dir, 'tracing')), (e: unknown) => e instanceof TracefsError && /kprobe_events does not exist/.test((e as Error).message));
}));

test('kprobe_events lines and event names', () => {
  const rows: [Parameters<typeof kprobeEventLine>[2], string][] = [
    [{ symbol: 'do_sys_openat2' }, 'p:g/e do_sys_openat2'],
    [{ symbol: 'do_sys_openat2', offset: 0x1fn }, 'p:g/e do_sys_openat2+0x1f'],
    [{ symbol: 'do_sys_openat2', retprobe: true }, 'r:g/e do_sys_openat2'],
    [{ symbol: 'do_sys_openat2', retprobe: true, maxActive: 4096 }, 'r4096:g/e do_sys_openat2'],
  ];
  for (const [spec, line] of rows) assert.is(kprobeEventLine('g', 'e', spec), line);
  assert.throws(() => kprobeEventLine('g', 'e', { symbol: 'f', retprobe: true, maxActive: 4097 }), (e: unknown) => e instanceof RangeError);
  assert.throws(() => kprobeEventLine('g', 'e', { symbol: 'f', retprobe: true, maxActive: 0 }), (e: unknown) => e instanceof RangeError);
  assert.throws(() => kprobeEventLine('g', 'e', { symbol: 'f', maxActive: 2 }), (e: unknown) => e instanceof RangeError);
  const a = kprobeEventName({ symbol: 'a.isra.0' }, 42);
  const b = kprobeEventName({ symbol: 'a.isra.0' }, 42);
  assert.match(a, /^p_42_\d+_a_isra_0$/);
  assert.is.not(a, b, 'unique per call');
  assert.ok(kprobeEventName({ symbol: 'x'.repeat(200), retprobe: true }).length <= 63);
});

test('syscallFunctionName: the architecture prefix found in kallsyms, sys_ before 4.17, a SyscallNameError otherwise', withFake(() => {
  const k = path.join(dir, 'kallsyms');
  writeFileSync(k, 'ffffffff81000000 T __x64_sys_openat\nffffffff81000100 T __arm64_sys_openat\nffffffff81000200 T sys_oldcall\nffffffff81000300 t __x64_sys_kill_helper\n');
  assert.is(syscallFunctionName('openat', { arch: 'x64', kallsymsPath: k }), '__x64_sys_openat');
  assert.is(syscallFunctionName('sys_openat', { arch: 'arm64', kallsymsPath: k }), '__arm64_sys_openat');
  assert.is(syscallFunctionName('oldcall', { arch: 'x64', kallsymsPath: k }), 'sys_oldcall');
  assert.throws(() => syscallFunctionName('kill', { arch: 'x64', kallsymsPath: k }), (e: unknown) => e instanceof SyscallNameError && /__x64_sys_kill or sys_kill/.test((e as Error).message));
  assert.throws(() => syscallFunctionName('open at', { kallsymsPath: k }), (e: unknown) => e instanceof RangeError);
}));

test('kernelSymbolExists and missingKernelSymbols: exact names of vmlinux and module lines, one at a time or many', withFake(() => {
  const k = path.join(dir, 'kallsyms');
  writeFileSync(k, 'ffffffff81000000 T vfs_read\nffffffff81000100 t vfs_read_iter.cold\nffffffffc0000000 t e1000_probe\t[e1000]\nffffffff81000200 T Tail');
  for (const n of ['vfs_read', 'vfs_read_iter.cold', 'e1000_probe', 'Tail']) assert.ok(kernelSymbolExists(n, k), n);
  for (const n of ['vfs_rea', 'fs_read', 'vfs_read_iter', 'e1000', 'T', 'ffffffff81000000', 'Tai']) assert.not.ok(kernelSymbolExists(n, k), n);
  const many = ['vfs_read', 'x1', 'e1000_probe', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'Tail', 'vfs_rea'];
  assert.equal(missingKernelSymbols(many, k), ['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'vfs_rea']);
  assert.equal(missingKernelSymbols(many.slice(0, 4), k), ['x1', 'x2']);
  assert.not.ok(kernelSymbolExists('vfs_read', path.join(dir, 'none')));
}));

test('kprobe.multi by symbols: BPF_TRACE_KPROBE_MULTI link with flags, cnt, syms → names, cookies', withFake((f) => {
  const link = attachKprobeMulti(5, { symbols: ['vfs_read', 'vfs_write'], cookies: [1n, 2n], retprobe: true });
  assert.is(link.kind, 'kretprobe_multi');
  const [a] = f.attrs(BpfCmd.LINK_CREATE);
  assert.equal([a!.getUint32(0, true), a!.getUint32(8, true), a!.getUint32(16, true), a!.getUint32(20, true), a!.getBigUint64(32, true)], [5, AttachTypes.trace_kprobe_multi, 1, 2, 0n]);
  const syms = new DataView(f.buffer(a!.getBigUint64(24, true))!.buffer);
  assert.equal([f.string(syms.getBigUint64(0, true)), f.string(syms.getBigUint64(8, true))], ['vfs_read', 'vfs_write']);
  const cookies = new BigUint64Array(f.buffer(a!.getBigUint64(40, true))!.slice().buffer);
  assert.equal([...cookies], [1n, 2n]);
  link.close();
  attachKprobeMulti(5, { addresses: [0xffffffff81000000n] }).close();
  const [, b] = f.attrs(BpfCmd.LINK_CREATE);
  assert.equal([b!.getUint32(16, true), b!.getUint32(20, true), b!.getBigUint64(24, true)], [0, 1, 0n]);
  assert.equal([...new BigUint64Array(f.buffer(b!.getBigUint64(32, true))!.slice().buffer)], [0xffffffff81000000n]);
}));

test('kprobe.multi by pattern: globs over available_filter_functions, without modules, duplicates or placeholders', withFake((f) => {
  const root = fakeTracefs();
  writeFileSync(path.join(root, 'available_filter_functions'), 'vfs_read\nvfs_write\nksys_read\nvfs_read\n__ftrace_invalid_address___64\nvfs_mod [somemod]\nvfs_readv\n');
  assert.equal(matchFilterFunctions('vfs_*', root), ['vfs_read', 'vfs_write', 'vfs_readv']);
  assert.equal(matchFilterFunctions('vfs_read?', root), ['vfs_readv']);
  assert.equal(matchFilterFunctions('[kv]*_read', root), ['vfs_read', 'ksys_read']);
  const link = attachKprobeMulti(5, { pattern: 'vfs_*', tracefs: root });
  assert.is(link.target, 'vfs_*');
  const [a] = f.attrs(BpfCmd.LINK_CREATE);
  assert.is(a!.getUint32(20, true), 3);
  link.close();
  assert.throws(() => attachKprobeMulti(5, { pattern: 'nothing_*', tracefs: root }), (e: unknown) => e instanceof KprobeMultiPatternError);
  assert.throws(() => attachKprobeMulti(5, { pattern: 'vfs_*', cookies: [1n], tracefs: root }), (e: unknown) => e instanceof RangeError);
  assert.throws(() => attachKprobeMulti(5, { symbols: ['a'], addresses: [1n] }), (e: unknown) => e instanceof RangeError);
  assert.throws(() => attachKprobeMulti(5, { symbols: ['a', 'b'], cookies: [1n] }), (e: unknown) => e instanceof RangeError);
  assert.ok(globToRegExp('a.b*').test('a.bcd') && !globToRegExp('a.b*').test('axbcd'));
}));

test('kprobe.multi errors: EOPNOTSUPP → NotSupportedError (CONFIG_FPROBE); an unknown symbol → KprobeTargetError naming it', withFake((f) => {
  f.answer = () => -Errno.EOPNOTSUPP;
  assert.throws(() => attachKprobeMulti(5, { symbols: ['vfs_read'] }), (e: unknown) => e instanceof NotSupportedError && /kprobe_multi attach.*5\.18.*CONFIG_FPROBE/.test((e as Error).message));
  f.answer = () => -Errno.ENOENT;
  assert.throws(() => attachKprobeMulti(5, { symbols: ['no_such_fn_tsbpf'] }), (e: unknown) => e instanceof KprobeTargetError && e.symbol === 'no_such_fn_tsbpf' && /no kernel function no_such_fn_tsbpf/.test((e as Error).message));
  assert.equal(f.closed, []);
}));

/** A BTF blob with functions `do_sys_openat2` and `bpf_lsm_file_open`, written to the temp dir. */
function fakeBtf(): { path: string; ids: Record<string, number> } {
  const int: Type = { kind: 'int', name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 } as Type;
  const proto: Type = { kind: 'func_proto', returns: int, params: [{ name: 'dfd', type: int }] } as Type;
  const fns = ['do_sys_openat2', 'bpf_lsm_file_open', 'security_file_open'].map((name) => ({ kind: 'func', name, proto, linkage: 1 }) as Type);
  const btf = encodeBtf([int, proto, ...fns]);
  const p = path.join(dir, 'vmlinux.btf');
  writeFileSync(p, btf.bytes);
  const ids: Record<string, number> = {};
  for (const fn of fns) ids[(fn as { name: string }).name] = btf.typeId(fn);
  return { path: p, ids };
}

test('fentry/fexit/fmod_ret: the load-time target (type, expected attach type, BTF id), then RAW_TRACEPOINT_OPEN or LINK_CREATE with a cookie', withFake((f) => {
  const btf = fakeBtf();
  const rows = [['fentry', 'trace_fentry'], ['fexit', 'trace_fexit'], ['fmod_ret', 'modify_return']] as const;
  for (const [kind, eat] of rows) {
    const fn = kind === 'fmod_ret' ? 'security_file_open' : 'do_sys_openat2';
    assert.equal(tracingTarget(kind, fn, { check: false, btfPath: btf.path }), { type: 'tracing', expectedAttachType: eat, attachBtfId: btf.ids[fn] });
    const link = attachTracing(9, { kind, function: fn });
    assert.is(link.kind, kind);
    link.close();
    const withCookie = attachTracing(9, { kind, function: fn, cookie: 0xabcn });
    withCookie.close();
    const lc = f.attrs(BpfCmd.LINK_CREATE).at(-1)!;
    assert.equal([lc.getUint32(0, true), lc.getUint32(8, true), lc.getUint32(16, true), lc.getBigUint64(24, true)], [9, AttachTypes[eat], 0, 0xabcn]);
  }
  const rto = f.attrs(BpfCmd.RAW_TRACEPOINT_OPEN);
  assert.is(rto.length, 3);
  for (const a of rto) assert.equal([a.getBigUint64(0, true), a.getUint32(8, true)], [0n, 9], 'no name, prog_fd 9');
  assert.throws(() => tracingTarget('fentry', 'no_such_fn', { check: false, btfPath: btf.path }), (e: unknown) => e instanceof BtfTargetError && /no function no_such_fn/.test((e as Error).message));
  assert.throws(() => tracingTarget('fentry', 'bad name', { check: false, btfPath: btf.path }), (e: unknown) => e instanceof RangeError);
}));

test('LSM: bpf_lsm_<hook> as the target, lsm_mac as the expected attach type; an unknown hook is a BtfTargetError', withFake((f) => {
  const btf = fakeBtf();
  assert.equal(lsmTarget('file_open', { check: false, btfPath: btf.path }), { type: 'lsm', expectedAttachType: 'lsm_mac', attachBtfId: btf.ids.bpf_lsm_file_open });
  assert.equal(lsmTarget('bpf_lsm_file_open', { check: false, btfPath: btf.path }).attachBtfId, btf.ids.bpf_lsm_file_open);
  assert.throws(() => lsmTarget('no_hook', { check: false, btfPath: btf.path }), (e: unknown) => e instanceof BtfTargetError && /bpf_lsm_no_hook/.test((e as Error).message));
  const link = attachLsm(4, 'file_open');
  assert.equal([link.kind, link.target], ['lsm', 'file_open']);
  link.close();
  attachLsm(4, 'file_open', { cookie: 3n }).close();
  const [lc] = f.attrs(BpfCmd.LINK_CREATE);
  assert.equal([lc!.getUint32(8, true), lc!.getBigUint64(24, true)], [AttachTypes.lsm_mac, 3n]);
}));

test.run();
