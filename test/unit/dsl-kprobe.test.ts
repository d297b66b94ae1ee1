/**
 * eDSL register contexts offline: kprobe `PT_REGS_*` (x86_64 and arm64), the `_SYSCALL`
 * variants through a syscall wrapper's inner registers, BPF_KPROBE_READ_RET_IP /
 * BPF_KRETPROBE_READ_RET_IP, raw_tracepoint `ctx.arg(i)` and perf_event `bpf_perf_event_data`.
 * The oracle is the kernel's struct declaration order: each test context holds a distinct value
 * per register, laid out from the field lists below (not from the eDSL's offset tables), and the
 * interpreter runs the compiled program over it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile, hostArch, program, ptRegsLayout, simulate, type Expr, type ParmIndex, type PtRegsArch, type U64 } from '../../src/dsl/index.js';
import { verify } from '../../verifier-sim/index.js';
import { resolve } from 'ebpf-bytecode-utils';

/** `struct pt_regs` of arch/x86/include/asm/ptrace.h, in declaration order (8 bytes each). */
const X86_FIELDS = ['r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di', 'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss'];
/** `struct pt_regs` of arch/arm64/include/asm/ptrace.h: regs[31], sp, pc, pstate, orig_x0. */
const ARM64_FIELDS = [...Array.from({ length: 31 }, (_, i) => `x${i}`), 'sp', 'pc', 'pstate', 'orig_x0'];
/** Which register holds what, per the x86_64 and arm64 calling conventions (SysV, AAPCS64). */
const ROLE: Record<PtRegsArch, Record<string, string>> = {
  x86_64: { parm1: 'di', parm2: 'si', parm3: 'dx', parm4: 'cx', parm5: 'r8', parm6: 'r9', rc: 'ax', ip: 'ip', sp: 'sp', fp: 'bp', sys4: 'r10' },
  arm64: { parm1: 'x0', parm2: 'x1', parm3: 'x2', parm4: 'x3', parm5: 'x4', parm6: 'x5', rc: 'x0', ip: 'pc', sp: 'sp', fp: 'x29', sys4: 'x3', lr: 'x30', sys1: 'orig_x0' },
};

function fields(arch: PtRegsArch): string[] { return arch === 'x86_64' ? X86_FIELDS : ARM64_FIELDS; }

/** Register block where register `name` holds `base + index` (an address-like distinct value). */
function regs(arch: PtRegsArch, base: bigint, size?: number): Uint8Array {
  const names = fields(arch);
  const out = new Uint8Array(size ?? names.length * 8);
  const dv = new DataView(out.buffer);
  names.forEach((_, i) => { if (i * 8 + 8 <= out.length) dv.setBigUint64(i * 8, base + BigInt(i), true); });
  return out;
}
function valueOf(arch: PtRegsArch, base: bigint, reg: string): bigint {
  return base + BigInt(fields(arch).indexOf(reg));
}

/** Runs a kprobe program returning `pick(ctx)` over registers `base + i`; returns R0. */
function runKprobe(arch: PtRegsArch, pick: (ctx: Parameters<Parameters<typeof program<'kprobe'>>[2]>[1], $: Parameters<Parameters<typeof program<'kprobe'>>[2]>[0]) => Expr<U64>, memory: { address: bigint; bytes: Uint8Array }[] = []): bigint {
  const out = compile(program('k', 'kprobe', ($, ctx) => pick(ctx, $), { arch }));
  // The offline verifier models this host's pt_regs (x86_64: 168 bytes), like the kernel does.
  if (arch === 'x86_64') {
    const v = verify(resolve(out.insns, { maps: {} }).instructions, { progType: 'kprobe' });
    assert.is(v.verdict, 'accept', v.log);
  }
  const ctxBytes = regs(arch, 0x1000n, ptRegsLayout(arch).size);
  return simulate(out, { env: { memory } }).run({ ctx: ctxBytes }).r0;
}

for (const arch of ['x86_64', 'arm64'] as const) {
  test(`${arch}: PT_REGS_PARM1..6, RC, IP, SP, FP read the calling convention's registers`, () => {
    for (const n of [1, 2, 3, 4, 5, 6] as ParmIndex[]) {
      assert.is(runKprobe(arch, (ctx) => ctx.parm(n)), valueOf(arch, 0x1000n, ROLE[arch][`parm${n}`]), `PARM${n}`);
    }
    for (const r of ['rc', 'ip', 'sp', 'fp'] as const) assert.is(runKprobe(arch, (ctx) => ctx[r]), valueOf(arch, 0x1000n, ROLE[arch][r]), r);
  });

  test(`${arch}: PT_REGS_PARMn_SYSCALL reads the inner pt_regs behind PARM1 with probe_read_kernel`, () => {
    // The wrapper's PARM1 register points at an inner register block in "kernel memory".
    const inner = regs(arch, 0x5000n);
    const address = valueOf(arch, 0x1000n, ROLE[arch].parm1);
    for (const n of [1, 2, 3, 4, 5, 6] as ParmIndex[]) {
      const reg = n === 4 ? ROLE[arch].sys4 : n === 1 && arch === 'arm64' ? ROLE.arm64.sys1 : ROLE[arch][`parm${n}`];
      assert.is(runKprobe(arch, (ctx) => ctx.syscallParm(n), [{ address, bytes: inner }]), valueOf(arch, 0x5000n, reg), `PARM${n}_SYSCALL`);
    }
    // Unreadable inner registers read as 0, as bpf_probe_read_kernel zeroes its buffer on a fault.
    assert.is(runKprobe(arch, (ctx) => ctx.syscallParm(2)), 0n);
  });

  test(`${arch}: BPF_KPROBE_READ_RET_IP and BPF_KRETPROBE_READ_RET_IP`, () => {
    const word = (v: bigint) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, v, true); return b; };
    const sp = valueOf(arch, 0x1000n, ROLE[arch].sp);
    const fp = valueOf(arch, 0x1000n, ROLE[arch].fp);
    const got = runKprobe(arch, (ctx) => ctx.readRetIp(), [{ address: sp, bytes: word(0xdeadbeefn) }]);
    if (arch === 'x86_64') assert.is(got, 0xdeadbeefn, 'the word at sp');
    else assert.is(got, valueOf(arch, 0x1000n, ROLE.arm64.lr), 'the link register');
    assert.is(runKprobe(arch, (ctx) => ctx.readKretRetIp(), [{ address: fp + 8n, bytes: word(0xcafen) }]), 0xcafen);
  });
}

for (const arch of ['x86_64', 'arm64'] as const) {
  test(`${arch}: $.syscallArgOf(regs, n) reads syscall arguments from a pt_regs address (fexit on a syscall wrapper)`, () => {
    const inner = regs(arch, 0x7000n);
    const address = 0xffff888000010000n;
    const args = new Uint8Array(8);
    new DataView(args.buffer).setBigUint64(0, address, true);
    for (const n of [1, 2, 4, 6] as ParmIndex[]) {
      const out = compile(program('s', 'raw_tracepoint', ($, ctx) => $.syscallArgOf(ctx.arg(0), n, arch)));
      const reg = n === 4 ? ROLE[arch].sys4 : n === 1 && arch === 'arm64' ? ROLE.arm64.sys1 : ROLE[arch][`parm${n}`];
      assert.is(simulate(out, { env: { memory: [{ address, bytes: inner }] } }).run({ ctx: args }).r0, valueOf(arch, 0x7000n, reg), `arg ${n}`);
    }
  });
}

test('syscallWrapper: false reads syscall arguments from the context itself', () => {
  const out = compile(program('k', 'kprobe', (_$, ctx) => ctx.syscallParm(4), { arch: 'x86_64', syscallWrapper: false }));
  assert.is(simulate(out).run({ ctx: regs('x86_64', 0x1000n, 168) }).r0, valueOf('x86_64', 0x1000n, 'r10'));
});

test('PT_REGS_PARM out of range and unknown architectures are DslErrors', () => {
  assert.throws(() => program('k', 'kprobe', (_$, ctx) => ctx.parm(7 as ParmIndex), { arch: 'x86_64' }), /out of range 1\.\.6/);
  assert.throws(() => program('k', 'kprobe', (_$, ctx) => ctx.parm(1), { arch: 'mips' as PtRegsArch }), /not supported/);
  assert.ok(['x86_64', 'arm64'].includes(hostArch()));
});

test('raw_tracepoint: ctx.arg(i) is args[i]; the verifier accepts it; index 12 is refused', () => {
  const args = new Uint8Array(12 * 8);
  const dv = new DataView(args.buffer);
  for (let i = 0; i < 12; i++) dv.setBigUint64(i * 8, 0x100n * BigInt(i + 1), true);
  for (const i of [0, 1, 5, 11] as const) {
    const out = compile(program('r', 'raw_tracepoint', (_$, ctx) => ctx.arg(i)));
    assert.is(verify(resolve(out.insns, { maps: {} }).instructions, { progType: 'raw_tracepoint' }).verdict, 'accept');
    assert.is(simulate(out).run({ ctx: args }).r0, 0x100n * BigInt(i + 1));
  }
  assert.throws(() => program('r', 'raw_tracepoint', (_$, ctx) => ctx.arg(12 as 0)), /out of range 0\.\.11/);
});

for (const arch of ['x86_64', 'arm64'] as const) {
  test(`${arch}: perf_event regs, sample_period and addr follow bpf_user_pt_regs_t`, () => {
    const size = ptRegsLayout(arch).size;
    const ctxBytes = new Uint8Array(size + 16);
    ctxBytes.set(regs(arch, 0x1000n, size));
    const dv = new DataView(ctxBytes.buffer);
    dv.setBigUint64(size, 100000n, true);
    dv.setBigUint64(size + 8, 0xabcn, true);
    const run = (pick: (ctx: Parameters<Parameters<typeof program<'perf_event'>>[2]>[1]) => Expr<U64>) => simulate(compile(program('p', 'perf_event', (_$, ctx) => pick(ctx), { arch }))).run({ ctx: ctxBytes }).r0;
    assert.is(run((c) => c.regs.ip), valueOf(arch, 0x1000n, ROLE[arch].ip));
    assert.is(run((c) => c.regs.parm(2)), valueOf(arch, 0x1000n, ROLE[arch].parm2));
    assert.is(run((c) => c.samplePeriod), 100000n);
    assert.is(run((c) => c.addr), 0xabcn);
  });
}

test.run();
