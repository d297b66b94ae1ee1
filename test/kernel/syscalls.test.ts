// syscalls/ against the live kernel: each command round-trips through the real koffi backend.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LoadMapPtr, Mov, Exit, R0, R1, encode } from 'ebpf-bytecode-utils';
import { SyscallError, btfLoad, closeFd, mapCreate, mapInfo, progInfo, progLoad, progTestRun } from '../../syscalls/index.js';
import { kernelTest } from '../support/kernel.js';
import { attrFieldMissing, olderThanTables } from '../support/kernel-lacks.js';

const test = suite('syscalls (kernel)');
const SOCKET_FILTER = 1;
const ARRAY = 2;
const HASH = 1;

/** r0 = 7; exit */
const RET7 = Uint8Array.from([0xb7, 0, 0, 0, 7, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

function minimalBtf(): Uint8Array {
  const strings = new TextEncoder().encode('\0int\0');
  const out = new Uint8Array(24 + 16 + strings.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xeb9f, true);
  out[2] = 1; // version
  dv.setUint32(4, 24, true); // hdr_len
  dv.setUint32(8, 0, true); // type_off
  dv.setUint32(12, 16, true); // type_len
  dv.setUint32(16, 16, true); // str_off
  dv.setUint32(20, strings.length, true); // str_len
  dv.setUint32(24, 1, true); // name_off "int"
  dv.setUint32(28, 1 << 24, true); // BTF_KIND_INT
  dv.setUint32(32, 4, true); // size
  dv.setUint32(36, (1 << 24) | 32, true); // BTF_INT_SIGNED, 32 bits
  out.set(strings, 40);
  return out;
}

kernelTest(test, 'mapCreate + mapInfo round-trip every field the kernel reports', () => {
  const fd = mapCreate({ mapType: HASH, keySize: 8, valueSize: 16, maxEntries: 32, mapFlags: 1 /* BPF_F_NO_PREALLOC */, mapName: 'tsbpf_test.1' });
  try {
    const info = mapInfo(fd);
    assert.equal(
      { type: info.type, keySize: info.keySize, valueSize: info.valueSize, maxEntries: info.maxEntries, mapFlags: info.mapFlags, name: info.name },
      { type: HASH, keySize: 8, valueSize: 16, maxEntries: 32, mapFlags: 1, name: 'tsbpf_test.1' },
    );
    assert.ok(info.id > 0);
  } finally {
    closeFd(fd);
  }
});

kernelTest(test, 'progLoad + progTestRun + progInfo', () => {
  const { fd, log } = progLoad({ progType: SOCKET_FILTER, insns: RET7, progName: 'ret7', license: 'MIT' });
  try {
    assert.is(log, '');
    const data = Uint8Array.from({ length: 64 }, (_, i) => i);
    const run = progTestRun({ progFd: fd, dataIn: data, dataSizeOut: 256, repeat: 3 });
    assert.is(run.retval, 7);
    // Socket filters see the data after the Ethernet header, which the kernel zeroes on output.
    assert.equal([...run.dataOut!.subarray(14)], [...data.subarray(14)]);
    const info = progInfo(fd, { xlatedInsns: true });
    assert.is(info.type, SOCKET_FILTER);
    assert.is(info.name, 'ret7');
    assert.is(info.gplCompatible, false);
    assert.match(info.tag, /^[0-9a-f]{16}$/);
    assert.equal([...info.xlatedProgInsns!], [...RET7]);
    assert.is(info.verifiedInsns, 2);
  } finally {
    closeFd(fd);
  }
});

kernelTest(test, 'progInfo reports the ids of the maps a program uses', () => {
  const map = mapCreate({ mapType: ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
  try {
    const insns = encode([LoadMapPtr(R1, map), Mov.imm(R0, 0), Exit()]);
    const { fd } = progLoad({ progType: SOCKET_FILTER, insns });
    try {
      const info = progInfo(fd, { mapIds: true });
      assert.equal(info.mapIds, [mapInfo(map).id]);
    } finally {
      closeFd(fd);
    }
  } finally {
    closeFd(map);
  }
});

kernelTest(test, 'a rejected program throws EACCES with the verifier log (retry at level 1)', () => {
  try {
    progLoad({ progType: SOCKET_FILTER, insns: RET7.subarray(8) });
    assert.unreachable('exit without r0 must be rejected');
  } catch (e) {
    assert.instance(e, SyscallError);
    const s = e as SyscallError;
    assert.is(s.code, 'EACCES');
    assert.is(s.message, 'bpf(BPF_PROG_LOAD): the verifier rejected the program: R0 !read_ok');
    assert.match(s.log!, /^0: \(95\) exit$/m);
  }
});

kernelTest(test, 'a too-small log buffer fails with ENOSPC and log_true_size (Linux 6.4+)', () => {
  try {
    const r = progLoad({ progType: SOCKET_FILTER, insns: RET7, logLevel: 2, logSize: 128 });
    closeFd(r.fd);
    assert.unreachable('expected ENOSPC');
  } catch (e) {
    assert.instance(e, SyscallError);
    assert.is((e as SyscallError).code, 'ENOSPC');
    assert.ok((e as SyscallError).logTrueSize! > 128);
  }
  const r = progLoad({ progType: SOCKET_FILTER, insns: RET7, logLevel: 2, logSize: 1 << 16 });
  closeFd(r.fd);
  // Kernels older than the tables (probed) mark written registers: `R0_w=7` (6.12, 6.1).
  assert.match(r.log, olderThanTables() === null ? /^0: \(b7\) r0 = 7 +; R0=7$/m : /^0: \(b7\) r0 = 7 +; R0(?:_w)?=7$/m);
  assert.is(r.logTrueSize, new TextEncoder().encode(r.log).length + 1);
}, () => attrFieldMissing('log_true_size'));

kernelTest(test, 'btfLoad accepts a minimal blob and rejects a bad one with its log', () => {
  const { fd } = btfLoad({ btf: minimalBtf() });
  closeFd(fd);
  try {
    btfLoad({ btf: new Uint8Array(24) });
    assert.unreachable('zero header must be rejected');
  } catch (e) {
    assert.instance(e, SyscallError);
    assert.is((e as SyscallError).code, 'EINVAL');
    assert.match((e as SyscallError).log!, /Invalid magic/);
  }
});

kernelTest(test, 'closeFd of a closed fd throws EBADF', () => {
  const fd = mapCreate({ mapType: ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
  closeFd(fd);
  assert.throws(() => closeFd(fd), (e: unknown) => e instanceof SyscallError && e.code === 'EBADF' && e.call === 'close');
});

test.run();
