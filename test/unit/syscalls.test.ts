// syscalls/ against a fake backend: attr bytes, pointer fields, the verifier-log retry policy,
// and errno → SyscallError messages. No kernel needed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { constants } from 'node:os';
import {
  AttrBuffer,
  BpfCmd,
  Errno,
  RETRY_LOG_SIZE,
  SyscallError,
  bpfCmdName,
  btfLoad,
  btfLoadAttr,
  closeFd,
  currentBackend,
  errnoName,
  installBackend,
  mapCreate,
  mapCreateAttr,
  mapInfoLayout,
  progInfo,
  progInfoLayout,
  progLoad,
  progLoadAttr,
  progTestRun,
  progTestRunAttr,
  objGetInfoByFdAttr,
  type Layout,
} from '../../syscalls/index.js';
import { FakeBackend, type FakeBpfHandler } from '../support/fake-backend.js';

const u32 = (b: Uint8Array, off: number) => new DataView(b.buffer, b.byteOffset).getUint32(off, true);
const u64 = (b: Uint8Array, off: number) => new DataView(b.buffer, b.byteOffset).getBigUint64(off, true);
const putU32 = (b: Uint8Array, off: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint32(off, v, true);
const text = (b: Uint8Array) => new TextDecoder().decode(b.subarray(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0)));

const EXIT = Uint8Array.from([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

function withFake(handler?: FakeBpfHandler): FakeBackend {
  const fake = new FakeBackend(handler);
  const restore = installBackend(fake);
  cleanups.push(restore);
  return fake;
}
const cleanups: (() => void)[] = [];

const Attr = suite('syscalls: attr bytes');
Attr.after.each(() => {
  while (cleanups.length) cleanups.pop()!();
});

Attr('mapCreate writes every field at the kernel offset, size = end of the layout', () => {
  const fake = withFake(() => 7);
  const fd = mapCreate({
    mapType: 1, keySize: 4, valueSize: 8, maxEntries: 100, mapFlags: 1, innerMapFd: 5, numaNode: 2, mapName: 'counts',
    mapIfindex: 9, btfFd: 11, btfKeyTypeId: 12, btfValueTypeId: 13, btfVmlinuxValueTypeId: 14, mapExtra: 0x1_0000_0002n,
  });
  assert.is(fd, 7);
  assert.is(fake.calls.length, 1);
  const { cmd, attr, size } = fake.calls[0];
  assert.is(cmd, BpfCmd.MAP_CREATE);
  assert.is(size, 80);
  assert.is(attr.length, 80);
  assert.equal([0, 4, 8, 12, 16, 20, 24].map((o) => u32(attr, o)), [1, 4, 8, 100, 1, 5, 2]);
  assert.is(text(attr.subarray(28, 44)), 'counts');
  assert.equal([44, 48, 52, 56, 60].map((o) => u32(attr, o)), [9, 11, 12, 13, 14]);
  assert.is(u64(attr, 64), 0x1_0000_0002n);
  assert.equal([...attr.subarray(72)], [0, 0, 0, 0, 0, 0, 0, 0]);
});

Attr('unset fields stay zero', () => {
  const fake = withFake();
  mapCreate({ mapType: 2, keySize: 4, valueSize: 4, maxEntries: 1 });
  const attr = fake.calls[0].attr;
  assert.equal([...attr.subarray(16)], new Array(64).fill(0));
});

Attr('progLoad: insns, license and fd_array are pointers to the right bytes', () => {
  const fake = withFake((cmd, attr, f) => {
    assert.is(cmd, BpfCmd.PROG_LOAD);
    // Resolve the pointers while the call is in progress, as the kernel would.
    assert.equal([...f.buffer(u64(attr, 8))!], [...EXIT]);
    assert.is(text(f.buffer(u64(attr, 16))!), 'Dual MIT/GPL');
    assert.equal([...new Int32Array(f.buffer(u64(attr, 120))!.slice().buffer)], [4, 5, -1]);
    return 9;
  });
  const r = progLoad({ progType: 3, insns: EXIT, license: 'Dual MIT/GPL', progName: 'cls', expectedAttachType: 44, progFlags: 8, attachBtfId: 77, attachBtfObjFd: 6, fdArray: [4, 5, -1], bindFdArray: true, kernVersion: 0x60c00 });
  assert.equal(r, { fd: 9, log: '', logTrueSize: 0 });
  const { attr, size } = fake.calls[0];
  assert.is(size, progLoadAttr.size);
  assert.is(size, 152);
  assert.is(u32(attr, 0), 3);
  assert.is(u32(attr, 4), 2, 'insn_cnt counts 8-byte slots');
  assert.is(u32(attr, 24), 0, 'log_level 0 first');
  assert.is(u64(attr, 32), 0n, 'no log buffer at level 0');
  assert.is(u32(attr, 40), 0x60c00);
  assert.is(u32(attr, 44), 8);
  assert.is(text(attr.subarray(48, 64)), 'cls');
  assert.is(u32(attr, 68), 44);
  assert.is(u32(attr, 108), 77);
  assert.is(u32(attr, 112), 6);
  assert.is(u32(attr, 148), 3);
});

Attr('progLoad: func_info/line_info records set pointer, rec size and count', () => {
  const fake = withFake();
  const funcInfo = new Uint8Array(16);
  const lineInfo = new Uint8Array(48);
  progLoad({ progType: 1, insns: EXIT, progBtfFd: 12, funcInfo: { records: funcInfo, recSize: 8 }, lineInfo: { records: lineInfo, recSize: 16 } });
  const { attr } = fake.calls[0];
  assert.is(u32(attr, 72), 12);
  assert.is(u32(attr, 76), 8);
  assert.is(fake.buffer(u64(attr, 80)), funcInfo);
  assert.is(u32(attr, 88), 2);
  assert.is(u32(attr, 92), 16);
  assert.is(fake.buffer(u64(attr, 96)), lineInfo);
  assert.is(u32(attr, 104), 3);
  assert.throws(() => progLoad({ progType: 1, insns: EXIT, funcInfo: { records: new Uint8Array(12), recSize: 8 } }), /whole number of 8-byte records/);
});

Attr('progTestRun: data/ctx in and out pointers, sizes, retval and duration read back', () => {
  const dataIn = Uint8Array.from([1, 2, 3, 4]);
  const ctxIn = new Uint8Array(24);
  const fake = withFake((cmd, attr, f) => {
    assert.is(cmd, BpfCmd.PROG_TEST_RUN);
    assert.is(f.buffer(u64(attr, 16)), dataIn);
    assert.is(f.buffer(u64(attr, 48)), ctxIn);
    f.buffer(u64(attr, 24))!.set([9, 8, 7]);
    putU32(attr, 4, 0xfffffffe); // retval
    putU32(attr, 12, 3); // data_size_out
    putU32(attr, 36, 42); // duration
    putU32(attr, 44, 0); // ctx_size_out
    return 0;
  });
  const r = progTestRun({ progFd: 5, dataIn, dataSizeOut: 64, ctxIn, ctxSizeOut: 24, repeat: 10, flags: 1, cpu: 1, batchSize: 3 });
  assert.is(r.retval, 0xfffffffe);
  assert.is(r.duration, 42);
  assert.equal([...r.dataOut!], [9, 8, 7]);
  assert.is(r.ctxOut!.length, 0);
  const { attr, size } = fake.calls[0];
  assert.is(size, 76);
  assert.equal([0, 8, 12, 32, 40, 44, 64, 68, 72].map((o) => u32(attr, o)), [5, 4, 64, 10, 24, 24, 1, 1, 3]);
});

Attr('progInfo: info pointer, then a second call with xlated_prog_insns and map_ids buffers', () => {
  const fake = withFake((cmd, attr, f) => {
    assert.is(cmd, BpfCmd.OBJ_GET_INFO_BY_FD);
    assert.is(u32(attr, 0), 4);
    const info = f.buffer(u64(attr, 8))!;
    assert.is(u32(attr, 4), info.length);
    assert.is(info.length, 232);
    putU32(info, 0, 1);
    putU32(info, 4, 99);
    info.set([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3], 8);
    putU32(info, 20, 16); // xlated_prog_len
    putU32(info, 52, 2); // nr_map_ids
    info.set(new TextEncoder().encode('prog'), 64);
    putU32(info, 84, 1); // gpl_compatible
    const xlated = u64(info, 32);
    if (xlated !== 0n) f.buffer(xlated)!.set(EXIT);
    const maps = u64(info, 56);
    if (maps !== 0n) f.buffer(maps)!.set([7, 0, 0, 0, 8, 0, 0, 0]);
    return 0;
  });
  const info = progInfo(4, { xlatedInsns: true, mapIds: true });
  assert.is(fake.calls.length, 2);
  assert.is(info.id, 99);
  assert.is(info.tag, 'deadbeef00010203');
  assert.is(info.name, 'prog');
  assert.ok(info.gplCompatible);
  assert.equal([...info.xlatedProgInsns!], [...EXIT]);
  assert.equal(info.mapIds, [7, 8]);
});

Attr('btfLoad: blob pointer and size; log fields only on retry', () => {
  const blob = new Uint8Array(40);
  const fake = withFake(() => -Errno.EINVAL);
  assert.throws(() => btfLoad({ btf: blob }), (e: unknown) => e instanceof SyscallError && e.call === 'bpf(BPF_BTF_LOAD)' && e.log === '');
  assert.is(fake.calls.length, 2);
  const [first, second] = fake.calls;
  assert.is(first.size, btfLoadAttr.size);
  assert.is(fake.buffer(u64(first.attr, 0)), blob);
  assert.is(u32(first.attr, 16), 40);
  assert.is(u64(first.attr, 8), 0n);
  assert.is(u32(second.attr, 24), 1);
  assert.is(u32(second.attr, 20), RETRY_LOG_SIZE);
  assert.ok(u64(second.attr, 8) !== 0n);
});

Attr('values that do not fit a field throw a RangeError naming command and field', () => {
  withFake();
  assert.throws(() => mapCreate({ mapType: 1, keySize: 2 ** 32, valueSize: 4, maxEntries: 1 }), /BPF_MAP_CREATE: key_size = 4294967296 does not fit in u32/);
  assert.throws(() => mapCreate({ mapType: 1, keySize: -1, valueSize: 4, maxEntries: 1 }), /key_size = -1/);
  assert.throws(() => mapCreate({ mapType: 1, keySize: 4, valueSize: 4, maxEntries: 1, mapName: 'a_name_that_is_too_long' }), /map_name 'a_name_that_is_too_long' is longer than 15 bytes/);
  assert.throws(() => progLoad({ progType: 1, insns: new Uint8Array(12) }), /not a non-zero multiple of 8/);
  assert.throws(() => progLoad({ progType: 1, insns: EXIT, logLevel: 1, logSize: 64 }), /logSize 64 is not between 128/);
  assert.throws(() => new AttrBuffer(mapCreateAttr).set('map_extra', -1n), /map_extra = -1 does not fit in u64/);
});

const Log = suite('syscalls: verifier log policy');
Log.after.each(() => {
  while (cleanups.length) cleanups.pop()!();
});

/** A fake kernel that rejects every program and writes `log` when given a buffer. */
function rejecting(errno: number, log: string): FakeBpfHandler {
  return (_cmd, attr, f) => {
    const level = u32(attr, 24);
    const size = u32(attr, 28);
    const bytes = new TextEncoder().encode(`${log}\0`);
    putU32(attr, 140, bytes.length);
    if (level === 0) return -errno;
    const buf = f.buffer(u64(attr, 32))!;
    assert.is(buf.length, size);
    if (bytes.length > size) {
      buf.set(bytes.subarray(bytes.length - size));
      buf[size - 1] = 0;
      return -Errno.ENOSPC;
    }
    buf.set(bytes);
    return -errno;
  };
}

Log('default: level 0 first, then one retry at level 1 with a 16 MiB buffer; the error carries the log', () => {
  const log = '0: R1=ctx() R10=fp0\n0: (95) exit\nR0 !read_ok\nprocessed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n';
  const fake = withFake(rejecting(Errno.EACCES, log));
  let err: unknown;
  try {
    progLoad({ progType: 1, insns: EXIT });
  } catch (e) {
    err = e;
  }
  assert.instance(err, SyscallError);
  const e = err as SyscallError;
  assert.is(e.message, 'bpf(BPF_PROG_LOAD): the verifier rejected the program: R0 !read_ok');
  assert.is(e.code, 'EACCES');
  assert.is(e.errno, 13);
  assert.is(e.call, 'bpf(BPF_PROG_LOAD)');
  assert.is(e.log, log);
  assert.is(fake.calls.length, 2);
  assert.is(u32(fake.calls[1].attr, 24), 1);
  assert.is(u32(fake.calls[1].attr, 28), 16 << 20);
});

Log('explicit level and size: one attempt; ENOSPC says the log buffer is too small', () => {
  const long = 'x'.repeat(300);
  const fake = withFake(rejecting(Errno.EACCES, long));
  assert.throws(
    () => progLoad({ progType: 1, insns: EXIT, logLevel: 2, logSize: 128 }),
    (e: unknown) => e instanceof SyscallError && e.code === 'ENOSPC' && e.message === 'bpf(BPF_PROG_LOAD): verifier log buffer too small (301 bytes needed)' && e.logTrueSize === 301,
  );
  assert.is(fake.calls.length, 1);
  assert.is(u32(fake.calls[0].attr, 24), 2);
});

Log('explicit level 0: no log, no retry', () => {
  const fake = withFake(rejecting(Errno.EINVAL, 'bad'));
  assert.throws(() => progLoad({ progType: 1, insns: EXIT, logLevel: 0 }), (e: unknown) => e instanceof SyscallError && e.log === undefined && e.code === 'EINVAL');
  assert.is(fake.calls.length, 1);
});

Log('a retry whose log does not fit is repeated with log_true_size and reports the first errno', () => {
  const big = `${'y'.repeat(RETRY_LOG_SIZE + 10)}\nthe error`;
  const fake = withFake(rejecting(Errno.EINVAL, big));
  assert.throws(() => progLoad({ progType: 1, insns: EXIT }), (e: unknown) => e instanceof SyscallError && e.code === 'EINVAL' && /: the error$/.test(e.message));
  assert.is(fake.calls.length, 3);
  assert.is(u32(fake.calls[2].attr, 28), big.length + 1);
});

Log('a load interrupted by a signal (EAGAIN) is repeated', () => {
  let n = 0;
  const fake = withFake(() => (++n < 3 ? -Errno.EAGAIN : 12));
  assert.is(progLoad({ progType: 1, insns: EXIT }).fd, 12);
  assert.is(fake.calls.length, 3);
});

Log('a level-2 load that succeeds returns the log', () => {
  withFake((_cmd, attr, f) => {
    const bytes = new TextEncoder().encode('0: (b7) r0 = 0\n\0');
    f.buffer(u64(attr, 32))!.set(bytes);
    putU32(attr, 140, bytes.length);
    return 5;
  });
  assert.equal(progLoad({ progType: 1, insns: EXIT, logLevel: 2, logSize: 4096 }), { fd: 5, log: '0: (b7) r0 = 0\n', logTrueSize: 16 });
});

const Err = suite('syscalls: errno → SyscallError');
Err.after.each(() => {
  while (cleanups.length) cleanups.pop()!();
});

const messages: [cmd: number, errno: number, message: string][] = [
  [BpfCmd.MAP_CREATE, Errno.EPERM, 'bpf(BPF_MAP_CREATE): permission denied (needs CAP_BPF or root)'],
  [BpfCmd.MAP_CREATE, Errno.E2BIG, 'bpf(BPF_MAP_CREATE): attr too big (a field this kernel does not know is non-zero, or a size exceeds its limit)'],
  [BpfCmd.MAP_CREATE, Errno.ENOMEM, 'bpf(BPF_MAP_CREATE): cannot allocate memory (object too large, or the memlock/memcg limit is reached)'],
  [BpfCmd.MAP_CREATE, Errno.EINVAL, 'bpf(BPF_MAP_CREATE): invalid argument (an attr field is invalid or not supported by this kernel)'],
  [BpfCmd.MAP_CREATE, 524, 'bpf(BPF_MAP_CREATE): operation not supported by this kernel'],
  [BpfCmd.MAP_CREATE, Errno.EEXIST, 'bpf(BPF_MAP_CREATE): file exists'],
  [BpfCmd.MAP_CREATE, 999, 'bpf(BPF_MAP_CREATE): unknown error 999'],
];
for (const [cmd, errno, message] of messages) {
  Err(`${bpfCmdName(cmd)} ${errnoName(errno)}`, () => {
    withFake(() => -errno);
    try {
      mapCreate({ mapType: 2, keySize: 4, valueSize: 4, maxEntries: 1 });
      assert.unreachable('mapCreate should throw');
    } catch (e) {
      assert.instance(e, SyscallError);
      const s = e as SyscallError;
      assert.is(s.message, message);
      assert.is(s.errno, errno);
      assert.is(s.code, errnoName(errno));
      assert.is(s.call, 'bpf(BPF_MAP_CREATE)');
      assert.is(s.name, 'SyscallError');
    }
  });
}

Err('close failure is a SyscallError of close', () => {
  withFake();
  assert.throws(() => closeFd(2 ** 31), /closeFd: 2147483648 is not a file descriptor/);
  const fake = new FakeBackend();
  fake.close = () => -Errno.EBADF;
  cleanups.push(installBackend(fake));
  assert.throws(() => closeFd(77), (e: unknown) => e instanceof SyscallError && e.message === 'close: bad file descriptor' && e.code === 'EBADF');
});

Err('errno names agree with Node for every errno Node knows', () => {
  for (const [name, n] of Object.entries(constants.errno)) {
    if (name in Errno) assert.is((Errno as Record<string, number>)[name], n, name);
  }
  assert.is(errnoName(524), 'ENOTSUPP');
  assert.is(errnoName(95), 'EOPNOTSUPP');
  assert.is(errnoName(11), 'EAGAIN');
  assert.is(errnoName(4000), 'E4000');
});

Err('installBackend nests and restores', () => {
  const base = new FakeBackend();
  const a = new FakeBackend();
  const b = new FakeBackend();
  const restoreBase = installBackend(base);
  const restoreA = installBackend(a);
  const restoreB = installBackend(b);
  assert.is(currentBackend(), b);
  restoreB();
  assert.is(currentBackend(), a);
  restoreA();
  assert.is(currentBackend(), base);
  restoreBase();
});

const Tables = suite('syscalls: tables');

Tables('bpf_cmd numbers and names', () => {
  assert.is(BpfCmd.MAP_CREATE, 0);
  assert.is(BpfCmd.PROG_LOAD, 5);
  assert.is(BpfCmd.PROG_RUN, BpfCmd.PROG_TEST_RUN);
  assert.is(BpfCmd.OBJ_GET_INFO_BY_FD, 15);
  assert.is(BpfCmd.BTF_LOAD, 18);
  assert.is(BpfCmd.LINK_CREATE, 28);
  assert.is(BpfCmd.PROG_STREAM_READ_BY_FD, 37);
  assert.is(bpfCmdName(10), 'BPF_PROG_TEST_RUN');
  assert.is(bpfCmdName(99), 'BPF_CMD_99');
});

Tables('layouts: fields are aligned and do not overlap (except the kernel unions)', () => {
  const shared = new Set(['attach_prog_fd/attach_btf_obj_fd']);
  const layouts: Layout[] = [mapCreateAttr, progLoadAttr, progTestRunAttr, objGetInfoByFdAttr, btfLoadAttr, progInfoLayout, mapInfoLayout];
  for (const l of layouts) {
    const fields = Object.entries(l.fields).sort((a, b) => a[1].offset - b[1].offset);
    for (let i = 0; i < fields.length; i++) {
      const [name, f] = fields[i];
      if (f.type === 'u64' || f.type === 'ptr') assert.is(f.offset % 8, 0, `${l.what}.${name} is 8-aligned`);
      if (f.type === 'u32' || f.type === 's32') assert.is(f.offset % 4, 0, `${l.what}.${name} is 4-aligned`);
      assert.ok(f.offset + f.size <= l.size, `${l.what}.${name} within size`);
      if (i > 0) {
        const [prev, p] = fields[i - 1];
        if (p.offset + p.size > f.offset) assert.ok(shared.has(`${prev}/${name}`), `${l.what}: ${prev} overlaps ${name}`);
      }
    }
  }
});

Attr.run();
Log.run();
Err.run();
Tables.run();
