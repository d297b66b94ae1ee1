// Attach logic and reader lifetimes without a kernel: a fake backend records every system call.
// Covers the bpf_link → ioctl fallback, exactly-once release in order, no leaks on a failed
// attach, attr encodings (perf_event_attr, BPF_LINK_CREATE, BPF_RAW_TRACEPOINT_OPEN), and a
// PerfBuffer/RingBuffer that maps, reads and unmaps fake memory.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  BpfCmd, Errno, PerfEventIoc, SyscallError, installBackend, linkCreateAttrOf, perfEventAttrOf, rawTracepointOpenAttrOf,
  type SyscallBackend,
} from '../../syscalls/index.js';
import { Link, acquireAll, attachPerfEvent, attachToPerfEvent, findBtfTypeId, ownedFd, type LinkPart } from '../../src/attach/index.js';
import { PerfBuffer, RingBuffer, storePosition } from '../../src/readers/index.js';

const test = suite('attach (fake backend)');

type Call = [string, ...(number | bigint | string)[]];

/** A fake kernel: fds count up from 100, memory mappings are ArrayBuffers. */
class Fake implements SyscallBackend {
  readonly name = 'fake';
  readonly epollEventSize = 12;
  calls: Call[] = [];
  nextFd = 100;
  open = new Set<number>();
  maps = new Map<bigint, ArrayBuffer>();
  nextAddr = 0x1000_0000n;
  bpfAnswer: (cmd: number, attr: Uint8Array) => number = () => this.newFd();
  perfAnswer: (cpu: number) => number = () => this.newFd();
  ioctlAnswer: (request: number) => number = () => 0;
  private buffers = new Map<bigint, Uint8Array>();
  private addrs = new WeakMap<Uint8Array, bigint>();

  newFd(): number {
    const fd = this.nextFd++;
    this.open.add(fd);
    return fd;
  }
  bpf(cmd: number, attr: Uint8Array): number {
    this.calls.push(['bpf', cmd]);
    return this.bpfAnswer(cmd, attr);
  }
  close(fd: number): number {
    this.calls.push(['close', fd]);
    if (!this.open.delete(fd)) return -Errno.EBADF;
    return 0;
  }
  address(buf: Uint8Array): bigint {
    let a = this.addrs.get(buf);
    if (a === undefined) {
      a = 0x7000_0000_0000n + BigInt(this.buffers.size) * 0x1000n;
      this.addrs.set(buf, a);
      this.buffers.set(a, buf);
    }
    return a;
  }
  pointee(a: bigint): Uint8Array {
    return this.buffers.get(a)!;
  }
  perfEventOpen(attr: Uint8Array, pid: number, cpu: number): number {
    this.calls.push(['perf_event_open', pid, cpu]);
    return this.perfAnswer(cpu);
  }
  ioctl(fd: number, request: number, arg: number): number {
    this.calls.push(['ioctl', fd, request, arg]);
    return this.ioctlAnswer(request);
  }
  mmap(length: number, prot: number, flags: number, fd: number, offset: number): bigint {
    this.calls.push(['mmap', fd, length, prot, offset]);
    const a = this.nextAddr;
    this.nextAddr += 0x100_0000n;
    this.maps.set(a, new ArrayBuffer(length));
    return a;
  }
  munmap(addr: bigint, length: number): number {
    this.calls.push(['munmap', addr, length]);
    const m = this.maps.get(addr);
    if (m === undefined || m.byteLength !== length) return -Errno.EINVAL;
    this.maps.delete(addr);
    return 0;
  }
  view(addr: bigint, length: number): ArrayBuffer {
    const m = this.maps.get(addr)!;
    assert.is(m.byteLength, length);
    return m;
  }
  epollCreate1(): number {
    this.calls.push(['epoll_create1']);
    return this.newFd();
  }
  epollCtl(epfd: number, op: number, fd: number, events: number, data: bigint): number {
    this.calls.push(['epoll_ctl', epfd, op, fd, events, data]);
    return 0;
  }
  epollWait(): number {
    return 0;
  }
  of(kind: string): Call[] {
    return this.calls.filter((c) => c[0] === kind);
  }
}

function withFake(fn: (f: Fake) => void): () => void {
  return () => {
    const f = new Fake();
    const restore = installBackend(f);
    try {
      fn(f);
    } finally {
      restore();
    }
  };
}

test('attachToPerfEvent: BPF_LINK_CREATE with BPF_PERF_EVENT; parts are the link fd, then the perf fd', withFake((f) => {
  const parts: LinkPart[] = [];
  const perfFd = f.newFd();
  assert.is(attachToPerfEvent(9, perfFd, 'auto', (p) => parts.push(p), 5n), 'bpf_link');
  const [linkFd] = [...f.open].filter((fd) => fd !== perfFd);
  assert.equal(parts.map((p) => [p.fd, p.isBpfLink]), [[linkFd, true], [perfFd, false]]);
  assert.equal(f.of('bpf'), [['bpf', BpfCmd.LINK_CREATE]]);
  const link = new Link('tracepoint', 'x:y', 'bpf_link', parts);
  assert.equal(link.linkFds, [linkFd]);
  link.close();
  link.close();
  link[Symbol.dispose]();
  assert.equal(f.of('close'), [['close', linkFd], ['close', perfFd]]);
  assert.is(f.open.size, 0);
}));

test('attachToPerfEvent: EINVAL from BPF_LINK_CREATE falls back to PERF_EVENT_IOC_SET_BPF + ENABLE', withFake((f) => {
  f.bpfAnswer = () => -Errno.EINVAL;
  const parts: LinkPart[] = [];
  const perfFd = f.newFd();
  assert.is(attachToPerfEvent(9, perfFd, 'auto', (p) => parts.push(p)), 'perf_ioctl');
  assert.equal(f.of('ioctl'), [['ioctl', perfFd, PerfEventIoc.SET_BPF, 9], ['ioctl', perfFd, PerfEventIoc.ENABLE, 0]]);
  assert.equal(parts.map((p) => p.fd), [perfFd]);
}));

test('attachToPerfEvent: other errors, or mode bpf_link, do not fall back; the perf fd is handed over for release', withFake((f) => {
  for (const [errno, mode] of [[Errno.EPERM, 'auto'], [Errno.EINVAL, 'bpf_link']] as const) {
    f.bpfAnswer = () => -errno;
    const parts: LinkPart[] = [];
    const perfFd = f.newFd();
    assert.throws(() => attachToPerfEvent(9, perfFd, mode, (p) => parts.push(p)), (e: unknown) => e instanceof SyscallError && e.errno === errno);
    assert.equal(parts.map((p) => p.fd), [perfFd]);
    assert.equal(f.of('ioctl'), []);
  }
}));

test('attachPerfEvent: one event per CPU; a failure on the third CPU releases the first two (no leak)', withFake((f) => {
  f.perfAnswer = (cpu) => (cpu === 2 ? -Errno.EACCES : f.newFd());
  assert.throws(() => attachPerfEvent(9, { frequency: 99, cpus: [0, 1, 2] }), (e: unknown) => e instanceof SyscallError && e.call === 'perf_event_open' && /CAP_PERFMON/.test(e.message));
  assert.is(f.open.size, 0);
  assert.equal(f.of('perf_event_open'), [['perf_event_open', -1, 0], ['perf_event_open', -1, 1], ['perf_event_open', -1, 2]]);
  f.perfAnswer = () => f.newFd();
  const link = attachPerfEvent(9, { samplePeriod: 1_000_000n, cpus: [0, 1] });
  assert.is(link.target, 'cpu-clock@0,1');
  assert.is(link.linkFds.length, 2);
  link.close();
  assert.is(f.open.size, 0);
  assert.throws(() => attachPerfEvent(9, {}), (e: unknown) => e instanceof RangeError);
}));

test('Link.close releases every part once, in order, and rethrows the first failure after the rest', () => {
  const order: number[] = [];
  const link = new Link('raw_tracepoint', 't', 'bpf_link', [
    { fd: 1, isBpfLink: true, release: () => order.push(1) },
    { fd: 2, isBpfLink: false, release: () => { order.push(2); throw new Error('two'); } },
    { fd: 3, isBpfLink: false, release: () => order.push(3) },
  ]);
  assert.throws(() => link.close(), /two/);
  assert.equal(order, [1, 2, 3]);
  link.close();
  assert.equal(order, [1, 2, 3]);
  assert.ok(link.isClosed);
  assert.equal(link.linkFds, []);
  assert.match(String(link), /closed/);
});

test('acquireAll releases what was acquired, in reverse, when a step throws', () => {
  const order: number[] = [];
  assert.throws(() => acquireAll((add) => {
    add({ fd: 1, isBpfLink: false, release: () => order.push(1) });
    add({ fd: 2, isBpfLink: false, release: () => order.push(2) });
    throw new Error('step 3');
  }), /step 3/);
  assert.equal(order, [2, 1]);
  void ownedFd;
});

test('perf_event_attr encoding: size 136, type, config, freq bit, wakeups, watermark', () => {
  const a = perfEventAttrOf({ type: 1, config: 10, sampleType: 1 << 10, samplePeriod: 1, wakeupEvents: 1 });
  const dv = new DataView(a.bytes.buffer);
  assert.is(a.bytes.length, 136);
  assert.equal([dv.getUint32(0, true), dv.getUint32(4, true), dv.getBigUint64(8, true), dv.getBigUint64(16, true), dv.getBigUint64(24, true), dv.getBigUint64(40, true), dv.getUint32(48, true)], [1, 136, 10n, 1n, 1024n, 0n, 1]);
  const b = perfEventAttrOf({ type: 1, config: 0, sampleFreq: 99, wakeupWatermark: 4096, disabled: true });
  const bv = new DataView(b.bytes.buffer);
  assert.is(bv.getBigUint64(16, true), 99n);
  assert.is(bv.getBigUint64(40, true), (1n << 10n) | (1n << 14n) | 1n); // freq, watermark, disabled
  assert.is(bv.getUint32(48, true), 4096);
  assert.throws(() => perfEventAttrOf({ type: 1, config: 0, sampleFreq: 1, samplePeriod: 1 }), /share one attr field/);
});

test('BPF_LINK_CREATE and BPF_RAW_TRACEPOINT_OPEN attr encodings', withFake((f) => {
  const l = new DataView(linkCreateAttrOf({ progFd: 7, targetFd: 8, attachType: 41, bpfCookie: 0x1122334455667788n }).bytes.buffer);
  assert.equal([l.getUint32(0, true), l.getUint32(4, true), l.getUint32(8, true), l.getUint32(12, true), l.getBigUint64(16, true)], [7, 8, 41, 0, 0x1122334455667788n]);
  const r = rawTracepointOpenAttrOf(5, 'sched_switch');
  const rv = new DataView(r.bytes.buffer);
  assert.is(rv.getUint32(8, true), 5);
  assert.is(new TextDecoder().decode(f.pointee(rv.getBigUint64(0, true))), 'sched_switch\0');
  assert.is(new DataView(rawTracepointOpenAttrOf(5).bytes.buffer).getBigUint64(0, true), 0n);
  assert.throws(() => rawTracepointOpenAttrOf(5, ''), (e: unknown) => e instanceof RangeError);
}));

test('PerfBuffer over fake mappings: fds stored per CPU, a sample read, then unmapped and closed exactly once', withFake((f) => {
  const updates: [number, number][] = [];
  f.bpfAnswer = (cmd, attr) => {
    if (cmd === BpfCmd.MAP_UPDATE_ELEM || cmd === BpfCmd.MAP_DELETE_ELEM) {
      const dv = new DataView(attr.buffer, attr.byteOffset);
      const key = new DataView(f.pointee(dv.getBigUint64(8, true)).buffer).getUint32(0, true);
      if (cmd === BpfCmd.MAP_UPDATE_ELEM) updates.push([key, new DataView(f.pointee(dv.getBigUint64(16, true)).buffer).getUint32(0, true)]);
      return 0;
    }
    return -Errno.EINVAL;
  };
  const reader = PerfBuffer.create(50, { pageCount: 2, cpus: [0, 1] });
  const mmaps = f.of('mmap');
  assert.is(mmaps.length, 2);
  for (const m of mmaps) assert.equal(m.slice(2), [3 * 4096, 3, 0]);
  assert.equal(updates, [[0, mmaps[0][1] as number], [1, mmaps[1][1] as number]]);
  // Put one sample into CPU 1's ring: header (type 9, size 24), raw size 12, payload.
  const mem = f.maps.get([...f.maps.keys()][1])!;
  const data = new DataView(mem, 4096);
  data.setUint32(0, 9, true);
  data.setUint16(6, 24, true);
  data.setUint32(8, 12, true);
  data.setUint32(12, 0xabcdef, true);
  storePosition(new DataView(mem), 1024, 24);
  const e = reader.read();
  assert.ok(e !== undefined);
  assert.is(e.byteLength, 12);
  assert.is(e.getUint32(0, true), 0xabcdef);
  assert.is(reader.read(), undefined);
  const before = f.calls.length;
  reader.close();
  reader.close();
  const after = f.calls.slice(before).map((c) => c[0]);
  assert.equal(after, ['bpf', 'munmap', 'close', 'bpf', 'munmap', 'close', 'close']);
  assert.is(f.maps.size, 0);
  assert.is(f.open.size, 0);
  assert.throws(() => reader.read(), /PerfBuffer: read after close/);
}));

test('RingBuffer over fake mappings: consumer page rw at 0, producer + 2× data ro at 4096', withFake((f) => {
  const reader = RingBuffer.create(60, { size: 4096 });
  assert.equal(f.of('mmap').map((c) => c.slice(1)), [[60, 4096, 3, 0], [60, 4096 + 8192, 1, 4096]]);
  assert.equal(f.of('epoll_ctl').map((c) => c.slice(2, 5)), [[1, 60, 0x80000001]]);
  const [consAddr, prodAddr] = [...f.maps.keys()];
  const prod = f.maps.get(prodAddr)!;
  new DataView(prod, 4096).setUint32(0, 4, true);
  new DataView(prod, 4096).setUint32(8, 0x01020304, true);
  storePosition(new DataView(prod), 0, 16);
  const got: number[] = [];
  reader.open((v) => got.push(v.getUint32(0, true)), { watch: false });
  assert.is(reader.consume(), 1);
  assert.equal(got, [0x01020304]);
  assert.is(new DataView(f.maps.get(consAddr)!).getBigUint64(0, true), 16n);
  reader.close();
  assert.is(f.maps.size, 0);
  assert.is(f.open.size, 0);
}));

test('findBtfTypeId: walks every kind\'s record size to find a typedef by name', () => {
  // Types: 1 INT "int", 2 STRUCT "s" (2 members), 3 TYPEDEF "btf_trace_x" → 1, 4 FUNC_PROTO (1 param), 5 TYPEDEF "t".
  const strings = '\0int\0s\0a\0b\0btf_trace_x\0t\0';
  const off = (name: string) => strings.indexOf(`\0${name}\0`) + 1;
  const types: number[] = [
    off('int'), (1 << 24), 4, 32,
    off('s'), (4 << 24) | 2, 8, off('a'), 1, 0, off('b'), 1, 32,
    off('btf_trace_x'), (8 << 24), 1,
    0, (13 << 24) | 1, 1, 0, 1,
    off('t'), (8 << 24), 1,
  ];
  const str = new TextEncoder().encode(strings);
  const blob = new Uint8Array(24 + types.length * 4 + str.length);
  const dv = new DataView(blob.buffer);
  dv.setUint16(0, 0xeb9f, true);
  blob[2] = 1;
  dv.setUint32(4, 24, true);
  dv.setUint32(8, 0, true);
  dv.setUint32(12, types.length * 4, true);
  dv.setUint32(16, types.length * 4, true);
  dv.setUint32(20, str.length, true);
  types.forEach((v, i) => dv.setUint32(24 + 4 * i, v, true));
  blob.set(str, 24 + types.length * 4);
  assert.is(findBtfTypeId(blob, 'btf_trace_x', 8), 3);
  assert.is(findBtfTypeId(blob, 't', 8), 5);
  assert.is(findBtfTypeId(blob, 's', 8), undefined);
  assert.is(findBtfTypeId(blob, 's', 4), 2);
  assert.throws(() => findBtfTypeId(new Uint8Array(30), 'x', 8), /bad magic/);
});

test.run();
