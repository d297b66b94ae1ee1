// Attach kinds against the live kernel: tracepoint (bpf_link and ioctl), raw_tp, tp_btf,
// perf_event (cpu-clock on every CPU), socket filter. Events are filtered by this process's pid;
// closing a link stops them and returns the kernel's link list to its baseline.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, openSync, readdirSync } from 'node:fs';
import { AttrBuffer, BpfCmd, Errno, Sock, SyscallError, bpfRaw, closeFd, defineLayout, detachSocketFilter, mapCreate, progInfo, progLoad, socket, u32 } from '../../syscalls/index.js';
import { LinkTypes } from 'ebpf-bytecode-utils';
import { attachPerfEvent, attachRawTracepoint, attachSocketFilter, attachTpBtf, attachTracepoint, tpBtfAttachId, TpBtfTargetError, type Link } from '../../src/attach/index.js';
import { RingBuffer } from '../../src/readers/index.js';
import { TracefsError } from '../../src/tracefs/index.js';
import { eventProgram, u64At, type EventField } from '../support/event-programs.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('attach (kernel)');

const PROG = { socket_filter: 1, tracepoint: 5, perf_event: 7, raw_tracepoint: 17, tracing: 26 } as const;
const TRACE_RAW_TP = 23;
const NR_OPENAT = process.arch === 'arm64' ? 56 : 257;

const getNextIdAttr = defineLayout('BPF_LINK_GET_NEXT_ID', 'union bpf_attr', '', { start_id: u32(0), next_id: u32(4) });

/** Ids of every bpf_link in the kernel (BPF_LINK_GET_NEXT_ID). */
function linkIds(): number[] {
  const ids: number[] = [];
  let start = 0;
  for (;;) {
    const a = new AttrBuffer(getNextIdAttr).set('start_id', start);
    const r = bpfRaw(BpfCmd.LINK_GET_NEXT_ID, a);
    if (r === -Errno.ENOENT) return ids;
    if (r < 0) throw new SyscallError('bpf(BPF_LINK_GET_NEXT_ID)', -r);
    start = a.u32('next_id');
    ids.push(start);
  }
}

/** Waits (briefly) for the kernel to free released links: the id is freed on the last put. */
async function settledLinkIds(expected: number[]): Promise<number[]> {
  let ids = linkIds();
  for (let i = 0; i < 50 && ids.join() !== expected.join(); i++) {
    await new Promise((r) => setTimeout(r, 10));
    ids = linkIds();
  }
  return ids;
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

function openDevNull(times: number): void {
  for (let i = 0; i < times; i++) closeSync(openSync('/dev/null', 'r'));
}

/** A ring buffer map, its reader, and a program loaded with `load`; everything closed after `fn`. */
async function withRingProgram(
  load: (mapFd: number) => number,
  fn: (progFd: number, reader: RingBuffer) => Promise<void> | void,
): Promise<void> {
  const map = mapCreate({ mapType: 27, keySize: 0, valueSize: 0, maxEntries: 1 << 16 });
  try {
    const prog = load(map);
    try {
      const reader = RingBuffer.create(map);
      try {
        await fn(prog, reader);
      } finally {
        reader.close();
      }
    } finally {
      closeFd(prog);
    }
  } finally {
    closeFd(map);
  }
}

function drain(reader: RingBuffer): DataView[] {
  const out: DataView[] = [];
  for (let e = reader.read(); e !== undefined; e = reader.read()) out.push(e);
  return out;
}

const openatFields: EventField[] = [{ kind: 'pid_tgid' }, { kind: 'ctx', offset: 8, size: 'W' }];

async function tracepointRoundTrip(mode: 'bpf_link' | 'perf_ioctl'): Promise<void> {
  await withRingProgram(
    (map) => progLoad({ progType: PROG.tracepoint, insns: eventProgram({ sink: { kind: 'ringbuf', mapFd: map }, fields: openatFields, pid: process.pid }), license: 'GPL' }).fd,
    async (prog, reader) => {
      const before = linkIds();
      const fds = openFds();
      const link = attachTracepoint(prog, 'syscalls', 'sys_enter_openat', { mode });
      assert.is(link.mode, mode);
      assert.is(link.kind, 'tracepoint');
      assert.is(link.target, 'syscalls:sys_enter_openat');
      const during = linkIds();
      if (mode === 'bpf_link') {
        assert.is(link.linkFds.length, 1);
        assert.is(during.length, before.length + 1);
        const [info] = link.info();
        assert.equal(info, { type: LinkTypes.perf_event, id: info.id, progId: progInfo(prog).id });
        assert.ok(during.includes(info.id) && !before.includes(info.id));
      } else {
        assert.equal(link.info(), []);
        assert.equal(link.linkFds, []);
        assert.equal(during, before);
      }
      openDevNull(3);
      const events = drain(reader);
      assert.ok(events.length >= 3, `${events.length} events`);
      for (const e of events) {
        assert.is(u64At(e, 0) >> 32n, BigInt(process.pid));
        assert.is(u64At(e, 1), BigInt(NR_OPENAT));
      }
      link.close();
      link.close(); // idempotent
      assert.ok(link.isClosed);
      assert.is(openFds(), fds);
      openDevNull(3);
      assert.equal(drain(reader), []);
      assert.equal(await settledLinkIds(before), before);
    },
  );
}

kernelTest(test, 'tracepoint via BPF_LINK_CREATE (BPF_PERF_EVENT): events, then close detaches', () => tracepointRoundTrip('bpf_link'));

kernelTest(test, 'tracepoint via PERF_EVENT_IOC_SET_BPF (the pre-5.15 fallback): events, then close detaches', () => tracepointRoundTrip('perf_ioctl'));

kernelTest(test, 'raw_tp on sys_enter: args[1] is the syscall number', async () => {
  await withRingProgram(
    (map) => progLoad({ progType: PROG.raw_tracepoint, insns: eventProgram({ sink: { kind: 'ringbuf', mapFd: map }, fields: [{ kind: 'pid_tgid' }, { kind: 'ctx', offset: 8, size: 'DW' }], pid: process.pid }), license: 'GPL' }).fd,
    async (prog, reader) => {
      const before = linkIds();
      const link = attachRawTracepoint(prog, 'sys_enter');
      assert.is(link.kind, 'raw_tracepoint');
      assert.equal(link.info().map((i) => [i.type, i.progId]), [[LinkTypes.raw_tracepoint, progInfo(prog).id]]);
      assert.is(linkIds().length, before.length + 1);
      openDevNull(2);
      const nrs = drain(reader).map((e) => Number(u64At(e, 1)));
      assert.ok(nrs.filter((nr) => nr === NR_OPENAT).length >= 2, `syscalls seen: ${nrs.join(',')}`);
      link.close();
      drain(reader);
      openDevNull(2);
      assert.equal(drain(reader), []);
      assert.equal(await settledLinkIds(before), before);
    },
  );
  assert.throws(() => attachRawTracepoint(0, '../x'), (e: unknown) => e instanceof TracefsError);
});

kernelTest(test, 'tp_btf on sys_enter: attach_btf_id of btf_trace_sys_enter from vmlinux BTF', async () => {
  const id = tpBtfAttachId('sys_enter');
  assert.ok(id > 0);
  assert.throws(() => tpBtfAttachId('no_such_tracepoint_xyz'), (e: unknown) => e instanceof TpBtfTargetError);
  await withRingProgram(
    (map) =>
      progLoad({
        progType: PROG.tracing,
        expectedAttachType: TRACE_RAW_TP,
        attachBtfId: id,
        insns: eventProgram({ sink: { kind: 'ringbuf', mapFd: map }, fields: [{ kind: 'pid_tgid' }, { kind: 'ctx', offset: 8, size: 'DW' }], pid: process.pid }),
        license: 'GPL',
      }).fd,
    async (prog, reader) => {
      const link = attachTpBtf(prog, 'sys_enter');
      try {
        // BPF_RAW_TRACEPOINT_OPEN makes a raw_tracepoint link for tp_btf programs too.
        assert.equal(link.info().map((i) => i.type), [LinkTypes.raw_tracepoint]);
        openDevNull(2);
        const nrs = drain(reader).map((e) => Number(u64At(e, 1)));
        assert.ok(nrs.filter((nr) => nr === NR_OPENAT).length >= 2, `syscalls seen: ${nrs.join(',')}`);
      } finally {
        link.close();
      }
      drain(reader);
      openDevNull(2);
      assert.equal(drain(reader), []);
    },
  );
});

kernelTest(test, 'perf_event: cpu-clock sampling on every CPU runs the program (profiler base)', async () => {
  await withRingProgram(
    (map) => progLoad({ progType: PROG.perf_event, insns: eventProgram({ sink: { kind: 'ringbuf', mapFd: map }, fields: [{ kind: 'cpu' }, { kind: 'pid_tgid' }], pid: process.pid }), license: 'GPL' }).fd,
    async (prog, reader) => {
      const fds = openFds();
      let link: Link | undefined = attachPerfEvent(prog, { frequency: 1000 });
      try {
        assert.is(link.kind, 'perf_event');
        assert.match(link.target, /^cpu-clock@\d/);
        const cpus = link.target.split('@')[1].split(',').length;
        assert.is(link.linkFds.length, cpus);
        // Keep this process on a CPU for a while: samples of it carry its pid.
        const end = Date.now() + 150;
        while (Date.now() < end) Math.sqrt(Math.random());
        const events = drain(reader);
        assert.ok(events.length >= 10, `${events.length} samples in 150 ms at 1000 Hz`);
        for (const e of events) {
          assert.ok(Number(u64At(e, 0)) < 1024);
          assert.is(u64At(e, 1) >> 32n, BigInt(process.pid));
        }
      } finally {
        link.close();
        link = undefined;
      }
      assert.is(openFds(), fds);
      drain(reader);
      const end = Date.now() + 50;
      while (Date.now() < end) Math.sqrt(Math.random());
      assert.equal(drain(reader), []);
    },
  );
});

kernelTest(test, 'socket filter: SO_ATTACH_BPF, and close detaches (SO_DETACH_BPF then finds nothing)', () => {
  const prog = progLoad({ progType: PROG.socket_filter, insns: Uint8Array.from([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]), license: 'GPL' });
  const sock = socket(Sock.AF_INET, Sock.SOCK_DGRAM);
  const isEnoent = (e: unknown) => e instanceof SyscallError && e.errno === Errno.ENOENT && e.call === 'setsockopt(SO_DETACH_BPF)';
  try {
    assert.throws(() => detachSocketFilter(sock), isEnoent); // nothing attached yet
    const link = attachSocketFilter(prog.fd, sock);
    assert.is(link.mode, 'sockopt');
    link.close();
    assert.throws(() => detachSocketFilter(sock), isEnoent); // close detached it
    const again = attachSocketFilter(prog.fd, sock);
    detachSocketFilter(sock); // attached: detaching succeeds
    assert.throws(() => again.close(), isEnoent);
  } finally {
    closeFd(sock);
    closeFd(prog.fd);
  }
});

kernelTest(test, 'a failed attach leaks no fd and no link', () => {
  const fds = openFds();
  const before = linkIds();
  assert.throws(() => attachTracepoint(0, 'syscalls', 'no_such_event_xyz'), (e: unknown) => e instanceof TracefsError && /no tracepoint syscalls:no_such_event_xyz/.test(e.message));
  assert.throws(() => attachTracepoint(0, 'sys/../calls', 'x'), (e: unknown) => e instanceof TracefsError);
  // A socket filter program cannot go on a tracepoint.
  const prog = progLoad({ progType: PROG.socket_filter, insns: Uint8Array.from([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]), license: 'GPL' });
  try {
    for (const mode of ['auto', 'bpf_link', 'perf_ioctl'] as const) {
      assert.throws(() => attachTracepoint(prog.fd, 'syscalls', 'sys_enter_openat', { mode }), (e: unknown) => e instanceof SyscallError);
    }
  } finally {
    closeFd(prog.fd);
  }
  assert.is(openFds(), fds);
  assert.equal(linkIds(), before);
});

test.run();
