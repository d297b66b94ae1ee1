/**
 * The interpreter against the live kernel's BPF_PROG_TEST_RUN: the same programs, the same input,
 * equal retval and data out (and map contents where a program writes maps). Needs root and bpf();
 * skips with the reason otherwise.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import {
  Add, And, ArSh, Atomic, BSwap, Call, Div, Exit, JEq, JGE, JGT, JLE, JLT, JNE, JSet, JSGE, JSGT, JSLE, JSLT, Ja, LoadAbs, LoadFunc,
  LoadImm64, LoadInd, LoadMapPtr, LoadMem, LoadMemSX, LSh, Mod, Mov, MovSX, Mul, Neg, Or, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, RSh,
  SDiv, SMod, Size, StoreImm, StoreMem, Sub, ToBE, ToLE, Xor, disassembleKernel, encode, helperByName, programType, mapType,
  type Instruction, type Register, type AluBuilder, type JumpBuilder,
} from 'ebpf-bytecode-utils';
import { Interpreter, createMap, type ArrayMap, type ProgArrayMap, type SimMap } from '../../verifier-sim/index.js';
import { numRuns } from '../support/num-runs.js';
import { interpreterComparable, plausibleProgram } from '../../bench/verifier-fuzz-program.js';
import { helperErrnoSignExtendMissing, isaV4Missing, storeImmToCtxMissing, xdpLargeMetaMissing } from '../support/kernel-lacks.js';

// ---- a tiny private bpf() wrapper (x86_64: syscall 321) ----

interface Kernel {
  bpf(cmd: number, attr: Buffer): number;
  errno(): number;
  address(buf: Buffer): bigint;
  close(fd: number): void;
}

const BPF_MAP_CREATE = 0;
const BPF_MAP_LOOKUP_ELEM = 1;
const BPF_MAP_UPDATE_ELEM = 2;
const BPF_PROG_LOAD = 5;
const BPF_PROG_TEST_RUN = 10;
const ATTR_SIZE = 168;

function openKernel(): Kernel | string {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `needs Linux on x86_64 (${process.platform}/${process.arch})`;
  if (process.getuid?.() !== 0) return `not root (uid ${process.getuid?.() ?? '?'})`;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const libc = koffi.load('libc.so.6');
    const sys = libc.func('long syscall(long nr, int cmd, void *attr, unsigned int size)');
    const close = libc.func('int close(int fd)');
    const k: Kernel = {
      bpf: (cmd, attr) => Number(sys(321, cmd, attr, attr.length)),
      errno: () => koffi.errno(),
      address: (buf) => koffi.address(buf) as bigint,
      close: (fd) => void close(fd),
    };
    const fd = kernelMap(k, 2, 4, 4, 1);
    k.close(fd);
    return k;
  } catch (err) {
    return `bpf() does not work here: ${err instanceof Error ? err.message : String(err)}`;
  }
}

function kernelMap(k: Kernel, type: number, keySize: number, valueSize: number, maxEntries: number, flags = 0): number {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(type, 0);
  attr.writeUInt32LE(keySize, 4);
  attr.writeUInt32LE(valueSize, 8);
  attr.writeUInt32LE(maxEntries, 12);
  attr.writeUInt32LE(flags, 16);
  const fd = k.bpf(BPF_MAP_CREATE, attr);
  if (fd < 0) throw new Error(`BPF_MAP_CREATE: errno ${k.errno()}`);
  return fd;
}

function mapElem(k: Kernel, cmd: number, fd: number, key: Buffer, value: Buffer): number {
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(fd, 0);
  attr.writeBigUInt64LE(k.address(key), 8);
  attr.writeBigUInt64LE(k.address(value), 16);
  const r = k.bpf(cmd, attr);
  return r < 0 ? -k.errno() : r;
}

/** Loads a program whose map references (`ld_imm64` src 1, imm = index) are patched to `fds`. */
function kernelLoad(k: Kernel, type: string, insns: readonly Instruction[], fds: readonly number[] = []): number {
  const patched = insns.map((i) => (typeof i.imm === 'bigint' && (i.src === 1 || i.src === 2) ? { ...i, imm: (i.imm & ~0xffffffffn) | BigInt(fds[Number(i.imm & 0xffffffffn)]) } : i));
  const bytes = Buffer.from(encode(patched));
  const license = Buffer.from('GPL\0');
  const log = Buffer.alloc(1 << 20);
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(programType(type), 0);
  attr.writeUInt32LE(bytes.length / 8, 4);
  attr.writeBigUInt64LE(k.address(bytes), 8);
  attr.writeBigUInt64LE(k.address(license), 16);
  attr.writeUInt32LE(1, 24);
  attr.writeUInt32LE(log.length, 28);
  attr.writeBigUInt64LE(k.address(log), 32);
  const fd = k.bpf(BPF_PROG_LOAD, attr);
  if (fd < 0) {
    const errno = k.errno();
    throw new Error(`BPF_PROG_LOAD: errno ${errno}\n${log.toString('utf8', 0, log.indexOf(0)).split('\n').slice(-8).join('\n')}`);
  }
  return fd;
}

interface KernelRun {
  retval: number;
  dataOut: Uint8Array;
  duration: number;
  ctxOut?: Uint8Array;
}

function kernelRun(k: Kernel, fd: number, data: Uint8Array, repeat = 1, ctx?: Uint8Array): KernelRun {
  const dataIn = Buffer.from(data.length > 0 ? data : new Uint8Array(1));
  const dataOut = Buffer.alloc(data.length + 4096);
  const ctxIn = ctx === undefined ? undefined : Buffer.from(ctx);
  const ctxOut = ctx === undefined ? undefined : Buffer.alloc(ctx.length);
  const attr = Buffer.alloc(ATTR_SIZE);
  attr.writeUInt32LE(fd, 0);
  attr.writeUInt32LE(data.length, 8);
  attr.writeUInt32LE(dataOut.length, 12);
  if (data.length > 0) attr.writeBigUInt64LE(k.address(dataIn), 16);
  attr.writeBigUInt64LE(k.address(dataOut), 24);
  attr.writeUInt32LE(repeat, 32);
  if (ctxIn !== undefined && ctxOut !== undefined) {
    attr.writeUInt32LE(ctxIn.length, 40);
    attr.writeUInt32LE(ctxOut.length, 44);
    attr.writeBigUInt64LE(k.address(ctxIn), 48);
    attr.writeBigUInt64LE(k.address(ctxOut), 56);
  }
  const r = k.bpf(BPF_PROG_TEST_RUN, attr);
  if (r < 0) throw new Error(`BPF_PROG_TEST_RUN: errno ${k.errno()}`);
  return {
    retval: attr.readUInt32LE(4),
    dataOut: new Uint8Array(dataOut.subarray(0, attr.readUInt32LE(12))),
    duration: attr.readUInt32LE(36),
    ctxOut: ctxOut === undefined ? undefined : new Uint8Array(ctxOut),
  };
}

const kernel = openKernel();
/** Registers a kernel test; it skips with the reason when the kernel or `lacks` (a probe) says so. */
function ktest(name: string, fn: (k: Kernel) => void, lacks?: () => string | null): void {
  const reason = typeof kernel === 'string' ? kernel : (lacks?.() ?? null);
  if (reason !== null || typeof kernel === 'string') {
    console.log(`skip: ${name}: ${reason}`);
    test.skip(name, () => {});
  } else {
    test(name, () => fn(kernel));
  }
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** Runs `insns` in both; asserts equal retval and data out; returns both results. */
function both(k: Kernel, type: string, insns: Instruction[], data: Uint8Array, opts: { maps?: SimMap[]; makeMaps?: () => SimMap[]; fds?: number[]; ctx?: Uint8Array; label?: string } = {}) {
  const fd = kernelLoad(k, type, insns, opts.fds);
  try {
    const kr = kernelRun(k, fd, data, 1, opts.ctx);
    const ir = new Interpreter(insns, { progType: type, maps: opts.makeMaps?.() ?? opts.maps }).run({ data, ctx: opts.ctx });
    assert.is(Number(ir.retval), kr.retval, `${opts.label ?? ''} retval`);
    assert.is(hex(ir.dataOut), hex(kr.dataOut), `${opts.label ?? ''} data out`);
    if (opts.maps === undefined) {
      // The compiled tier must agree too (with fresh maps when the test can make them).
      const cr = new Interpreter(insns, { progType: type, compile: true, maps: opts.makeMaps?.() }).run({ data, ctx: opts.ctx });
      assert.is(Number(cr.retval), kr.retval, `${opts.label ?? ''} retval (compiled)`);
      assert.is(hex(cr.dataOut), hex(kr.dataOut), `${opts.label ?? ''} data out (compiled)`);
    }
    return { kr, ir };
  } finally {
    k.close(fd);
  }
}

// An Ethernet + IPv4 + UDP frame.
const frame = new Uint8Array([
  0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00,
  0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
  0x30, 0x39, 0x00, 0x35, 0, 12, 0, 0, 0xde, 0xad, 0xbe, 0xef,
]);

// ---- random straight-line ALU programs (with forward jumps), registers dumped to the packet ----

const alu: AluBuilder[] = [Add, Sub, Mul, Div, SDiv, Or, And, LSh, RSh, Mod, SMod, Xor, Mov, ArSh];
const jumps: JumpBuilder[] = [JEq, JGT, JGE, JSet, JNE, JSGT, JSGE, JLT, JLE, JSLT, JSLE];
const work = fc.integer({ min: 0, max: 7 }).map((n) => n as Register);
const imm32 = fc.oneof(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.constantFrom(0, 1, -1, 31, 32, 63, 0x7fffffff, -0x80000000));

const aluInsn: fc.Arbitrary<Instruction> = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: alu.length - 1 }), fc.constantFrom('imm', 'reg', 'imm32', 'reg32'), work, work, imm32).map(([i, form, d, s, imm]) => {
    const op = alu[i];
    const shift = op === LSh || op === RSh || op === ArSh;
    // The verifier rejects division by an immediate 0 and over-wide immediate shifts.
    const divide = op === Div || op === SDiv || op === Mod || op === SMod;
    if (divide && imm === 0) imm = 1;
    if (form === 'imm') return op.imm(d, shift ? imm & 63 : imm);
    if (form === 'imm32') return op.imm32(d, shift ? imm & 31 : imm);
    return form === 'reg' ? op.reg(d, s) : op.reg32(d, s);
  }),
  fc.tuple(work, fc.boolean()).map(([d, w]) => (w ? Neg.reg32(d) : Neg.reg(d))),
  fc.tuple(work, work, fc.constantFrom(8, 16, 32) as fc.Arbitrary<8 | 16 | 32>, fc.boolean()).map(([d, s, bits, w]) => (w && bits !== 32 ? MovSX.reg32(d, s, bits) : MovSX.reg(d, s, bits))),
  fc.tuple(work, fc.constantFrom(16, 32, 64) as fc.Arbitrary<16 | 32 | 64>, fc.constantFrom(0, 1, 2)).map(([d, bits, k]) => (k === 0 ? ToLE(d, bits) : k === 1 ? ToBE(d, bits) : BSwap(d, bits))),
);
const jumpInsn: fc.Arbitrary<Instruction> = fc
  .tuple(fc.integer({ min: 0, max: jumps.length - 1 }), fc.constantFrom('imm', 'reg', 'imm32', 'reg32'), work, work, imm32)
  .map(([i, form, d, s, imm]) => {
    const op = jumps[i];
    return form === 'imm' ? op.imm(d, imm, 1) : form === 'imm32' ? op.imm32(d, imm, 1) : form === 'reg' ? op.reg(d, s, 1) : op.reg32(d, s, 1);
  });
const step: fc.Arbitrary<Instruction[]> = fc.oneof({ arbitrary: aluInsn.map((x) => [x]), weight: 4 }, { arbitrary: fc.tuple(jumpInsn, aluInsn).map(([j, a]) => [j, a]), weight: 1 });
const program = fc.tuple(fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 8, maxLength: 8 }), fc.array(step, { minLength: 1, maxLength: 24 })).map(([init, steps]) => {
  const insns: Instruction[] = [Mov.reg(R9, R1)];
  init.forEach((v, r) => insns.push(LoadImm64(r as Register, v)));
  for (const s of steps) insns.push(...s);
  insns.push(
    StoreMem(R10, -8, R7, Size.DW),
    LoadMem(R8, R9, 0, Size.W),
    LoadMem(R9, R9, 4, Size.W),
    Mov.reg(R7, R8),
    Add.imm(R7, 64),
    JGT.reg(R7, R9, 10),
    LoadMem(R7, R10, -8, Size.DW),
    ...[R0, R1, R2, R3, R4, R5, R6, R7].map((r, i) => StoreMem(R8, i * 8, r, Size.DW)),
    Mov.imm(R0, 2),
    Exit(),
  );
  return insns;
});

ktest('kernel oracle: random ALU/JMP programs give the same registers (xdp, 64-bit values via the packet)', (k) => {
  fc.assert(
    fc.property(program, (insns) => {
      both(k, 'xdp', insns, new Uint8Array(64));
    }),
    { numRuns: numRuns(300) },
  );
}, isaV4Missing);

ktest('kernel oracle: random ALU programs give the same retval (socket_filter, low 32 bits of r0)', (k) => {
  fc.assert(
    fc.property(program, (insns) => {
      // Drop the xdp epilogue; return r0 as is.
      const body = insns.slice(0, insns.findIndex((i) => i.code === 0x7b && i.dst === 10));
      both(k, 'socket_filter', [...body, Exit()], frame);
    }),
    { numRuns: numRuns(100) },
  );
}, isaV4Missing);

// ---- random stack programs: stores, loads (zero- and sign-extending), atomics ----

const sizes = [Size.B, Size.H, Size.W, Size.DW] as const;
const bytesOf = (sz: Size) => (sz === Size.B ? 1 : sz === Size.H ? 2 : sz === Size.W ? 4 : 8);
const slot = (sz: Size) => fc.integer({ min: 1, max: 64 / bytesOf(sz) }).map((n) => -n * bytesOf(sz));
const memInsn: fc.Arbitrary<Instruction> = fc.oneof(
  fc.constantFrom(...sizes).chain((sz) => fc.tuple(slot(sz), work).map(([off, r]) => StoreMem(R10, off, r, sz))),
  fc.constantFrom(...sizes).chain((sz) => fc.tuple(slot(sz), imm32).map(([off, v]) => StoreImm(R10, off, v, sz))),
  fc.constantFrom(...sizes).chain((sz) => fc.tuple(slot(sz), work).map(([off, r]) => LoadMem(r, R10, off, sz))),
  fc.constantFrom(Size.B, Size.H, Size.W).chain((sz) => fc.tuple(slot(sz), work).map(([off, r]) => LoadMemSX(r, R10, off, sz))),
  fc
    .tuple(fc.constantFrom(Size.W, Size.DW), fc.constantFrom('add', 'or', 'and', 'xor', 'fetchAdd', 'fetchOr', 'fetchAnd', 'fetchXor', 'xchg', 'cmpxchg') as fc.Arbitrary<keyof typeof Atomic>, work)
    .chain(([sz, op, r]) => slot(sz).map((off) => (Atomic[op] as (d: Register, o: number, s: Register, z: Size) => Instruction)(R10, off, r, sz))),
);
const memProgram = fc
  .tuple(fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 8, maxLength: 8 }), fc.array(fc.oneof(memInsn, aluInsn), { minLength: 1, maxLength: 30 }))
  .map(([init, body]) => {
    const insns: Instruction[] = [Mov.reg(R9, R1)];
    init.forEach((v, r) => insns.push(LoadImm64(r as Register, v)));
    for (let off = -8; off >= -64; off -= 8) insns.push(StoreMem(R10, off, (((-off / 8) % 8) as Register), Size.DW));
    insns.push(...body);
    // Fold the stack area into the registers compared: r0 ^= each slot.
    for (let off = -8; off >= -64; off -= 8) insns.push(LoadMem(R8, R10, off, Size.DW), Xor.reg(R0, R8));
    return insns;
  });

ktest('kernel oracle: random stack programs (stores, loads, memsx, atomics) give the same registers', (k) => {
  fc.assert(
    fc.property(memProgram, program, (mem, alu) => {
      // Reuse the xdp epilogue of the ALU generator: append it to the memory program.
      const epilogue = alu.slice(alu.findIndex((i) => i.code === 0x7b && i.dst === 10));
      both(k, 'xdp', [...mem, ...epilogue], new Uint8Array(64));
    }),
    { numRuns: numRuns(300) },
  );
}, isaV4Missing);

// ---- contexts and packets ----

const skbFields: [string, number][] = [
  ['len', 0], ['pkt_type', 4], ['mark', 8], ['queue_mapping', 12], ['protocol', 16], ['vlan_present', 20], ['vlan_tci', 24], ['priority', 32],
  ['ingress_ifindex', 36], ['ifindex', 40], ['tc_index', 44], ['cb[0]', 48], ['hash', 68], ['tc_classid', 72], ['napi_id', 84], ['wire_len', 160], ['gso_segs', 164], ['gso_size', 176],
];
for (const type of ['socket_filter', 'sched_cls']) {
  ktest(`kernel oracle: ${type} sees the same __sk_buff fields`, (k) => {
    const frames = [frame, (() => { const f = frame.slice(); f.fill(0xff, 0, 6); return f; })(), (() => { const f = frame.slice(); f[0] = 0x01; return f; })(), (() => { const f = frame.slice(); f.fill(0, 0, 6); return f; })()];
    let compared = 0;
    for (const [name, off] of skbFields) {
      const insns = [LoadMem(R0, R1, off, Size.W), Exit()];
      let fd: number;
      try {
        fd = kernelLoad(k, type, insns);
      } catch {
        continue; // the verifier does not give this program type the field
      }
      k.close(fd);
      for (const f of frames) {
        both(k, type, insns, f, { label: `${name} (frame ${hex(f.subarray(0, 6))})` });
      }
      compared++;
    }
    assert.ok(compared >= 8, `compared ${compared} fields`);
  });
}

ktest('kernel oracle: __sk_buff ctx_in fields reach the program and ctx_out comes back', (k) => {
  const ctx = new Uint8Array(192);
  const v = new DataView(ctx.buffer);
  v.setUint32(8, 99, true); // mark
  v.setUint32(32, 5, true); // priority
  v.setUint32(48 + 8, 0x1234, true); // cb[2]
  const insns = [
    LoadMem(R2, R1, 8, Size.W),
    LoadMem(R3, R1, 48 + 8, Size.W),
    Add.reg(R2, R3),
    StoreImm(R1, 8, 7, Size.W),
    StoreImm(R1, 32, 9, Size.W),
    StoreImm(R1, 48 + 4, 8, Size.W),
    Mov.reg(R0, R2),
    Exit(),
  ];
  for (const type of ['sched_cls', 'socket_filter']) {
    // Socket filters may write only cb[].
    const body = type === 'socket_filter' ? insns.filter((i) => !(i.code === 0x62 && (i.off === 8 || i.off === 32))) : insns;
    const { kr, ir } = both(k, type, body, frame, { ctx, label: type });
    assert.is(hex(ir.ctxOut ?? new Uint8Array(0)), hex(kr.ctxOut ?? new Uint8Array(0)), `${type} ctx out`);
  }
}, storeImmToCtxMissing);

ktest('kernel oracle: LD_ABS / LD_IND in network order, out of bounds returns 0 (socket_filter)', (k) => {
  // LD_ABS/LD_IND take the skb from R6.
  for (const body of [
    [LoadAbs(Size.H, 0), Exit()],
    [LoadAbs(Size.B, 9), Exit()],
    [LoadAbs(Size.W, 12), Exit()],
    [LoadAbs(Size.W, 1000), Mov.imm(R0, 7), Exit()],
    [Mov.imm(R7, 20), LoadInd(Size.H, R7, 2), Exit()],
    [Mov.imm(R7, -4), LoadInd(Size.W, R7, 0), Mov.imm(R0, 9), Exit()],
    [LoadAbs(Size.H, -0x100000 + 2), Exit()],
    [LoadAbs(Size.H, -0x200000 + 12), Exit()],
    [LoadAbs(Size.B, 0x7fffffff), Mov.imm(R0, 3), Exit()],
  ]) {
    for (const type of ['socket_filter', 'sched_cls']) both(k, type, [Mov.reg(R6, R1), ...body], frame, { label: `${type} ${JSON.stringify(body[0])}` });
  }
});

ktest('kernel oracle: tc direct packet writes come back in data out; socket filters get a zeroed link-layer header', (k) => {
  const write = [
    LoadMem(R2, R1, 76, Size.W),
    LoadMem(R3, R1, 80, Size.W),
    Mov.reg(R4, R2),
    Add.imm(R4, 16),
    JGT.reg(R4, R3, 2),
    StoreImm(R2, 12, 0x1234, Size.H),
    StoreImm(R2, 8, -1, Size.DW),
    Mov.imm(R0, 0),
    Exit(),
  ];
  both(k, 'sched_cls', write, frame);
  both(k, 'socket_filter', [Mov.imm(R0, 5), Exit()], frame);
});

ktest('kernel oracle: xdp_adjust_head / adjust_tail change data out', (k) => {
  const id = (n: string) => helperByName(n)?.id ?? -1;
  for (const [helper, delta] of [['bpf_xdp_adjust_head', 14], ['bpf_xdp_adjust_head', -16], ['bpf_xdp_adjust_tail', -4], ['bpf_xdp_adjust_tail', 8], ['bpf_xdp_adjust_head', 40], ['bpf_xdp_adjust_head', -300]] as const) {
    both(k, 'xdp', [Mov.reg(R6, R1), Mov.imm(R2, delta), Call.helper(id(helper)), Mov.reg(R7, R0), Mov.imm(R0, 2), JEq.imm(R7, 0, 1), Mov.imm(R0, 1), Exit()], frame);
  }
});

// ---- calls, loops, maps ----

ktest('kernel oracle: bpf-to-bpf calls keep R6–R9 and use their own stack', (k) => {
  const insns = [
    Mov.imm(R6, 100),
    StoreImm(R10, -8, 7, Size.DW),
    Mov.imm(R1, 5),
    Call.subprog(5),
    LoadMem(R1, R10, -8, Size.DW),
    Add.reg(R0, R6),
    Add.reg(R0, R1),
    Exit(),
    Mov.imm(R2, 0),
    // subprogram at slot 9: r0 = r1 * 3 with its own stack slot
    Exit(),
  ];
  // Build it properly: main (0..7), sub at 8.
  const main = [
    Mov.imm(R6, 100),
    StoreImm(R10, -8, 7, Size.DW),
    Mov.imm(R1, 5),
    Call.subprog(4), // -> slot 8
    LoadMem(R1, R10, -8, Size.DW),
    Add.reg(R0, R6),
    Add.reg(R0, R1),
    Exit(),
    StoreImm(R10, -8, 99, Size.DW),
    Mov.imm(R6, 1),
    Mov.reg(R0, R1),
    Mul.imm(R0, 3),
    Exit(),
  ];
  void insns;
  const { ir } = both(k, 'socket_filter', main, frame);
  assert.is(ir.retval, 122n);
});

ktest('kernel oracle: array map counters with atomics, over repeat, read back', (k) => {
  const fd = kernelMap(k, mapType('array'), 4, 16, 2);
  const sim = createMap({ type: 'array', keySize: 4, valueSize: 16, maxEntries: 2 }) as ArrayMap;
  const lookup = helperByName('bpf_map_lookup_elem')?.id ?? 1;
  const insns = [
    StoreImm(R10, -4, 1, Size.W),
    LoadMapPtr(R1, 0),
    Mov.reg(R2, R10),
    Add.imm(R2, -4),
    Call.helper(lookup),
    JEq.imm(R0, 0, 6),
    Mov.imm(R1, 3),
    Atomic.add(R0, 0, R1, Size.DW),
    Mov.imm(R1, -1),
    Atomic.fetchAdd(R0, 8, R1, Size.W),
    Atomic.xchg(R0, 12, R1, Size.W),
    Mov.reg(R0, R1),
    Exit(),
  ];
  try {
    const pfd = kernelLoad(k, 'socket_filter', insns, [fd]);
    const kr = kernelRun(k, pfd, frame, 5);
    k.close(pfd);
    const ir = new Interpreter(insns, { progType: 'socket_filter', maps: [sim] }).run({ data: frame, repeat: 5 });
    assert.is(Number(ir.retval), kr.retval);
    const key = Buffer.alloc(4);
    key.writeUInt32LE(1);
    const value = Buffer.alloc(16);
    assert.is(mapElem(k, BPF_MAP_LOOKUP_ELEM, fd, key, value), 0);
    assert.is(hex(sim.at(1)), hex(value));
  } finally {
    k.close(fd);
  }
});

// ---- map helper results (errno values) for a sequence of operations, dumped to the packet ----

type MapOp = ['update', number, number, number] | ['delete', number] | ['lookup', number] | ['push', number, number] | ['pop' | 'peek'];

function mapOpsProgram(ops: MapOp[]): Instruction[] {
  const h = (n: string) => helperByName(n)?.id ?? -1;
  const keyAt = (key: number) => [StoreImm(R10, -4, key, Size.W), LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -4)];
  const insns: Instruction[] = [
    LoadMem(R7, R1, 0, Size.W),
    LoadMem(R8, R1, 4, Size.W),
    Mov.reg(R1, R7),
    Add.imm(R1, ops.length * 8),
    JGT.reg(R1, R8, 0), // patched below to jump to the final exit
  ];
  const jumpAt = insns.length - 1;
  ops.forEach((op, i) => {
    switch (op[0]) {
      case 'update':
        insns.push(StoreImm(R10, -16, op[2], Size.DW), ...keyAt(op[1]), Mov.reg(R3, R10), Add.imm(R3, -16), Mov.imm(R4, op[3]), Call.helper(h('bpf_map_update_elem')));
        break;
      case 'delete':
        insns.push(...keyAt(op[1]), Call.helper(h('bpf_map_delete_elem')));
        break;
      case 'lookup':
        insns.push(...keyAt(op[1]), Call.helper(h('bpf_map_lookup_elem')), Mov.reg(R1, R0), Mov.imm(R0, -1), JEq.imm(R1, 0, 1), LoadMem(R0, R1, 0, Size.DW));
        break;
      case 'push':
        insns.push(StoreImm(R10, -16, op[1], Size.DW), LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -16), Mov.imm(R3, op[2]), Call.helper(h('bpf_map_push_elem')));
        break;
      default:
        insns.push(StoreImm(R10, -16, -1, Size.DW), LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -16), Call.helper(h(op[0] === 'pop' ? 'bpf_map_pop_elem' : 'bpf_map_peek_elem')), LoadMem(R1, R10, -16, Size.DW), LSh.imm(R0, 32), Or.reg(R0, R1));
    }
    insns.push(StoreMem(R7, i * 8, R0, Size.DW));
  });
  insns.push(Mov.imm(R0, 2), Exit());
  let slots = 0;
  for (let i = jumpAt + 1; i < insns.length - 2; i++) slots += typeof insns[i].imm === 'bigint' ? 2 : 1;
  insns[jumpAt] = JGT.reg(R1, R8, slots);
  return insns;
}

const mapCases: [string, { type: string; keySize: number; valueSize: number; maxEntries: number; flags?: number }, MapOp[]][] = [
  ['hash', { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 2 }, [
    ['update', 1, 10, 0], ['update', 1, 11, 1], ['update', 2, 20, 2], ['update', 2, 21, 0], ['update', 3, 30, 0], ['update', 3, 30, 4],
    ['delete', 3], ['lookup', 1], ['delete', 1], ['lookup', 1], ['update', 3, 30, 1], ['lookup', 3], ['lookup', 2],
  ]],
  ['lru_hash', { type: 'lru_hash', keySize: 4, valueSize: 8, maxEntries: 64 }, [['update', 1, 10, 0], ['update', 1, 11, 1], ['update', 2, 20, 2], ['lookup', 1], ['delete', 1], ['delete', 1]]],
  ['array', { type: 'array', keySize: 4, valueSize: 8, maxEntries: 2 }, [['update', 1, 10, 0], ['update', 1, 11, 1], ['update', 1, 12, 2], ['update', 2, 1, 0], ['update', 0, 1, 4], ['delete', 0], ['lookup', 1], ['lookup', 2]]],
  ['percpu_array', { type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 2 }, [['update', 1, 10, 0], ['lookup', 1], ['update', 1, 11, 1], ['lookup', 0]]],
  ['queue', { type: 'queue', keySize: 0, valueSize: 8, maxEntries: 2 }, [['push', 1, 0], ['push', 2, 0], ['push', 3, 0], ['push', 4, 2], ['peek'], ['pop'], ['pop'], ['pop'], ['push', 5, 1]]],
  ['stack', { type: 'stack', keySize: 0, valueSize: 8, maxEntries: 2 }, [['push', 1, 0], ['push', 2, 0], ['push', 3, 0], ['push', 4, 2], ['peek'], ['pop'], ['pop'], ['pop']]],
];

for (const [name, spec, ops] of mapCases) {
  ktest(`kernel oracle: ${name} helper results (flags, errno values) match`, (k) => {
    const fd = kernelMap(k, mapType(spec.type), spec.keySize, spec.valueSize, spec.maxEntries, spec.flags ?? 0);
    try {
      // The kernel runs test_run on some CPU; a per-CPU map on our CPU 0 of 2 is equivalent for one run.
      both(k, 'xdp', mapOpsProgram(ops), new Uint8Array(ops.length * 8), { makeMaps: () => [createMap({ ...spec, cpus: 2 })], fds: [fd], label: name });
    } finally {
      k.close(fd);
    }
  }, helperErrnoSignExtendMissing);
}

ktest('kernel oracle: lpm_trie longest-prefix lookups match', (k) => {
  const fd = kernelMap(k, mapType('lpm_trie'), 8, 8, 16, 1);
  try {
    const sim = createMap({ type: 'lpm_trie', keySize: 8, valueSize: 8, maxEntries: 16, flags: 1 });
    const prefixes: [number, number[], bigint][] = [[8, [10, 0, 0, 0], 8n], [24, [10, 1, 2, 0], 24n], [0, [0, 0, 0, 0], 1n], [32, [10, 1, 2, 3], 32n], [16, [192, 168, 0, 0], 16n]];
    for (const [len, addr, v] of prefixes) {
      const key = Buffer.from([len, 0, 0, 0, ...addr]);
      const value = Buffer.alloc(8);
      value.writeBigUInt64LE(v);
      assert.is(mapElem(k, BPF_MAP_UPDATE_ELEM, fd, key, value), 0);
      sim.set(key, value);
    }
    const lookups: [number, number[]][] = [[32, [10, 1, 2, 3]], [32, [10, 1, 2, 4]], [32, [10, 9, 9, 9]], [32, [11, 0, 0, 0]], [20, [10, 1, 2, 3]], [32, [192, 168, 7, 7]], [8, [192, 168, 0, 0]]];
    const lookup = helperByName('bpf_map_lookup_elem')?.id ?? 1;
    const insns: Instruction[] = [LoadMem(R7, R1, 0, Size.W), LoadMem(R8, R1, 4, Size.W), Mov.reg(R1, R7), Add.imm(R1, lookups.length * 8)];
    const body: Instruction[] = [];
    lookups.forEach(([len, a], i) => {
      body.push(
        StoreImm(R10, -8, len, Size.W),
        StoreImm(R10, -4, a[0] | (a[1] << 8) | (a[2] << 16) | (a[3] << 24), Size.W),
        LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -8), Call.helper(lookup),
        Mov.reg(R1, R0), Mov.imm(R0, -1), JEq.imm(R1, 0, 1), LoadMem(R0, R1, 0, Size.DW),
        StoreMem(R7, i * 8, R0, Size.DW),
      );
    });
    const slots = body.reduce((n, i) => n + (typeof i.imm === 'bigint' ? 2 : 1), 0);
    insns.push(JGT.reg(R1, R8, slots), ...body, Mov.imm(R0, 2), Exit());
    both(k, 'xdp', insns, new Uint8Array(lookups.length * 8), { maps: [sim], fds: [fd] });
  } finally {
    k.close(fd);
  }
});

ktest('kernel oracle: ring buffer output / reserve / discard positions and bpf_ringbuf_query', (k) => {
  {
    const h = (n: string) => helperByName(n)?.id ?? -1;
    const out = (size: number) => [LoadMapPtr(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -64), Mov.imm(R3, size), Mov.imm(R4, 0), Call.helper(h('bpf_ringbuf_output')), Add.reg(R6, R0)];
    const query = (flag: number, shift: number) => [LoadMapPtr(R1, 0), Mov.imm(R2, flag), Call.helper(h('bpf_ringbuf_query')), LSh.imm(R0, shift), Add.reg(R6, R0)];
    for (const flag of [0, 1, 2, 3]) {
      const insns: Instruction[] = [
        Mov.imm(R6, 0),
        ...Array.from({ length: 8 }, (_, i) => StoreImm(R10, -64 + i * 8, i, Size.DW)),
        ...out(1), ...out(8), ...out(13), ...out(0), ...out(64),
        LoadMapPtr(R1, 0), Mov.imm(R2, 20), Mov.imm(R3, 0), Call.helper(h('bpf_ringbuf_reserve')), JEq.imm(R0, 0, 3), Mov.reg(R1, R0), Mov.imm(R2, 0), Call.helper(h('bpf_ringbuf_discard')),
        ...query(flag, 8), Mov.reg(R0, R6), Exit(),
      ];
      // Fresh ring buffers for both sides: positions start at 0.
      const kfdMap = kernelMap(k, mapType('ringbuf'), 0, 0, 4096);
      const kfd = kernelLoad(k, 'socket_filter', insns, [kfdMap]);
      try {
        const kr = kernelRun(k, kfd, frame);
        const ir = new Interpreter(insns, { progType: 'socket_filter', maps: [createMap({ type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 })] }).run({ data: frame });
        assert.is(Number(ir.retval), kr.retval, `query flag ${flag}`);
      } finally {
        k.close(kfd);
        k.close(kfdMap);
      }
    }
  }
});

ktest('kernel oracle: bpf_skb_load_bytes and bpf_xdp_adjust_meta', (k) => {
  const h = (n: string) => helperByName(n)?.id ?? -1;
  for (const [off, len] of [[0, 4], [12, 2], [44, 4], [45, 4], [-1, 4]]) {
    both(k, 'sched_cls', [StoreImm(R10, -8, -1, Size.DW), Mov.imm(R2, off), Mov.reg(R3, R10), Add.imm(R3, -8), Mov.imm(R4, len), Call.helper(h('bpf_skb_load_bytes')), LoadMem(R1, R10, -8, Size.W), Add.reg(R0, R1), Exit()], frame, { label: `skb_load_bytes ${off}` });
  }
  for (const delta of [-4, -8, -32, -36, 4, -6, -252, -256, -260]) {
    both(k, 'xdp', [Mov.imm(R2, delta), Call.helper(h('bpf_xdp_adjust_meta')), Exit()], frame, { label: `adjust_meta ${delta}` });
  }
}, xdpLargeMetaMissing);

ktest('kernel oracle: data_in size limits (EINVAL in the kernel, a setup error here)', (k) => {
  const fd = kernelLoad(k, 'xdp', [Mov.imm(R0, 2), Exit()]);
  const sfd = kernelLoad(k, 'sched_cls', [Mov.imm(R0, 0), Exit()]);
  try {
    for (const [type, pfd, size, ok] of [['xdp', fd, 13, false], ['xdp', fd, 14, true], ['xdp', fd, 3520, true], ['sched_cls', sfd, 13, false], ['sched_cls', sfd, 3712, true], ['sched_cls', sfd, 3713, false]] as const) {
      let kernelOk = true;
      try {
        kernelRun(k, pfd, new Uint8Array(size));
      } catch {
        kernelOk = false;
      }
      let ours = true;
      try {
        new Interpreter([Mov.imm(R0, 0), Exit()], { progType: type }).run({ data: new Uint8Array(size) });
      } catch {
        ours = false;
      }
      assert.is(kernelOk, ok, `kernel ${type} ${size}`);
      assert.is(ours, ok, `interpreter ${type} ${size}`);
    }
  } finally {
    k.close(fd);
    k.close(sfd);
  }
});

ktest('kernel oracle: tail calls jump to the program in the slot and fall through on an empty one', (k) => {
  const pa = kernelMap(k, mapType('prog_array'), 4, 4, 4);
  const sim = createMap({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4 }) as ProgArrayMap;
  const tail = helperByName('bpf_tail_call')?.id ?? 12;
  const target = [Mov.imm(R0, 42), Exit()];
  const caller = (index: number) => [Mov.imm(R0, 1), LoadMapPtr(R2, 0), Mov.imm(R3, index), Call.helper(tail), Mov.imm(R0, 7), Exit()];
  const tfd = kernelLoad(k, 'socket_filter', target);
  try {
    const key = Buffer.alloc(4);
    key.writeUInt32LE(2);
    const val = Buffer.alloc(4);
    val.writeUInt32LE(tfd);
    assert.is(mapElem(k, BPF_MAP_UPDATE_ELEM, pa, key, val), 0);
    sim.setProgram(2, target);
    for (const index of [2, 1, 9]) {
      const { ir } = both(k, 'socket_filter', caller(index), frame, { makeMaps: () => [sim], fds: [pa] });
      assert.is(ir.retval, index === 2 ? 42n : 7n);
    }
  } finally {
    k.close(tfd);
    k.close(pa);
  }
});

// ---- the verifier differential's plausible programs (bench/verifier-fuzz-program.ts), accepted ones run in both ----

ktest(`kernel oracle: ${numRuns(150)} plausible generated programs the kernel accepts give the same retval and data out (interpreted and compiled)`, (k) => {
  const programs = fc.sample(plausibleProgram, { numRuns: numRuns(150), seed: 20261207 });
  const env = { pidTgid: (BigInt(process.pid) << 32n) | BigInt(process.pid), uidGid: 0n };
  const data = new Uint8Array(64).map((_, i) => (i < frame.length ? frame[i] : i * 7));
  const diffs: string[] = [];
  let compared = 0;
  for (const p of programs) {
    if (!interpreterComparable(p)) continue;
    const fd = kernelMap(k, mapType('hash'), 4, 8, 4);
    try {
      let pfd: number;
      try {
        pfd = kernelLoad(k, p.progType, p.insns, [fd]);
      } catch {
        continue; // rejected: the verifier differential's business
      }
      let kr: KernelRun;
      try {
        kr = kernelRun(k, pfd, data);
      } finally {
        k.close(pfd);
      }
      compared++;
      for (const compile of [false, true]) {
        const ir = new Interpreter(p.insns, { progType: p.progType, maps: [createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4 })], env, compile }).run({ data });
        if (Number(ir.retval) !== kr.retval || hex(ir.dataOut) !== hex(kr.dataOut)) {
          diffs.push(`${compile ? 'compiled' : 'interpreted'} ${p.progType}: kernel retval ${kr.retval}, ours ${ir.retval}${hex(ir.dataOut) === hex(kr.dataOut) ? '' : ' (data out differs)'}: ${disassembleKernel(p.insns).join(' | ')}`);
        }
      }
    } finally {
      k.close(fd);
    }
  }
  console.log(`interp vs kernel: ${compared} accepted plausible programs compared`);
  assert.ok(compared >= programs.length / 4, `only ${compared} of ${programs.length} programs were comparable`);
  assert.equal(diffs, []);
});

test.run();
