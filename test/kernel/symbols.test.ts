// Symbols on this machine: kallsyms against grep, a child process's functions against the
// addresses it prints, Node's perf map, and stack traces from bpf_get_stackid in a uprobe.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { Add, Call, encodeProgram, Exit, JNE, Label, LoadMapPtr, Mov, R0, R1, R10, R2, R3, R4, R6, RSh, Size, StoreMem, type ProgramItem } from 'ebpf-bytecode-utils';
import { closeFd, mapCreate, progLoad } from '../../syscalls/index.js';
import { attachTracepoint, attachUprobe } from '../../src/attach/index.js';
import { StackTrace } from '../../src/maps/stack-trace.js';
import { RingBuffer } from '../../src/readers/index.js';
import { kernelSymbols, perfMapPath, readProcessMaps, resolveStack, StackIdError, userSymbols } from '../../src/symbols/index.js';
import { buildC, LineChild } from '../support/c-child.js';
import { kernelTest } from '../support/kernel.js';
import { olderThanTables } from '../support/kernel-lacks.js';

const test = suite('symbols (kernel)');

kernelTest(test, 'kallsyms: names and addresses agree with grep of /proc/kallsyms', () => {
  const ks = kernelSymbols({ reload: true });
  for (const name of ['do_sys_openat2', 'bpf_prog_load', 'schedule', 'bpf_dispatcher_xdp']) {
    const line = execFileSync('grep', ['-m1', '-E', ` ${name}(\t|$)`, '/proc/kallsyms'], { encoding: 'utf8' }).trim();
    const address = BigInt(`0x${line.split(' ')[0]}`);
    const module = /\t\[(.+)\]$/.exec(line)?.[1];
    assert.is(ks.address(name), address, name);
    const inside = ks.lookup(address + 1n);
    assert.is(inside?.offset, 1n);
    assert.is(inside?.module, module);
    // Aliases share addresses: the answer must be a name grep lists at that address.
    const aliases = execFileSync('grep', ['-E', `^${line.split(' ')[0]} `, '/proc/kallsyms'], { encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => l.split(/[ \t]/)[2]);
    assert.ok(aliases.includes(inside?.name ?? ''), `${inside?.name} among ${aliases.join(',')}`);
  }
  // Every 997th line: lookup of its address lands on a symbol with exactly that address.
  const lines = readFileSync('/proc/kallsyms', 'latin1').split('\n');
  for (let i = 0; i < lines.length; i += 997) {
    const [hex, , name] = lines[i].split(/[ \t]/);
    const address = BigInt(`0x${hex}`);
    if (address === 0n) continue;
    const got = ks.lookup(address);
    assert.is(got?.offset, 0n, `${name} at ${hex}`);
  }
});

const CHILD = `
#include <stdio.h>
#include <unistd.h>
__attribute__((noinline)) int tsbpf_leaf(int x) { asm volatile("" ::: "memory"); return x * 3 + (getpid() & 1); }
__attribute__((noinline)) int tsbpf_middle(int x) { return tsbpf_leaf(x) + 1; }
int main(void) {
  printf("%p %p\\n", (void *)&tsbpf_leaf, (void *)&tsbpf_middle);
  fflush(stdout);
  char buf[16];
  while (fgets(buf, sizeof buf, stdin)) { printf("%d\\n", tsbpf_middle(buf[0])); fflush(stdout); }
  return 0;
}
`;

for (const pie of [true, false]) {
  kernelTest(test, `user symbols: a ${pie ? 'PIE' : 'non-PIE'} child's functions resolve from the addresses it prints`, async () => {
    const bin = buildC(CHILD, pie ? ['-fPIE', '-pie'] : ['-fno-pie', '-no-pie']);
    const child = new LineChild(bin.path);
    try {
      const [leaf, middle] = (await child.line()).split(' ').map((h) => BigInt(h));
      const syms = userSymbols(child.pid);
      assert.equal(syms.lookup(leaf + 2n), { name: 'tsbpf_leaf', offset: 2n, module: bin.path });
      assert.equal(syms.lookup(middle), { name: 'tsbpf_middle', offset: 0n, module: bin.path });
      // The same function in this process's libc.
      const libc = readProcessMaps(child.pid).find((m) => /libc\.so\.6$/.test(m.path));
      assert.ok(libc !== undefined);
      const nm = execFileSync('nm', ['-D', '--defined-only', libc.path], { encoding: 'utf8' });
      const getpid = BigInt(`0x${/^([0-9a-f]+) [TW] getpid(@|$)/m.exec(nm)?.[1]}`);
      const text = readProcessMaps(child.pid).filter((m) => m.path === libc.path);
      // Runtime address = load base (start of the offset-0 mapping) + ELF address (libc's p_vaddr of segment 0 is 0).
      const base = BigInt(text.find((m) => m.offset === 0)?.start ?? 0);
      const aliases = [...nm.matchAll(/^([0-9a-f]+) [TtWi] ([^@\n]+)/gm)].filter((m) => BigInt(`0x${m[1]}`) === getpid).map((m) => m[2]);
      const got = syms.lookup(base + getpid + 1n);
      assert.ok(got !== undefined && aliases.includes(got.name), `${got?.name} among nm's names ${aliases.join(', ')}`);
      assert.is(got.offset, 1n);
    } finally {
      await child.stop();
      bin.remove();
    }
  });
}

kernelTest(test, "perf map: JIT functions of `node --perf-basic-prof` resolve in the child's anonymous memory", async () => {
  const script = `function tsbpfHotLoop(n){let s=0;for(let i=0;i<n;i++)s+=i%7;return s}for(let k=0;k<200;k++)tsbpfHotLoop(1e4);console.log('ready');setTimeout(()=>{},30000)`;
  const child = spawn(process.execPath, ['--perf-basic-prof', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => (d.toString().includes('ready') ? resolve() : undefined));
      child.once('exit', () => reject(new Error('node child exited early')));
    });
    const pid = child.pid as number;
    const text = readFileSync(perfMapPath(pid), 'utf8');
    const line = text.split('\n').find((l) => l.includes('tsbpfHotLoop'));
    assert.ok(line !== undefined, 'the perf map names tsbpfHotLoop');
    const [start, size] = line.split(' ').map((h) => parseInt(h, 16));
    const address = BigInt(start + Math.floor(size / 2));
    const mapping = readProcessMaps(pid).find((m) => m.start <= start && start < m.end);
    assert.ok(mapping !== undefined && mapping.inode === 0, 'JIT code lives in anonymous memory');
    const got = userSymbols(pid).lookup(address);
    assert.is(got?.name, line.split(' ').slice(2).join(' '));
    assert.is(got?.offset, BigInt(Math.floor(size / 2)));
  } finally {
    child.kill('SIGKILL');
    rmSync(perfMapPath(child.pid as number), { force: true });
  }
});

const BPF_FUNC_get_stackid = 27;
const BPF_FUNC_get_current_pid_tgid = 14;
const BPF_FUNC_ringbuf_output = 130;
const BPF_F_USER_STACK = 1 << 8;

/** Stores `bpf_get_stackid(ctx, stacks, flags)` for each of `flags` and sends them as u64s to `ring`. */
function stackProgram(stackFd: number, ring: number, flags: readonly number[], pid: number): Uint8Array {
  const p: ProgramItem[] = [Mov.reg(R6, R1), Call.helper(BPF_FUNC_get_current_pid_tgid), RSh.imm(R0, 32), JNE.imm(R0, pid, 'out')];
  flags.forEach((f, i) => {
    p.push(Mov.reg(R1, R6), LoadMapPtr(R2, stackFd), Mov.imm(R3, f), Call.helper(BPF_FUNC_get_stackid), StoreMem(R10, -8 * flags.length + 8 * i, R0, Size.DW));
  });
  p.push(LoadMapPtr(R1, ring), Mov.reg(R2, R10), Add.imm(R2, -8 * flags.length), Mov.imm(R3, 8 * flags.length), Mov.imm(R4, 0), Call.helper(BPF_FUNC_ringbuf_output));
  p.push(Label('out'), Mov.imm(R0, 0), Exit());
  return encodeProgram(p).bytes;
}

kernelTest(test, 'stack traces: bpf_get_stackid in a uprobe and a getpid tracepoint → user frames tsbpf_leaf < tsbpf_middle < main; kernel frames resolve', async () => {
  const bin = buildC(CHILD, ['-fPIE', '-pie']);
  const child = new LineChild(bin.path);
  // Large enough that the handful of stacks rarely share a bucket (EEXIST without BPF_F_REUSE_STACKID).
  using stacks = StackTrace.create({ maxEntries: 1 << 14 });
  const ring = mapCreate({ mapType: 27, keySize: 0, valueSize: 0, maxEntries: 1 << 14 });
  const progs: number[] = [];
  try {
    await child.line();
    progs.push(progLoad({ progType: 2, insns: stackProgram(stacks.map.fd, ring, [BPF_F_USER_STACK], child.pid), license: 'GPL' }).fd);
    progs.push(progLoad({ progType: 5, insns: stackProgram(stacks.map.fd, ring, [BPF_F_USER_STACK, 0], child.pid), license: 'GPL' }).fd);
    using reader = RingBuffer.create(ring);
    const links = [attachUprobe(progs[0], { path: bin.path, symbol: 'tsbpf_leaf', pid: child.pid }), attachTracepoint(progs[1], 'syscalls', 'sys_enter_getpid')];
    try {
      child.send('a\n');
      await child.line();
    } finally {
      for (const l of links) l.close();
    }
    const events: DataView[] = [];
    for (let e = reader.read(); e !== undefined; e = reader.read()) events.push(new DataView(e.buffer.slice(e.byteOffset, e.byteOffset + e.byteLength)));
    assert.equal(events.map((e) => e.byteLength), [8, 16], 'the uprobe event, then the tracepoint event');
    const probeUser = resolveStack(stacks, Number(events[0].getBigInt64(0, true)), { pid: child.pid });
    assert.equal(probeUser.slice(0, 3).map((f) => f.symbol?.name), ['tsbpf_leaf', 'tsbpf_middle', 'main']);
    assert.is(probeUser[0].symbol?.offset, 0n, 'the uprobe fires at the function entry');
    assert.ok(probeUser.every((f) => !f.kernel));
    const tpUser = resolveStack(stacks, Number(events[1].getBigInt64(0, true)), { pid: child.pid }).map((f) => f.symbol?.name);
    // getpid is a leaf without a frame of its own, so the frame-pointer walk goes from it straight
    // to tsbpf_leaf's caller (tsbpf_leaf's frame holds getpid's return address only in rip).
    assert.match(tpUser[0] ?? '', /getpid/, tpUser.join(' < '));
    const middleAt = tpUser.indexOf('tsbpf_middle');
    assert.ok(middleAt >= 1 && tpUser[middleAt + 1] === 'main', tpUser.join(' < '));
    const kernelId = Number(events[1].getBigInt64(8, true));
    // Debian's 6.1 (in the VM) answers EFAULT for the kernel stack at a syscall tracepoint
    // (observed); 6.18 must give one, and the check stays strict on kernels matching our tables.
    const older = olderThanTables();
    if (kernelId === -14 && older !== null) console.log(`note: stack traces: no kernel stack at sys_enter_getpid on this kernel (EFAULT; ${older})`);
    else {
      const kernel = resolveStack(stacks, kernelId);
      const text = kernel.map((f) => f.text).join(' < ');
      assert.ok(kernel.length > 0 && kernel.every((f) => f.kernel && f.symbol !== undefined), text);
      assert.ok(kernel.some((f) => /do_syscall_64|entry_SYSCALL/.test(f.symbol?.name ?? '')), text);
    }
    assert.throws(() => resolveStack(stacks, -14), (x: unknown) => x instanceof StackIdError && /EFAULT/.test(x.message));
    const used = [events[0].getBigInt64(0, true), events[1].getBigInt64(0, true), events[1].getBigInt64(8, true)].map(Number).filter((id) => id >= 0);
    const unused = [0, 1, 2, 3].find((id) => !used.includes(id)) as number;
    assert.throws(() => resolveStack(stacks, unused), (x: unknown) => x instanceof StackIdError && /not in the stack trace map/.test(x.message));
  } finally {
    for (const p of progs) closeFd(p);
    closeFd(ring);
    await child.stop();
    bin.remove();
  }
});

test.run();
