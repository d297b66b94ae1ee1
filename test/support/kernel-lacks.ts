/**
 * Probes of the running kernel for features that kernel tests need beyond "root + bpf() work",
 * so that the same test files run on this machine's 6.18 and inside the VMs (6.12, 6.1). Each
 * probe tries the feature directly (creates the map, loads the smallest program using the
 * instruction) and returns `null` when it works, else why not, naming the errno. Answers are
 * cached per process.
 *
 * These are independent of `src/features` on purpose: a test may compare the product's probe
 * with the direct attempt.
 * @module
 */

import { AttachTypes, Call, Exit, JGT, LoadMapPtr, LoadMem, Mov, R0, R1, R2, R3, R4, R5, R10, RSh, SDiv, Size, StoreImm, Add, encode, helpers, resolve, Atomic, Label, MayGoto, type Instruction, type ProgramItem } from 'ebpf-bytecode-utils';
import { SyscallError, closeFd, mapCreate, progLoad, progTestRun, type MapCreateOptions } from '../../syscalls/index.js';
import { helperSupported } from '../../src/features/index.js';
import { BtfKind, vmlinuxBtf } from './mini-btf.js';
import { verify } from '../../verifier-sim/verifier/index.js';

const cache = new Map<string, string | null>();

function cached(key: string, probe: () => string | null): string | null {
  if (!cache.has(key)) cache.set(key, probe());
  return cache.get(key)!;
}

/** `bpf(BPF_MAP_CREATE): … (EPERM)` from a failed call; rethrows anything that is not a syscall error. */
function describe(e: unknown): string {
  if (e instanceof SyscallError) return `${e.message} (${e.code})`;
  throw e;
}

/** BPF_MAP_TYPE_ARENA, one page, `BPF_F_MMAPABLE`, user address 4 GiB: what tests create. */
export const ARENA_MAP: MapCreateOptions = { mapType: 33, keySize: 0, valueSize: 0, maxEntries: 1, mapFlags: 1 << 10, mapExtra: 1n << 32n };

/**
 * Null when an arena map can be created here, else why not: `an arena map cannot be created
 * here: bpf(BPF_MAP_CREATE): … (EPERM)`. Arena needs Linux 6.9; some 6.18 hosts refuse it with
 * EPERM.
 */
export function arenaMissing(): string | null {
  return cached('arena', () => {
    try {
      closeFd(mapCreate(ARENA_MAP));
      return null;
    } catch (e) {
      return `an arena map cannot be created here: ${describe(e)}`;
    }
  });
}

/**
 * Null when the kernel's verifier accepts the program `items` (a socket filter by default), else why not:
 * `<what> is rejected by this kernel: bpf(BPF_PROG_LOAD): … (EINVAL)` with the verifier's line.
 */
export function instructionMissing(what: string, items: readonly ProgramItem[], progType = 1): string | null {
  return cached(`insn:${what}`, () => {
    try {
      closeFd(progLoad({ progType, insns: encode(resolve([...items]).instructions), logLevel: 1, logSize: 1 << 16 }).fd);
      return null;
    } catch (e) {
      return `${what} is rejected by this kernel: ${describe(e)}`;
    }
  });
}

/**
 * Null when the kernel accepts the v4 instruction set (sdiv/smod, movsx, ldsx, bswap, gotol;
 * Linux 6.6), probed by loading `r0 = 1; r0 s/= 1; exit`; else why not.
 */
export function isaV4Missing(): string | null {
  return instructionMissing('ISA v4 (sdiv, Linux 6.6)', [Mov.imm(R0, 1), SDiv.imm(R0, 1), Exit()]);
}

/**
 * Null when the verifier lets a program store an immediate into its context with BPF_ST
 * (`*(u32 *)(r1 +8) = 7`, `__sk_buff.mark` of a sched_cls program; Linux 6.3), else why not.
 */
export function storeImmToCtxMissing(): string | null {
  return instructionMissing('BPF_ST into the context (Linux 6.3)', [StoreImm(R1, 8, 7, Size.W), Mov.imm(R0, 0), Exit()], 3);
}

/** Null when vmlinux BTF has the kernel function (kfunc) `name`, else why not. */
export function kfuncMissing(name: string): string | null {
  return cached(`kfunc:${name}`, () => (vmlinuxBtf().byName(name, BtfKind.FUNC).length > 0 ? null : `this kernel has no kfunc ${name} (not in /sys/kernel/btf/vmlinux)`));
}

/**
 * Null when program type `progType` (a name of `ProgramTypes`) may call every helper of
 * `names` on this kernel (the product's helper probe, `src/features`), else which one it may not.
 */
export function helpersMissing(progType: Parameters<typeof helperSupported>[0], ...names: string[]): string | null {
  for (const name of names) {
    const h = helpers.find((x) => x.name === name);
    if (h === undefined) throw new Error(`helpersMissing: no helper named ${name}`);
    if (!helperSupported(progType, h.id)) return `${progType} programs cannot call ${name} on this kernel (feature probe)`;
  }
  return null;
}

/**
 * Null when a map helper's negative errno reaches the program sign-extended to 64 bits, as on
 * 6.18 (map ops return `long` since 6.5: `bpf_map_update_elem(array, key, value, BPF_NOEXIST)`
 * = -EEXIST sets all 64 bits of r0), else the reason: older kernels zero-extend the 32-bit
 * `int`, and the interpreter models 6.18. Probed with BPF_PROG_TEST_RUN returning `r0 >> 32`.
 */
export function helperErrnoSignExtendMissing(): string | null {
  return cached('errno-sext', () => {
    let map = -1;
    let prog = -1;
    try {
      map = mapCreate({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1 });
      const insns = resolve([
        StoreImm(R10, -4, 0, Size.W),
        StoreImm(R10, -16, 0, Size.DW),
        LoadMapPtr(R1, 'm'),
        Mov.reg(R2, R10),
        Add.imm(R2, -4),
        Mov.reg(R3, R10),
        Add.imm(R3, -16),
        Mov.imm(R4, 1), // BPF_NOEXIST: an array element always exists → -EEXIST
        Call.helper(2), // bpf_map_update_elem
        RSh.imm(R0, 32),
        Exit(),
      ], { maps: () => ({ fd: map }) }).instructions;
      prog = progLoad({ progType: 1, insns: encode(insns) }).fd;
      const high = progTestRun({ progFd: prog, dataIn: new Uint8Array(64) }).retval;
      return high === 0xffffffff ? null : `this kernel zero-extends a map helper's int errno into r0 (upper half 0x${high.toString(16)}); 6.18, which the interpreter models, sign-extends it`;
    } catch (e) {
      return `cannot probe how map helper errnos reach r0: ${describe(e)}`;
    } finally {
      if (prog >= 0) closeFd(prog);
      if (map >= 0) closeFd(map);
    }
  });
}

/**
 * Null when this kernel is at least as new as the kernel tables of `ebpf-bytecode-utils` and
 * the attr layouts of `syscalls/` (Linux 6.18): its BTF `enum bpf_attach_type` has every
 * attach type of ours. Else the reason (an older kernel, e.g. 6.1 has 44 of 58), for tests
 * that compare those tables with the kernel's and may then only check what the kernel has.
 */
export function olderThanTables(): string | null {
  return cached('older', () => {
    const kernel = vmlinuxBtf().byName('bpf_attach_type', BtfKind.ENUM)[0];
    if (kernel === undefined) return 'this kernel has no enum bpf_attach_type in its BTF';
    const names = new Set(kernel.values.map((v) => v.name.replace(/^BPF_/, '').toLowerCase()));
    const ours = Object.keys(AttachTypes);
    const lacking = ours.filter((n) => !names.has(n));
    return lacking.length === 0 ? null : `this kernel is older than the tables (its enum bpf_attach_type lacks ${lacking.length} of our ${ours.length} attach types, e.g. ${lacking[0]})`;
  });
}

/**
 * Null when `bpf_xdp_adjust_meta(ctx, -36)` succeeds as on 6.18 (more than 32 bytes of XDP
 * metadata), else the reason: older kernels refuse more than 32 bytes, and the interpreter
 * models 6.18.
 */
export function xdpLargeMetaMissing(): string | null {
  return cached('xdp-meta', () => {
    let prog = -1;
    try {
      prog = progLoad({ progType: 6, insns: encode([Mov.imm(R2, -36), Call.helper(54), Exit()]) }).fd;
      const retval = progTestRun({ progFd: prog, dataIn: new Uint8Array(64) }).retval;
      return retval === 0 ? null : `this kernel refuses 36 bytes of XDP metadata (bpf_xdp_adjust_meta(ctx, -36) = ${retval | 0}); 6.18, which the interpreter models, grants them`;
    } catch (e) {
      return `cannot probe bpf_xdp_adjust_meta: ${describe(e)}`;
    } finally {
      if (prog >= 0) closeFd(prog);
    }
  });
}

/** Null when the verifier accepts `may_goto` (Linux 6.9), else why not. */
export function mayGotoMissing(): string | null {
  // The jump must skip something: the verifier rejects `may_goto pc+0`.
  return instructionMissing('may_goto (Linux 6.9)', [Mov.imm(R0, 0), MayGoto('out'), Mov.imm(R0, 1), Label('out'), Exit()]);
}

/** Null when the verifier accepts load-acquire / store-release (Linux 6.15), else why not. */
export function loadAcquireMissing(): string | null {
  return instructionMissing('load_acquire (Linux 6.15)', [StoreImm(R10, -8, 0, Size.DW), Atomic.loadAcquire(R0, R10, -8, Size.DW), Exit()]);
}

/** The first reason of `probes` (each null or why something is missing), or null. */
export function firstMissing(...probes: (() => string | null)[]): () => string | null {
  return () => {
    for (const p of probes) {
      const r = p();
      if (r !== null) return r;
    }
    return null;
  };
}

/** Whether `insn` is an ISA v4 instruction (sdiv/smod, movsx, bswap, ldsx, gotol; Linux 6.6). */
export function isV4Instruction(insn: Instruction): boolean {
  const cls = insn.code & 0x07;
  const op = insn.code & 0xf0;
  if (cls === 0x04 || cls === 0x07) {
    if ((op === 0x30 || op === 0x90) && insn.off === 1) return true; // sdiv, smod
    if (op === 0xb0 && insn.off !== 0) return true; // movsx
    if (op === 0xd0 && cls === 0x07) return true; // bswap (ALU64 | END)
  }
  if (cls === 0x01 && (insn.code & 0xe0) === 0x80) return true; // LDX MEMSX
  return cls === 0x06 && op === 0x00; // JMP32 | JA: gotol
}

/**
 * Null when this kernel can load `insns` as far as the instruction set and the helpers go: no
 * v4 instruction where the kernel lacks v4 ({@link isaV4Missing}), and every helper called is
 * allowed for `progType` ({@link helpersMissing}); else the first reason.
 */
export function programLacks(progType: Parameters<typeof helperSupported>[0], insns: readonly Instruction[]): string | null {
  if (insns.some(isV4Instruction)) {
    const v4 = isaV4Missing();
    if (v4 !== null) return `the program uses ISA v4 instructions: ${v4}`;
  }
  for (const insn of insns) {
    if (insn.code !== 0x85 || insn.src !== 0 || typeof insn.imm !== 'number') continue;
    const h = helpers.find((x) => x.id === insn.imm);
    if (h !== undefined && !helperSupported(progType, h.id)) return `${progType} programs cannot call ${h.name} on this kernel (feature probe)`;
  }
  return null;
}

/**
 * Null when the kernel's BTF `enum bpf_attach_type` has `BPF_<NAME>` (`name` as in
 * `AttachTypes`, e.g. `tcx_ingress`: Linux 6.6), else why not.
 */
export function attachTypeMissing(name: keyof typeof AttachTypes): string | null {
  return cached(`attach-type:${name}`, () => {
    const e = vmlinuxBtf().byName('bpf_attach_type', BtfKind.ENUM)[0];
    const want = `BPF_${name.toUpperCase()}`;
    return e?.values.some((v) => v.name === want) ? null : `this kernel has no ${want} (not in enum bpf_attach_type of its BTF)`;
  });
}

/**
 * Null when the kernel's BTF `union bpf_attr` has a field `name` in any of its commands'
 * structures (e.g. `log_true_size`: Linux 6.4, with ENOSPC for a too-small log), else why not.
 */
export function attrFieldMissing(name: string): string | null {
  return cached(`attr-field:${name}`, () => {
    const btf = vmlinuxBtf();
    const attr = btf.byName('bpf_attr', BtfKind.UNION)[0];
    if (attr === undefined) return 'this kernel has no union bpf_attr in its BTF';
    const found = attr.members.some((m) => btf.flatMembers(btf.resolve(m.type).id).some((f) => f.name === name));
    return found ? null : `this kernel's union bpf_attr has no field ${name}`;
  });
}

/**
 * Null when the running kernel's verifier speaks the dialect verifier-sim models (Linux 6.18):
 * the level 1 log of the rejected socket filter `r0 = 1; r2 = *(u64 *)(r10 +8); exit` (it
 * prints the entry state and a written register) is the same line for line. Else the reason,
 * with the first differing line (6.1 prints `R1=ctx(off=0,imm=0)` where 6.18 prints
 * `R1=ctx()`; 6.12 marks written registers `R0_w=1` where 6.18 prints `R0=1`): log comparisons
 * with verifier-sim would then measure the kernel's age rather than verifier-sim.
 */
export function verifierDialectMissing(): string | null {
  return cached('verifier-dialect', () => {
    const insns = [Mov.imm(R0, 1), LoadMem(R2, R10, 8, Size.DW), Exit()];
    let kernelLog: string;
    try {
      closeFd(progLoad({ progType: 1, insns: encode(insns), logLevel: 1, logSize: 1 << 16 }).fd);
      return 'this kernel accepts \'r0 = 1; r2 = *(u64 *)(r10 +8); exit\', which verifier-sim (Linux 6.18) rejects';
    } catch (e) {
      if (!(e instanceof SyscallError) || e.log === undefined) return `cannot probe the verifier's log dialect: ${describe(e)}`;
      kernelLog = e.log;
    }
    const ours = verify(insns, { progType: 'socket_filter', logLevel: 1 }).log;
    const a = kernelLog.replace(/\0+$/, '').split('\n');
    const b = ours.split('\n');
    const i = a.findIndex((line, j) => line !== b[j]);
    if (i < 0 && a.length === b.length) return null;
    const at = i < 0 ? Math.min(a.length, b.length) : i;
    return `this kernel's verifier log differs from verifier-sim's (Linux 6.18) for 'r0 = 1; r2 = *(u64 *)(r10 +8); exit': kernel ${JSON.stringify(a[at])}, ours ${JSON.stringify(b[at])}`;
  });
}

/**
 * The granularity to which this kernel's `check_max_stack_depth` rounds each frame of a call
 * chain before comparing the sum with 512 bytes: 16 as on 6.18 with the JIT
 * (`round_up_stack_depth`), 32 on older kernels (6.1 rounds every frame to 32, the interpreter's
 * granularity). Probed by loading a 488-byte frame calling an 8-byte subprogram: 496 + 16 loads,
 * 512 + 32 is refused with `combined stack size of 2 calls is 544`, from which the granularity is
 * read back. Throws when the kernel answers otherwise.
 */
export function callChainFrameRounding(): 16 | 32 {
  const r = cached('frame-rounding', () => {
    const items = [StoreImm(R10, -488, 0, Size.DW), Call.subprog('f'), Mov.imm(R0, 0), Exit(), Label('f'), StoreImm(R10, -8, 0, Size.DW), Mov.imm(R0, 0), Exit()];
    try {
      closeFd(progLoad({ progType: 1, license: 'GPL', insns: encode(resolve(items).instructions), logLevel: 1, logSize: 1 << 16 }).fd);
      return '16';
    } catch (e) {
      const log = e instanceof SyscallError ? e.log ?? '' : '';
      const m = /combined stack size of 2 calls is (\d+)/.exec(log);
      if (m !== null && Number(m[1]) === 512 + 32) return '32';
      return `cannot probe the call-chain frame rounding: ${describe(e)} ${log.split('\n').slice(-3).join(' / ')}`;
    }
  })!;
  if (r === '16' || r === '32') return Number(r) as 16 | 32;
  throw new Error(r);
}

/**
 * Null when this kernel rounds call-chain frames to 16 bytes as 6.18 does and as the eDSL's
 * stack check models ({@link callChainFrameRounding}), else the reason.
 */
export function frameRoundingDiffers(): string | null {
  const g = callChainFrameRounding();
  return g === 16 ? null : `this kernel rounds every frame of a call chain up to ${g} bytes (488 + 8 is refused as ${512 + g}); the eDSL's stack check models 6.18's 16`;
}

/**
 * Null when the verifier takes `if r0 > 0` on a `map_value_or_null` as a NULL check (the
 * branch taken sees a `map_value`), as 6.18 does, else the reason (6.12 leaves it
 * `map_value_or_null`). Probed by loading a socket filter that dereferences the lookup result
 * only on that branch.
 */
export function unsignedNullCheckMissing(): string | null {
  return cached('jgt-null-check', () => {
    let map = -1;
    try {
      map = mapCreate({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1 });
      const insns = resolve([
        StoreImm(R10, -4, 0, Size.W),
        LoadMapPtr(R1, 'm'),
        Mov.reg(R2, R10),
        Add.imm(R2, -4),
        Call.helper(1), // bpf_map_lookup_elem
        JGT.imm(R0, 0, 'found'),
        Mov.imm(R0, 0),
        Exit(),
        Label('found'),
        LoadMem(R0, R0, 0, Size.DW),
        Exit(),
      ], { maps: () => ({ fd: map }) }).instructions;
      closeFd(progLoad({ progType: 1, insns: encode(insns), logLevel: 1, logSize: 1 << 16 }).fd);
      return null;
    } catch (e) {
      return `this kernel's verifier does not take 'if r0 > 0' as a NULL check of a map value (6.18 does): ${describe(e)}`;
    } finally {
      if (map >= 0) closeFd(map);
    }
  });
}

/**
 * Null when `bpf_csum_diff` returns its sum folded to 16 bits as on 6.18 (which the interpreter
 * models), else the reason: older kernels (6.1) return the unfolded 32-bit one's-complement sum,
 * an equivalent value in another form. Probed with `bpf_csum_diff(&0x0102030405060708, 8, NULL,
 * 0, 0)` in a sched_cls program run by BPF_PROG_TEST_RUN.
 */
export function csumDiffFoldedMissing(): string | null {
  return cached('csum-diff-folded', () => {
    let prog = -1;
    try {
      const insns = [
        StoreImm(R10, -8, 0x05060708, Size.W),
        StoreImm(R10, -4, 0x01020304, Size.W),
        Mov.reg(R1, R10),
        Add.imm(R1, -8),
        Mov.imm(R2, 8),
        Mov.imm(R3, 0),
        Mov.imm(R4, 0),
        Mov.imm(R5, 0),
        Call.helper(28), // bpf_csum_diff
        Exit(),
      ];
      prog = progLoad({ progType: 3, insns: encode(resolve(insns).instructions) }).fd;
      const sum = progTestRun({ progFd: prog, dataIn: new Uint8Array(64) }).retval >>> 0;
      return sum <= 0xffff ? null : `this kernel's bpf_csum_diff returns the unfolded 32-bit sum (0x${sum.toString(16)}); 6.18, which the interpreter models, folds it to 16 bits`;
    } catch (e) {
      return `cannot probe bpf_csum_diff: ${describe(e)}`;
    } finally {
      if (prog >= 0) closeFd(prog);
    }
  });
}
