// uprobes against the live kernel: libc's open64 (what Node's fs.openSync calls) in this process,
// at entry (pid in the event) and on return (the new fd in the return register).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { closeFd, mapCreate, progLoad } from '../../syscalls/index.js';

import { attachKprobe, attachUprobe, ElfSymbolError, elfSymbolOffset, ProbePmuError } from '../../src/attach/index.js';
import { RingBuffer } from '../../src/readers/index.js';
import { eventProgram, u64At } from '../support/event-programs.js';
import { kernelTest } from '../support/kernel.js';

const test = suite('uprobe (kernel)');
const PROG_KPROBE = 2;
/** Offset of the return-value register in `struct pt_regs`: rax on x86_64, regs[0] on aarch64. */
const RET_REG = process.arch === 'arm64' ? 0 : 80;

/** The libc this process has mapped. */
function libcPath(): string {
  const line = readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => /\/libc\.so\.6$/.test(l));
  if (line === undefined) throw new Error('libc.so.6 is not mapped (not glibc?)');
  return line.slice(line.indexOf('/'));
}

async function probeRound(retprobe: boolean): Promise<bigint[][]> {
  const map = mapCreate({ mapType: 27, keySize: 0, valueSize: 0, maxEntries: 1 << 16 });
  try {
    const insns = eventProgram({ sink: { kind: 'ringbuf', mapFd: map }, fields: [{ kind: 'pid_tgid' }, { kind: 'ctx', offset: RET_REG, size: 'DW' }], pid: process.pid });
    const prog = progLoad({ progType: PROG_KPROBE, insns, license: 'GPL' });
    try {
      using reader = RingBuffer.create(map);
      const link = attachUprobe(prog.fd, { path: libcPath(), symbol: 'open64', retprobe, pid: process.pid });
      const fds: number[] = [];
      try {
        assert.is(link.kind, retprobe ? 'uretprobe' : 'uprobe');
        for (let i = 0; i < 3; i++) {
          const fd = openSync('/dev/null', 'r');
          fds.push(fd);
          closeSync(fd);
        }
      } finally {
        link.close();
      }
      const events: bigint[][] = [];
      for (let e = reader.read(); e !== undefined; e = reader.read()) events.push([u64At(e, 0), u64At(e, 1)]);
      // Detached: no more events.
      closeSync(openSync('/dev/null', 'r'));
      assert.is(reader.read(), undefined);
      if (retprobe) for (const fd of fds) assert.ok(events.some((e) => e[1] === BigInt(fd)), `fd ${fd} among return values ${events.map((e) => e[1]).join(',')}`);
      return events;
    } finally {
      closeFd(prog.fd);
    }
  } finally {
    closeFd(map);
  }
}

kernelTest(test, 'uprobe on libc open64: one event per fs.openSync, from this process', async () => {
  const events = await probeRound(false);
  assert.ok(events.length >= 3, `${events.length} events`);
  for (const [pidTgid] of events) assert.is(pidTgid >> 32n, BigInt(process.pid));
});

kernelTest(test, 'uretprobe on libc open64: the return register holds the new fd', async () => {
  const events = await probeRound(true);
  assert.ok(events.length >= 3, `${events.length} events`);
});

kernelTest(test, 'unknown symbols and files are ElfSymbolErrors', () => {
  assert.throws(() => elfSymbolOffset(libcPath(), 'no_such_function_xyz'), (e: unknown) => e instanceof ElfSymbolError && e.symbol === 'no_such_function_xyz');
  assert.throws(() => elfSymbolOffset('/nonexistent/lib.so', 'x'), (e: unknown) => e instanceof ElfSymbolError && /cannot read/.test(e.message));
  assert.throws(() => elfSymbolOffset('/proc/self/status', 'x'), (e: unknown) => e instanceof ElfSymbolError && /not an ELF/.test(e.message));
});

kernelTest(test, 'kprobe: attaches where the kprobe PMU exists, else a ProbePmuError that names the missing config', async () => {
  const prog = progLoad({ progType: PROG_KPROBE, insns: Uint8Array.from([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]), license: 'GPL' });
  try {
    if (existsSync('/sys/bus/event_source/devices/kprobe/type')) {
      const link = attachKprobe(prog.fd, { symbol: 'do_sys_openat2' });
      assert.is(link.kind, 'kprobe');
      link.close();
    } else {
      assert.throws(() => attachKprobe(prog.fd, { symbol: 'do_sys_openat2' }), (e: unknown) => e instanceof ProbePmuError && /CONFIG_KPROBE_EVENTS/.test(e.message));
    }
    assert.throws(() => attachKprobe(prog.fd, { symbol: '../x' }), (e: unknown) => e instanceof RangeError);
  } finally {
    closeFd(prog.fd);
  }
});

test.run();
