/**
 * The interpreter: runs a program on concrete input with simulated memory, maps and helpers,
 * checking every memory access at run time. Semantics follow the kernel's interpreter
 * (`kernel/bpf/core.c`, `___bpf_prog_run`) plus the run-time rules the verifier patches in:
 * division by zero gives 0, modulo by zero leaves dst unchanged (zero-extended for 32 bits),
 * shift amounts are masked, `may_goto` has a budget of `BPF_MAX_LOOPS` per frame, tail calls
 * stop after 33.
 *
 * ```ts
 * const vm = new Interpreter(program, { progType: 'xdp', maps: [counts] });
 * const r = vm.run({ data: frame });
 * r.retval; // 2n (XDP_PASS)
 * ```
 * @module
 */

import { helperById, programType, programTypeName, type Instruction } from 'ebpf-bytecode-utils';
import { out, bswap16, bswap32, ltS, ltU, mul64, sar64, sdiv32, sdiv64, shl64, shr64, smod32, smod64, udiv32, udiv64, umod32, umod64 } from './alu64.js';
import { buildRawContext } from './context/raw-context.js';
import type { BuiltContext, RunInput } from './context/program-context.js';
import type { PacketState } from './context/packet-state.js';
import { buildSkbContext } from './context/skb-context.js';
import { buildXdpContext } from './context/xdp-context.js';
import { decodeProgram, type DecodedProgram } from './decoded-program.js';
import { describeInvalid } from './invalid-insn.js';
import { compileProgram } from './compiler.js';
import { makeEnvironment, type Environment } from './environment.js';
import { InterpreterError } from './errors.js';
import type { HelperContext, HelperFn } from './helpers/helper-context.js';
import { resolveKfunc, type KfuncNames } from './helpers/kfuncs.js';
import { helperFunctions, TAIL_CALL_ID } from './helpers/helper-registry.js';
import { ProgArrayMap } from './maps/prog-array-map.js';
import type { RingbufRecord } from './maps/ringbuf-map.js';
import type { SimMap } from './maps/sim-map.js';
import { Memory, outOfBounds, toHex } from './memory.js';
import type { Region } from './region.js';

/** Stack bytes per frame (`MAX_BPF_STACK`). */
export const STACK_SIZE = 512;
/** Most frames (main program, subprograms, callbacks) at once (`MAX_CALL_FRAMES`). */
export const MAX_CALL_FRAMES = 8;
/** Most tail calls in one run (`MAX_TAIL_CALL_CNT`). */
export const MAX_TAIL_CALLS = 33;
/** `may_goto` iterations per frame before it jumps (`BPF_MAX_LOOPS`). */
export const MAY_GOTO_BUDGET = 1 << 23;
/** Default instruction budget of one run. */
export const DEFAULT_MAX_INSTRUCTIONS = 100_000_000;

/** `SKF_NET_OFF` and `SKF_LL_OFF` of `LD_ABS`/`LD_IND` (`include/uapi/linux/filter.h`). */
const SKF_NET_OFF = -0x100000;
const SKF_LL_OFF = -0x200000;

/** Options of an {@link Interpreter}. */
export interface InterpreterOptions {
  /** Program type: a name (`xdp`, `socket_filter`, `sched_cls`, `tracepoint`, …) or its number. */
  readonly progType: string | number;
  /** Maps, indexed by the immediate of `ld_imm64` map references (fd or fd_array index). */
  readonly maps?: readonly SimMap[];
  /** Environment (time, task, CPU, …); defaults for what is not given. */
  readonly env?: Partial<Environment>;
  /** Instruction budget of one run (default 100 M); exceeding it stops the run with a `limit` error. */
  readonly maxInstructions?: number;
  /**
   * Names of the kfuncs the program calls, by the BTF id in their `call` (`src_reg` 2): the
   * interpreter has no kernel BTF, so it simulates kfuncs by name (see helpers/kfuncs.ts). The
   * eDSL's `CompiledProgram.kfuncs` is such a table.
   */
  readonly kfuncs?: KfuncNames;
  /**
   * Compile the program (and tail-called programs) to JavaScript functions once, instead of
   * interpreting it: the same semantics and checks, several times faster on long runs.
   */
  readonly compile?: boolean;
}

/** Input of {@link Interpreter.run}. */
export interface RunOptions extends RunInput {
  /** Runs this many times (like `BPF_PROG_TEST_RUN`'s `repeat`); maps keep their state between runs. */
  readonly repeat?: number;
}

/** Result of {@link Interpreter.run}, shaped like `BPF_PROG_TEST_RUN`'s. */
export interface RunResult {
  /** The program's return value as the kernel reports it (low 32 bits of R0). */
  readonly retval: bigint;
  /** All 64 bits of R0. */
  readonly r0: bigint;
  /** The packet after the run (empty for programs without one). */
  readonly dataOut: Uint8Array;
  /** The context after the run, when one was given. */
  readonly ctxOut: Uint8Array | undefined;
  /** Average wall time of one run, in nanoseconds. */
  readonly duration: number;
  /** Instructions executed by the last run. */
  readonly instructions: number;
  /** Tail calls taken by the last run. */
  readonly tailCalls: number;
  /** Lines written with `bpf_trace_printk`, over all repetitions. */
  readonly trace: string[];
}

interface Frame {
  prog: DecodedProgram;
  retPc: number;
  budget: number;
  readonly saved: Int32Array;
}

function normalizeProgType(t: string | number): string {
  // Both directions validate: an unknown name or number is a RangeError naming it.
  return programTypeName(programType(t));
}

const SKB_TYPES = new Set(['socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sk_skb']);

/**
 * Runs eBPF programs on concrete input. Holds the program, its maps and the environment; each
 * {@link run} builds a fresh context and memory (maps persist).
 */
export class Interpreter implements HelperContext {
  /** The program type's name. */
  readonly progType: string;
  /** The maps, as `ld_imm64` map references index them. */
  readonly maps: readonly SimMap[];
  /** The environment. */
  env: Environment;
  /** Low halves of R0–R10. */
  readonly lo = new Int32Array(11);
  /** High halves of R0–R10. */
  readonly hi = new Int32Array(11);
  /** Pointer tags of R0–R10 (region id; 0 for a scalar). */
  readonly tag = new Int32Array(11);
  /** The current run's memory. */
  readonly memory = new Memory();
  /** Lines written with `bpf_trace_printk` (cleared at the start of each {@link run}). */
  readonly trace: string[] = [];
  /** Ring buffer records reserved in the current run. */
  readonly ringbufRecords = new Map<Region, { map: SimMap; record: RingbufRecord }>();
  /** The current CPU. */
  get cpu(): number {
    return this.env.cpu;
  }
  /** Slot of the instruction being executed (valid inside helpers and in errors). */
  insn = -1;
  /** The packet of the current run, if any. */
  packet: PacketState | null = null;
  /** The context region of the current run. */
  ctx!: Region;

  private readonly program: DecodedProgram;
  private readonly compiled: boolean;
  /** Instruction budget of one run. */
  readonly maxInstructions: number;
  private remaining = 0;
  private tailCalls = 0;
  private depth = 0;
  private curProg!: DecodedProgram;
  private region!: Region;
  private readonly frames: Frame[] = [];
  private readonly framePool: Frame[] = [];
  private stacks: Region[] = [];
  private readonly kfuncNames: KfuncNames | undefined;
  private readonly kfuncFns = new Map<number, HelperFn>();
  private ktime = 0n;
  private rng = 1;

  constructor(program: readonly Instruction[], options: InterpreterOptions) {
    this.progType = normalizeProgType(options.progType);
    this.maps = options.maps ?? [];
    this.env = makeEnvironment(options.env);
    this.maxInstructions = options.maxInstructions ?? DEFAULT_MAX_INSTRUCTIONS;
    this.program = decodeProgram(program);
    this.compiled = options.compile === true;
    this.kfuncNames = options.kfuncs;
    if (this.compiled) compileProgram(this.program);
    if (this.program.slots === 0) throw new InterpreterError('setup', -1, 'the program has no instructions');
    for (const m of this.maps) {
      if (m.cpus <= this.env.cpu) throw new InterpreterError('setup', -1, `map '${m.name}' has ${m.cpus} CPUs but the environment runs on CPU ${this.env.cpu}`);
    }
  }

  /** Changes the environment for later runs (e.g. another CPU or pid). */
  setEnvironment(env: Partial<Environment>): void {
    const next = makeEnvironment({ ...this.env, ...env });
    for (const m of this.maps) {
      if (m.cpus <= next.cpu) throw new InterpreterError('setup', -1, `map '${m.name}' has ${m.cpus} CPUs but the environment runs on CPU ${next.cpu}`);
    }
    this.env = next;
  }

  private buildContext(input: RunInput): BuiltContext {
    const t = this.progType;
    if (t === 'xdp') return buildXdpContext(this.memory, input, t);
    if (SKB_TYPES.has(t)) return buildSkbContext(this.memory, input, t);
    return buildRawContext(this.memory, input, t);
  }

  /**
   * Runs the program (`repeat` times) and returns R0, the packet and the context afterwards. Throws
   * an {@link InterpreterError} when the program does something the kernel would not let it do at
   * run time (or that the verifier would have rejected).
   */
  run(input: RunOptions = {}): RunResult {
    const repeat = Math.max(1, input.repeat ?? 1);
    this.trace.length = 0;
    this.ktime = this.env.ktimeNs;
    this.rng = this.env.seed >>> 0 || 1;
    let built: BuiltContext | undefined;
    let executed = 0;
    const t0 = performance.now();
    for (let i = 0; i < repeat; i++) {
      built = this.prepare(input);
      this.execute(this.program, 0);
      executed = this.maxInstructions - this.remaining;
    }
    const t1 = performance.now();
    const b = built as BuiltContext;
    const r0 = (BigInt(this.hi[0] >>> 0) << 32n) | BigInt(this.lo[0] >>> 0);
    return {
      retval: r0 & 0xffffffffn,
      r0,
      dataOut: b.dataOut(),
      ctxOut: b.ctxOut(),
      duration: ((t1 - t0) * 1e6) / repeat,
      instructions: executed,
      tailCalls: this.tailCalls,
      trace: this.trace.slice(),
    };
  }

  private prepare(input: RunInput): BuiltContext {
    this.memory.reset();
    this.ringbufRecords.clear();
    this.stacks = [];
    this.frames.length = 0;
    this.depth = 0;
    this.tailCalls = 0;
    this.remaining = this.maxInstructions;
    this.insn = -1;
    for (const e of this.env.memory) this.memory.addExternal(e.address, e.bytes);
    const built = this.buildContext(input);
    this.ctx = built.ctx;
    this.packet = built.packet;
    this.lo.fill(0);
    this.hi.fill(0);
    this.tag.fill(0);
    this.lo[1] = 0;
    this.hi[1] = built.ctx.baseHi;
    this.tag[1] = built.ctx.id;
    this.setFramePointer(0);
    this.curProg = this.program;
    return built;
  }

  private stackFor(depth: number): Region {
    let r = this.stacks[depth];
    if (r === undefined) {
      r = this.memory.add('stack', new Uint8Array(STACK_SIZE), { slotTags: true, label: `stack of frame ${depth}` });
      this.stacks[depth] = r;
    }
    return r;
  }

  private setFramePointer(depth: number): void {
    const s = this.stackFor(depth);
    this.lo[10] = STACK_SIZE;
    this.hi[10] = s.baseHi;
    this.tag[10] = s.id;
  }

  /** The next `bpf_ktime_get_ns` value. */
  nextKtime(): bigint {
    const t = this.ktime;
    this.ktime += this.env.ktimeStepNs;
    return t;
  }

  /** The next `bpf_get_prandom_u32` value (xorshift32). */
  nextRandom(): number {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng;
  }

  /** Calls the subprogram at `slot` as a callback (see {@link HelperContext.invoke}). */
  invoke(slot: number, args: readonly number[]): void {
    const lo = this.lo;
    const hi = this.hi;
    const tag = this.tag;
    if (this.depth + 1 >= MAX_CALL_FRAMES) throw new InterpreterError('limit', this.insn, `callback call: more than ${MAX_CALL_FRAMES} frames`);
    const saved = new Int32Array(15);
    for (let r = 6, i = 0; r <= 10; r++, i += 3) {
      saved[i] = lo[r];
      saved[i + 1] = hi[r];
      saved[i + 2] = tag[r];
    }
    const insn = this.insn;
    const prog = this.curProg;
    for (let r = 1; r <= 5; r++) {
      const i = (r - 1) * 3;
      lo[r] = args[i] ?? 0;
      hi[r] = args[i + 1] ?? 0;
      tag[r] = args[i + 2] ?? 0;
    }
    this.depth++;
    this.setFramePointer(this.depth);
    this.execute(prog, slot);
    this.depth--;
    for (let r = 6, i = 0; r <= 10; r++, i += 3) {
      lo[r] = saved[i];
      hi[r] = saved[i + 1];
      tag[r] = saved[i + 2];
    }
    this.insn = insn;
    this.curProg = prog;
  }

  /**
   * Runs the kfunc of BTF id `id` called at `pc` (resolved by name once per id; an unnamed or
   * unsimulated kfunc is an `unknown_helper` error). The caller has saved `remaining`.
   */
  callKfunc(pc: number, id: number): void {
    let fn = this.kfuncFns.get(id);
    if (fn === undefined) {
      fn = resolveKfunc(this.kfuncNames, id, pc);
      this.kfuncFns.set(id, fn);
    }
    this.insn = pc;
    fn(this);
  }

  /** Runs `prog` from `slot` until that frame exits, interpreted or compiled. */
  private execute(prog: DecodedProgram, slot: number): void {
    if (this.compiled) {
      this.curProg = prog;
      compileProgram(prog)(this, slot);
    } else {
      this.exec(prog, slot);
    }
  }

  /** A bpf-to-bpf call from compiled code: new frame and stack, R6–R10 preserved. */
  private callSubprogram(prog: DecodedProgram, slot: number, pc: number): void {
    if (this.depth + 1 >= MAX_CALL_FRAMES) throw new InterpreterError('limit', pc, `bpf-to-bpf call: more than ${MAX_CALL_FRAMES} frames`);
    const lo = this.lo;
    const hi = this.hi;
    const tag = this.tag;
    const saved = new Int32Array(15);
    for (let r = 6, i = 0; r <= 10; r++, i += 3) {
      saved[i] = lo[r];
      saved[i + 1] = hi[r];
      saved[i + 2] = tag[r];
    }
    this.depth++;
    this.setFramePointer(this.depth);
    this.execute(prog, slot);
    this.depth--;
    for (let r = 6, i = 0; r <= 10; r++, i += 3) {
      lo[r] = saved[i];
      hi[r] = saved[i + 1];
      tag[r] = saved[i + 2];
    }
    this.curProg = prog;
  }

  /** Decodes the address in register `r` plus `off` for an access of `size` bytes; sets `this.region`. */
  private at(pc: number, r: number, off: number, size: number, write: boolean): number {
    const t = this.tag[r];
    if (t === 0) {
      throw new InterpreterError('memory', pc, `invalid mem access 'scalar': ${write ? 'write' : 'read'} of ${size} bytes at r${r}${off >= 0 ? '+' : ''}${off} (r${r} = 0x${toHex(this.lo[r], this.hi[r])})`, {
        access: { type: write ? 'write' : 'read', size, region: 'scalar' },
      });
    }
    const R = this.memory.regions[t];
    const o = (this.hi[r] - R.baseHi) * 4294967296 + (this.lo[r] >>> 0) + off;
    if (o < R.start || o + size > R.end || !(write ? R.writable : R.readable)) {
      if (!(write ? R.writable : R.readable)) {
        throw new InterpreterError('memory', pc, `invalid ${write ? 'write' : 'read'} of ${size} bytes: ${R.label} is ${write ? 'read-only' : 'not readable'}`, {
          access: { type: write ? 'write' : 'read', size, region: R.kind, offset: o, bounds: [R.start, R.end] },
        });
      }
      throw outOfBounds(pc, R, o, size, write ? 'write' : 'read');
    }
    this.region = R;
    return o;
  }

  /** Loads a context field that reads as a pointer; whether `off` was such a field. */
  private ctxField(R: Region, o: number, size: number, d: number): boolean {
    const f = (R.fields as ReadonlyMap<number, { size: number; get: () => readonly [Region, number] | null }>).get(o);
    if (f === undefined) return false;
    const p = size === f.size ? f.get() : null;
    if (p === null) {
      this.lo[d] = 0;
      this.hi[d] = 0;
      this.tag[d] = 0;
    } else {
      this.lo[d] = p[1];
      this.hi[d] = p[0].baseHi;
      this.tag[d] = p[0].id;
    }
    return true;
  }

  private store(pc: number, d: number, off: number, size: number, vlo: number, vhi: number, vtag: number): void {
    const o = this.at(pc, d, off, size, true);
    const R = this.region;
    const v = R.view;
    switch (size) {
      case 1:
        v.setUint8(o, vlo);
        break;
      case 2:
        v.setUint16(o, vlo, true);
        break;
      case 4:
        v.setInt32(o, vlo, true);
        break;
      default:
        v.setInt32(o, vlo, true);
        v.setInt32(o + 4, vhi, true);
    }
    const tags = R.slotTags;
    if (tags !== null) {
      if (size === 8 && (o & 7) === 0) tags[o >> 3] = vtag;
      else {
        tags[o >> 3] = 0;
        tags[(o + size - 1) >> 3] = 0;
      }
    }
  }

  private load(pc: number, d: number, s: number, off: number, size: number, signed: boolean): void {
    const o = this.at(pc, s, off, size, false);
    const R = this.region;
    if (R.fields !== null && this.ctxField(R, o, size, d)) return;
    const v = R.view;
    let l: number;
    let h = 0;
    switch (size) {
      case 1:
        l = signed ? v.getInt8(o) : v.getUint8(o);
        break;
      case 2:
        l = signed ? v.getInt16(o, true) : v.getUint16(o, true);
        break;
      case 4:
        l = v.getInt32(o, true);
        break;
      default:
        l = v.getInt32(o, true);
        h = v.getInt32(o + 4, true);
    }
    if (size !== 8 && signed) h = l >> 31;
    this.lo[d] = l;
    this.hi[d] = h;
    this.tag[d] = size === 8 && R.slotTags !== null && (o & 7) === 0 ? R.slotTags[o >> 3] : 0;
  }

  private atomic(pc: number, size: number): void {
    const P = this.curProg;
    const d = P.dst[pc];
    const s = P.src[pc];
    const off = P.off[pc];
    const op = P.imm[pc];
    const lo = this.lo;
    const hi = this.hi;
    const tag = this.tag;
    if (op === 0x100) {
      // load_acquire: dst = *(src + off)
      this.load(pc, d, s, off, size, false);
      return;
    }
    if (op === 0x110) {
      // store_release: *(dst + off) = src
      this.store(pc, d, off, size, lo[s], hi[s], tag[s]);
      return;
    }
    if (size !== 4 && size !== 8) throw new InterpreterError('invalid_insn', pc, `atomic operation 0x${op.toString(16)} on ${size} bytes`);
    const o = this.at(pc, d, off, size, true);
    const R = this.region;
    const v = R.view;
    const oldLo = v.getInt32(o, true);
    const oldHi = size === 8 ? v.getInt32(o + 4, true) : 0;
    const sLo = lo[s];
    const sHi = size === 8 ? hi[s] : 0;
    let nLo: number;
    let nHi: number;
    let fetchReg = op & 1 ? s : -1;
    switch (op & ~1) {
      case 0x00: {
        nLo = (oldLo + sLo) | 0;
        nHi = (oldHi + sHi + (nLo >>> 0 < oldLo >>> 0 ? 1 : 0)) | 0;
        break;
      }
      case 0x40:
        nLo = oldLo | sLo;
        nHi = oldHi | sHi;
        break;
      case 0x50:
        nLo = oldLo & sLo;
        nHi = oldHi & sHi;
        break;
      case 0xa0:
        nLo = oldLo ^ sLo;
        nHi = oldHi ^ sHi;
        break;
      case 0xe0: // xchg
        nLo = sLo;
        nHi = sHi;
        fetchReg = s;
        break;
      case 0xf0: {
        // cmpxchg: compare with R0, old value into R0
        const eq = size === 8 ? lo[0] === oldLo && hi[0] === oldHi : lo[0] === oldLo;
        nLo = eq ? sLo : oldLo;
        nHi = eq ? sHi : oldHi;
        fetchReg = 0;
        break;
      }
      default:
        throw new InterpreterError('invalid_insn', pc, describeInvalid(P, pc));
    }
    v.setInt32(o, nLo, true);
    if (size === 8) v.setInt32(o + 4, nHi, true);
    if (R.slotTags !== null) {
      R.slotTags[o >> 3] = 0;
    }
    if (fetchReg >= 0) {
      lo[fetchReg] = oldLo;
      hi[fetchReg] = oldHi;
      tag[fetchReg] = 0;
    }
  }

  /** `LD_ABS`/`LD_IND`: loads `size` bytes in network order at packet offset `k`; false when out of bounds. */
  private loadPacket(pc: number, k: number, size: number): boolean {
    const p = this.packet;
    if (p === null || p.kind !== 'skb') throw new InterpreterError('invalid_insn', pc, `LD_ABS/LD_IND needs an skb program, not ${this.progType}`);
    let at: number;
    if (k >= 0) at = p.data + k;
    else if (k >= SKF_NET_OFF) at = p.network + (k - SKF_NET_OFF);
    else if (k >= SKF_LL_OFF) at = p.mac + (k - SKF_LL_OFF);
    else return false;
    if (at < 0 || at + size > p.end) return false;
    const b = p.region.bytes;
    this.lo[0] = size === 1 ? b[at] : size === 2 ? (b[at] << 8) | b[at + 1] : (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
    this.hi[0] = 0;
    this.tag[0] = 0;
    return true;
  }

  private ldImm64(pc: number): void {
    const P = this.curProg;
    const d = P.dst[pc];
    const pseudo = P.src[pc];
    const imm = P.imm[pc];
    const lo = this.lo;
    const hi = this.hi;
    const tag = this.tag;
    switch (pseudo) {
      case 0:
        lo[d] = imm;
        hi[d] = P.immHi[pc];
        tag[d] = 0;
        return;
      case 1:
      case 5:
      case 2:
      case 6: {
        const map = this.maps[imm >>> 0];
        if (map === undefined) throw new InterpreterError('setup', pc, `ld_imm64 refers to map ${imm >>> 0}, but only ${this.maps.length} maps were given`);
        if (pseudo === 1 || pseudo === 5) {
          const r = this.memory.mapRegion(map);
          lo[d] = 0;
          hi[d] = r.baseHi;
          tag[d] = r.id;
          return;
        }
        const zero = new Uint8Array(4);
        const value = map.keySize === 4 ? map.lookupElem(zero, 0, this.cpu) : undefined;
        if (value === undefined) throw new InterpreterError('setup', pc, `ld_imm64 takes the address of a value of map '${map.name}', which has no element 0 (direct value access needs an array map)`);
        const r = this.memory.valueRegion(map, value);
        lo[d] = P.immHi[pc];
        hi[d] = r.baseHi;
        tag[d] = r.id;
        return;
      }
      case 4: {
        const r = this.memory.funcRegion(pc + imm + 1);
        lo[d] = 0;
        hi[d] = r.baseHi;
        tag[d] = r.id;
        return;
      }
    }
    throw new InterpreterError('invalid_insn', pc, `ld_imm64 with src_reg ${pseudo} (${pseudo === 3 ? 'BTF id of a kernel variable' : 'unknown pseudo source'}) is not simulated`);
  }

  /** bpf_tail_call: whether the jump happened (then `this.curProg` is the new program). */
  private tailCall(pc: number): boolean {
    const t = this.tag[2];
    const region = t === 0 ? undefined : this.memory.regions[t];
    const map = region?.kind === 'map' ? region.map : null;
    if (!(map instanceof ProgArrayMap)) throw new InterpreterError('helper_args', pc, 'bpf_tail_call: R2 is not a prog_array map pointer', { helper: 'bpf_tail_call' });
    const index = this.lo[3] >>> 0;
    if (index >= map.maxEntries) return false;
    if (this.tailCalls >= MAX_TAIL_CALLS) return false;
    this.tailCalls++;
    const prog = map.program(index);
    if (prog === undefined) return false;
    this.curProg = decodeProgram(prog);
    return true;
  }

  /** Runs from `startPc` until the frame it starts in exits; R0 holds the result. */
  private exec(start: DecodedProgram, startPc: number): void {
    const lo = this.lo;
    const hi = this.hi;
    const tag = this.tag;
    let P = start;
    let code = P.code;
    let dst = P.dst;
    let src = P.src;
    let offs = P.off;
    let imms = P.imm;
    let pc = startPc;
    let budget = MAY_GOTO_BUDGET;
    let remaining = this.remaining;
    const base = this.frames.length;
    this.curProg = P;
    for (;;) {
      if (--remaining < 0) {
        this.remaining = 0;
        throw new InterpreterError('limit', pc, `instruction budget of ${this.maxInstructions} exhausted`);
      }
      const op = code[pc];
      const d = dst[pc];
      switch (op) {
        // ---- ALU64 ----
        case 0x07: {
          // r += imm
          const a = lo[d];
          const b = imms[pc];
          const r = (a + b) | 0;
          hi[d] = (hi[d] + (b >> 31) + (r >>> 0 < a >>> 0 ? 1 : 0)) | 0;
          lo[d] = r;
          pc++;
          continue;
        }
        case 0x0f: {
          // r += r
          const s = src[pc];
          const a = lo[d];
          const r = (a + lo[s]) | 0;
          hi[d] = (hi[d] + hi[s] + (r >>> 0 < a >>> 0 ? 1 : 0)) | 0;
          lo[d] = r;
          if (tag[s] !== 0) tag[d] = tag[d] === 0 ? tag[s] : 0;
          pc++;
          continue;
        }
        case 0x17: {
          const a = lo[d];
          const b = imms[pc];
          hi[d] = (hi[d] - (b >> 31) - (a >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          lo[d] = (a - b) | 0;
          pc++;
          continue;
        }
        case 0x1f: {
          const s = src[pc];
          const a = lo[d];
          const b = lo[s];
          hi[d] = (hi[d] - hi[s] - (a >>> 0 < b >>> 0 ? 1 : 0)) | 0;
          lo[d] = (a - b) | 0;
          if (tag[s] !== 0) tag[d] = 0;
          pc++;
          continue;
        }
        case 0x27:
        case 0x2f: {
          const x = op === 0x2f;
          const s = src[pc];
          mul64(lo[d], hi[d], x ? lo[s] : imms[pc], x ? hi[s] : imms[pc] >> 31);
          lo[d] = out[0];
          hi[d] = out[1];
          tag[d] = 0;
          pc++;
          continue;
        }
        case 0x37:
        case 0x3f:
        case 0x97:
        case 0x9f: {
          const x = (op & 8) !== 0;
          const s = src[pc];
          const bl = x ? lo[s] : imms[pc];
          const bh = x ? hi[s] : imms[pc] >> 31;
          const signed = offs[pc] === 1;
          if ((op & 0xf0) === 0x30) (signed ? sdiv64 : udiv64)(lo[d], hi[d], bl, bh);
          else (signed ? smod64 : umod64)(lo[d], hi[d], bl, bh);
          lo[d] = out[0];
          hi[d] = out[1];
          tag[d] = 0;
          pc++;
          continue;
        }
        case 0x47:
          lo[d] |= imms[pc];
          hi[d] |= imms[pc] >> 31;
          tag[d] = 0;
          pc++;
          continue;
        case 0x4f: {
          const s = src[pc];
          lo[d] |= lo[s];
          hi[d] |= hi[s];
          tag[d] = 0;
          pc++;
          continue;
        }
        case 0x57:
          lo[d] &= imms[pc];
          hi[d] &= imms[pc] >> 31;
          tag[d] = 0;
          pc++;
          continue;
        case 0x5f: {
          const s = src[pc];
          lo[d] &= lo[s];
          hi[d] &= hi[s];
          tag[d] = 0;
          pc++;
          continue;
        }
        case 0x67:
          shl64(lo, hi, d, imms[pc] & 63);
          tag[d] = 0;
          pc++;
          continue;
        case 0x6f:
          shl64(lo, hi, d, lo[src[pc]] & 63);
          tag[d] = 0;
          pc++;
          continue;
        case 0x77:
          shr64(lo, hi, d, imms[pc] & 63);
          tag[d] = 0;
          pc++;
          continue;
        case 0x7f:
          shr64(lo, hi, d, lo[src[pc]] & 63);
          tag[d] = 0;
          pc++;
          continue;
        case 0x87: {
          const l = lo[d];
          lo[d] = -l | 0;
          hi[d] = (~hi[d] + (l === 0 ? 1 : 0)) | 0;
          tag[d] = 0;
          pc++;
          continue;
        }
        case 0xa7:
          lo[d] ^= imms[pc];
          hi[d] ^= imms[pc] >> 31;
          tag[d] = 0;
          pc++;
          continue;
        case 0xaf: {
          const s = src[pc];
          lo[d] ^= lo[s];
          hi[d] ^= hi[s];
          tag[d] = 0;
          pc++;
          continue;
        }
        case 0xb7:
          lo[d] = imms[pc];
          hi[d] = imms[pc] >> 31;
          tag[d] = 0;
          pc++;
          continue;
        case 0xbf: {
          const s = src[pc];
          const bits = offs[pc];
          if (bits === 0 || bits === 1) {
            lo[d] = lo[s];
            hi[d] = hi[s];
            tag[d] = tag[s];
          } else {
            const v = bits === 8 ? (lo[s] << 24) >> 24 : bits === 16 ? (lo[s] << 16) >> 16 : lo[s];
            lo[d] = v;
            hi[d] = v >> 31;
            tag[d] = 0;
          }
          pc++;
          continue;
        }
        case 0xc7:
          sar64(lo, hi, d, imms[pc] & 63);
          tag[d] = 0;
          pc++;
          continue;
        case 0xcf:
          sar64(lo, hi, d, lo[src[pc]] & 63);
          tag[d] = 0;
          pc++;
          continue;
        case 0xd7:
        case 0xdc: {
          // bswap16/32/64 (ALU64) and be16/32/64 (ALU, to big endian on a little-endian machine)
          const bits = imms[pc];
          if (bits === 16) {
            lo[d] = bswap16(lo[d]);
            hi[d] = 0;
          } else if (bits === 32) {
            lo[d] = bswap32(lo[d]);
            hi[d] = 0;
          } else {
            const l = lo[d];
            lo[d] = bswap32(hi[d]);
            hi[d] = bswap32(l);
          }
          tag[d] = 0;
          pc++;
          continue;
        }
        case 0xd4: {
          // le16/32/64: truncation on a little-endian machine
          const bits = imms[pc];
          if (bits === 16) lo[d] &= 0xffff;
          if (bits !== 64) hi[d] = 0;
          tag[d] = 0;
          pc++;
          continue;
        }
        // ---- ALU (32-bit, upper half zeroed) ----
        case 0x04:
          lo[d] = (lo[d] + imms[pc]) | 0;
          hi[d] = 0;
          tag[d] = 0;
          pc++;
          continue;
        case 0x0c:
          lo[d] = (lo[d] + lo[src[pc]]) | 0;
          hi[d] = 0;
          tag[d] = 0;
          pc++;
          continue;
        case 0x14:
          lo[d] = (lo[d] - imms[pc]) | 0;
          hi[d] = 0;
          tag[d] = 0;
          pc++;
          continue;
        case 0x1c:
          lo[d] = (lo[d] - lo[src[pc]]) | 0;
          hi[d] = 0;
          tag[d] = 0;
          pc++;
          continue;
        case 0x24:
          lo[d] = Math.imul(lo[d], imms[pc]);
          hi[d] = 0;
          tag[d] = 0;
          pc++;
          continue;
        case 0x2c:
          lo[d] = Math.imul(lo[d], lo[src[pc]]);
          hi[d] = 0;
          tag[d] = 0;
          pc++;
          continue;
        case 0x34:
        case 0x3c:
        case 0x94:
        case 0x9c: {
          const b = (op & 8) !== 0 ? lo[src[pc]] : imms[pc];
          const signed = offs[pc] === 1;
          lo[d] = (op & 0xf0) === 0x30 ? (signed ? sdiv32 : udiv32)(lo[d], b) : (signed ? smod32 : umod32)(lo[d], b);
          hi[d] = 0;
          tag[d] = 0;
          pc++;
          continue;
        }
        case 0x44:
          lo[d] |= imms[pc];
          hi[d] = 0;
          tag[d] = 0;
          pc++;
          continue;
        case 0x4c:
          lo[d] |= lo[src[pc]];
          hi[d] = 0;
          tag[d] = 0;
          pc++;
          continue;
        case 0x54:
          lo[d] &= imms[pc];
          hi[d] = 0;
          tag[d] = 0;
          pc++;
          continue;
        case 0x5c:
          lo[d] &= lo[src[pc]];
          hi[d] = 0;
          tag[d] = 0;
          pc++;
          continue;
        case 0x64:
          lo[d] <<= imms[pc] & 31;
          hi[d] = 0;
          tag[d] = 0;
          pc++;
          continue;
        case 0x6c:
          lo[d] <<= lo[src[pc]] & 31;
          hi[d] = 0;
          tag[d] = 0;
          pc++;
          continue;
        case 0x74:
          lo[d] = lo[d] >>> (imms[pc] & 31);
          hi[d] = 0;
          tag[d] = 0;
          pc++;
          continue;
        case 0x7c:
          lo[d] = lo[d] >>> (lo[src[pc]] & 31);
          hi[d] = 0;
          tag[d] = 0;
          pc++;
          continue;
        case 0x84:
          lo[d] = -lo[d] | 0;
          hi[d] = 0;
          tag[d] = 0;
          pc++;
          continue;
        case 0xa4:
          lo[d] ^= imms[pc];
          hi[d] = 0;
          tag[d] = 0;
          pc++;
          continue;
        case 0xac:
          lo[d] ^= lo[src[pc]];
          hi[d] = 0;
          tag[d] = 0;
          pc++;
          continue;
        case 0xb4:
          lo[d] = imms[pc];
          hi[d] = 0;
          tag[d] = 0;
          pc++;
          continue;
        case 0xbc: {
          const bits = offs[pc];
          const v = lo[src[pc]];
          lo[d] = bits === 8 ? (v << 24) >> 24 : bits === 16 ? (v << 16) >> 16 : v;
          hi[d] = 0;
          tag[d] = 0;
          pc++;
          continue;
        }
        case 0xc4:
          lo[d] >>= imms[pc] & 31;
          hi[d] = 0;
          tag[d] = 0;
          pc++;
          continue;
        case 0xcc:
          lo[d] >>= lo[src[pc]] & 31;
          hi[d] = 0;
          tag[d] = 0;
          pc++;
          continue;
        // ---- jumps ----
        case 0x05:
          pc += offs[pc] + 1;
          continue;
        case 0x06:
          pc += imms[pc] + 1;
          continue;
        case 0xe5:
          if (src[pc] !== 0) break;
          if (budget === 0) pc += offs[pc] + 1;
          else {
            budget--;
            pc++;
          }
          continue;
        case 0x15: // jeq imm
          pc += hi[d] === imms[pc] >> 31 && lo[d] === imms[pc] ? offs[pc] + 1 : 1;
          continue;
        case 0x16: { // jeq32 imm
          const a = lo[d];
          const b = imms[pc];
          pc += a === b ? offs[pc] + 1 : 1;
          continue;
        }
        case 0x1d: { // jeq reg
          const s = src[pc]; pc += hi[d] === hi[s] && lo[d] === lo[s] ? offs[pc] + 1 : 1;
          continue;
        }
        case 0x1e: { // jeq32 reg
          const a = lo[d];
          const b = lo[src[pc]];
          pc += a === b ? offs[pc] + 1 : 1;
          continue;
        }
        case 0x25: // jgt imm
          pc += ltU(imms[pc] >> 31, imms[pc], hi[d], lo[d]) ? offs[pc] + 1 : 1;
          continue;
        case 0x26: { // jgt32 imm
          const a = lo[d];
          const b = imms[pc];
          pc += (a >>> 0) > (b >>> 0) ? offs[pc] + 1 : 1;
          continue;
        }
        case 0x2d: { // jgt reg
          const s = src[pc]; pc += ltU(hi[s], lo[s], hi[d], lo[d]) ? offs[pc] + 1 : 1;
          continue;
        }
        case 0x2e: { // jgt32 reg
          const a = lo[d];
          const b = lo[src[pc]];
          pc += (a >>> 0) > (b >>> 0) ? offs[pc] + 1 : 1;
          continue;
        }
        case 0x35: // jge imm
          pc += !ltU(hi[d], lo[d], imms[pc] >> 31, imms[pc]) ? offs[pc] + 1 : 1;
          continue;
        case 0x36: { // jge32 imm
          const a = lo[d];
          const b = imms[pc];
          pc += (a >>> 0) >= (b >>> 0) ? offs[pc] + 1 : 1;
          continue;
        }
        case 0x3d: { // jge reg
          const s = src[pc]; pc += !ltU(hi[d], lo[d], hi[s], lo[s]) ? offs[pc] + 1 : 1;
          continue;
        }
        case 0x3e: { // jge32 reg
          const a = lo[d];
          const b = lo[src[pc]];
          pc += (a >>> 0) >= (b >>> 0) ? offs[pc] + 1 : 1;
          continue;
        }
        case 0x45: // jset imm
          pc += ((lo[d] & imms[pc]) | (hi[d] & imms[pc] >> 31)) !== 0 ? offs[pc] + 1 : 1;
          continue;
        case 0x46: { // jset32 imm
          const a = lo[d];
          const b = imms[pc];
          pc += (a & b) !== 0 ? offs[pc] + 1 : 1;
          continue;
        }
        case 0x4d: { // jset reg
          const s = src[pc]; pc += ((lo[d] & lo[s]) | (hi[d] & hi[s])) !== 0 ? offs[pc] + 1 : 1;
          continue;
        }
        case 0x4e: { // jset32 reg
          const a = lo[d];
          const b = lo[src[pc]];
          pc += (a & b) !== 0 ? offs[pc] + 1 : 1;
          continue;
        }
        case 0x55: // jne imm
          pc += hi[d] !== imms[pc] >> 31 || lo[d] !== imms[pc] ? offs[pc] + 1 : 1;
          continue;
        case 0x56: { // jne32 imm
          const a = lo[d];
          const b = imms[pc];
          pc += a !== b ? offs[pc] + 1 : 1;
          continue;
        }
        case 0x5d: { // jne reg
          const s = src[pc]; pc += hi[d] !== hi[s] || lo[d] !== lo[s] ? offs[pc] + 1 : 1;
          continue;
        }
        case 0x5e: { // jne32 reg
          const a = lo[d];
          const b = lo[src[pc]];
          pc += a !== b ? offs[pc] + 1 : 1;
          continue;
        }
        case 0x65: // jsgt imm
          pc += ltS(imms[pc] >> 31, imms[pc], hi[d], lo[d]) ? offs[pc] + 1 : 1;
          continue;
        case 0x66: { // jsgt32 imm
          const a = lo[d];
          const b = imms[pc];
          pc += a > b ? offs[pc] + 1 : 1;
          continue;
        }
        case 0x6d: { // jsgt reg
          const s = src[pc]; pc += ltS(hi[s], lo[s], hi[d], lo[d]) ? offs[pc] + 1 : 1;
          continue;
        }
        case 0x6e: { // jsgt32 reg
          const a = lo[d];
          const b = lo[src[pc]];
          pc += a > b ? offs[pc] + 1 : 1;
          continue;
        }
        case 0x75: // jsge imm
          pc += !ltS(hi[d], lo[d], imms[pc] >> 31, imms[pc]) ? offs[pc] + 1 : 1;
          continue;
        case 0x76: { // jsge32 imm
          const a = lo[d];
          const b = imms[pc];
          pc += a >= b ? offs[pc] + 1 : 1;
          continue;
        }
        case 0x7d: { // jsge reg
          const s = src[pc]; pc += !ltS(hi[d], lo[d], hi[s], lo[s]) ? offs[pc] + 1 : 1;
          continue;
        }
        case 0x7e: { // jsge32 reg
          const a = lo[d];
          const b = lo[src[pc]];
          pc += a >= b ? offs[pc] + 1 : 1;
          continue;
        }
        case 0xa5: // jlt imm
          pc += ltU(hi[d], lo[d], imms[pc] >> 31, imms[pc]) ? offs[pc] + 1 : 1;
          continue;
        case 0xa6: { // jlt32 imm
          const a = lo[d];
          const b = imms[pc];
          pc += (a >>> 0) < (b >>> 0) ? offs[pc] + 1 : 1;
          continue;
        }
        case 0xad: { // jlt reg
          const s = src[pc]; pc += ltU(hi[d], lo[d], hi[s], lo[s]) ? offs[pc] + 1 : 1;
          continue;
        }
        case 0xae: { // jlt32 reg
          const a = lo[d];
          const b = lo[src[pc]];
          pc += (a >>> 0) < (b >>> 0) ? offs[pc] + 1 : 1;
          continue;
        }
        case 0xb5: // jle imm
          pc += !ltU(imms[pc] >> 31, imms[pc], hi[d], lo[d]) ? offs[pc] + 1 : 1;
          continue;
        case 0xb6: { // jle32 imm
          const a = lo[d];
          const b = imms[pc];
          pc += (a >>> 0) <= (b >>> 0) ? offs[pc] + 1 : 1;
          continue;
        }
        case 0xbd: { // jle reg
          const s = src[pc]; pc += !ltU(hi[s], lo[s], hi[d], lo[d]) ? offs[pc] + 1 : 1;
          continue;
        }
        case 0xbe: { // jle32 reg
          const a = lo[d];
          const b = lo[src[pc]];
          pc += (a >>> 0) <= (b >>> 0) ? offs[pc] + 1 : 1;
          continue;
        }
        case 0xc5: // jslt imm
          pc += ltS(hi[d], lo[d], imms[pc] >> 31, imms[pc]) ? offs[pc] + 1 : 1;
          continue;
        case 0xc6: { // jslt32 imm
          const a = lo[d];
          const b = imms[pc];
          pc += a < b ? offs[pc] + 1 : 1;
          continue;
        }
        case 0xcd: { // jslt reg
          const s = src[pc]; pc += ltS(hi[d], lo[d], hi[s], lo[s]) ? offs[pc] + 1 : 1;
          continue;
        }
        case 0xce: { // jslt32 reg
          const a = lo[d];
          const b = lo[src[pc]];
          pc += a < b ? offs[pc] + 1 : 1;
          continue;
        }
        case 0xd5: // jsle imm
          pc += !ltS(imms[pc] >> 31, imms[pc], hi[d], lo[d]) ? offs[pc] + 1 : 1;
          continue;
        case 0xd6: { // jsle32 imm
          const a = lo[d];
          const b = imms[pc];
          pc += a <= b ? offs[pc] + 1 : 1;
          continue;
        }
        case 0xdd: { // jsle reg
          const s = src[pc]; pc += !ltS(hi[s], lo[s], hi[d], lo[d]) ? offs[pc] + 1 : 1;
          continue;
        }
        case 0xde: { // jsle32 reg
          const a = lo[d];
          const b = lo[src[pc]];
          pc += a <= b ? offs[pc] + 1 : 1;
          continue;
        }
        // ---- calls and exit ----
        case 0x85: {
          const kind = src[pc];
          if (kind === 0) {
            const id = imms[pc];
            if (id === TAIL_CALL_ID) {
              if (this.tailCall(pc)) {
                P = this.curProg;
                code = P.code;
                dst = P.dst;
                src = P.src;
                offs = P.off;
                imms = P.imm;
                pc = 0;
                budget = MAY_GOTO_BUDGET;
              } else pc++;
              continue;
            }
            const fn = helperFunctions[id];
            if (fn === undefined) {
              const name = helperById(id)?.name ?? `helper #${id}`;
              throw new InterpreterError('unknown_helper', pc, `${name}#${id} is not simulated`, { helper: name });
            }
            this.insn = pc;
            this.remaining = remaining;
            this.curProg = P;
            fn(this);
            remaining = this.remaining;
            pc++;
            continue;
          }
          if (kind === 1) {
            if (this.depth + 1 >= MAX_CALL_FRAMES) throw new InterpreterError('limit', pc, `bpf-to-bpf call: more than ${MAX_CALL_FRAMES} frames`);
            let f = this.framePool[this.frames.length];
            if (f === undefined) {
              f = { prog: P, retPc: 0, budget: 0, saved: new Int32Array(15) };
              this.framePool[this.frames.length] = f;
            }
            f.prog = P;
            f.retPc = pc + 1;
            f.budget = budget;
            const sv = f.saved;
            for (let r = 6, i = 0; r <= 10; r++, i += 3) {
              sv[i] = lo[r];
              sv[i + 1] = hi[r];
              sv[i + 2] = tag[r];
            }
            this.frames.push(f);
            this.depth++;
            this.setFramePointer(this.depth);
            pc += imms[pc] + 1;
            budget = MAY_GOTO_BUDGET;
            continue;
          }
          this.remaining = remaining;
          this.curProg = P;
          this.callKfunc(pc, imms[pc]);
          remaining = this.remaining;
          pc++;
          continue;
        }
        case 0x95: {
          if (this.frames.length === base) {
            this.remaining = remaining;
            return;
          }
          const f = this.frames.pop() as Frame;
          this.depth--;
          const sv = f.saved;
          for (let r = 6, i = 0; r <= 10; r++, i += 3) {
            lo[r] = sv[i];
            hi[r] = sv[i + 1];
            tag[r] = sv[i + 2];
          }
          P = f.prog;
          this.curProg = P;
          code = P.code;
          dst = P.dst;
          src = P.src;
          offs = P.off;
          imms = P.imm;
          pc = f.retPc;
          budget = f.budget;
          continue;
        }
        // ---- loads and stores ----
        case 0x18:
          this.curProg = P;
          this.ldImm64(pc);
          pc += 2;
          continue;
        case 0x61:
          this.load(pc, d, src[pc], offs[pc], 4, false);
          pc++;
          continue;
        case 0x69:
          this.load(pc, d, src[pc], offs[pc], 2, false);
          pc++;
          continue;
        case 0x71:
          this.load(pc, d, src[pc], offs[pc], 1, false);
          pc++;
          continue;
        case 0x79:
          this.load(pc, d, src[pc], offs[pc], 8, false);
          pc++;
          continue;
        case 0x81:
          this.load(pc, d, src[pc], offs[pc], 4, true);
          pc++;
          continue;
        case 0x89:
          this.load(pc, d, src[pc], offs[pc], 2, true);
          pc++;
          continue;
        case 0x91:
          this.load(pc, d, src[pc], offs[pc], 1, true);
          pc++;
          continue;
        case 0x62:
          this.store(pc, d, offs[pc], 4, imms[pc], 0, 0);
          pc++;
          continue;
        case 0x6a:
          this.store(pc, d, offs[pc], 2, imms[pc], 0, 0);
          pc++;
          continue;
        case 0x72:
          this.store(pc, d, offs[pc], 1, imms[pc], 0, 0);
          pc++;
          continue;
        case 0x7a:
          this.store(pc, d, offs[pc], 8, imms[pc], imms[pc] >> 31, 0);
          pc++;
          continue;
        case 0x63: {
          const s = src[pc];
          this.store(pc, d, offs[pc], 4, lo[s], 0, 0);
          pc++;
          continue;
        }
        case 0x6b: {
          const s = src[pc];
          this.store(pc, d, offs[pc], 2, lo[s], 0, 0);
          pc++;
          continue;
        }
        case 0x73: {
          const s = src[pc];
          this.store(pc, d, offs[pc], 1, lo[s], 0, 0);
          pc++;
          continue;
        }
        case 0x7b: {
          const s = src[pc];
          this.store(pc, d, offs[pc], 8, lo[s], hi[s], tag[s]);
          pc++;
          continue;
        }
        case 0xc3:
        case 0xdb:
        case 0xcb:
        case 0xd3:
          this.curProg = P;
          this.atomic(pc, op === 0xc3 ? 4 : op === 0xdb ? 8 : op === 0xcb ? 2 : 1);
          pc++;
          continue;
        case 0x20:
        case 0x28:
        case 0x30:
        case 0x40:
        case 0x48:
        case 0x50: {
          const k = (op & 0x40) !== 0 ? (lo[src[pc]] + imms[pc]) | 0 : imms[pc];
          const size = (op & 0x18) === 0 ? 4 : (op & 0x18) === 8 ? 2 : 1;
          if (!this.loadPacket(pc, k, size)) {
            // The kernel's rewrite of LD_ABS/LD_IND exits the program with R0 = 0.
            lo[0] = 0;
            hi[0] = 0;
            tag[0] = 0;
            this.depth -= this.frames.length - base;
            this.frames.length = base;
            this.remaining = remaining;
            return;
          }
          pc++;
          continue;
        }
      }
      // Nothing matched: an encoding that is not an instruction, or pc outside the program.
      if (pc < 0 || pc >= P.slots) throw new InterpreterError('invalid_insn', pc, `jump or fall-through to slot ${pc}, outside the program (${P.slots} slots)`);
      throw new InterpreterError('invalid_insn', pc, describeInvalid(P, pc));
    }
  }
}
