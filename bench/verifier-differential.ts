// bench/verifier-differential: the long run of issue #7's differential targets. N random programs
// (bench/verifier-fuzz-program.ts, the generator whose fixed-seed sample runs in npm test) are
// verified by verifier-sim and loaded into the live kernel (BPF_PROG_LOAD, log level 1); accepted
// programs are also run by the interpreter and by BPF_PROG_TEST_RUN on the same packet.
// Prints verdict agreement, first-error-line agreement on programs both reject, interpreter
// agreement (retval and data out), and a minimised program for each disagreement. Root only.
//   N=3000 SEED=1 CORPUS=plausible node --import tsx bench/verifier-differential.ts
// The plausible corpus includes ring buffer records (fd_array index 1 is a ringbuf).
// CORPUS=plausible (default): mostly valid programs with targeted mutations; CORPUS=random: the
// wilder generator of npm test's sample (mostly rejected).
// CORPUS=sockets: socket lookups, casts, field reads and releases (bench/verifier-socket-corpus.ts).
// The interpreter leg skips programs whose result depends on the world (bpf_ktime_get_ns,
// bpf_get_prandom_u32, bpf_get_smp_processor_id) or that return the context pointer (its kernel
// address) or read uninitialised stack (kernel stack bytes), and counts them as "not comparable".
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { disassembleKernel, encode, programType, type Instruction } from 'ebpf-bytecode-utils';
import { verify, type MapSpec } from '../verifier-sim/verifier/index.js';
import { Interpreter, createMap } from '../verifier-sim/interpreter/index.js';
import { fuzzProgram, interpreterComparable, plausibleRingbufProgram, type FuzzProgram } from './verifier-fuzz-program.js';
import { kernelErrorLine } from './verifier-kernel-log.js';
import { plausibleSocketProgram, socketInterpreterComparable } from './verifier-socket-corpus.js';

const N = Number(process.env.N ?? 2000);
const SEED = Number(process.env.SEED ?? 1);
/** fd_array index 0: a hash map; index 1: a ring buffer (plausible corpus only). */
const MAPS: MapSpec[] = [{ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4 }, { type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 }];
/** An Ethernet + IPv4 + UDP frame, padded to 64 bytes. */
const FRAME = new Uint8Array(64);
FRAME.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00, 0x45, 0, 0, 50, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0x30, 0x39, 0x00, 0x35, 0, 30]);
for (let i = 42; i < 64; i++) FRAME[i] = i * 7;

interface KernelVerdict {
  readonly verdict: 'accept' | 'reject';
  readonly error: string | null;
  /** The log's `processed N insns`. */
  readonly processed?: number;
  /** Retval and data out of BPF_PROG_TEST_RUN, when the program was accepted and run. */
  readonly run?: { readonly retval: number; readonly dataOut: string };
}

function kernelOracle(): ((p: FuzzProgram, run: boolean) => KernelVerdict) | string {
  if (process.getuid?.() !== 0) return 'needs root';
  const koffi = createRequire(import.meta.url)('koffi');
  const libc = koffi.load('libc.so.6');
  const sys = libc.func('long syscall(long nr, int cmd, void *attr, unsigned int size)');
  const close = libc.func('int close(int fd)');
  const log = Buffer.alloc(1 << 20);
  return (p, run) => {
    const m = Buffer.alloc(168);
    m.writeUInt32LE(1, 0);
    m.writeUInt32LE(MAPS[0].keySize, 4);
    m.writeUInt32LE(MAPS[0].valueSize, 8);
    m.writeUInt32LE(MAPS[0].maxEntries, 12);
    const mapFd = Number(sys(321, 0, m, 168));
    if (mapFd < 0) throw new Error(`BPF_MAP_CREATE: errno ${koffi.errno()}`);
    const r = Buffer.alloc(168);
    r.writeUInt32LE(27, 0); // BPF_MAP_TYPE_RINGBUF
    r.writeUInt32LE(MAPS[1].maxEntries, 12);
    const ringFd = Number(sys(321, 0, r, 168));
    if (ringFd < 0) {
      close(mapFd);
      throw new Error(`BPF_MAP_CREATE (ringbuf): errno ${koffi.errno()}`);
    }
    let progFd = -1;
    try {
      const insns = p.insns.map((i) => (i.code === 0x18 && i.src === 1 ? { ...i, imm: BigInt(i.imm === 1n ? ringFd : mapFd) } : i));
      const code = Buffer.from(encode(insns));
      const lic = Buffer.from('GPL\0');
      log.fill(0, 0, 64);
      const a = Buffer.alloc(168);
      a.writeUInt32LE(programType(p.progType), 0);
      a.writeUInt32LE(code.length / 8, 4);
      a.writeBigUInt64LE(BigInt(koffi.address(code)), 8);
      a.writeBigUInt64LE(BigInt(koffi.address(lic)), 16);
      a.writeUInt32LE(1, 24);
      a.writeUInt32LE(log.length, 28);
      a.writeBigUInt64LE(BigInt(koffi.address(log)), 32);
      progFd = Number(sys(321, 5, a, 168));
      if (progFd < 0) {
        const end = log.indexOf(0);
        const text = log.toString('utf8', 0, end < 0 ? log.length : end);
        return { verdict: 'reject', error: kernelErrorLine(text, p.insns), processed: processedIn(text) };
      }
      const end = log.indexOf(0);
      const processed = processedIn(log.toString('utf8', 0, end < 0 ? log.length : end));
      if (!run) return { verdict: 'accept', error: null, processed };
      const dataIn = Buffer.from(FRAME);
      const dataOut = Buffer.alloc(FRAME.length + 4096);
      const t = Buffer.alloc(168);
      t.writeUInt32LE(progFd, 0);
      t.writeUInt32LE(dataIn.length, 8);
      t.writeUInt32LE(dataOut.length, 12);
      t.writeBigUInt64LE(BigInt(koffi.address(dataIn)), 16);
      t.writeBigUInt64LE(BigInt(koffi.address(dataOut)), 24);
      t.writeUInt32LE(1, 32);
      if (Number(sys(321, 10, t, 168)) < 0) throw new Error(`BPF_PROG_TEST_RUN: errno ${koffi.errno()}`);
      return { verdict: 'accept', error: null, processed, run: { retval: t.readUInt32LE(4), dataOut: dataOut.subarray(0, t.readUInt32LE(12)).toString('hex') } };
    } finally {
      if (progFd >= 0) close(progFd);
      close(mapFd);
      close(ringFd);
    }
  };
}

function processedIn(log: string): number | undefined {
  const m = /processed (\d+) insns/.exec(log);
  return m === null ? undefined : Number(m[1]);
}

function possibleCpus(): number | undefined {
  try {
    const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
    return Math.max(...text.split(',').map((r) => Number(r.split('-').pop()))) + 1;
  } catch {
    return undefined;
  }
}

const cpus = possibleCpus();
const ours = (p: FuzzProgram) => verify(p.insns, { progType: p.progType, maps: MAPS, possibleCpus: cpus });

function interpret(p: FuzzProgram): { retval: number; dataOut: string } | string {
  try {
    const r = new Interpreter(p.insns, { progType: p.progType, maps: MAPS.map((m) => createMap(m)), env: { pidTgid: (BigInt(process.pid) << 32n) | BigInt(process.pid), uidGid: 0n } }).run({ data: FRAME });
    return { retval: Number(r.retval), dataOut: Buffer.from(r.dataOut).toString('hex') };
  } catch (e) {
    return `interpreter threw: ${(e as Error).message}`;
  }
}

const isJump = (i: Instruction) => ((i.code & 7) === 5 || (i.code & 7) === 6) && (i.code & 0xf0) !== 0x80 && (i.code & 0xf0) !== 0x90;
const isPseudoCall = (i: Instruction) => i.code === 0x85 && i.src === 1;
const slots = (i: Instruction) => (typeof i.imm === 'bigint' ? 2 : 1);

/** `insns` without instruction `k`, with the jumps and calls across it re-aimed; null when one aimed at it. */
function without(insns: readonly Instruction[], k: number): Instruction[] | null {
  const at: number[] = [];
  let s = 0;
  for (const i of insns) {
    at.push(s);
    s += slots(i);
  }
  const gone = at[k];
  const width = slots(insns[k]);
  const out: Instruction[] = [];
  for (let j = 0; j < insns.length; j++) {
    if (j === k) continue;
    const i = insns[j];
    const from = at[j] + 1;
    const rel = isJump(i) ? i.off : isPseudoCall(i) ? Number(i.imm) : null;
    if (rel === null) {
      out.push(i);
      continue;
    }
    const target = from + rel;
    if (target === gone) return null;
    const nf = from > gone ? from - width : from;
    const nt = target > gone ? target - width : target;
    out.push(isJump(i) ? { ...i, off: nt - nf } : { ...i, imm: nt - nf });
  }
  return out;
}

/** Greedily drops instructions while `still` holds. */
function minimise(p: FuzzProgram, still: (q: FuzzProgram) => boolean): FuzzProgram {
  let cur = p;
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = cur.insns.length - 1; k >= 0; k--) {
      const insns = without(cur.insns, k);
      if (insns === null || insns.length === 0) continue;
      const q = { ...cur, insns };
      if (still(q)) {
        cur = q;
        changed = true;
      }
    }
  }
  return cur;
}

const kernel = kernelOracle();
if (typeof kernel === 'string') {
  console.log(`skip: bench/verifier-differential: ${kernel}`);
  process.exit(0);
}
const CORPUS = process.env.CORPUS ?? 'plausible';
if (CORPUS !== 'plausible' && CORPUS !== 'random' && CORPUS !== 'sockets') throw new RangeError(`CORPUS must be 'plausible', 'random' or 'sockets' (got ${CORPUS})`);
const programs = fc.sample(CORPUS === 'plausible' ? plausibleRingbufProgram : CORPUS === 'sockets' ? plausibleSocketProgram : fuzzProgram, { numRuns: N, seed: SEED });
let sameVerdict = 0;
let sameProcessed = 0;
let firstProcessedDiff: string | null = null;
let bothRejected = 0;
let sameError = 0;
let interpCompared = 0;
let interpEqual = 0;
let interpSkipped = 0;
const reports: string[] = [];
const show = (p: FuzzProgram) => `${p.progType}: ${disassembleKernel(p.insns).join(' | ')}`;
const seen = new Set<string>();
const started = process.cpuUsage();
for (const p of programs) {
  const comparable = interpreterComparable(p) && socketInterpreterComparable(p);
  const k = kernel(p, comparable);
  const o = ours(p);
  if (k.verdict === o.verdict) sameVerdict++;
  if (k.processed === o.processed) sameProcessed++;
  else if (firstProcessedDiff === null) {
    const m = minimise(p, (q) => kernel(q, false).processed !== ours(q).processed);
    firstProcessedDiff = `kernel ${kernel(m, false).processed}, ours ${ours(m).processed}: ${show(m)}`;
  }
  if (k.verdict === 'reject' && o.verdict === 'reject') {
    bothRejected++;
    if (k.error === o.error) sameError++;
  }
  let key: string | null = null;
  let still: ((q: FuzzProgram) => boolean) | null = null;
  if (k.verdict !== o.verdict) {
    key = `verdict: kernel ${k.verdict} ${k.error ?? ''}, ours ${o.verdict} ${o.error ?? ''}`;
    still = (q) => kernel(q, false).verdict === k.verdict && ours(q).verdict === o.verdict;
  } else if (k.error !== o.error) {
    key = `error line: kernel ${JSON.stringify(k.error)}, ours ${JSON.stringify(o.error)}`;
    still = (q) => {
      const kq = kernel(q, false);
      const oq = ours(q);
      return kq.verdict === 'reject' && oq.verdict === 'reject' && kq.error !== oq.error;
    };
  } else if (k.verdict === 'accept') {
    if (!comparable || k.run === undefined) interpSkipped++;
    else {
      interpCompared++;
      const i = interpret(p);
      if (typeof i !== 'string' && i.retval === k.run.retval && i.dataOut === k.run.dataOut) interpEqual++;
      else {
        key = `interpreter: kernel retval ${k.run.retval}, ours ${typeof i === 'string' ? i : `retval ${i.retval}${i.dataOut === k.run.dataOut ? '' : ' (data out differs)'}`}`;
        still = (q) => {
          if (ours(q).verdict !== 'accept') return false;
          const kq = kernel(q, true);
          const iq = interpret(q);
          return kq.run !== undefined && (typeof iq === 'string' || iq.retval !== kq.run.retval || iq.dataOut !== kq.run.dataOut);
        };
      }
    }
  }
  if (key !== null && still !== null) {
    const kind = key.replace(/\d+/g, 'N');
    if (seen.has(kind)) reports.push(`  (again) ${key}`);
    else {
      seen.add(kind);
      reports.push(`- ${key}\n    ${show(minimise(p, still))}`);
    }
  }
}
const used = process.cpuUsage(started);
const pct = (a: number, b: number) => (b === 0 ? 'n/a' : `${((100 * a) / b).toFixed(2)} %`);
console.log(`${N} ${CORPUS} programs (seed ${SEED}), ${((used.user + used.system) / 1e6).toFixed(1)} s CPU`);
console.log(`verdict agreement:            ${sameVerdict}/${N} = ${pct(sameVerdict, N)} (target >= 99 %)`);
console.log(`first error line agreement:   ${sameError}/${bothRejected} rejected by both = ${pct(sameError, bothRejected)} (target >= 90 %)`);
console.log(`interpreter = BPF_PROG_TEST_RUN: ${interpEqual}/${interpCompared} accepted programs = ${pct(interpEqual, interpCompared)} (target 100 %; ${interpSkipped} not comparable)`);
console.log(`processed count agreement:    ${sameProcessed}/${N} = ${pct(sameProcessed, N)} (not a target)${firstProcessedDiff === null ? '' : `\n  first difference (minimised): ${firstProcessedDiff}`}`);
if (reports.length > 0) console.log(`disagreements (minimised; "again" repeats a kind already shown):\n${reports.join('\n')}`);
