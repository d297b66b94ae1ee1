// USDT: a C program built here with a probe note (emitted by inline asm the way <sys/sdt.h> does,
// guarded by a semaphore). Notes are checked against `readelf -n`; attached, the probe fires only
// because the kernel raised the semaphore, and the program reads both arguments (a register and
// a stack slot) with usdtArgInstructions.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Call, encodeProgram, Exit, JNE, Label, LoadMapPtr, Mov, R0, R1, R10, R2, R3, R4, R6, RSh, Add, Size, StoreMem, type ProgramItem } from 'ebpf-bytecode-utils';
import { closeFd, mapCreate, progLoad } from '../../syscalls/index.js';
import { attachUsdt, findUsdtProbe, parseUsdtArg, readUsdtProbes, usdtArgInstructions, UsdtError } from '../../src/attach/index.js';
import { RingBuffer } from '../../src/readers/index.js';
import { buildC, LineChild } from '../support/c-child.js';
import { kernelTest } from '../support/kernel.js';
import { TSBPF_NOTE_MACRO } from '../support/usdt-probes-c.js';

const test = suite('USDT');

const SOURCE = `
#include <stdio.h>
#include <stdlib.h>
__attribute__((section(".probes"))) volatile unsigned short tsbpf_ping_semaphore;
${TSBPF_NOTE_MACRO}int main(void) {
  char buf[32];
  puts("ready");
  fflush(stdout);
  while (fgets(buf, sizeof buf, stdin)) {
    int n = atoi(buf);
    volatile long big = (long)n * 1000 + 7;
    if (tsbpf_ping_semaphore) __asm__ __volatile__("990: nop\\n" TSBPF_NOTE("tsbpf", "ping", "tsbpf_ping_semaphore", "-4@%0 8@%1") :: "r"(-n), "m"(big));
    __asm__ __volatile__("990: nop\\n" TSBPF_NOTE("tsbpf", "plain", "0", "") ::);
    printf("%u\\n", (unsigned)tsbpf_ping_semaphore);
    fflush(stdout);
  }
  return 0;
}
`;

test('argument specs parse for x86_64 (register widths, memory, constants); others are RangeErrors', () => {
  assert.equal(parseUsdtArg('-4@%edi'), { spec: '-4@%edi', size: 4, signed: true, location: { kind: 'reg', reg: 'rdi', regsOffset: 112 } });
  assert.equal(parseUsdtArg('8@-16(%rbp)').location, { kind: 'deref', reg: 'rbp', regsOffset: 32, offset: -16 });
  assert.equal(parseUsdtArg('2@(%r12)').location, { kind: 'deref', reg: 'r12', regsOffset: 24, offset: 0 });
  assert.equal(parseUsdtArg('1@%r9b').location, { kind: 'reg', reg: 'r9', regsOffset: 64 });
  assert.equal(parseUsdtArg('-8@$-5').location, { kind: 'const', value: -5n });
  assert.equal(parseUsdtArg('4@$0x10').location, { kind: 'const', value: 16n });
  for (const bad of ['3@%eax', '4@%xmm0', '4@8(%rax,%rbx,2)', 'eax', '4@x0']) assert.throws(() => parseUsdtArg(bad), RangeError, bad);
});

/** What `readelf -n` says about the stapsdt notes of `path`. */
function readelfNotes(path: string): { provider: string; name: string; pc: bigint; semaphore: bigint; args: string }[] {
  const text = execFileSync('readelf', ['-nW', path], { encoding: 'utf8' });
  return [...text.matchAll(/Provider: (\S+)\s+Name: (\S+)\s+Location: (0x[0-9a-f]+), Base: 0x[0-9a-f]+, Semaphore: (0x[0-9a-f]+)\s+Arguments:[ ]?([^\n]*)/g)].map((m) => ({ provider: m[1], name: m[2], pc: BigInt(m[3]), semaphore: BigInt(m[4]), args: m[5].trim() }));
}

kernelTest(test, 'notes agree with readelf -n; the semaphore is raised by the kernel and the probe delivers both arguments', async () => {
  const bin = buildC(SOURCE);
  const child = new LineChild(bin.path);
  const ring = mapCreate({ mapType: 27, keySize: 0, valueSize: 0, maxEntries: 1 << 14 });
  let prog: number | undefined;
  try {
    const probes = readUsdtProbes(readFileSync(bin.path), bin.path);
    assert.equal(probes.map((p) => ({ provider: p.provider, name: p.name, pc: p.pc, semaphore: p.semaphore, args: p.argsText })), readelfNotes(bin.path));
    const ping = findUsdtProbe(bin.path, 'tsbpf', 'ping');
    assert.is(ping.args.length, 2);
    assert.is(ping.args[0].location.kind, 'reg');
    assert.is(ping.args[1].location.kind, 'deref');
    // The probe instruction at its file offset is the `nop` (0x90).
    assert.is(readFileSync(bin.path)[Number(ping.fileOffset)], 0x90);
    assert.throws(() => findUsdtProbe(bin.path, 'tsbpf', 'missing'), (e: unknown) => e instanceof UsdtError && /it has (tsbpf:plain, tsbpf:ping|tsbpf:ping, tsbpf:plain)\)/.test(e.message));

    await child.line();
    child.send('1\n');
    assert.is(await child.line(), '0', 'semaphore down before attach');

    const p: ProgramItem[] = [Mov.reg(R6, R1), Call.helper(14), RSh.imm(R0, 32), JNE.imm(R0, child.pid, 'out')];
    ping.args.forEach((arg, i) => p.push(...usdtArgInstructions(arg, R6, -24), StoreMem(R10, -16 + 8 * i, R0, Size.DW)));
    p.push(LoadMapPtr(R1, ring), Mov.reg(R2, R10), Add.imm(R2, -16), Mov.imm(R3, 16), Mov.imm(R4, 0), Call.helper(130), Label('out'), Mov.imm(R0, 0), Exit());
    prog = progLoad({ progType: 2, insns: encodeProgram(p).bytes, license: 'GPL' }).fd;
    using reader = RingBuffer.create(ring);
    const { link } = attachUsdt(prog, { path: bin.path, provider: 'tsbpf', name: 'ping', pid: child.pid });
    try {
      for (const n of [5, 42]) {
        child.send(`${n}\n`);
        assert.is(await child.line(), '1', 'semaphore raised while attached');
      }
    } finally {
      link.close();
    }
    child.send('9\n');
    assert.is(await child.line(), '0', 'semaphore lowered after detach');
    const got: bigint[][] = [];
    for (let e = reader.read(); e !== undefined; e = reader.read()) got.push([e.getBigInt64(0, true), e.getBigInt64(8, true)]);
    assert.equal(got, [[-5n, 5007n], [-42n, 42007n]]);
  } finally {
    if (prog !== undefined) closeFd(prog);
    closeFd(ring);
    await child.stop();
    bin.remove();
  }
});

kernelTest(test, 'files without probes, non-ELF files and missing files are UsdtErrors', () => {
  assert.equal(readUsdtProbes(readFileSync('/usr/bin/true')).filter((p) => p.provider === 'tsbpf'), []);
  assert.throws(() => findUsdtProbe('/usr/bin/true', 'x', 'y'), (e: unknown) => e instanceof UsdtError && /no USDT probe x:y/.test(e.message));
  assert.throws(() => findUsdtProbe('/proc/self/status', 'x', 'y'), (e: unknown) => e instanceof UsdtError && /not an ELF/.test(e.message));
  assert.throws(() => findUsdtProbe('/nonexistent', 'x', 'y'), (e: unknown) => e instanceof UsdtError && /cannot read \(ENOENT\)/.test(e.message));
});

test.run();
