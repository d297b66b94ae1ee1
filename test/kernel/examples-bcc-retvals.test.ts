/**
 * examples/bcc-retvals.ts in the live kernel: a C program compiled here with gcc calls a
 * non-inlined function for each number it reads and prints the result; the uretprobe's
 * `PT_REGS_RC` values for that child's pid, read through the ring buffer, must be exactly what
 * the child printed (negative values included), and `sym` names the caller `PT_REGS_IP` returns
 * to. Skips when gcc is missing.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { retvals, type Ret } from '../../examples/bcc-retvals.js';
import { BPF } from '../../src/bcc/index.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('examples: bcc-retvals (kernel)');

const SOURCE = `#include <stdio.h>
#include <stdlib.h>
__attribute__((noinline)) long mangle(long x) { return x * 3 - 100; }
int main(void) {
  char line[64];
  while (fgets(line, sizeof line, stdin)) { printf("%ld\\n", mangle(atol(line))); fflush(stdout); }
  return 0;
}
`;

const gccMissing = () => (spawnSync('gcc', ['--version']).status === 0 ? null : 'gcc is not installed (it builds the traced program)');

kernelTest(test, 'uretprobe PT_REGS_RC equals what the traced function returned', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-retvals-'));
  try {
    const src = join(dir, 'mangle.c');
    const bin = join(dir, 'mangle');
    writeFileSync(src, SOURCE);
    const cc = spawnSync('gcc', ['-O2', '-o', bin, src], { encoding: 'utf8' });
    assert.is(cc.status, 0, cc.stderr);
    const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<void>((r) => child.on('close', () => r()));
    using b = retvals(bin, 'mangle', child.pid!);
    assert.is(b.num_open_uprobes(), 1);
    const seen: Ret[] = [];
    const rets = b.get('rets');
    rets.open_ring_buffer((_ctx, data) => { const r = rets.event(data); if (r.pid === child.pid) seen.push(r); });
    child.stdin!.write(['1', '50', '-7', '123456789'].join('\n') + '\n');
    const deadline = Date.now() + 3000;
    while (seen.length < 4 && Date.now() < deadline) { b.ring_buffer_poll(50); await new Promise((r) => setTimeout(r, 5)); }
    assert.is(seen.length, 4, 'one return event per number');
    // PT_REGS_IP at a uretprobe is the return address: inside main, the only caller.
    for (const r of seen) assert.is(b.sym(r.ip, child.pid!), 'main');
    assert.match(BPF.sym(seen[0].ip, child.pid!, true, true), /^main\+0x[0-9a-f]+ \[mangle\]$/);
    child.stdin!.end();
    await exited;
    const printed = out.trim().split('\n').map((l) => BigInt(l));
    assert.is(printed.length, 4);
    assert.equal(seen.map((r) => r.ret), printed);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, gccMissing);

test.run();
