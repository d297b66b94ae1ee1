/**
 * Plumbing for the LLVM oracle tests: run `llvm-mc` and `llvm-objdump` (LLVM 14 is the oracle the
 * design names) on bytes or text, in a temporary directory that is always removed.
 *
 * - {@link llvmTools} finds the tools (or says why they are missing, for `test.skip`);
 * - {@link objdumpLlvm} disassembles raw little-endian bytes: they are wrapped in an object with
 *   `llvm-mc` (`.incbin`), then `llvm-objdump -d -z --no-show-raw-insn`; each line comes back with
 *   its slot number and the instruction text without the ` <.text+0x…>` suffix of jumps;
 * - {@link assembleLlvm} assembles text with `llvm-mc -show-encoding` and returns each line's bytes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Paths (or names on PATH) of the two tools. */
export interface LlvmTools {
  readonly mc: string;
  readonly objdump: string;
  /** First line of `llvm-mc --version` output naming the version, e.g. `Debian LLVM version 14.0.6`. */
  readonly version: string;
}

function versionOf(tool: string): string | undefined {
  const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return (r.stdout.split('\n').find((l) => /LLVM version/i.test(l)) ?? r.stdout.split('\n')[0] ?? '').trim();
}

/**
 * The LLVM tools called `mc` and `objdump` (default `llvm-mc`, `llvm-objdump`), or a sentence
 * saying which is missing.
 */
export function llvmTools(mc = 'llvm-mc', objdump = 'llvm-objdump'): LlvmTools | string {
  const version = versionOf(mc);
  if (version === undefined) return `${mc} not found (install LLVM, e.g. apt-get install llvm)`;
  if (versionOf(objdump) === undefined) return `${objdump} not found (install LLVM, e.g. apt-get install llvm)`;
  return { mc, objdump, version };
}

/** The major version in a `--version` line (14 for `Debian LLVM version 14.0.6`), or NaN. */
export function llvmMajor(tools: LlvmTools): number {
  return Number(/version (\d+)/i.exec(tools.version)?.[1] ?? NaN);
}

function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-llvm-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(tool: string, args: readonly string[]): string {
  const r = spawnSync(tool, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')}: exit ${r.status}: ${r.stderr.slice(0, 4000)}`);
  return r.stdout;
}

/** One line of `llvm-objdump -d`: the slot number it starts at and the instruction text. */
export interface ObjdumpLine {
  readonly slot: number;
  readonly text: string;
}

/** Options of {@link objdumpLlvm}. */
export interface ObjdumpOptions {
  /** Extra llvm-objdump arguments, e.g. `['--mattr=+alu32']` or `['--no-print-imm-hex']`. */
  readonly args?: readonly string[];
}

/**
 * Disassembles `bytes` (little endian) with llvm-objdump, once per entry of `variants` (each a
 * list of extra arguments), from one object file. Returns one line list per variant.
 */
export function objdumpLlvmVariants(tools: LlvmTools, bytes: Uint8Array, variants: readonly (readonly string[])[]): ObjdumpLine[][] {
  return withTempDir((dir) => {
    const bin = path.join(dir, 'text.bin');
    const src = path.join(dir, 'text.s');
    const obj = path.join(dir, 'text.o');
    writeFileSync(bin, bytes);
    writeFileSync(src, `.text\n.incbin ${JSON.stringify(bin)}\n`);
    run(tools.mc, ['-triple', 'bpfel', '-filetype=obj', src, '-o', obj]);
    return variants.map((args) => parseObjdump(run(tools.objdump, ['-d', '-z', '--no-show-raw-insn', ...args, obj])));
  });
}

/** Disassembles `bytes` (little endian) with llvm-objdump; see {@link objdumpLlvmVariants}. */
export function objdumpLlvm(tools: LlvmTools, bytes: Uint8Array, options: ObjdumpOptions = {}): ObjdumpLine[] {
  return objdumpLlvmVariants(tools, bytes, [options.args ?? []])[0];
}

function parseObjdump(out: string): ObjdumpLine[] {
  const lines: ObjdumpLine[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+):\t(.*)$/.exec(line);
    if (!m) continue;
    let text = m[2];
    // Jumps end in ` <.text+0x…>`; `<unknown>` is itself in angle brackets.
    if (text.endsWith('>') && text !== '<unknown>') {
      const cut = text.lastIndexOf(' <');
      if (cut >= 0) text = text.slice(0, cut);
    }
    lines.push({ slot: Number(m[1]), text });
  }
  return lines;
}

/** Options of {@link assembleLlvm}. */
export interface AssembleOptions {
  /** `-mattr` value; `+alu32` unless said (LLVM 14 needs it for w-register atomics). */
  readonly mattr?: string;
}

/**
 * Assembles `lines` (one instruction each) with `llvm-mc -triple bpfel -show-encoding`; returns
 * each line's bytes. Throws with llvm-mc's messages when a line does not assemble.
 */
export function assembleLlvm(tools: LlvmTools, lines: readonly string[], options: AssembleOptions = {}): Uint8Array[] {
  return withTempDir((dir) => {
    const src = path.join(dir, 'in.s');
    writeFileSync(src, lines.map((l) => `${l}\n`).join(''));
    const r = spawnSync(tools.mc, ['-triple', 'bpfel', `-mattr=${options.mattr ?? '+alu32'}`, '-show-encoding', src], { encoding: 'utf8', maxBuffer: 1 << 30 });
    if (r.error) throw r.error;
    if (r.status !== 0 || r.stderr.includes('error:')) throw new Error(`llvm-mc could not assemble:\n${r.stderr.slice(0, 4000)}`);
    const out: Uint8Array[] = [];
    for (const line of r.stdout.split('\n')) {
      const m = /# encoding: \[([^\]]*)\]/.exec(line);
      if (m) out.push(Uint8Array.from(m[1].split(',').map((b) => Number(b))));
    }
    if (out.length !== lines.length) throw new Error(`llvm-mc printed ${out.length} encodings for ${lines.length} lines`);
    return out;
  });
}
