/**
 * What a {@link BPF} object's functions are and how each becomes a program: auto-attached by
 * BCC's name prefixes (one row of {@link PREFIX_RULES} each), or declared with an explicit kind
 * for the `attach_*` methods (`{ kprobe: fn }`, `{ tracepoint: 'cat:name', fn }`, …).
 *
 * | name | program | attached to |
 * |---|---|---|
 * | `kprobe__FN` / `kretprobe__FN` | kprobe | entry / return of kernel function FN |
 * | `syscall__NAME` | best of kprobe, fentry, tracepoint (`syscall-probe.ts`) | entry of system call NAME |
 * | `tracepoint__CAT__NAME` | tracepoint | `CAT:NAME` |
 * | `raw_tracepoint__NAME` | raw_tracepoint | raw tracepoint NAME |
 * | `kfunc__FN` / `kretfunc__FN` (also `kfunc__vmlinux__FN`) | tracing (fentry / fexit) | FN |
 * | `lsm__HOOK` | lsm | LSM hook HOOK |
 * @module
 */

import type { Context, ProgType } from '../dsl/context.js';
import type { KprobeContext } from '../dsl/kprobe-context.js';
import type { PerfEventContext } from '../dsl/perf-event-context.js';
import { program, type Builder, type Program } from '../dsl/program.js';
import type { RawTracepointContext } from '../dsl/raw-tracepoint-context.js';
import type { TracepointContext } from '../dsl/tracepoint-context.js';
import { tracepointProgram, type KnownTracepointArgs } from '../dsl/tracepoint-program.js';
import type { TracingContext } from '../dsl/tracing-context.js';
import { tracingProgram } from '../dsl/tracing-program.js';
import { BccError } from './bcc-error.js';
import type { ProgramTables } from './program-tables.js';
import { buildSyscallProbe, type ProbeReturn, type SyscallBuilder, type SyscallContext, type SyscallMechanism } from './syscall-probe.js';
import type { TableDecls } from './table-decl.js';

/** A probe function: the builder, the context, the tables. */
export type ProbeFn<P extends ProgType, C, D extends TableDecls> = ($: Builder<P>, ctx: C, t: ProgramTables<D>) => ProbeReturn;

/** The program type of an auto-attached function named `N`. */
export type PrefixProgType<N> =
  N extends `tracepoint__${string}__${string}` ? 'tracepoint'
    : N extends `kprobe__${string}` | `kretprobe__${string}` ? 'kprobe'
      : N extends `raw_tracepoint__${string}` ? 'raw_tracepoint'
        : N extends `kfunc__${string}` | `kretfunc__${string}` ? 'tracing'
          : N extends `lsm__${string}` ? 'lsm'
            : never;

/** The context of an auto-attached function named `N`. */
export type PrefixContext<N> =
  N extends `tracepoint__${infer C}__${infer M}` ? TracepointContext<KnownTracepointArgs<C, M>>
    : N extends `kprobe__${string}` | `kretprobe__${string}` ? KprobeContext
      : N extends `syscall__${string}` ? SyscallContext
        : N extends `raw_tracepoint__${string}` ? RawTracepointContext
          : N extends `kfunc__${string}` | `kretfunc__${string}` | `lsm__${string}` ? TracingContext
            : never;

/** The builder of an auto-attached function named `N`. */
export type PrefixBuilder<N> = N extends `syscall__${string}` ? SyscallBuilder : Builder<PrefixProgType<N>>;

/** A function with an explicit kind, attached by the `attach_*` methods (or auto-attached when it names its target). */
export type FunctionDef<D extends TableDecls> =
  | { readonly kprobe: ProbeFn<'kprobe', KprobeContext, D> }
  | { readonly tracepoint: `${string}:${string}`; readonly fn: ProbeFn<'tracepoint', TracepointContext, D> }
  | { readonly raw_tracepoint: ProbeFn<'raw_tracepoint', RawTracepointContext, D> }
  | { readonly perf_event: ProbeFn<'perf_event', PerfEventContext, D> }
  | { readonly socket_filter: ProbeFn<'socket_filter', Context<'socket_filter'>, D> }
  | { readonly xdp: ProbeFn<'xdp', Context<'xdp'>, D> }
  | { readonly sched_cls: ProbeFn<'sched_cls', Context<'sched_cls'>, D> };

/** One entry of the `functions` record: a prefixed probe function, or a {@link FunctionDef}. */
export type FunctionEntry<N, D extends TableDecls> = (($: PrefixBuilder<N>, ctx: PrefixContext<N>, t: ProgramTables<D>) => ProbeReturn) | FunctionDef<D>;

/** Where an auto-attached function goes, parsed from its name. */
export type AutoTarget =
  | { readonly kind: 'kprobe' | 'kretprobe'; readonly fn: string }
  | { readonly kind: 'syscall'; readonly syscall: string }
  | { readonly kind: 'tracepoint'; readonly category: string; readonly event: string }
  | { readonly kind: 'raw_tracepoint'; readonly event: string }
  | { readonly kind: 'kfunc' | 'kretfunc'; readonly fn: string }
  | { readonly kind: 'lsm'; readonly hook: string };

/** A prefix rule: how a name maps to an {@link AutoTarget}. */
export interface PrefixRule {
  /** The prefix (`kprobe__`). */
  readonly prefix: string;
  /** The target of the rest of the name, or undefined when it is malformed. */
  parse(rest: string): AutoTarget | undefined;
}

const ident = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const stripVmlinux = (s: string) => s.replace(/^vmlinux__/, '');

/** BCC's auto-attach prefixes, in the order they are tried. */
export const PREFIX_RULES: readonly PrefixRule[] = [
  { prefix: 'kprobe__', parse: (r) => (ident.test(r) ? { kind: 'kprobe', fn: r } : undefined) },
  { prefix: 'kretprobe__', parse: (r) => (ident.test(r) ? { kind: 'kretprobe', fn: r } : undefined) },
  { prefix: 'syscall__', parse: (r) => (/^[a-z_][a-z0-9_]*$/.test(r) ? { kind: 'syscall', syscall: r } : undefined) },
  {
    prefix: 'tracepoint__',
    parse: (r) => {
      const i = r.indexOf('__');
      return i > 0 && i < r.length - 2 ? { kind: 'tracepoint', category: r.slice(0, i), event: r.slice(i + 2) } : undefined;
    },
  },
  { prefix: 'raw_tracepoint__', parse: (r) => (ident.test(r) ? { kind: 'raw_tracepoint', event: r } : undefined) },
  { prefix: 'kfunc__', parse: (r) => (ident.test(stripVmlinux(r)) ? { kind: 'kfunc', fn: stripVmlinux(r) } : undefined) },
  { prefix: 'kretfunc__', parse: (r) => (ident.test(stripVmlinux(r)) ? { kind: 'kretfunc', fn: stripVmlinux(r) } : undefined) },
  { prefix: 'lsm__', parse: (r) => (ident.test(r) ? { kind: 'lsm', hook: r } : undefined) },
];

/** The auto-attach target of function `name`, or undefined when it has no known prefix; a BccError when malformed. */
export function autoTarget(name: string): AutoTarget | undefined {
  for (const rule of PREFIX_RULES) {
    if (!name.startsWith(rule.prefix)) continue;
    const t = rule.parse(name.slice(rule.prefix.length));
    if (t === undefined) throw new BccError(`function '${name}': nothing valid follows the prefix ${rule.prefix}`);
    return t;
  }
  return undefined;
}

/** A function made into a program, with its attach target when auto-attached. */
export interface PlannedFunction {
  /** Function name. */
  readonly name: string;
  /** The built program. */
  readonly program: Program;
  /** Auto-attach target (syscall probes: resolved to the mechanism's target). */
  readonly auto: AutoTarget | undefined;
  /** The explicit kind of a {@link FunctionDef} (`kprobe`, `tracepoint`, …), or the prefix kind. */
  readonly kind: string;
  /** Syscall probes: the mechanism and what it attaches to. */
  readonly syscall?: { readonly mechanism: SyscallMechanism; readonly target: string };
}

type AnyBody = (...args: never[]) => ProbeReturn;
type Bind = (body: AnyBody) => (...args: never[]) => ProbeReturn;

/**
 * Builds the program of function `name` (`entry` is what the user wrote); `bind` turns the
 * user's 3-argument function into a program callback (adding the tables argument).
 */
export function planFunction(name: string, entry: unknown, bind: Bind, syscallMechanism: SyscallMechanism): PlannedFunction {
  const b = (body: unknown) => bind(body as AnyBody) as never;
  if (typeof entry === 'function') {
    const auto = autoTarget(name);
    if (auto === undefined) throw new BccError(`function '${name}' has no probe prefix (kprobe__, kretprobe__, syscall__, tracepoint__CAT__NAME, raw_tracepoint__, kfunc__, kretfunc__, lsm__): give it a kind, e.g. { kprobe: fn } or { perf_event: fn }, or name it in a USDT context's enable_probe`);
    switch (auto.kind) {
      case 'kprobe': case 'kretprobe': return { name, program: program(name, 'kprobe', b(entry)), auto, kind: auto.kind };
      case 'tracepoint': return { name, program: tracepointProgram(auto.category, auto.event, b(entry), { name }), auto, kind: 'tracepoint' };
      case 'raw_tracepoint': return { name, program: program(name, 'raw_tracepoint', b(entry)), auto, kind: 'raw_tracepoint' };
      case 'kfunc': return { name, program: tracingProgram('fentry', auto.fn, b(entry), { name }), auto, kind: 'kfunc' };
      case 'kretfunc': return { name, program: tracingProgram('fexit', auto.fn, b(entry), { name }), auto, kind: 'kretfunc' };
      case 'lsm': return { name, program: tracingProgram('lsm', auto.hook, b(entry), { name }), auto, kind: 'lsm' };
      case 'syscall': {
        const probe = buildSyscallProbe(name, auto.syscall, syscallMechanism, b(entry));
        return { name, program: probe.program, auto, kind: 'syscall', syscall: { mechanism: probe.mechanism, target: probe.target } };
      }
    }
  }
  if (typeof entry !== 'object' || entry === null) throw new BccError(`function '${name}': expected a function or a { kind: fn } object, got ${typeof entry}`);
  const def = entry as Record<string, unknown>;
  const fnOf = (key: string): unknown => {
    const f = def[key];
    if (typeof f !== 'function') throw new BccError(`function '${name}': '${key}' must be a function`);
    return f;
  };
  if ('tracepoint' in def) {
    const tp = def.tracepoint;
    const m = typeof tp === 'string' ? /^([^:]+):([^:]+)$/.exec(tp) : null;
    if (m === null) throw new BccError(`function '${name}': tracepoint must be 'category:name', got ${JSON.stringify(tp)}`);
    return { name, program: tracepointProgram(m[1], m[2], b(fnOf('fn')), { name }), auto: undefined, kind: 'tracepoint' };
  }
  for (const kind of ['kprobe', 'raw_tracepoint', 'perf_event', 'socket_filter', 'xdp', 'sched_cls'] as const) {
    if (kind in def) return { name, program: program(name, kind, b(fnOf(kind))), auto: undefined, kind };
  }
  throw new BccError(`function '${name}': unknown kind (keys: ${Object.keys(def).join(', ')}); use kprobe, tracepoint, raw_tracepoint, perf_event, socket_filter, xdp or sched_cls`);
}
