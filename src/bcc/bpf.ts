/**
 * {@link BPF}: BCC's `BPF(text=…)` object in TypeScript. One object holds the tables (declared
 * once, shared by name by every function), the functions (eDSL programs), their links and
 * readers; functions whose names carry a BCC prefix are attached when it is made, the others by
 * the `attach_*` methods. `close()` (or `using`) detaches and closes everything.
 *
 * ```ts
 * using b = new BPF({
 *   tables: { infotmp: BPF_HASH(u64, Val), open_events: BPF_PERF_OUTPUT(Data) },
 *   functions: {
 *     tracepoint__syscalls__sys_enter_openat: ($, ctx, t) => { … t.infotmp.update(id, val); },
 *     tracepoint__syscalls__sys_exit_openat: ($, ctx, t) => { … t.open_events.perf_submit(data); },
 *   },
 * });
 * b.get('open_events').open_perf_buffer((cpu, data) => console.log(b.get('open_events').event(data)));
 * for (;;) b.perf_buffer_poll();
 * ```
 * @module
 */

import { encode, programType, resolve } from 'ebpf-bytecode-utils';
import { closeFd } from '../../syscalls/close-fd.js';
import { progLoad } from '../../syscalls/prog-load.js';
import { PerfSwConfig, PerfType } from '../../syscalls/perf-event.js';
import { attachKprobe } from '../attach/kprobe.js';
import type { Link } from '../attach/link.js';
import { attachLsm } from '../attach/lsm.js';
import { attachPerfEvent } from '../attach/perf-event.js';
import { attachRawTracepoint } from '../attach/raw-tracepoint.js';
import { syscallFunctionName } from '../attach/syscall-name.js';
import { attachTracepoint } from '../attach/tracepoint.js';
import { attachTracing } from '../attach/tracing.js';
import { attachUprobe } from '../attach/uprobe.js';
import { attachUsdtSite } from '../attach/usdt.js';
import { attachXdp } from '../attach/xdp.js';
import { attachSocketFilter } from '../attach/socket-filter.js';
import { attachLoadOptions } from '../dsl/attach-load-options.js';
import { compile, type CompiledProgram } from '../dsl/compile.js';
import type { DslMapSpec } from '../dsl/maps.js';
import { BpfMap } from '../maps/bpf-map.js';
import { kernelSymbols } from '../symbols/kernel-symbols.js';
import { userSymbols } from '../symbols/user-symbols.js';
import type { Infer } from '../types/index.js';
import { BccError } from './bcc-error.js';
import { PerfOutputTable, RingbufOutputTable } from './output-tables.js';
import { programTables, tableMapSpec, type AnyBuilder } from './program-tables.js';
import { planFunction, type FunctionEntry, type PlannedFunction } from './probes.js';
import { bestSyscallMechanism, type SyscallMechanism } from './syscall-probe.js';
import { ProgArrayTable, QueueTable, StackTraceTable, Table } from './table.js';
import type { TableDecl, TableDecls } from './table-decl.js';
import { TracePipe, type TraceFields } from './trace-pipe.js';
import { buildingUsdtFunction, type EnabledUsdtProbe, type USDT, type UsdtReader } from './usdt.js';

/** The user-side view of a declaration. */
export type UserTable<D extends TableDecl> =
  D extends TableDecl<infer Kind, infer K, infer V>
    ? Kind extends 'perf_output' ? PerfOutputTable<Infer<V>>
      : Kind extends 'ringbuf_output' ? RingbufOutputTable<Infer<V>>
        : Kind extends 'stack_trace' ? StackTraceTable
          : Kind extends 'prog_array' ? ProgArrayTable
            : Kind extends 'queue' | 'stack' ? QueueTable<Infer<V>>
              : Kind extends 'percpu_hash' | 'percpu_array' ? Table<Infer<K>, Infer<V>[]>
                : Table<Infer<K>, Infer<V>>
    : never;

/** Every table of `D`, user side. */
export type UserTables<D extends TableDecls> = { readonly [N in keyof D]: UserTable<D[N]> };

/** Options of the {@link BPF} constructor. */
export interface BpfOptions<D extends TableDecls, F> {
  /** Table declarations by name (`BPF_HASH(u64, Val)`, …). */
  readonly tables?: D;
  /** Functions by name: prefixed ones are auto-attached, others carry a kind (`{ kprobe: fn }`). */
  readonly functions: { readonly [N in keyof F]: FunctionEntry<N, D> };
  /** Attach prefixed functions at once (default true). */
  readonly autoAttach?: boolean;
  /** How `syscall__` functions are implemented (default `auto`: the best the kernel offers). */
  readonly syscallMechanism?: 'auto' | SyscallMechanism;
  /**
   * BCC's `usdt_contexts`: the functions their `enable_probe` calls name are built as kprobe-type
   * programs (`{ kprobe: fn }`, or a plain function) that may call `bpf_usdt_readarg`, and are
   * attached to every site of their probe (in the context's process only, when it has a pid).
   */
  readonly usdt_contexts?: readonly USDT[];
}

/** A function built and compiled (no kernel involved). */
export interface CompiledFunction {
  /** What it is and where it attaches. */
  readonly plan: PlannedFunction;
  /** Its instructions (map references symbolic, by table name) and the tables it uses. */
  readonly compiled: CompiledProgram;
}

/**
 * Builds and compiles every function of `functions` over the tables `decls`, without the
 * kernel (tracepoint functions read their record layout from tracefs): the offline half of
 * {@link BPF}, for inspection (`dump`), the verifier simulator and the interpreter
 * (`simulate`). `syscall__` functions use `syscallMechanism` (default `tracepoint`).
 */
export function compileFunctions<D extends TableDecls>(decls: D, functions: Readonly<Record<string, unknown>>, syscallMechanism: SyscallMechanism = 'tracepoint', usdt: ReadonlyMap<string, EnabledUsdtProbe> = new Map()): Map<string, CompiledFunction> {
  const out = new Map<string, CompiledFunction>();
  for (const [name, given] of Object.entries(functions)) {
    const used = new Map<string, DslMapSpec>();
    const probe = usdt.get(name);
    // A USDT function is a kprobe-type program; BCC's form is a plain (unprefixed) function.
    const entry = probe !== undefined && typeof given === 'function' ? { kprobe: given } : given;
    if (probe !== undefined && (typeof entry !== 'object' || entry === null || !('kprobe' in entry))) throw new BccError(`function '${name}' is enabled for USDT probe ${probe.provider}:${probe.name}: make it a kprobe function ({ kprobe: fn } or a plain function)`);
    const bind = (body: (...args: never[]) => unknown) => ($: AnyBuilder, ctx: unknown) => {
      const run = () => (body as ($: AnyBuilder, ctx: unknown, t: unknown) => never)($, ctx, programTables($, decls, used));
      return probe === undefined ? run() : buildingUsdtFunction(ctx as object, $ as unknown as UsdtReader, probe, run);
    };
    const plan = planFunction(name, entry, bind as never, syscallMechanism);
    // The tables the function used become its maps (the eDSL declares nothing itself here).
    const program = { ...plan.program, maps: Object.freeze([...plan.program.maps, ...used.values()]) };
    out.set(name, { plan, compiled: compile(program) });
  }
  return out;
}

interface LoadedFunction {
  readonly plan: PlannedFunction;
  readonly compiled: CompiledProgram;
  readonly fd: number;
}

interface OpenLink {
  readonly kind: 'kprobe' | 'kretprobe' | 'uprobe' | 'uretprobe' | 'tracepoint' | 'raw_tracepoint' | 'perf_event' | 'kfunc' | 'kretfunc' | 'lsm' | 'xdp' | 'socket_filter';
  /** What BCC's `detach_*` names it by (`event`, `tp`, `path:sym`). */
  readonly key: string;
  readonly link: Link;
}

/** `kprobe` events and their functions (BCC's `attach_kprobe(event=…, fn_name=…)`). */
export interface KprobeAttach {
  /** The kernel function. */
  readonly event: string;
  /** The function to run (a `kprobe__` function or `{ kprobe: fn }`). */
  readonly fn_name: string;
  /** Byte offset into the function (entry probes). */
  readonly event_off?: number;
}

/** BCC's `attach_kretprobe` arguments. */
export interface KretprobeAttach {
  /** The kernel function. */
  readonly event: string;
  /** The function to run. */
  readonly fn_name: string;
  /** Return probes in flight at once (tracefs kprobes). */
  readonly maxactive?: number;
}

/** BCC's `attach_uprobe` / `attach_uretprobe` arguments. */
export interface UprobeAttach {
  /** The binary or library path (`name=` in BCC). */
  readonly name: string;
  /** The symbol (`sym=`). */
  readonly sym?: string;
  /** Or a file offset (`addr=`). */
  readonly addr?: bigint | number;
  /** The function to run. */
  readonly fn_name: string;
  /** Only this process (-1: all). */
  readonly pid?: number;
}

/** BCC's `attach_perf_event` arguments. */
export interface PerfEventAttach {
  /** `PERF_TYPE_*` (default software). */
  readonly ev_type?: number;
  /** The event (default `PERF_COUNT_SW_CPU_CLOCK`). */
  readonly ev_config?: number;
  /** The function to run (`{ perf_event: fn }`). */
  readonly fn_name: string;
  /** Every N events. */
  readonly sample_period?: number;
  /** N times a second. */
  readonly sample_freq?: number;
  /** Only this process (-1: all). */
  readonly pid?: number;
  /** Only this CPU (-1: every CPU). */
  readonly cpu?: number;
}

/** The class behind {@link BPF}; see the module notes. */
export class BpfModule<D extends TableDecls = TableDecls, F = Record<string, unknown>> implements Disposable {
  /** The table declarations. */
  readonly decls: D;
  /** Every table, user side (also reachable as `b.get(name)`, `b.get_table(name)` and `b[name]`). */
  readonly tables: UserTables<D>;
  /** How `syscall__` functions were implemented. */
  readonly syscallMechanism: SyscallMechanism;
  readonly #maps = new Map<string, BpfMap>();
  readonly #functions = new Map<string, LoadedFunction>();
  readonly #links: OpenLink[] = [];
  readonly #outputs: (PerfOutputTable | RingbufOutputTable)[] = [];
  #tracePipe: TracePipe | undefined;
  #closed = false;

  /**
   * Builds every function, creates every table, loads the programs and attaches the prefixed
   * functions. On failure everything made so far is closed and the error rethrown (a
   * {@link BccError} for misuse, the eDSL's `DslError`, the kernel's `SyscallError` with the
   * verifier log).
   */
  constructor(options: BpfOptions<D, F>) {
    this.decls = (options.tables ?? {}) as D;
    const mech = options.syscallMechanism ?? 'auto';
    const usesSyscall = Object.keys(options.functions).some((n) => n.startsWith('syscall__'));
    this.syscallMechanism = mech === 'auto' ? (usesSyscall ? bestSyscallMechanism() : 'tracepoint') : mech;
    try {
      // Build and compile first: a mistake in a function creates no kernel object.
      const usdt = new Map<string, { readonly probe: EnabledUsdtProbe; readonly pid: number | undefined }>();
      for (const u of options.usdt_contexts ?? []) {
        for (const probe of u.enabled) {
          if (usdt.has(probe.fnName)) throw new BccError(`function '${probe.fnName}' is enabled for two USDT probes`);
          if (!Object.hasOwn(options.functions, probe.fnName)) throw new BccError(`USDT probe ${probe.provider}:${probe.name} is enabled for function '${probe.fnName}', which is not among the functions`);
          usdt.set(probe.fnName, { probe, pid: u.pid });
        }
      }
      const compiled = compileFunctions(this.decls, options.functions as Record<string, unknown>, this.syscallMechanism, new Map([...usdt].map(([n, e]) => [n, e.probe])));
      for (const [name, decl] of Object.entries(this.decls)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new BccError(`table name '${name}' must be a C identifier`);
        const spec = tableMapSpec(name, decl);
        this.#maps.set(name, BpfMap.create({ type: spec.type as never, keySize: spec.keySize, valueSize: spec.valueSize, maxEntries: spec.maxEntries, flags: spec.flags, name: name.slice(0, 15) }));
      }
      const tables: Record<string, unknown> = {};
      for (const [name, decl] of Object.entries(this.decls)) tables[name] = this.#userTable(name, decl);
      this.tables = Object.freeze(tables) as UserTables<D>;
      for (const [name, fn] of compiled) this.#load(name, fn);
      if (options.autoAttach ?? true) for (const f of this.#functions.values()) if (f.plan.auto !== undefined) this.#autoAttach(f);
      for (const { probe, pid } of usdt.values()) {
        const fd = this.#functions.get(probe.fnName)!.fd;
        for (const site of probe.sites) this.#add('uprobe', `${probe.path}:usdt:${probe.provider}:${probe.name}@0x${site.pc.toString(16)}`, attachUsdtSite(fd, probe.path, site, pid === undefined ? {} : { pid }));
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  #userTable(name: string, decl: TableDecl): unknown {
    const map = this.#maps.get(name)!;
    switch (decl.kind) {
      case 'perf_output': { const t = new PerfOutputTable(name, decl, map); this.#outputs.push(t); return t; }
      case 'ringbuf_output': { const t = new RingbufOutputTable(name, decl, map); this.#outputs.push(t); return t; }
      case 'stack_trace': return new StackTraceTable(name, decl, map);
      case 'prog_array': return new ProgArrayTable(name, map, (fn) => this.load_func(fn));
      case 'queue': case 'stack': return new QueueTable(name, decl, map);
      default: return new Table(name, decl, map);
    }
  }

  #load(name: string, fn: CompiledFunction): void {
    const { plan, compiled } = fn;
    const fds: Record<string, number> = {};
    for (const m of compiled.maps) {
      const map = this.#maps.get(m.name);
      if (map === undefined) throw new BccError(`function '${name}' uses map '${m.name}', which is not a declared table`);
      fds[m.name] = map.fd;
    }
    const insns = encode(resolve(compiled.insns, { maps: fds }).instructions);
    let fd: number;
    try {
      fd = progLoad({ progType: programType(compiled.progType), insns, license: compiled.license, progName: name.slice(0, 15), ...attachLoadOptions(compiled) }).fd;
    } catch (err) {
      // Name the function; the kernel's error (and verifier log) stays reachable as `cause`.
      const target = compiled.attach === undefined ? '' : ` on ${compiled.attach.target}`;
      throw new BccError(`function '${name}': the kernel refused its ${compiled.progType} program${target}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    this.#functions.set(name, { plan, compiled, fd });
  }

  #autoAttach(f: LoadedFunction): void {
    const a = f.plan.auto!;
    switch (a.kind) {
      case 'kprobe': this.attach_kprobe({ event: a.fn, fn_name: f.plan.name }); break;
      case 'kretprobe': this.attach_kretprobe({ event: a.fn, fn_name: f.plan.name }); break;
      case 'tracepoint': this.attach_tracepoint({ tp: `${a.category}:${a.event}`, fn_name: f.plan.name }); break;
      case 'raw_tracepoint': this.attach_raw_tracepoint({ tp: a.event, fn_name: f.plan.name }); break;
      case 'kfunc': case 'kretfunc': this.#add(a.kind, a.fn, attachTracing(f.fd, { kind: a.kind === 'kfunc' ? 'fentry' : 'fexit', function: a.fn })); break;
      case 'lsm': this.#add('lsm', a.hook, attachLsm(f.fd, a.hook)); break;
      case 'syscall': {
        const s = f.plan.syscall!;
        if (s.mechanism === 'kprobe') this.#add('kprobe', s.target, attachKprobe(f.fd, { symbol: s.target }));
        else if (s.mechanism === 'fentry') this.#add('kfunc', s.target, attachTracing(f.fd, { kind: 'fentry', function: s.target }));
        else { const [c, e] = s.target.split(':'); this.#add('tracepoint', s.target, attachTracepoint(f.fd, c, e)); }
        break;
      }
    }
  }

  #open(): void {
    if (this.#closed) throw new BccError('BPF object is closed');
  }

  #add(kind: OpenLink['kind'], key: string, link: Link): void {
    this.#links.push({ kind, key, link });
  }

  #fn(name: string, kinds: readonly string[], who: string): LoadedFunction {
    this.#open();
    const f = this.#functions.get(name);
    if (f === undefined) throw new BccError(`${who}: no function '${name}' (functions: ${[...this.#functions.keys()].join(', ') || 'none'})`);
    if (!kinds.includes(f.compiled.progType)) throw new BccError(`${who}: function '${name}' is a ${f.compiled.progType} program, not ${kinds.join(' or ')}`);
    return f;
  }

  // ---- tables ----

  /** The table `name` (BCC's `b["name"]` / `b.get_table("name")`); a BccError for an unknown name. */
  get<N extends keyof D & string>(name: N): UserTable<D[N]> {
    this.#open();
    if (!Object.hasOwn(this.tables, name)) throw new BccError(`no table '${name}' (tables: ${Object.keys(this.tables).join(', ') || 'none'})`);
    return this.tables[name];
  }

  /** Same as {@link BpfModule.get}. */
  get_table<N extends keyof D & string>(name: N): UserTable<D[N]> { return this.get(name); }

  // ---- functions ----

  /** BCC's `load_func(name, type)`: the program fd of function `name` (already loaded; owned by this object). */
  load_func(name: string): number {
    this.#open();
    const f = this.#functions.get(name);
    if (f === undefined) throw new BccError(`load_func: no function '${name}'`);
    return f.fd;
  }

  /** The compiled program of function `name` (instructions, maps), for inspection. */
  compiled(name: string): CompiledProgram {
    const f = this.#functions.get(name);
    if (f === undefined) throw new BccError(`compiled: no function '${name}'`);
    return f.compiled;
  }

  /** Names of the loaded functions. */
  get functionNames(): string[] { return [...this.#functions.keys()]; }

  // ---- attaching ----

  /** `attach_kprobe(event=…, fn_name=…)`: runs kprobe function `fn_name` at the entry of kernel function `event`. */
  attach_kprobe(options: KprobeAttach): this {
    const f = this.#fn(options.fn_name, ['kprobe'], 'attach_kprobe');
    this.#add('kprobe', options.event, attachKprobe(f.fd, { symbol: options.event, ...(options.event_off ? { offset: BigInt(options.event_off) } : {}) }));
    return this;
  }

  /** `attach_kretprobe(event=…, fn_name=…)`: at the return of `event` (`PT_REGS_RC` is its result). */
  attach_kretprobe(options: KretprobeAttach): this {
    const f = this.#fn(options.fn_name, ['kprobe'], 'attach_kretprobe');
    this.#add('kretprobe', options.event, attachKprobe(f.fd, { symbol: options.event, retprobe: true, ...(options.maxactive ? { maxActive: options.maxactive } : {}) }));
    return this;
  }

  /** `attach_tracepoint(tp="cat:name", fn_name=…)`. */
  attach_tracepoint(options: { readonly tp: string; readonly fn_name: string }): this {
    const f = this.#fn(options.fn_name, ['tracepoint'], 'attach_tracepoint');
    const m = /^([^:]+):([^:]+)$/.exec(options.tp);
    if (m === null) throw new BccError(`attach_tracepoint: tp must be 'category:name', got ${JSON.stringify(options.tp)}`);
    this.#add('tracepoint', options.tp, attachTracepoint(f.fd, m[1], m[2]));
    return this;
  }

  /** `attach_raw_tracepoint(tp="sched_switch", fn_name=…)`. */
  attach_raw_tracepoint(options: { readonly tp: string; readonly fn_name: string }): this {
    const f = this.#fn(options.fn_name, ['raw_tracepoint'], 'attach_raw_tracepoint');
    this.#add('raw_tracepoint', options.tp, attachRawTracepoint(f.fd, options.tp));
    return this;
  }

  #uprobe(options: UprobeAttach, retprobe: boolean): this {
    const who = retprobe ? 'attach_uretprobe' : 'attach_uprobe';
    const f = this.#fn(options.fn_name, ['kprobe'], who);
    if (options.sym === undefined && options.addr === undefined) throw new BccError(`${who}: give sym or addr`);
    const link = attachUprobe(f.fd, {
      path: options.name,
      retprobe,
      ...(options.sym !== undefined ? { symbol: options.sym } : {}),
      ...(options.addr !== undefined ? { offset: BigInt(options.addr) } : {}),
      ...(options.pid !== undefined && options.pid >= 0 ? { pid: options.pid } : {}),
    });
    this.#add(retprobe ? 'uretprobe' : 'uprobe', `${options.name}:${options.sym ?? String(options.addr)}`, link);
    return this;
  }

  /** `attach_uprobe(name=path, sym=…, fn_name=…, pid=-1)`: at the entry of a user function. */
  attach_uprobe(options: UprobeAttach): this { return this.#uprobe(options, false); }
  /** `attach_uretprobe(name=path, sym=…, fn_name=…, pid=-1)`: at its return (`PT_REGS_RC`). */
  attach_uretprobe(options: UprobeAttach): this { return this.#uprobe(options, true); }

  /** `attach_perf_event(ev_type, ev_config, fn_name, sample_period | sample_freq, pid, cpu)`. */
  attach_perf_event(options: PerfEventAttach): this {
    const f = this.#fn(options.fn_name, ['perf_event'], 'attach_perf_event');
    if ((options.sample_period === undefined) === (options.sample_freq === undefined)) throw new BccError('attach_perf_event: give exactly one of sample_period and sample_freq');
    const link = attachPerfEvent(f.fd, {
      type: options.ev_type ?? PerfType.SOFTWARE,
      config: options.ev_config ?? PerfSwConfig.CPU_CLOCK,
      ...(options.sample_period !== undefined ? { samplePeriod: options.sample_period } : { frequency: options.sample_freq! }),
      ...(options.pid !== undefined && options.pid >= 0 ? { pid: options.pid } : {}),
      ...(options.cpu !== undefined && options.cpu >= 0 ? { cpus: [options.cpu] } : {}),
    });
    this.#add('perf_event', `${options.ev_type ?? PerfType.SOFTWARE}:${options.ev_config ?? PerfSwConfig.CPU_CLOCK}`, link);
    return this;
  }

  /**
   * BCC's `attach_xdp(dev, fn, flags)`: runs XDP function `fn_name` on interface `dev` (a name
   * or ifindex); `mode` `generic` (skb), `driver` or the kernel's choice.
   */
  attach_xdp(options: { readonly dev: string | number; readonly fn_name: string; readonly mode?: 'generic' | 'driver' | 'offload' }): this {
    const f = this.#fn(options.fn_name, ['xdp'], 'attach_xdp');
    this.#add('xdp', String(options.dev), attachXdp(f.fd, options.dev, options.mode === undefined ? {} : { mode: options.mode }));
    return this;
  }

  /** BCC's `remove_xdp(dev)`: detaches what {@link BpfModule.attach_xdp} put on `dev`. */
  remove_xdp(options: { readonly dev: string | number }): this { return this.#detach(['xdp'], String(options.dev), 'remove_xdp'); }

  /**
   * Attaches socket filter function `fn_name` to socket `sock` (an fd the caller keeps owning;
   * BCC's `attach_raw_socket` makes its own raw socket instead). Detached on close.
   */
  attach_socket_filter(options: { readonly sock: number; readonly fn_name: string }): this {
    const f = this.#fn(options.fn_name, ['socket_filter'], 'attach_socket_filter');
    this.#add('socket_filter', String(options.sock), attachSocketFilter(f.fd, options.sock));
    return this;
  }

  #detach(kinds: readonly OpenLink['kind'][], key: string, who: string): this {
    const i = this.#links.findIndex((l) => kinds.includes(l.kind) && l.key === key);
    if (i < 0) throw new BccError(`${who}: nothing attached to ${key}`);
    this.#links[i].link.close();
    this.#links.splice(i, 1);
    return this;
  }

  /** `detach_kprobe(event=…)`. */
  detach_kprobe(options: { readonly event: string }): this { return this.#detach(['kprobe'], options.event, 'detach_kprobe'); }
  /** `detach_kretprobe(event=…)`. */
  detach_kretprobe(options: { readonly event: string }): this { return this.#detach(['kretprobe'], options.event, 'detach_kretprobe'); }
  /** `detach_tracepoint(tp="cat:name")`. */
  detach_tracepoint(options: { readonly tp: string }): this { return this.#detach(['tracepoint'], options.tp, 'detach_tracepoint'); }
  /** `detach_raw_tracepoint(tp=…)`. */
  detach_raw_tracepoint(options: { readonly tp: string }): this { return this.#detach(['raw_tracepoint'], options.tp, 'detach_raw_tracepoint'); }
  /** `detach_uprobe(name=path, sym=…)`. */
  detach_uprobe(options: { readonly name: string; readonly sym: string }): this { return this.#detach(['uprobe'], `${options.name}:${options.sym}`, 'detach_uprobe'); }
  /** `detach_uretprobe(name=path, sym=…)`. */
  detach_uretprobe(options: { readonly name: string; readonly sym: string }): this { return this.#detach(['uretprobe'], `${options.name}:${options.sym}`, 'detach_uretprobe'); }

  /** Open kprobes and kretprobes (BCC's `num_open_kprobes()`). */
  num_open_kprobes(): number { return this.#links.filter((l) => l.kind === 'kprobe' || l.kind === 'kretprobe').length; }
  /** Open uprobes and uretprobes. */
  num_open_uprobes(): number { return this.#links.filter((l) => l.kind === 'uprobe' || l.kind === 'uretprobe').length; }
  /** Open tracepoints (including raw ones). */
  num_open_tracepoints(): number { return this.#links.filter((l) => l.kind === 'tracepoint' || l.kind === 'raw_tracepoint').length; }
  /** Every open link, as `kind target` strings (for diagnostics). */
  get links(): string[] { return this.#links.map((l) => `${l.kind} ${l.key}`); }

  // ---- events ----

  #poll(kind: 'perf' | 'ring', timeoutMs: number): number {
    this.#open();
    const readers = this.#outputs.filter((o) => o.isOpen && (kind === 'perf' ? o instanceof PerfOutputTable : o instanceof RingbufOutputTable));
    if (readers.length === 0) throw new BccError(`${kind === 'perf' ? 'perf_buffer_poll' : 'ring_buffer_poll'}: no ${kind === 'perf' ? 'perf' : 'ring'} buffer is open`);
    if (readers.length === 1) return readers[0].poll(timeoutMs);
    // Several readers: deliver what waits; else wait in short slices across all of them.
    let n = 0;
    for (const r of readers) n += r.consume();
    const deadline = timeoutMs < 0 ? Infinity : Date.now() + timeoutMs;
    while (n === 0 && Date.now() < deadline) {
      for (const r of readers) n += r.poll(Math.min(10, Math.max(0, deadline - Date.now())) | 0);
    }
    return n;
  }

  /** BCC's `perf_buffer_poll(timeout)`: delivers waiting perf records, waiting up to `timeoutMs` (-1: forever). */
  perf_buffer_poll(timeoutMs = -1): number { return this.#poll('perf', timeoutMs); }
  /** BCC's `ring_buffer_poll(timeout)`. */
  ring_buffer_poll(timeoutMs = -1): number { return this.#poll('ring', timeoutMs); }
  /** BCC's `ring_buffer_consume()`: delivers without waiting. */
  ring_buffer_consume(): number { return this.#poll('ring', 0); }
  /** camelCase alias of {@link BpfModule.perf_buffer_poll}. */
  perfBufferPoll(timeoutMs = -1): number { return this.perf_buffer_poll(timeoutMs); }
  /** camelCase alias of {@link BpfModule.ring_buffer_poll}. */
  ringBufferPoll(timeoutMs = -1): number { return this.ring_buffer_poll(timeoutMs); }

  // ---- trace pipe ----

  #pipe(nonblocking: boolean): TracePipe {
    this.#open();
    const p = this.#tracePipe;
    if (p !== undefined && p.nonblocking === nonblocking) return p;
    // Reopen in the other mode, keeping lines already read.
    this.#tracePipe = new TracePipe({ nonblocking, pending: p?.detach() ?? '' });
    return this.#tracePipe;
  }

  /** BCC's `trace_readline(nonblocking=False)`: the next trace pipe line. */
  trace_readline(nonblocking = false): string | undefined { return this.#pipe(nonblocking).readline(); }
  /** BCC's `trace_fields(nonblocking=False)`: the next event line, split. */
  trace_fields(nonblocking = false): TraceFields | undefined { return this.#pipe(nonblocking).fields(); }
  /**
   * BCC's `trace_print(fmt=None)`: writes trace pipe lines to stdout (or `options.write`),
   * formatted with `fmt`'s `{task} {pid} {cpu} {flags} {ts} {msg}` fields when given. Blocks
   * reading forever unless `options.count` lines end it or, with `options.nonblocking`, the
   * pipe runs dry.
   */
  trace_print(fmt?: string, options: { readonly count?: number; readonly nonblocking?: boolean; readonly write?: (line: string) => void } = {}): void {
    const write = options.write ?? ((l: string) => { process.stdout.write(`${l}\n`); });
    const nonblocking = options.nonblocking ?? false;
    for (let i = 0; i < (options.count ?? Infinity); i++) {
      if (fmt === undefined) {
        const line = this.trace_readline(nonblocking);
        if (line === undefined) return;
        write(line);
      } else {
        const f = this.trace_fields(nonblocking);
        if (f === undefined) return;
        write(fmt.replace(/\{(task|pid|cpu|flags|ts|msg)\}/g, (_m, k: keyof TraceFields) => String(f[k])));
      }
    }
  }

  // ---- symbols ----

  /** BCC's `BPF.ksym(addr, show_module, show_offset)`: the kernel symbol containing `addr`, `[unknown]` when none. */
  static ksym(addr: bigint | number, show_module = false, show_offset = false): string {
    return formatSym(kernelSymbols().lookup(BigInt(addr)), show_module, show_offset);
  }

  /** BCC's `BPF.ksymname(name)`: the address of kernel symbol `name`, or -1n. */
  static ksymname(name: string): bigint {
    return kernelSymbols().address(name) ?? -1n;
  }

  /** BCC's `BPF.sym(addr, pid, show_module, show_offset)`: user symbol of `addr` in process `pid` (kernel when pid < 0). */
  static sym(addr: bigint | number, pid: number, show_module = false, show_offset = false): string {
    if (pid < 0) return BpfModule.ksym(addr, show_module, show_offset);
    return formatSym(userSymbols(pid).lookup(BigInt(addr)), show_module, show_offset);
  }

  /** BCC's `get_syscall_fnname(name)`: the kernel function of system call `name` (`__x64_sys_openat`). */
  static get_syscall_fnname(name: string): string { return syscallFunctionName(name); }

  /** Instance forms of the static symbol helpers (BCC allows both). */
  ksym(addr: bigint | number, show_module = false, show_offset = false): string { return BpfModule.ksym(addr, show_module, show_offset); }
  /** Instance form of {@link BpfModule.ksymname}. */
  ksymname(name: string): bigint { return BpfModule.ksymname(name); }
  /** Instance form of {@link BpfModule.sym}. */
  sym(addr: bigint | number, pid: number, show_module = false, show_offset = false): string { return BpfModule.sym(addr, pid, show_module, show_offset); }
  /** Instance form of {@link BpfModule.get_syscall_fnname}. */
  get_syscall_fnname(name: string): string { return syscallFunctionName(name); }

  // ---- lifetime ----

  /** Whether {@link BpfModule.close} was called. */
  get isClosed(): boolean { return this.#closed; }

  /** Detaches every link, closes readers, programs and maps (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const l of this.#links.splice(0).reverse()) l.link.close();
    for (const o of this.#outputs) o.close();
    this.#tracePipe?.close();
    for (const f of this.#functions.values()) closeFd(f.fd);
    this.#functions.clear();
    for (const m of this.#maps.values()) m.close();
    this.#maps.clear();
  }

  /** Same as {@link BpfModule.close}, for `using`. */
  [Symbol.dispose](): void { this.close(); }
}

function formatSym(s: { readonly name: string; readonly offset: bigint; readonly module?: string } | undefined, showModule: boolean, showOffset: boolean): string {
  if (s === undefined) return '[unknown]';
  const off = showOffset ? `+0x${s.offset.toString(16)}` : '';
  const mod = showModule && s.module !== undefined ? ` [${s.module.split('/').pop()}]` : '';
  return `${s.name}${off}${mod}`;
}

/** A {@link BpfModule} whose tables are also properties: `b.counts` is `b.get('counts')` (BCC's `b["counts"]`). */
export type BPF<D extends TableDecls = TableDecls, F = Record<string, unknown>> = BpfModule<D, F> & Omit<UserTables<D>, keyof BpfModule<D, F>>;

/**
 * BCC's `BPF` class: `new BPF({ tables, functions })`. The object is a {@link BpfModule} whose
 * tables are also reachable as properties (`b['open_events']`), unless a name collides with a
 * method.
 */
export const BPF = function BPF<D extends TableDecls, F>(this: unknown, options: BpfOptions<D, F>) {
  const module = new BpfModule<D, F>(options);
  return new Proxy(module, {
    get(target, key) {
      if (typeof key === 'string' && !(key in target) && Object.hasOwn(target.tables, key)) return target.get(key as keyof D & string);
      // The target as receiver: getters and methods reach its private fields.
      const v = Reflect.get(target, key) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
} as unknown as {
  /** Builds, loads and attaches; see {@link BpfModule}'s constructor. */
  new <D extends TableDecls = Record<never, never>, F = Record<string, unknown>>(options: BpfOptions<D, F>): BPF<D, F>;
  /** {@link BpfModule.ksym}. */
  ksym(addr: bigint | number, show_module?: boolean, show_offset?: boolean): string;
  /** {@link BpfModule.ksymname}. */
  ksymname(name: string): bigint;
  /** {@link BpfModule.sym}. */
  sym(addr: bigint | number, pid: number, show_module?: boolean, show_offset?: boolean): string;
  /** {@link BpfModule.get_syscall_fnname}. */
  get_syscall_fnname(name: string): string;
};
Object.assign(BPF, {
  ksym: BpfModule.ksym,
  ksymname: BpfModule.ksymname,
  sym: BpfModule.sym,
  get_syscall_fnname: BpfModule.get_syscall_fnname,
});
