/**
 * USDT probes (`DTRACE_PROBE`/`STAP_PROBE` in `<sys/sdt.h>`): the `.note.stapsdt` notes of an ELF
 * file (provider, name, pc, base, semaphore, argument specs), attached as uprobes at the probe's
 * file offset, with the semaphore raised by the kernel (`ref_ctr_offset`, Linux 4.20) so guarded
 * probes fire. The argument specs (`-4@%edi 8@-16(%rbp) 4@$5`) are parsed for x86_64, and
 * {@link usdtArgInstructions} emits the BPF reads of one argument.
 * @module
 */

import { readFileSync } from 'node:fs';
import {
  Add, ArSh, Call, LoadImm64, LoadMem, LSh, Mov, R0, R1, R2, R3, R10, RSh, Size, StoreMem, type Instruction, type Register,
} from 'ebpf-bytecode-utils';
import { perfEventOpen } from '../../syscalls/perf-event-open.js';
import { ElfError, readElfSections, type ElfSection } from '../elf/elf-sections.js';
import { acquireAll, Link, type LinkMode } from './link.js';
import { attachToPerfEvent, type PerfAttachMode } from './perf-event-link.js';
import { probePmu } from './uprobe.js';

/** The file has no such probe, or its notes are malformed. */
export class UsdtError extends Error {
  override name = 'UsdtError';
  /** The ELF file. */
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.path = path;
  }
}

/** Where one USDT argument lives at the probe point (x86_64). */
export type UsdtArgLocation =
  | { readonly kind: 'const'; readonly value: bigint }
  | { readonly kind: 'reg'; readonly reg: string; readonly regsOffset: number }
  | { readonly kind: 'deref'; readonly reg: string; readonly regsOffset: number; readonly offset: number };

/** One parsed argument spec (`-4@%edi`). */
export interface UsdtArg {
  /** The spec text. */
  readonly spec: string;
  /** Size in bytes (1, 2, 4 or 8). */
  readonly size: number;
  /** Whether the value is signed (negative size in the spec). */
  readonly signed: boolean;
  /** Where to read it. */
  readonly location: UsdtArgLocation;
}

/** One `.note.stapsdt` probe. */
export interface UsdtProbe {
  /** The provider (`node`, `libc`, `python`). */
  readonly provider: string;
  /** The probe name. */
  readonly name: string;
  /** The probe's address, adjusted for prelinking (`.stapsdt.base` moved since the note was written). */
  readonly pc: bigint;
  /** The file offset of the probe instruction: where the uprobe goes. */
  readonly fileOffset: bigint;
  /** The semaphore's address (0n when the probe has none). */
  readonly semaphore: bigint;
  /** The semaphore's file offset (0n when none): the kernel's `ref_ctr_offset`. */
  readonly semaphoreOffset: bigint;
  /** The raw argument string. */
  readonly argsText: string;
  /** The parsed arguments (x86_64 syntax; empty when the spec is not x86_64 AT&T syntax). */
  readonly args: readonly UsdtArg[];
}

/** `struct pt_regs` offsets on x86_64, by 64-bit register name. */
const X86_64_REGS: Readonly<Record<string, number>> = {
  r15: 0, r14: 8, r13: 16, r12: 24, rbp: 32, rbx: 40, r11: 48, r10: 56, r9: 64, r8: 72,
  rax: 80, rcx: 88, rdx: 96, rsi: 104, rdi: 112, rip: 128, rsp: 152,
};

/** The 64-bit register that `name` (any width: `eax`, `ax`, `al`, `r8d`, `r8w`, `r8b`) is part of. */
function fullRegister(name: string): string | undefined {
  if (name in X86_64_REGS) return name;
  const r = /^r(\d+)[dwb]?$/.exec(name);
  if (r !== null) return `r${r[1]}` in X86_64_REGS ? `r${r[1]}` : undefined;
  const legacy: Record<string, string> = {
    eax: 'rax', ax: 'rax', al: 'rax', ah: 'rax', ebx: 'rbx', bx: 'rbx', bl: 'rbx', bh: 'rbx',
    ecx: 'rcx', cx: 'rcx', cl: 'rcx', ch: 'rcx', edx: 'rdx', dx: 'rdx', dl: 'rdx', dh: 'rdx',
    esi: 'rsi', si: 'rsi', sil: 'rsi', edi: 'rdi', di: 'rdi', dil: 'rdi',
    ebp: 'rbp', bp: 'rbp', bpl: 'rbp', esp: 'rsp', sp: 'rsp', spl: 'rsp', eip: 'rip',
  };
  return legacy[name];
}

/**
 * Parses one x86_64 argument spec: `[-]SIZE@LOCATION` with LOCATION `%reg`, `OFF(%reg)`,
 * `(%reg)` or `$CONST`. Throws a RangeError naming the spec when it is not one of these.
 */
export function parseUsdtArg(spec: string): UsdtArg {
  const m = /^(-?)(1|2|4|8)@(.+)$/.exec(spec);
  if (m === null) throw new RangeError(`USDT argument ${JSON.stringify(spec)}: not [-]SIZE@LOCATION with SIZE 1, 2, 4 or 8`);
  const signed = m[1] === '-';
  const size = Number(m[2]);
  const where = m[3];
  let location: UsdtArgLocation | undefined;
  let r: RegExpExecArray | null;
  if ((r = /^\$(-?(?:0x[0-9a-fA-F]+|\d+))$/.exec(where)) !== null) {
    location = { kind: 'const', value: r[1].startsWith('-') ? -BigInt(r[1].slice(1)) : BigInt(r[1]) };
  } else if ((r = /^%([a-z0-9]+)$/.exec(where)) !== null) {
    const reg = fullRegister(r[1]);
    if (reg !== undefined) location = { kind: 'reg', reg, regsOffset: X86_64_REGS[reg] };
  } else if ((r = /^(-?(?:0x[0-9a-fA-F]+|\d+))?\(%([a-z0-9]+)\)$/.exec(where)) !== null) {
    const reg = fullRegister(r[2]);
    const off = r[1] === undefined ? 0 : r[1].startsWith('-') ? -Number(r[1].slice(1)) : Number(r[1]);
    if (reg !== undefined) location = { kind: 'deref', reg, regsOffset: X86_64_REGS[reg], offset: off };
  }
  if (location === undefined) throw new RangeError(`USDT argument ${JSON.stringify(spec)}: location ${JSON.stringify(where)} is not %reg, OFF(%reg) or $CONST (x86_64)`);
  return { spec, size, signed, location };
}

const NT_STAPSDT = 3;
const SHT_NOTE = 7;
const SHT_NOBITS = 8;
const utf8 = new TextDecoder();

function fileOffsetOf(sections: readonly ElfSection[], address: bigint): bigint | undefined {
  for (const s of sections) {
    if (s.type === SHT_NOBITS || s.addr === 0n) continue;
    if (address >= s.addr && address < s.addr + BigInt(s.size)) return address - s.addr + BigInt(s.offset);
  }
  return undefined;
}

/** The USDT probes in ELF image `elf`. Throws a {@link UsdtError} for malformed notes or non-ELF input. */
export function readUsdtProbes(elf: Uint8Array, path = '<elf>'): UsdtProbe[] {
  let sections: ElfSection[];
  try {
    sections = readElfSections(elf, path);
  } catch (e) {
    if (e instanceof ElfError) throw new UsdtError(path, e.message.slice(path.length + 2));
    throw e;
  }
  const notes = sections.find((s) => s.name === '.note.stapsdt' && s.type === SHT_NOTE);
  if (notes === undefined) return [];
  const baseSection = sections.find((s) => s.name === '.stapsdt.base');
  const dv = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const out: UsdtProbe[] = [];
  const end = notes.offset + notes.size;
  const align4 = (n: number) => (n + 3) & ~3;
  for (let o = notes.offset; o + 12 <= end; ) {
    const namesz = dv.getUint32(o, true);
    const descsz = dv.getUint32(o + 4, true);
    const type = dv.getUint32(o + 8, true);
    const nameAt = o + 12;
    const descAt = nameAt + align4(namesz);
    const next = descAt + align4(descsz);
    if (next > end) throw new UsdtError(path, `.note.stapsdt: note at 0x${o.toString(16)} runs past the section`);
    const owner = utf8.decode(elf.subarray(nameAt, nameAt + Math.max(0, namesz - 1)));
    if (owner === 'stapsdt' && type === NT_STAPSDT) {
      if (descsz < 24 + 3) throw new UsdtError(path, `.note.stapsdt: note at 0x${o.toString(16)} is too short`);
      let pc = dv.getBigUint64(descAt, true);
      const base = dv.getBigUint64(descAt + 8, true);
      let semaphore = dv.getBigUint64(descAt + 16, true);
      const strings = utf8.decode(elf.subarray(descAt + 24, descAt + descsz)).split('\0');
      const [provider = '', name = '', argsText = ''] = strings;
      // Prelink moved the file after the note was written: shift by how far .stapsdt.base moved.
      if (baseSection !== undefined && base !== 0n) {
        const delta = baseSection.addr - base;
        pc += delta;
        if (semaphore !== 0n) semaphore += delta;
      }
      const fileOffset = fileOffsetOf(sections, pc);
      if (fileOffset === undefined) throw new UsdtError(path, `USDT ${provider}:${name}: pc 0x${pc.toString(16)} is in no section`);
      const semaphoreOffset = semaphore === 0n ? 0n : fileOffsetOf(sections, semaphore);
      if (semaphoreOffset === undefined) throw new UsdtError(path, `USDT ${provider}:${name}: semaphore 0x${semaphore.toString(16)} is in no section with file contents`);
      let args: UsdtArg[] = [];
      try {
        args = argsText.trim() === '' ? [] : argsText.trim().split(/\s+/).map(parseUsdtArg);
      } catch {
        args = [];
      }
      out.push({ provider, name, pc, fileOffset, semaphore, semaphoreOffset, argsText, args });
    }
    o = next;
  }
  return out;
}

/** Where a USDT probe goes. */
export interface UsdtOptions {
  /** The binary or library with the probe. */
  readonly path: string;
  /** The provider. */
  readonly provider: string;
  /** The probe name. */
  readonly name: string;
  /** Only this process (default -1: every process that maps the file). */
  readonly pid?: number;
  /** How to attach; `'auto'` by default. */
  readonly mode?: PerfAttachMode;
  /** `bpf_get_attach_cookie` value (bpf_link mode). */
  readonly cookie?: bigint;
}

/** The probe `provider:name` of file `path` (the first when a probe appears at several sites). Throws a {@link UsdtError}. */
export function findUsdtProbe(path: string, provider: string, name: string): UsdtProbe {
  let elf: Uint8Array;
  try {
    elf = readFileSync(path);
  } catch (err) {
    throw new UsdtError(path, `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const probes = readUsdtProbes(elf, path);
  const found = probes.find((p) => p.provider === provider && p.name === name);
  if (found === undefined) {
    const known = probes.map((p) => `${p.provider}:${p.name}`);
    throw new UsdtError(path, `no USDT probe ${provider}:${name} (${known.length === 0 ? 'the file has no .note.stapsdt probes' : `it has ${[...new Set(known)].join(', ')}`})`);
  }
  return found;
}

/** Bit position of `ref_ctr_offset` in a uprobe's `config` (`/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset`). */
function refCtrShift(): bigint {
  try {
    const m = /^config:(\d+)-\d+$/.exec(readFileSync('/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset', 'utf8').trim());
    if (m !== null) return BigInt(m[1]);
  } catch {
    // Kernels before 4.20 have no reference counters.
  }
  throw new UsdtError('/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset', 'this kernel cannot raise USDT semaphores (uprobe ref_ctr_offset requires Linux 4.20)');
}

/**
 * Attaches kprobe-type program `progFd` to USDT probe `provider:name` of `path` (its first site;
 * see {@link attachUsdtSite} for the others). Probes with a semaphore get the kernel's reference
 * counter (`ref_ctr_offset`), which raises the semaphore in every traced process while
 * attached. Returns a {@link Link} (kind `uprobe`) and the probe (its `args` tell the program
 * where the arguments are). Requires Linux 4.17; semaphores Linux 4.20.
 */
export function attachUsdt(progFd: number, options: UsdtOptions): { link: Link; probe: UsdtProbe } {
  const probe = findUsdtProbe(options.path, options.provider, options.name);
  return { link: attachUsdtSite(progFd, options.path, probe, options), probe };
}

/** Options of {@link attachUsdtSite}: {@link UsdtOptions} without what the site already says. */
export type UsdtSiteOptions = Pick<UsdtOptions, 'pid' | 'mode' | 'cookie'>;

/**
 * Attaches kprobe-type program `progFd` to one site of a USDT probe of `path` (an element of
 * {@link readUsdtProbes}), raising its semaphore through the kernel's reference counter as
 * {@link attachUsdt} does. Returns a {@link Link} of kind `uprobe`.
 */
export function attachUsdtSite(progFd: number, path: string, probe: UsdtProbe, options: UsdtSiteOptions = {}): Link {
  const pmu = probePmu('uprobe');
  const pid = options.pid ?? -1;
  let config = 0n;
  if (probe.semaphoreOffset !== 0n) config |= probe.semaphoreOffset << refCtrShift();
  let mode: LinkMode = 'bpf_link';
  const parts = acquireAll((add) => {
    const fd = perfEventOpen({ type: pmu.type, config, probePath: path, config2: probe.fileOffset, samplePeriod: 1, wakeupEvents: 1, pid, cpu: pid === -1 ? 0 : -1 });
    mode = attachToPerfEvent(progFd, fd, options.mode ?? 'auto', add, options.cookie);
  });
  return new Link('uprobe', `${path}:usdt:${probe.provider}:${probe.name}@0x${probe.pc.toString(16)}`, mode, parts);
}

const BPF_FUNC_probe_read_user = 112;

/**
 * BPF instructions that leave USDT argument `arg` in R0, sign- or zero-extended to 64 bits,
 * for a program whose `struct pt_regs *` is in callee-saved register `ctx` (R6–R9). Memory
 * arguments are read with `bpf_probe_read_user` into the 8 bytes at `stackOffset` (from R10,
 * default -8); R1–R5 are clobbered. If the read fails the value is 0.
 */
export function usdtArgInstructions(arg: UsdtArg, ctx: Register, stackOffset = -8): Instruction[] {
  const out: Instruction[] = [];
  const loc = arg.location;
  if (loc.kind === 'const') {
    out.push(LoadImm64(R0, BigInt.asUintN(64, loc.value)));
  } else if (loc.kind === 'reg') {
    out.push(LoadMem(R0, ctx, loc.regsOffset, Size.DW));
  } else {
    out.push(
      // Zero the slot first, so a failed read leaves 0.
      Mov.imm(R0, 0), StoreMem(R10, stackOffset, R0, Size.DW),
      Mov.reg(R1, R10), Add.imm(R1, stackOffset), Mov.imm(R2, arg.size),
      LoadMem(R3, ctx, loc.regsOffset, Size.DW), Add.imm(R3, loc.offset),
      Call.helper(BPF_FUNC_probe_read_user),
      LoadMem(R0, R10, stackOffset, Size.DW),
    );
  }
  if (arg.size < 8 && loc.kind !== 'const') {
    const shift = 64 - 8 * arg.size;
    out.push(LSh.imm(R0, shift), arg.signed ? ArSh.imm(R0, shift) : RSh.imm(R0, shift));
  }
  return out;
}
