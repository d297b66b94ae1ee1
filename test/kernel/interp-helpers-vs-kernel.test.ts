/**
 * The interpreter's packet, checksum, string and namespace helpers against the live kernel:
 * fast-check draws packets, offsets, values and flags (valid and invalid), each program runs once
 * through BPF_PROG_TEST_RUN and once in the interpreter (both tiers), and the return value and
 * packet bytes out must be equal.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { readFileSync, statSync } from 'node:fs';
import { progTestRun } from '../../syscalls/prog-test-run.js';
import { compile, lit, loadCompiled, program, simulate, u8, u32, u64, type Expr, type Program } from '../../src/dsl/index.js';
import { struct } from '../../src/types/index.js';
import { makeEnvironment, type Environment } from '../../verifier-sim/interpreter/index.js';
import { kernelTest } from '../support/kernel.js';
import { csumDiffFoldedMissing, helpersMissing } from '../support/kernel-lacks.js';

const test = suite('interpreter helpers vs kernel');
const RUNS = 25;

interface Outcome { readonly retval: number; readonly dataOut: number[] }

/** Runs `p` on `data` in the kernel and in both interpreter tiers; asserts they agree and returns the kernel's outcome. */
function agree(p: Program, data: Uint8Array, env?: Environment): Outcome {
  const c = compile(p);
  let k: Outcome;
  {
    using loaded = loadCompiled(c);
    const r = progTestRun({ progFd: loaded.progFd, dataIn: data, dataSizeOut: data.length + 256 });
    k = { retval: r.retval, dataOut: [...(r.dataOut ?? [])] };
  }
  for (const tier of [false, true]) {
    const s = simulate(c, { ...(env === undefined ? {} : { env }), compile: tier }).run({ data });
    const sim: Outcome = { retval: Number(s.retval & 0xffffffffn), dataOut: [...s.dataOut] };
    assert.equal(sim, k, `${p.name} (${tier ? 'compiled' : 'interpreted'} tier) = kernel`);
  }
  return k;
}

/** A struct of `n` u8 fields: a stack object whose bytes the program sets one by one. */
function bytesType(n: number) {
  return struct(`bytes${n}`, Object.fromEntries(Array.from({ length: n }, (_, i) => [`b${i}`, u8])) as Record<string, typeof u8>);
}
function bytesInit(bytes: Uint8Array): Record<string, number> {
  return Object.fromEntries([...bytes].map((b, i) => [`b${i}`, b]));
}

const packet = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const u32s = fc.integer({ min: 0, max: 0xffffffff });

kernelTest(test, 'bpf_skb_store_bytes: packet bytes and return value, offsets in and out of range, flags', () => {
  fc.assert(fc.property(packet(14, 96), fc.integer({ min: 0, max: 110 }), fc.uint8Array({ minLength: 1, maxLength: 12 }), fc.constantFrom(0, 1, 2, 3, 4), (data, offset, bytes, flags) => {
    const T = bytesType(bytes.length);
    const p = program('store', 'sched_cls', ($, ctx) => $.callHelper('bpf_skb_store_bytes', ctx, offset, $.struct(T, bytesInit(bytes) as never), flags).cast(u32));
    const k = agree(p, data);
    const fits = offset + bytes.length <= data.length && flags < 4;
    assert.is(k.retval === 0, fits, 'kernel stores exactly when the bytes fit and the flags are known');
  }), { numRuns: RUNS });
}, () => helpersMissing('sched_cls', 'bpf_skb_store_bytes'));

kernelTest(test, 'bpf_l3_csum_replace / bpf_l4_csum_replace: rewritten checksum bytes for 2- and 4-byte fields, diffs, bad flags', () => {
  const flagsL3 = fc.constantFrom(0, 2, 4, 3, 0x10);
  const flagsL4 = fc.constantFrom(0, 2, 4, 0x12, 0x14, 0x22, 0x24, 0x64, 0x84, 8, 0x100);
  fc.assert(fc.property(packet(20, 64), fc.integer({ min: 0, max: 70 }), u32s, u32s, fc.boolean(), flagsL3, flagsL4, fc.boolean(), (data, offset, from, to, l4, f3, f4, zeroField) => {
    const d = data.slice();
    if (zeroField && offset + 2 <= d.length) d[offset] = d[offset + 1] = 0;
    const flags = l4 ? f4 : f3;
    const fromV = (flags & 0xf) === 0 && from % 3 !== 0 ? 0 : from; // mostly valid diffs
    const name = l4 ? 'bpf_l4_csum_replace' : 'bpf_l3_csum_replace';
    const p = program('csum', 'sched_cls', ($, ctx) => $.callHelper(name as 'bpf_l3_csum_replace', ctx, offset, lit(u64, BigInt(fromV)), lit(u64, BigInt(to)), flags).cast(u32));
    agree(p, d);
  }), { numRuns: RUNS * 3 });
}, () => helpersMissing('sched_cls', 'bpf_l3_csum_replace', 'bpf_l4_csum_replace'));

kernelTest(test, 'bpf_csum_diff: sizes 0..40 (multiples of 4 and not), NULL from, seeds', () => {
  const sized = fc.integer({ min: 0, max: 10 }).chain((n) => fc.uint8Array({ minLength: 4 * n, maxLength: 4 * n }));
  fc.assert(fc.property(fc.oneof(sized, fc.uint8Array({ minLength: 1, maxLength: 9 })), sized, u32s, (from, to, seed) => {
    const F = bytesType(from.length);
    const T = bytesType(Math.max(to.length, 1));
    const p = program('csumdiff', 'sched_cls', ($) => {
      const a = from.length === 0 ? null : $.struct(F, bytesInit(from) as never);
      const b = $.struct(T, bytesInit(to.length === 0 ? new Uint8Array(1) : to) as never);
      return $.callHelper('bpf_csum_diff', a, b, lit(u32, seed)).cast(u32);
    });
    agree(p, new Uint8Array(64));
  }), { numRuns: RUNS * 2 });
}, () => helpersMissing('sched_cls', 'bpf_csum_diff') ?? csumDiffFoldedMissing());

kernelTest(test, 'bpf_skb_load_bytes_relative and bpf_skb_pull_data: offsets from the MAC and network headers', () => {
  fc.assert(fc.property(packet(34, 80), fc.integer({ min: 0, max: 90 }), fc.integer({ min: 1, max: 16 }), fc.constantFrom(0, 1, 2), fc.integer({ min: 0, max: 100 }), (data, offset, len, start, pull) => {
    const d = data.slice();
    d[12] = 0x08; d[13] = 0x00; d[14] = 0x45; // IPv4, so that the kernel's network header is at 14
    const T = bytesType(len);
    const p = program('relative', 'sched_cls', ($, ctx) => {
      const buf = $.struct(T);
      const r = $.callHelper('bpf_skb_load_bytes_relative', ctx, offset, buf, start);
      const q = $.callHelper('bpf_skb_pull_data', ctx, pull);
      const w = $.struct(struct('w', { v: u32 }));
      $.callHelper('bpf_skb_store_bytes', ctx, 0, w, 0); // the first loaded bytes land in the packet, to compare
      return r.shl(8n).or(q.and(0xffn)).cast(u32);
    });
    agree(p, d);
  }), { numRuns: RUNS });
}, () => helpersMissing('sched_cls', 'bpf_skb_load_bytes_relative', 'bpf_skb_pull_data'));

kernelTest(test, 'bpf_xdp_load_bytes / bpf_xdp_store_bytes / bpf_xdp_get_buff_len: bytes, bounds and errors', () => {
  fc.assert(fc.property(packet(14, 96), fc.integer({ min: 0, max: 100 }), fc.uint8Array({ minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 100 }), (data, loadAt, bytes, storeAt) => {
    const T = bytesType(bytes.length);
    const p = program('xdpbytes', 'xdp', ($, ctx) => {
      const got = $.struct(T);
      const a = $.callHelper('bpf_xdp_load_bytes', ctx, loadAt, got);
      const b = $.callHelper('bpf_xdp_store_bytes', ctx, storeAt, $.struct(T, bytesInit(bytes) as never));
      const c = $.callHelper('bpf_xdp_store_bytes', ctx, 0, got); // what was loaded, written back at 0
      const n = $.callHelper('bpf_xdp_get_buff_len', ctx);
      return a.and(0xffn).or(b.and(0xffn).shl(8n)).or(c.and(0xffn).shl(16n)).or(n.shl(24n)).cast(u32);
    });
    agree(p, data);
  }), { numRuns: RUNS });
}, () => helpersMissing('xdp', 'bpf_xdp_load_bytes', 'bpf_xdp_store_bytes', 'bpf_xdp_get_buff_len'));

kernelTest(test, 'bpf_strtol / bpf_strtoul: return value and result over drawn strings and flags', () => {
  const chars = fc.constantFrom(...' \t-+0x19aAfFgz7'.split(''), '\0', '\xa0');
  const str = fc.array(chars, { minLength: 1, maxLength: 20 }).map((cs) => Uint8Array.from(cs.map((c) => c.charCodeAt(0))));
  const digits = fc.stringMatching(/^-?(0x[0-9a-f]{1,17}|[0-9]{1,21})$/).map((s) => new TextEncoder().encode(s));
  fc.assert(fc.property(fc.oneof(str, digits), fc.constantFrom(0, 8, 10, 16, 3, 0x20), fc.boolean(), (bytes, flags, unsigned) => {
    const T = bytesType(bytes.length);
    const Res = struct('res', { v: u64 });
    const name = unsigned ? 'bpf_strtoul' : 'bpf_strtol';
    for (const part of ['ret', 'lo', 'hi'] as const) {
      const p = program('strtox', 'xdp', ($) => {
        const res = $.struct(Res, { v: 0x5a5a5a5a5a5a5a5an });
        const r = $.callHelper(name as 'bpf_strtol', $.struct(T, bytesInit(bytes) as never), lit(u64, BigInt(flags)), res);
        const v = res.field('v').get();
        return (part === 'ret' ? r.cast(u64) : part === 'lo' ? v : v.shr(32n)).cast(u32);
      });
      agree(p, new Uint8Array(64));
    }
  }), { numRuns: RUNS });
}, () => helpersMissing('xdp', 'bpf_strtol', 'bpf_strtoul'));

kernelTest(test, 'bpf_get_ns_current_pid_tgid: this process\'s namespace (environment from stat) and wrong dev/ino', () => {
  const st = statSync('/proc/self/ns/pid', { bigint: true });
  const env = makeEnvironment({ pidNamespace: { dev: st.dev, ino: st.ino, pid: process.pid, tgid: process.pid } });
  const Ns = struct('ns_pid', { pid: u32, tgid: u32 });
  for (const [dev, ino] of [[st.dev, st.ino], [st.dev, st.ino + 1n], [st.dev + 1n, st.ino], [st.dev | (1n << 32n), st.ino]]) {
    for (const part of ['ret', 'pid', 'tgid'] as const) {
      const p = program('nspid', 'xdp', ($) => {
        const ns = $.struct(Ns, { pid: 7, tgid: 9 });
        const r = $.callHelper('bpf_get_ns_current_pid_tgid', lit(u64, dev), lit(u64, ino), ns);
        return part === 'ret' ? r.cast(u32) : ns.field(part).get();
      });
      const k = agree(p, new Uint8Array(64), env);
      if (dev === st.dev && ino === st.ino && part === 'tgid') assert.is(k.retval, process.pid);
    }
  }
}, () => helpersMissing('xdp', 'bpf_get_ns_current_pid_tgid'));

kernelTest(test, 'skb metadata helpers: csum_level sequences, csum_update, set_hash(_invalid), change_type, route realm', () => {
  fc.assert(fc.property(packet(34, 64), fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 6 }), u32s, fc.integer({ min: 0, max: 5 }), fc.boolean(), (data, levels, hash, type, invalidate) => {
    for (const part of ['levels', 'misc', 'hash', 'type'] as const) {
      const p = program('skbmeta', 'sched_cls', ($, ctx) => {
        const acc = $.let(u64, 0n);
        for (const l of levels) acc.set(acc.shl(8n).or($.callHelper('bpf_csum_level', ctx, l).cast(u64).and(0xffn)));
        const u = $.callHelper('bpf_csum_update', ctx, lit(u32, hash));
        const realm = $.callHelper('bpf_get_route_realm', ctx);
        const sh = $.callHelper('bpf_set_hash', ctx, lit(u32, hash));
        if (invalidate) $.callHelper('bpf_set_hash_invalid', ctx);
        const ct = $.callHelper('bpf_skb_change_type', ctx, type);
        const c = ctx as unknown as { hash: Expr<typeof u32>; pkt_type: Expr<typeof u32> };
        if (part === 'levels') return acc.xor(acc.shr(32n)).cast(u32);
        if (part === 'misc') return u.cast(u64).and(0xffffn).or(realm.cast(u64).shl(16n)).cast(u32);
        if (part === 'hash') return c.hash;
        return c.pkt_type.add(sh.add(ct.shl(8n)).cast(u32).shl(8));
      });
      agree(p, data);
    }
  }), { numRuns: RUNS });
}, () => helpersMissing('sched_cls', 'bpf_csum_level', 'bpf_csum_update', 'bpf_set_hash', 'bpf_set_hash_invalid', 'bpf_skb_change_type', 'bpf_get_route_realm'));

kernelTest(test, 'redirect helpers: action codes for flags and neighbour parameter sizes (tc and XDP)', () => {
  const flags = fc.constantFrom(0n, 1n, 2n, 1n << 32n, 0x10n);
  fc.assert(fc.property(u32s, flags, flags, flags, fc.integer({ min: 0, max: 24 }), (ifindex, f1, f2, f3, plen) => {
    const P = bytesType(Math.max(plen, 1));
    const tc = program('redirect', 'sched_cls', ($) => {
      const a = $.callHelper('bpf_redirect', lit(u32, ifindex), lit(u64, f1));
      const b = $.callHelper('bpf_redirect_peer', lit(u32, ifindex), lit(u64, f2));
      const c = $.callHelper('bpf_redirect_neigh', lit(u32, ifindex), plen === 0 ? null : $.struct(P), lit(u64, f3));
      return a.or(b.shl(8n)).or(c.shl(16n)).cast(u32);
    });
    agree(tc, new Uint8Array(64));
    const xdp = program('redirect', 'xdp', ($) => $.callHelper('bpf_redirect', lit(u32, ifindex), lit(u64, f1)).cast(u32));
    agree(xdp, new Uint8Array(64));
  }), { numRuns: RUNS });
}, () => helpersMissing('sched_cls', 'bpf_redirect', 'bpf_redirect_peer', 'bpf_redirect_neigh'));

/**
 * This process's cgroup ids in the default (v2) hierarchy, root first, from `/proc/self/cgroup`
 * and the inode numbers of the cgroup2 directories; null when the path is not the root and no
 * cgroup2 file system is mounted to stat it.
 */
function ownCgroupIds(): bigint[] | null {
  const line = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::'));
  if (line === undefined) return null;
  const path = line.slice(3);
  if (path === '/') return [1n];
  const mount = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')).find((f) => f[f.indexOf('-') + 1] === 'cgroup2');
  if (mount === undefined) return null;
  const parts = path.split('/').filter((x) => x.length > 0);
  return [1n, ...parts.map((_, i) => statSync(`${mount[4]}/${parts.slice(0, i + 1).join('/')}`, { bigint: true }).ino)];
}

kernelTest(test, 'cgroup ids of the current task and of skb->sk, and the socket uid: this process\'s cgroup (environment from /proc/self/cgroup)', () => {
  const ids = ownCgroupIds();
  if (ids === null) {
    console.log('  skipped: this process is in a non-root cgroup2 path and no cgroup2 file system is mounted to read its ids');
    return;
  }
  const env = makeEnvironment({ cgroupIds: ids });
  for (const level of [-1, 0, 1, 2, ids.length - 1, ids.length, 1000]) {
    for (const half of [0n, 32n]) {
      const p = program('cgroup', 'xdp', ($) => $.callHelper('bpf_get_current_ancestor_cgroup_id', level).xor($.callHelper('bpf_get_current_cgroup_id').shl(1n)).shr(half).cast(u32));
      agree(p, new Uint8Array(64), env);
      const q = program('skbcgroup', 'sched_cls', ($, ctx) => $.callHelper('bpf_skb_ancestor_cgroup_id', ctx, level).xor($.callHelper('bpf_skb_cgroup_id', ctx).shl(1n)).shr(half).cast(u32).add($.callHelper('bpf_get_socket_uid', ctx).cast(u32)));
      agree(q, new Uint8Array(64), env);
    }
  }
}, () => helpersMissing('xdp', 'bpf_get_current_cgroup_id', 'bpf_get_current_ancestor_cgroup_id') ?? helpersMissing('sched_cls', 'bpf_skb_cgroup_id', 'bpf_skb_ancestor_cgroup_id', 'bpf_get_socket_uid'));

test.run();
