// The helper table (asm/src/helper-table.generated.ts) against the running kernel's verifier:
// for a sample of program types × every helper, load `r1..r5 = 0; call #id; r0 = 0; exit` with
// log_level 1 and read the verifier's answer. `unknown func bpf_x#N` / `program of this type
// cannot use helper bpf_x#N` means unavailable; anything else (accepted, or rejected for its
// arguments) means available. The table's programTypes must agree on ≥ 95% of the pairs; the
// disagreements are printed (the table over-approximates: it counts attach-type, capability,
// lockdown and CONFIG_ conditions as offered).
//
// Needs root and bpf(); skips otherwise. Uses its own minimal koffi wrapper on purpose, so that
// it checks the table independently of syscalls/.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';
import { helpers } from '../../asm/src/helpers.js';
import { AttachTypes, ProgramTypes, type AttachTypeName, type ProgramTypeName } from '../../asm/src/kernel-types.js';
import { olderThanTables } from '../support/kernel-lacks.js';
import { BtfKind, vmlinuxBtf } from '../support/mini-btf.js';

const BPF_PROG_LOAD = 5;
const BPF_F_SLEEPABLE = 1 << 4;
const ATTR_SIZE = 168; // sizeof(union bpf_attr) on 6.18; the prefix we use ends at byte 72
const NR_BPF: Record<string, number> = { x64: 321, arm64: 280 };

/** Program types tried, with the attach type / flags the kernel wants (or that suit the test). */
const SAMPLE: { type: ProgramTypeName; attach?: AttachTypeName; flags?: number }[] = [
  { type: 'socket_filter' },
  { type: 'kprobe' },
  { type: 'sched_cls' },
  { type: 'tracepoint' },
  { type: 'xdp' },
  { type: 'perf_event' },
  { type: 'cgroup_skb', attach: 'cgroup_inet_egress' },
  { type: 'cgroup_sock_addr', attach: 'cgroup_inet4_connect' },
  { type: 'sock_ops', attach: 'cgroup_sock_ops' },
  { type: 'sk_skb', attach: 'sk_skb_stream_verdict' },
  { type: 'raw_tracepoint' },
  { type: 'cgroup_sysctl', attach: 'cgroup_sysctl' },
  { type: 'syscall', flags: BPF_F_SLEEPABLE },
];

interface LoadResult {
  readonly fd: number;
  readonly errno: number;
  readonly log: string;
}

/** Minimal private bpf(BPF_PROG_LOAD) through koffi. */
interface Loader {
  load(progType: number, insns: Uint8Array, attachType: number, flags: number): LoadResult;
}

function makeLoader(): Loader {
  const nr = NR_BPF[process.arch];
  if (nr === undefined) throw new Error(`no bpf syscall number for ${process.arch}`);
  const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
  const libc = koffi.load('libc.so.6');
  const syscall = libc.func('long syscall(long nr, int cmd, void *attr, unsigned int size)');
  const close = libc.func('int close(int fd)');
  const license = Buffer.from('GPL\0');
  const logBuf = Buffer.alloc(1 << 16);
  const attr = Buffer.alloc(ATTR_SIZE);
  return {
    load(progType, insns, attachType, flags) {
      const code = Buffer.from(insns);
      attr.fill(0);
      logBuf.fill(0, 0, 512);
      attr.writeUInt32LE(progType, 0); // prog_type
      attr.writeUInt32LE(code.length / 8, 4); // insn_cnt
      attr.writeBigUInt64LE(koffi.address(code) as bigint, 8); // insns
      attr.writeBigUInt64LE(koffi.address(license) as bigint, 16); // license
      attr.writeUInt32LE(1, 24); // log_level
      attr.writeUInt32LE(logBuf.length, 28); // log_size
      attr.writeBigUInt64LE(koffi.address(logBuf) as bigint, 32); // log_buf
      attr.writeUInt32LE(flags, 44); // prog_flags
      attr.writeUInt32LE(attachType, 68); // expected_attach_type
      const fd = Number(syscall(nr, BPF_PROG_LOAD, attr, ATTR_SIZE));
      const errno = fd < 0 ? koffi.errno() : 0;
      if (fd >= 0) close(fd);
      const end = logBuf.indexOf(0);
      return { fd, errno, log: logBuf.toString('latin1', 0, end < 0 ? logBuf.length : end) };
    },
  };
}

/** `r1..r5 = 0; call #id; r0 = 0; exit`, or `r0 = 0; exit` without an id. */
function program(id?: number): Uint8Array {
  const insns: number[][] = [];
  if (id !== undefined) {
    for (let r = 1; r <= 5; r++) insns.push([0xb7, r, 0]); // mov64 rR, 0
    insns.push([0x85, 0, id]); // call id
  }
  insns.push([0xb7, 0, 0], [0x95, 0, 0]); // r0 = 0; exit
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach(([op, regs, imm], k) => {
    buf[k * 8] = op!;
    buf[k * 8 + 1] = regs!;
    buf.writeInt32LE(imm!, k * 8 + 4);
  });
  return buf;
}

let loader: Loader | undefined;
let skipReason: string | null = null;
if (process.platform !== 'linux') skipReason = `not Linux (${process.platform})`;
else if (process.getuid?.() !== 0) skipReason = `not root (uid ${process.getuid?.() ?? '?'})`;
else {
  try {
    loader = makeLoader();
    const r = loader.load(ProgramTypes.socket_filter, program(), 0, 0);
    if (r.fd < 0) skipReason = `bpf(BPF_PROG_LOAD) fails with errno ${r.errno}`;
  } catch (e) {
    skipReason = `cannot call bpf(): ${e instanceof Error ? e.message : String(e)}`;
  }
}
if (skipReason !== null) console.log(`skip: helper availability vs the running kernel: ${skipReason}`);

/**
 * How many helper ids the comparison covers: the whole table, except on a kernel older than the
 * tables (probed: its BTF lacks some of our attach types), where it is the kernel's own
 * `__BPF_FUNC_MAX_ID` (from its BTF `enum bpf_func_id`): the newer helpers do not exist there.
 */
function helperCount(): number {
  const older = olderThanTables();
  if (older === null) return helpers.length;
  const max = vmlinuxBtf().byName('bpf_func_id', BtfKind.ENUM)[0]?.values.find((v) => v.name === '__BPF_FUNC_MAX_ID');
  if (max === undefined) throw new Error(`${older}, and its BTF has no __BPF_FUNC_MAX_ID`);
  const n = Number(max.value);
  console.log(`helper availability: ${older}: comparing the ${n} helper ids it knows (of ${helpers.length})`);
  return n;
}
const count = skipReason === null ? helperCount() : helpers.length;

function kernelTest(name: string, fn: (l: Loader) => void): void {
  if (skipReason !== null || loader === undefined) test.skip(name);
  else {
    const l = loader;
    test(name, () => fn(l));
  }
}

kernelTest('the table has exactly as many helpers as the kernel', (l) => {
  assert.ok(count <= helpers.length, `the kernel knows ${count} helper ids, the table ${helpers.length}`);
  const past = l.load(ProgramTypes.socket_filter, program(count), 0, 0);
  assert.match(past.log, `invalid func unknown#${count}`, `helper #${count} should not exist`);
  const lastId = count - 1;
  const last = l.load(ProgramTypes.kprobe, program(lastId), 0, 0);
  assert.not.match(last.log, /invalid func/, `helper #${lastId} should exist`);
  assert.match(last.log, `call ${helpers[lastId]!.name}#${lastId}`);
});

kernelTest('program types × helpers: the table agrees with the verifier on ≥ 95% of pairs', (l) => {
  let agree = 0;
  let total = 0;
  const disagreements: string[] = [];
  const badNames: string[] = [];
  const skippedTypes: string[] = [];
  let newer = 0;
  for (const { type, attach, flags = 0 } of SAMPLE) {
    const progType = ProgramTypes[type];
    const attachType = attach === undefined ? 0 : AttachTypes[attach];
    const base = l.load(progType, program(), attachType, flags);
    if (base.fd < 0) {
      // The kernel lacks this program type (a CONFIG_ option), so it says nothing about helpers.
      skippedTypes.push(`${type} (errno ${base.errno})`);
      continue;
    }
    const mine: string[] = [];
    for (const h of helpers.slice(1, count)) {
      const r = l.load(progType, program(h.id), attachType, flags);
      const called = /\(85\) call (\S+)#(\d+)/.exec(r.log);
      if (called && called[1] !== h.name) badNames.push(`#${h.id}: kernel ${called[1]}, table ${h.name}`);
      const unavailable = /(?:unknown func|program of this type cannot use helper) \S+#\d+/.test(r.log);
      const inTable = h.programTypes.includes(type);
      // On a kernel older than the table (count < helpers.length), a helper that the table
      // offers and the kernel refuses may have been opened to the type later: not compared.
      if (count < helpers.length && inTable && unavailable) {
        newer++;
        continue;
      }
      total++;
      if (inTable === !unavailable) agree++;
      else mine.push(`${h.name}(${inTable ? 'table: yes, kernel: no' : 'table: no, kernel: yes'})`);
    }
    if (mine.length > 0) disagreements.push(`  ${type}: ${mine.join(', ')}`);
  }
  const pct = total === 0 ? 0 : (100 * agree) / total;
  console.log(`helper availability: ${agree}/${total} program type × helper pairs agree (${pct.toFixed(2)}%)`);
  if (newer > 0) console.log(`  not compared: ${newer} pairs the table offers and this older kernel refuses`);
  if (skippedTypes.length > 0) console.log(`  program types this kernel cannot load: ${skippedTypes.join(', ')}`);
  if (disagreements.length > 0) console.log(`  disagreements:\n${disagreements.join('\n')}`);
  assert.equal(badNames, [], 'helper names as the kernel prints them');
  assert.ok(total + newer >= 5 * (count - 1), `too few program types could be loaded: ${skippedTypes.join(', ')}`);
  assert.ok(pct >= 95, `agreement ${pct.toFixed(2)}% < 95%`);
});

test.run();
