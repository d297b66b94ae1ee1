/**
 * `$.callHelper` in the live kernel: programs calling helpers that have no dedicated eDSL method
 * are loaded (the kernel's verifier must accept the argument kinds and the implied sizes) and run
 * with BPF_PROG_TEST_RUN; results are checked against JS oracles — packet bytes out, IPv4
 * checksums, strtol parses, the pid and NUMA node of this process. Where the offline verifier
 * and the interpreter model the helper, they must agree with the kernel; where they do not, the
 * test prints which.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, statSync } from 'node:fs';
import { progTestRun } from '../../syscalls/prog-test-run.js';
import { helpers } from 'ebpf-bytecode-utils';
import { compile, lit, loadCompiled, program, simulate, u16, u32, u64, type CompiledProgram, type Program } from '../../src/dsl/index.js';
import { sweepProgram } from '../support/helper-call-args.js';
import { struct } from '../../src/types/index.js';
import { kernelTest } from '../support/kernel.js';
import { csumDiffFoldedMissing, helpersMissing } from '../support/kernel-lacks.js';
import { makeEnvironment, type Environment } from '../../verifier-sim/interpreter/index.js';

const test = suite('dsl helper call (kernel)');

const noted = new Set<string>();
/** Prints `text` once: what the offline verifier or interpreter does not model yet. */
function note(text: string): void {
  if (noted.has(text)) return;
  noted.add(text);
  console.log(`  note: ${text}`);
}

interface Run { readonly retval: number; readonly dataOut: Uint8Array | undefined }

/**
 * Loads and runs `p` once in the kernel on `data`; then the offline verifier and interpreter
 * where they can. `fold` (for a kernel probed to return checksums in another, equivalent form
 * than the 6.18 the interpreter models) maps both return values to a common form first.
 */
async function runBoth(p: Program, data: Uint8Array, env?: Environment, fold: (v: bigint) => bigint = (v) => v): Promise<Run> {
  const c: CompiledProgram = compile(p);
  let k: Run;
  {
    using loaded = loadCompiled(c);
    const r = progTestRun({ progFd: loaded.progFd, dataIn: data, dataSizeOut: data.length + 64 });
    k = { retval: r.retval, dataOut: r.dataOut };
  }
  const v = await p.verify();
  if (v.verdict !== 'accept') note(`offline verifier on ${p.name}: ${v.error}`);
  else {
    let s;
    try {
      s = simulate(c, env === undefined ? {} : { env }).run({ data });
    } catch (e) {
      note(`interpreter on ${p.name}: ${(e as Error).message.split('\n')[0]}`);
    }
    if (s !== undefined) assert.is(fold(s.retval & 0xffffffffn), fold(BigInt(k.retval)), `${p.name}: interpreter retval = kernel's`);
  }
  return k;
}

/** An Ethernet + IPv4 frame with a valid header checksum. */
function ipv4Frame(id: number, ttl = 64): Uint8Array {
  const f = new Uint8Array(64);
  f[12] = 0x08; f[13] = 0x00;
  const ip = f.subarray(14, 34);
  ip.set([0x45, 0, 0, 50, id >> 8, id & 0xff, 0, 0, ttl, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
  const c = ipChecksum(ip);
  ip[10] = c >> 8; ip[11] = c & 0xff;
  return f;
}

/** RFC 1071 checksum of `bytes` (with the checksum field as it is): 0 over a valid header. */
function ipChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

kernelTest(test, 'sched_cls: bpf_skb_store_bytes rewrites the IP id, bpf_l3_csum_replace fixes the checksum', async () => {
  for (const [oldId, newId] of [[0x1234, 0xbeef], [0, 0xffff], [0xfffe, 1]]) {
    const f = ipv4Frame(oldId);
    // the kernel takes the 16-bit values as they sit in memory (big-endian bytes, loaded little-endian)
    const memOld = (oldId >> 8) | ((oldId & 0xff) << 8);
    const memNew = (newId >> 8) | ((newId & 0xff) << 8);
    const Id = struct('id16', { v: u16 });
    const p = program('store_csum', 'sched_cls', ($, ctx) => {
      const buf = $.struct(Id, { v: memNew });
      const a = $.callHelper('bpf_skb_store_bytes', ctx, 14 + 4, buf, 0);
      const b = $.callHelper('bpf_l3_csum_replace', ctx, 14 + 10, memOld, memNew, 2);
      return a.or(b).eq(0n).cast(u32);
    });
    const r = await runBoth(p, f);
    assert.is(r.retval, 1, 'both helpers returned 0');
    const out = r.dataOut!;
    assert.is(out.length, f.length);
    assert.is((out[18] << 8) | out[19], newId, 'id rewritten');
    assert.is(ipChecksum(out.subarray(14, 34)), 0, `checksum valid after ${oldId.toString(16)} -> ${newId.toString(16)}`);
    const expect = ipv4Frame(newId);
    assert.equal([...out.subarray(0, 34)], [...expect.subarray(0, 34)], 'same header as a frame built with the new id');
  }
}, () => helpersMissing('sched_cls', 'bpf_skb_store_bytes', 'bpf_l3_csum_replace'));

kernelTest(test, 'xdp: bpf_xdp_load_bytes reads packet bytes, bpf_xdp_adjust_head drops the head', async () => {
  const data = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff);
  for (const [off, drop] of [[0, 4], [5, 14], [40, 0]]) {
    const W = struct('w32', { v: u32 });
    const p = program('xdp_bytes', 'xdp', ($, ctx) => {
      const w = $.struct(W);
      const r = $.callHelper('bpf_xdp_load_bytes', ctx, off, w);
      $.if(r.ne(0n), () => $.return(0xdead));
      $.if($.callHelper('bpf_xdp_adjust_head', ctx, drop).ne(0n), () => $.return(0xbeef));
      return w.field('v').get().and(0x7fffffff);
    });
    const k = await runBoth(p, data);
    const expect = new DataView(data.buffer).getUint32(off, true) & 0x7fffffff;
    assert.is(k.retval, expect, `4 bytes at ${off}`);
    assert.equal([...k.dataOut!], [...data.subarray(drop)], `head of ${drop} bytes dropped`);
  }
}, () => helpersMissing('xdp', 'bpf_xdp_load_bytes', 'bpf_xdp_adjust_head'));

/** strtol of `s` as the kernel does (base 0: 0x → 16, 0 → 8, else 10): value and characters consumed. */
function strtolOracle(s: string): [number, number] {
  const m = /^(-?)(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)/i.exec(s)!;
  const body = m[2];
  const v = body.toLowerCase().startsWith('0x') ? parseInt(body.slice(2), 16) : body.startsWith('0') && body.length > 1 ? parseInt(body, 8) : parseInt(body, 10);
  return [m[1] === '-' ? -v : v, m[0].length];
}

kernelTest(test, 'bpf_strtol parses a stack buffer (ARG_PTR_TO_MEM + implied size, fixed-size result)', async () => {
  for (const s of ['-1234', '0x1f', '017', '42zz', '7']) {
    const bytes = new Uint8Array(8);
    bytes.set(new TextEncoder().encode(s));
    const packed = new DataView(bytes.buffer).getBigUint64(0, true);
    const Str = struct('str8', { s: u64 });
    const Res = struct('res', { v: u64 });
    const p = program('strtol', 'xdp', ($) => {
      const buf = $.struct(Str, { s: packed });
      const res = $.struct(Res);
      const n = $.callHelper('bpf_strtol', buf, 0, res);
      // value * 16 + characters consumed, in the 32-bit return value
      return res.field('v').get().shl(4n).add(n.cast(u64)).and(0xffffffffn);
    });
    const k = await runBoth(p, new Uint8Array(64));
    const [v, n] = strtolOracle(s);
    assert.is(k.retval, ((v * 16 + n) >>> 0), `strtol('${s}') = ${v}, ${n} characters`);
  }
}, () => helpersMissing('xdp', 'bpf_strtol'));

kernelTest(test, 'bpf_get_ns_current_pid_tgid gives this process\'s pid in its pid namespace', async () => {
  const st = statSync('/proc/self/ns/pid');
  const Ns = struct('ns_pid', { pid: u32, tgid: u32 });
  const p = program('nspid', 'xdp', ($) => {
    const ns = $.struct(Ns);
    const r = $.callHelper('bpf_get_ns_current_pid_tgid', lit(u64, BigInt(st.dev)), lit(u64, BigInt(st.ino)), ns);
    $.if(r.ne(0n), () => $.return(r.cast(u32)));
    return ns.field('tgid').get();
  });
  // the interpreter's environment: this process in its pid namespace, as the kernel sees it
  const env = makeEnvironment({ pidNamespace: { dev: BigInt(st.dev), ino: BigInt(st.ino), pid: process.pid, tgid: process.pid } });
  const k = await runBoth(p, new Uint8Array(64), env);
  assert.is(k.retval, process.pid);
}, () => helpersMissing('xdp', 'bpf_get_ns_current_pid_tgid'));

kernelTest(test, 'bpf_get_numa_node_id is a node of this machine', async () => {
  const nodes = readdirSync('/sys/devices/system/node').filter((n) => /^node\d+$/.test(n)).map((n) => Number(n.slice(4)));
  const p = program('numa', 'socket_filter', ($) => $.callHelper('bpf_get_numa_node_id').cast(u32));
  const k = await runBoth(p, new Uint8Array(64));
  assert.ok(nodes.includes(k.retval), `node ${k.retval} in ${nodes.join(',')}`);
}, () => helpersMissing('socket_filter', 'bpf_get_numa_node_id'));

/** A 32-bit one's-complement sum folded to 16 bits: the form two equivalent checksums share. */
function fold16(v: bigint): bigint {
  let s = v;
  while (s > 0xffffn) s = (s & 0xffffn) + (s >> 16n);
  return s;
}

kernelTest(test, 'bpf_csum_diff over two stack buffers equals the JS one\'s-complement sum', async () => {
  const A = struct('a8', { v: u64 });
  // the interpreter returns 6.18's folded sum; where the kernel is probed to return it unfolded, compare folded forms
  const unfolded = csumDiffFoldedMissing();
  if (unfolded !== null) console.log(`  note: ${unfolded}: interpreter and kernel compared folded to 16 bits`);
  const fold = unfolded === null ? undefined : fold16;
  for (const [x, y] of [[0x0102030405060708n, 0n], [0xffffffffffffffffn, 0x1111111111111111n]]) {
    const p = program('csumdiff', 'sched_cls', ($) => {
      const a = $.struct(A, { v: x });
      const b = $.struct(A, { v: y });
      return $.callHelper('bpf_csum_diff', a, b, 0).cast(u32);
    });
    const k = await runBoth(p, new Uint8Array(64), undefined, fold);
    // csum_diff(from, to, seed) = csum_partial(to, csum_partial(~from)): a 32-bit one's-complement
    // sum of 32-bit words of `to` and of the complemented words of `from`, folded to 32 bits.
    const words = (v: bigint) => [Number(v & 0xffffffffn), Number(v >> 32n)];
    let sum = 0n;
    for (const w of words(y)) sum += BigInt(w);
    for (const w of words(x)) sum += BigInt(~w >>> 0);
    while (sum > 0xffffffffn) sum = (sum & 0xffffffffn) + (sum >> 32n);
    // the kernel's result is the same one's-complement value, maybe in another (equivalent) form: fold both to 16 bits
    assert.is(fold16(BigInt(k.retval)), fold16(sum), `csum_diff(${x.toString(16)}, ${y.toString(16)})`);
  }
  // a NULL `from` (PTR_MAYBE_NULL): the sum of `to` plus the seed
  const y = 0x0a0b0c0d01020304n;
  const q = program('csumnull', 'sched_cls', ($) => $.callHelper('bpf_csum_diff', null, $.struct(A, { v: y }), 7).cast(u32));
  const k = await runBoth(q, new Uint8Array(64), undefined, fold);
  let sum = 7n + (y & 0xffffffffn) + (y >> 32n);
  while (sum > 0xffffffffn) sum = (sum & 0xffffffffn) + (sum >> 32n);
  assert.is(fold16(BigInt(k.retval)), fold16(sum), 'csum_diff(NULL, 0, to, 8, 7)');
}, () => helpersMissing('sched_cls', 'bpf_csum_diff'));

/**
 * Helpers this kernel offers to a program type (its probe says so) but refuses in the sweep's
 * program, for reasons the synthesized call cannot avoid, each with the kernel's message.
 * Helpers the kernel does not offer at all (older kernels; `bpf_probe_write_user` under lockdown,
 * KERNEL.md; `bpf_override_return` without CONFIG_BPF_KPROBE_OVERRIDE) are found by the probe.
 */
const REFUSED_HERE: Readonly<Record<string, RegExp>> = {
  bpf_copy_from_user: /helper call might sleep in a non-sleepable prog/, // sleepable programs only
};

kernelTest(test, 'sweep: the kernel\'s verifier accepts every callable helper with synthesized arguments', () => {
  let accepted = 0;
  const refused: string[] = [];
  const missing: string[] = [];
  for (const h of helpers) {
    const sweep = sweepProgram(h);
    if (sweep === undefined) continue;
    const { progType, compiled: c } = sweep;
    let error: Error | undefined;
    try {
      loadCompiled(c).close();
    } catch (e) {
      error = e as Error;
    }
    const notOffered = helpersMissing(progType, h.name);
    if (notOffered !== null) {
      // The product's probe says this kernel does not offer the helper to the type (older
      // kernels offer fewer; lockdown or the config remove some): the load must agree.
      assert.ok(error !== undefined && /unknown func|cannot use helper/.test(error.message), `${h.name} (${progType}) not offered by the probe, yet: ${error?.message.split('\n')[0] ?? 'accepted'}`);
      missing.push(h.name);
      continue;
    }
    const expected = REFUSED_HERE[h.name];
    if (expected === undefined) {
      assert.is(error?.message.split('\n')[0], undefined, `${h.name} (${progType}) accepted`);
      accepted++;
    } else {
      assert.ok(error !== undefined && expected.test(error.message), `${h.name} (${progType}) refused here: ${error?.message.split('\n')[0]}`);
      refused.push(h.name);
    }
  }
  console.log(`  kernel sweep: ${accepted} helpers accepted, ${refused.length} refused by this kernel as expected (${refused.join(', ')}), ${missing.length} not offered here (${missing.join(', ')})`);
  assert.ok(accepted >= 60, `accepted ${accepted}`);
});

test.run();
