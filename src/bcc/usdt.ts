/**
 * BCC's USDT model: a {@link USDT} context names a binary (`path`) or a process (`pid`), its
 * `enable_probe({ probe, fn_name })` ties a USDT probe to a function, and
 * `new BPF({ …, usdt_contexts: [u] })` builds that function as a kprobe-type program attached to
 * every site of the probe. In the function, {@link bpf_usdt_readarg} and
 * {@link bpf_usdt_readarg_p} read the probe's arguments from where its `.note.stapsdt` spec says
 * they are (a register, memory at a register plus offset, or a constant).
 *
 * ```ts
 * const u = new USDT({ path: './server' });
 * u.enable_probe({ probe: 'query_start', fn_name: 'on_query' });
 * using b = new BPF({
 *   tables: { events: BPF_RINGBUF_OUTPUT(Query, 8) },
 *   functions: {
 *     on_query: { kprobe: ($, ctx, t) => {
 *       const q = $.struct(Query, { id: bpf_usdt_readarg(2, ctx, u64) });   // bpf_usdt_readarg(2, ctx, &q.id)
 *       bpf_usdt_readarg_p(1, ctx, q.field('text'));                          // bpf_usdt_readarg_p(1, ctx, &q.text, sizeof(q.text))
 *       t.events.ringbuf_output(q);
 *       return 0;
 *     } },
 *   },
 *   usdt_contexts: [u],
 * });
 * ```
 *
 * Differences from BCC, all found when the program is built rather than at run time: asking
 * for a type whose size is not the argument's (BCC's read returns -1 and leaves the destination
 * alone) and `bpf_usdt_readarg_p` on an argument that is not 8 bytes wide are {@link BccError}s;
 * a probe whose sites keep an argument in different places cannot be read (BCC generates a
 * switch on the instruction pointer). USDT argument specs are parsed for x86_64.
 * @module
 */

import { readFileSync, realpathSync } from 'node:fs';
import { readUsdtProbes, UsdtError, type UsdtArg, type UsdtProbe } from '../attach/usdt.js';
import { s16, s32, s64, s8, u16, u32, u64, u8, type IntType, type S64, type U64 } from '../dsl/c-types.js';
import { Expr, operandNode } from '../dsl/expr.js';
import type { KprobeContext } from '../dsl/kprobe-context.js';
import type { Ref } from '../dsl/ref.js';
import type { SomeType } from '../types/index.js';
import { BccError } from './bcc-error.js';

/** Options of the {@link USDT} constructor: BCC's `USDT(pid=…, path=…)`. */
export interface UsdtContextOptions {
  /** Trace only this process; without `path`, its probes are looked up in its executable and the files it maps. */
  readonly pid?: number;
  /** The binary or library with the probes. */
  readonly path?: string;
}

/** One probe enabled with {@link USDT.enable_probe}. */
export interface EnabledUsdtProbe {
  /** The function that runs at the probe. */
  readonly fnName: string;
  /** The file whose notes define the probe (the uprobe's path). */
  readonly path: string;
  /** The provider. */
  readonly provider: string;
  /** The probe name. */
  readonly name: string;
  /** Every site of the probe in `path` (one uprobe each). */
  readonly sites: readonly UsdtProbe[];
}

/** The files process `pid` maps (its executable first), for finding its probes. */
function processFiles(pid: number): string[] {
  let exe: string;
  try {
    exe = realpathSync(`/proc/${pid}/exe`);
  } catch (err) {
    throw new BccError(`USDT: process ${pid}: cannot read its executable (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const files = [exe];
  let maps = '';
  try {
    maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  } catch {
    // The executable alone, then.
  }
  for (const line of maps.split('\n')) {
    const file = /^\S+ r-xp \S+ \S+ \d+\s+(\/\S.*)$/.exec(line)?.[1];
    if (file !== undefined && !files.includes(file)) files.push(file);
  }
  return files;
}

/**
 * BCC's `USDT` context: the probes of a binary or process that a {@link BPF} object attaches
 * functions to (see the module notes).
 */
export class USDT {
  /** The traced process, or undefined for every process that runs `path`. */
  readonly pid: number | undefined;
  /** The binary given, or the process's executable. */
  readonly path: string;
  readonly #files: readonly string[];
  readonly #enabled: EnabledUsdtProbe[] = [];

  /** `USDT(pid=…, path=…)`: at least one of the two. A BccError for a missing file or process. */
  constructor(options: UsdtContextOptions) {
    const { pid, path } = options;
    if (pid !== undefined && (!Number.isInteger(pid) || pid <= 0)) throw new BccError(`USDT: pid must be a positive integer, got ${String(pid)}`);
    if (path === undefined) {
      if (pid === undefined) throw new BccError('USDT: give pid or path');
      this.#files = processFiles(pid);
    } else {
      try {
        this.#files = [realpathSync(path)];
      } catch (err) {
        throw new BccError(`USDT: ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      }
    }
    this.pid = pid;
    this.path = this.#files[0];
  }

  /**
   * `enable_probe(probe=…, fn_name=…)`: function `fn_name` runs at every site of probe `probe`
   * (`name` or `provider:name`). A {@link BccError} when no file of this context has the probe,
   * or when `name` alone matches probes of several providers.
   */
  enable_probe(options: { readonly probe: string; readonly fn_name: string }): this {
    const { probe, fn_name: fnName } = options;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(fnName)) throw new BccError(`USDT.enable_probe: fn_name '${fnName}' must be a C identifier`);
    if (this.#enabled.some((e) => e.fnName === fnName)) throw new BccError(`USDT.enable_probe: function '${fnName}' is already enabled for a probe`);
    const colon = probe.indexOf(':');
    const provider = colon < 0 ? undefined : probe.slice(0, colon);
    const name = colon < 0 ? probe : probe.slice(colon + 1);
    const seen: string[] = [];
    for (const file of this.#files) {
      let probes: UsdtProbe[];
      try {
        probes = readUsdtProbes(readFileSync(file), file);
      } catch (err) {
        if (this.#files.length > 1 && file !== this.path) continue; // a mapped file that is not ELF (or vanished)
        throw err instanceof UsdtError ? new BccError(`USDT.enable_probe: ${err.message}`, { cause: err }) : err;
      }
      for (const p of probes) seen.push(`${p.provider}:${p.name}`);
      const sites = probes.filter((p) => p.name === name && (provider === undefined || p.provider === provider));
      if (sites.length === 0) continue;
      const providers = [...new Set(sites.map((p) => p.provider))];
      if (providers.length > 1) throw new BccError(`USDT.enable_probe: probe '${name}' of ${file} exists for providers ${providers.join(', ')}: name one (provider:${name})`);
      this.#enabled.push({ fnName, path: file, provider: providers[0], name, sites });
      return this;
    }
    const known = [...new Set(seen)];
    throw new BccError(`USDT.enable_probe: no probe '${probe}' in ${this.pid === undefined ? this.path : `process ${this.pid}`} (${known.length === 0 ? 'no .note.stapsdt probes found' : `probes: ${known.join(', ')}`})`);
  }

  /** The probes enabled so far, in order. */
  get enabled(): readonly EnabledUsdtProbe[] {
    return this.#enabled;
  }
}

/** What {@link bpf_usdt_readarg} needs while a USDT function is being built. */
interface Building {
  readonly probe: EnabledUsdtProbe;
  readonly builder: UsdtReader;
}

/** The builder methods argument reads use (a `Builder<'kprobe'>` has them). */
export interface UsdtReader {
  /** `bpf_probe_read_user` of one integer. */
  readUser<T extends IntType>(type: T, address: Expr<U64>): Expr<T>;
  /** `bpf_probe_read_user(&into, sizeof(into), address)`. */
  probeReadUser(into: Ref<SomeType>, address: Expr<U64>): Expr<S64>;
}

const building = new WeakMap<object, Building>();

/**
 * Runs `body` (the build of USDT function `probe.fnName`) with `ctx` known to
 * {@link bpf_usdt_readarg} as the context of `probe` (internal: used by the {@link BPF} constructor).
 */
export function buildingUsdtFunction<R>(ctx: object, builder: UsdtReader, probe: EnabledUsdtProbe, body: () => R): R {
  building.set(ctx, { probe, builder });
  try {
    return body();
  } finally {
    building.delete(ctx);
  }
}

const INT_TYPES: Readonly<Record<string, IntType>> = { u1: u8, u2: u16, u4: u32, u8: u64, s1: s8, s2: s16, s4: s32, s8: s64 };

/** The C type of a USDT argument: its size and sign (`-4@%edi` is `s32`). */
export function usdtArgType(arg: UsdtArg): IntType {
  return INT_TYPES[`${arg.signed ? 's' : 'u'}${arg.size}`]!;
}

function argumentOf(who: string, n: number, ctx: KprobeContext): { arg: UsdtArg; b: Building } {
  const b = building.get(ctx);
  if (b === undefined) throw new BccError(`${who}: ctx is not the context of a function enabled with USDT.enable_probe (and built by new BPF({ usdt_contexts }))`);
  const { probe } = b;
  const label = `probe ${probe.provider}:${probe.name}`;
  const first = probe.sites[0]!;
  if (first.argsText.trim() !== '' && first.args.length === 0) throw new BccError(`${who}: ${label}: argument specs ${JSON.stringify(first.argsText)} are not x86_64 AT&T syntax`);
  if (!Number.isInteger(n) || n < 1 || n > first.args.length) throw new BccError(`${who}: ${label} has ${first.args.length} argument${first.args.length === 1 ? '' : 's'}; asked for argument ${String(n)} (they count from 1)`);
  const specs = new Set(probe.sites.map((s) => s.args[n - 1]?.spec));
  if (specs.size > 1) throw new BccError(`${who}: ${label} keeps argument ${n} in different places at its ${probe.sites.length} sites (${[...specs].join(', ')}); reading it is not supported`);
  return { arg: first.args[n - 1]!, b };
}

function readArg(arg: UsdtArg, ctx: KprobeContext, reader: UsdtReader): Expr<IntType> {
  const type = usdtArgType(arg);
  const loc = arg.location;
  if (loc.kind === 'const') return new Expr(operandNode(type, type.signed ? BigInt.asIntN(type.size * 8, loc.value) : BigInt.asUintN(type.size * 8, loc.value), 'bpf_usdt_readarg'), type);
  const register = new Expr<U64>({ kind: 'load', type: u64, base: ctx.pointer, off: loc.regsOffset }, u64);
  if (loc.kind === 'reg') return register.cast(type);
  return reader.readUser(type, register.add(BigInt.asUintN(64, BigInt(loc.offset))));
}

/**
 * BCC's `bpf_usdt_readarg(n, ctx, &dst)`: argument `n` (from 1) of the USDT probe this function
 * is enabled for, as the probe's own C type (`-4@…` is `s32`), or as `type` when given (same
 * size: BCC copies the argument's bytes into `dst`, whose size must match). Register arguments
 * are read from `ctx`, memory ones with `bpf_probe_read_user` (0 when that faults).
 * @throws BccError at build time: `ctx` is not a USDT function's, `n` is out of range, `type`
 *   has another size, or the probe's sites keep the argument in different places.
 */
export function bpf_usdt_readarg<T extends IntType>(n: number, ctx: KprobeContext, type: T): Expr<T>;
export function bpf_usdt_readarg(n: number, ctx: KprobeContext): Expr<IntType>;
export function bpf_usdt_readarg(n: number, ctx: KprobeContext, type?: IntType): Expr<IntType> {
  const who = 'bpf_usdt_readarg';
  const { arg, b } = argumentOf(who, n, ctx);
  if (type !== undefined && type.size !== arg.size) {
    throw new BccError(`${who}: argument ${n} of probe ${b.probe.provider}:${b.probe.name} is ${arg.size} byte${arg.size === 1 ? '' : 's'} (${arg.spec}), not ${type.name}'s ${type.size}`);
  }
  const value = readArg(arg, ctx, b.builder);
  return type === undefined || type === value.type ? value : value.cast(type);
}

/**
 * BCC's `bpf_usdt_readarg_p(n, ctx, &buf, sizeof(buf))`: argument `n` (from 1) is a pointer
 * into the traced process (a string, a buffer); copies `sizeof(into)` bytes from there with
 * `bpf_probe_read_user` and returns its result (0, or a negative errno with `into` zeroed).
 * @throws BccError at build time as {@link bpf_usdt_readarg}, and when the argument is not 8 bytes.
 */
export function bpf_usdt_readarg_p(n: number, ctx: KprobeContext, into: Ref<SomeType>): Expr<S64> {
  const who = 'bpf_usdt_readarg_p';
  const { arg, b } = argumentOf(who, n, ctx);
  if (arg.size !== 8) throw new BccError(`${who}: argument ${n} of probe ${b.probe.provider}:${b.probe.name} is ${arg.size} bytes (${arg.spec}), not a pointer`);
  const address = readArg(arg, ctx, b.builder).cast(u64);
  return b.builder.probeReadUser(into, address);
}
