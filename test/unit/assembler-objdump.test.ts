// The assembler against LLVM 14 as an oracle: random ISA v1–v3 programs are encoded, wrapped in
// an object with llvm-mc, listed with `llvm-objdump -d` (addresses, raw bytes, headings, `<…>`
// suffixes and all), and the whole listing pasted into assemble() must give the same bytes.
// Skipped (with the reason printed) where llvm-mc or llvm-objdump is missing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { assemble, encode, type Instruction } from 'ebpf-bytecode-utils';
import { classicInstruction } from '../support/arbitrary.js';
import { llvmTools, type LlvmTools } from '../support/llvm.js';

const found = llvmTools();
const tools: LlvmTools | undefined = typeof found === 'string' ? undefined : found;
if (tools === undefined) console.log(`assembler-objdump: skipped: ${found}`);
const oracle = tools === undefined ? test.skip : test;

/** llvm-objdump -d of `bytes` as LLVM prints it, with `extra` arguments. */
function listing(t: LlvmTools, bytes: Uint8Array, extra: readonly string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-asm-'));
  try {
    writeFileSync(path.join(dir, 'p.bin'), bytes);
    writeFileSync(path.join(dir, 'p.s'), `.text\n.incbin ${JSON.stringify(path.join(dir, 'p.bin'))}\n`);
    const mc = spawnSync(t.mc, ['-triple', 'bpfel', '-filetype=obj', path.join(dir, 'p.s'), '-o', path.join(dir, 'p.o')], { encoding: 'utf8' });
    assert.is(mc.status, 0, mc.stderr);
    const od = spawnSync(t.objdump, ['-d', '-z', ...extra, path.join(dir, 'p.o')], { encoding: 'utf8', maxBuffer: 1 << 28 });
    assert.is(od.status, 0, od.stderr);
    return od.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Forms whose llvm-objdump text does not show every field: `call N` (src 1, 2) and `skb[rN]` (imm). */
function shownInFull(insn: Instruction): boolean {
  if (insn.code === 0x85 && insn.src !== 0) return false;
  if ((insn.code & 0xe7) === 0x40 && insn.imm !== 0) return false;
  return true;
}

/** 32-bit atomics other than a plain add, which llvm-objdump 14 shows right only with --mattr=+alu32. */
function needsAlu32(insn: Instruction): boolean {
  return insn.code === 0xc3 && insn.imm !== 0;
}

const program = fc.sample(classicInstruction, { numRuns: 3000, seed: 20240501 }).filter(shownInFull);

oracle('a pasted llvm-objdump -d --mattr=+alu32 listing of a random program gives back its bytes', () => {
  const bytes = encode(program);
  const text = listing(tools as LlvmTools, bytes, ['--mattr=+alu32']);
  assert.is(Buffer.from(encode(assemble(text).instructions)).toString('hex'), Buffer.from(bytes).toString('hex'));
});

oracle('the same without alu32, and with --no-show-raw-insn', () => {
  const plain = program.filter((i) => !needsAlu32(i));
  const bytes = encode(plain);
  const want = Buffer.from(bytes).toString('hex');
  assert.is(Buffer.from(encode(assemble(listing(tools as LlvmTools, bytes, [])).instructions)).toString('hex'), want);
  // Without raw bytes, `<unknown>` lines (forms LLVM 14 does not know) cannot be read back.
  const known = plain.filter((i) => ![0x97, 0x9f, 0x94, 0x9c, 0x45, 0x4d, 0x46, 0x4e].includes(i.code) && (i.code & 0xe7) !== 0x62);
  const knownBytes = encode(known);
  const bare = listing(tools as LlvmTools, knownBytes, ['--no-show-raw-insn']);
  assert.not.ok(bare.includes('<unknown>'), 'every remaining form is known to LLVM 14');
  assert.is(Buffer.from(encode(assemble(bare).instructions)).toString('hex'), Buffer.from(knownBytes).toString('hex'));
});

test.run();
