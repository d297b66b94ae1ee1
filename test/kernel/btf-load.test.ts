/**
 * Kernel oracle for the BTF encoder: BPF_BTF_LOAD must accept a blob we encoded holding every
 * kind, reject broken ones with the kernel's log message, and BPF_PROG_LOAD must accept our
 * func_info/line_info records. Uses a tiny private koffi wrapper (not syscalls/), x86_64 only.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import {
  BtfKind, encodeBtf, encodeFuncInfo, encodeLineInfo, FuncLinkage, IntEncoding, lineCol,
  type FuncProto, type Int, type Struct, type Type,
} from '../../asm/src/btf/index.js';
import { allKinds } from '../../fixtures/btf/all-kinds.js';
import { olderThanTables } from '../support/kernel-lacks.js';

const BPF = 321; // x86_64 __NR_bpf
const BPF_PROG_LOAD = 5;
const BPF_BTF_LOAD = 18;

interface Sys {
  bpf(cmd: number, attr: Buffer): { ret: number; errno: number };
  address(b: Buffer): bigint;
  close(fd: number): void;
}

function whyNot(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `not Linux x86_64 (${process.platform} ${process.arch})`;
  if (process.getuid?.() !== 0) return `not root (uid ${process.getuid?.()})`;
  return null;
}

let sys: Sys | undefined;
function kernel(): Sys {
  if (sys !== undefined) return sys;
  const koffi = createRequire(import.meta.url)('koffi');
  const libc = koffi.load('libc.so.6');
  const syscall = libc.func('long syscall(long nr, int cmd, void *attr, unsigned int size)');
  const close = libc.func('int close(int fd)');
  sys = {
    bpf(cmd, attr) {
      const ret = Number(syscall(BPF, cmd, attr, attr.length));
      return { ret, errno: ret < 0 ? koffi.errno() : 0 };
    },
    address: (b) => koffi.address(b) as bigint,
    close: (fd) => void close(fd),
  };
  return sys;
}

/** BPF_BTF_LOAD: btf u64 @0, btf_log_buf u64 @8, btf_size u32 @16, btf_log_size u32 @20, btf_log_level u32 @24. */
function btfLoad(blob: Uint8Array): { fd: number; errno: number; log: string } {
  const k = kernel();
  const btf = Buffer.from(blob);
  const log = Buffer.alloc(1 << 16);
  const attr = Buffer.alloc(40);
  attr.writeBigUInt64LE(k.address(btf), 0);
  attr.writeBigUInt64LE(k.address(log), 8);
  attr.writeUInt32LE(btf.length, 16);
  attr.writeUInt32LE(log.length, 20);
  attr.writeUInt32LE(1, 24);
  const { ret, errno } = k.bpf(BPF_BTF_LOAD, attr);
  const end = log.indexOf(0);
  return { fd: ret, errno, log: log.toString('utf8', 0, end < 0 ? log.length : end) };
}

const reason = whyNot();
const ktest = (name: string, fn: () => void): void => {
  if (reason === null) test(name, fn);
  else {
    console.log(`skip: ${name}: ${reason}`);
    test.skip(name, fn);
  }
};

ktest('BPF_BTF_LOAD accepts an encoded graph holding every kind', () => {
  const g = allKinds();
  const enc = encodeBtf(g.types);
  const kinds = new Set(enc.types.slice(1).map((t) => t.kind));
  assert.is(kinds.size, Object.keys(BtfKind).length - 1, `kinds covered: ${[...kinds].join(' ')}`);
  const r = btfLoad(enc.bytes);
  assert.ok(r.fd >= 0, `BPF_BTF_LOAD failed, errno ${r.errno}:\n${r.log}`);
  kernel().close(r.fd);
});

ktest('BPF_BTF_LOAD rejects a big-endian blob on this little-endian kernel', () => {
  const r = btfLoad(encodeBtf(allKinds().types, { byteOrder: 'big' }).bytes);
  assert.ok(r.fd < 0);
  assert.match(r.log, /btf_header not found|Invalid magic/);
});

const int = (): Int => ({ kind: 'int', name: 'int', size: 4, encoding: IntEncoding.SIGNED, bitOffset: 0, bits: 32 });

const broken: [string, () => Uint8Array, RegExp][] = [
  ['a member past the end of its struct', () => {
    const s: Struct = { kind: 'struct', name: 's', size: 4, members: [{ name: 'a', type: int(), bitOffset: 32, bitfieldSize: 0 }] };
    return encodeBtf([s]).bytes;
  }, /Member exceeds struct_size/],
  ['an invalid struct name', () => encodeBtf([{ kind: 'struct', name: '1bad', size: 0, members: [] } as Type]).bytes, /Invalid name/],
  ['an int with two encodings', () => encodeBtf([{ ...int(), encoding: IntEncoding.SIGNED | IntEncoding.BOOL }]).bytes, /Unsupported encoding/],
  ['a pointer to a type id that does not exist', () => {
    const b = encodeBtf([{ kind: 'ptr', target: int() } as Type]).bytes;
    new DataView(b.buffer).setUint32(24 + 8, 99, true); // ptr is id 1: its type field
    return b;
  }, /Invalid type_id/],
  ['a truncated type section', () => {
    const b = encodeBtf([int()]).bytes;
    new DataView(b.buffer).setUint32(12, 14, true); // type_len cuts the int record
    return b;
  }, /.+/],
];
for (const [name, make, message] of broken) {
  ktest(`BPF_BTF_LOAD rejects ${name}`, () => {
    const r = btfLoad(make());
    if (r.fd >= 0) kernel().close(r.fd);
    assert.ok(r.fd < 0, 'the kernel accepted it');
    assert.match(r.log, message);
  });
}

ktest('BPF_PROG_LOAD accepts our func_info and line_info', () => {
  const k = kernel();
  const int32: Int = { kind: 'int', name: 'int', size: 4, encoding: IntEncoding.SIGNED, bitOffset: 0, bits: 32 };
  const proto: FuncProto = { kind: 'func_proto', returns: int32, params: [{ name: 'ctx', type: { kind: 'ptr', target: { kind: 'void' } } }] };
  const func: Type = { kind: 'func', name: 'prog', proto, linkage: FuncLinkage.STATIC };
  const enc = encodeBtf([func], { strings: ['prog.ts', 'r0 = 0', 'exit'] });
  const btf = btfLoad(enc.bytes);
  assert.ok(btf.fd >= 0, btf.log);
  const insns = Buffer.from('b700000000000000' + '9500000000000000', 'hex');
  const license = Buffer.from('GPL\0');
  const log = Buffer.alloc(1 << 16);
  const fi = Buffer.from(encodeFuncInfo([{ insnOff: 0, typeId: enc.typeId(func) }]));
  const li = Buffer.from(encodeLineInfo([
    { insnOff: 0, fileNameOff: enc.stringOffset('prog.ts'), lineOff: enc.stringOffset('r0 = 0'), lineCol: lineCol(1, 1) },
    { insnOff: 1, fileNameOff: enc.stringOffset('prog.ts'), lineOff: enc.stringOffset('exit'), lineCol: lineCol(2, 1) },
  ]));
  const attr = Buffer.alloc(168);
  attr.writeUInt32LE(1, 0); // BPF_PROG_TYPE_SOCKET_FILTER
  attr.writeUInt32LE(2, 4);
  attr.writeBigUInt64LE(k.address(insns), 8);
  attr.writeBigUInt64LE(k.address(license), 16);
  attr.writeUInt32LE(2, 24); // log_level 2 prints the line_info text
  attr.writeUInt32LE(log.length, 28);
  attr.writeBigUInt64LE(k.address(log), 32);
  attr.writeUInt32LE(btf.fd, 72); // prog_btf_fd
  attr.writeUInt32LE(8, 76); // func_info_rec_size
  attr.writeBigUInt64LE(k.address(fi), 80);
  attr.writeUInt32LE(1, 88);
  attr.writeUInt32LE(16, 92); // line_info_rec_size
  attr.writeBigUInt64LE(k.address(li), 96);
  attr.writeUInt32LE(2, 104);
  const { ret, errno } = k.bpf(BPF_PROG_LOAD, attr);
  k.close(btf.fd);
  const text = log.toString('utf8', 0, Math.max(0, log.indexOf(0)));
  assert.ok(ret >= 0, `BPF_PROG_LOAD failed, errno ${errno}:\n${text}`);
  k.close(ret);
  // The verifier prints our line_info text at log_level 2 (`; r0 = 0 @ prog.ts:1`); kernels
  // older than the tables (probed) may print the line without ` @ file:line` (added in 6.2).
  if (olderThanTables() === null) assert.match(text, /; r0 = 0 @ prog\.ts:1/);
  else assert.match(text, /^; r0 = 0(?: @ prog\.ts:1)?$/m);
});

test.run();
