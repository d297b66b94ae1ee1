/**
 * Arguments synthesized for any helper `$.callHelper` can call, from its generated prototype:
 * the context, a map of the first kind the kernel allows for the helper, stack objects for
 * memory (of the fixed size where the kernel fixes one), zero for scalars. Used by the helper
 * table sweeps (test/unit and test/kernel dsl-helper-call).
 */
import type { Helper } from 'ebpf-bytecode-utils';
import { compile, Maybe, program, u32, u64, type Builder, type CompiledProgram, type Program, type ProgType } from '../../src/dsl/index.js';
import { helperPrototypes } from '../../src/dsl/helper-prototypes.generated.js';
import { char, struct } from '../../src/types/index.js';

/** A row of the generated prototype table, loosely typed. */
export interface PrototypeRow {
  readonly params?: readonly string[];
  readonly result?: string;
  readonly maps?: readonly string[];
  readonly fixedSizes?: Readonly<Record<number, number>>;
  readonly refusal?: string;
  readonly refusedKind?: string;
}

/** The generated row of helper `name`. */
export function prototypeRow(name: string): PrototypeRow | undefined {
  return (helperPrototypes as Readonly<Record<string, PrototypeRow>>)[name];
}

/** Program types the eDSL builds without further options (tracepoints and BTF-typed programs need a signature). */
export const PLAIN_PROG_TYPES: readonly ProgType[] = ['socket_filter', 'sched_cls', 'xdp', 'kprobe', 'raw_tracepoint', 'perf_event'];

const Buf = struct('buf16', { b: char(16) });

/** Arguments for helper `h` inside a program being built by `$`, or undefined when the eDSL cannot declare a fitting map. */
export function synthesizeArgs($: Builder<ProgType>, ctx: unknown, h: Helper): unknown[] | undefined {
  const row = prototypeRow(h.name);
  if (row?.params === undefined) return undefined;
  let map: object | undefined;
  if (row.params.includes('map')) {
    const kind = row.maps?.[0];
    map = kind === 'keyed' ? (h.name === 'bpf_map_lookup_percpu_elem' ? $.percpuArray('m', u64, { maxEntries: 2 }) : $.hash('m', u32, u64, { maxEntries: 2 }))
      : kind === 'ringbuf' ? $.ringbuf('m', { size: 4096 })
      : kind === 'perfEventArray' ? $.perfEventArray('m', { maxEntries: 2 })
      : kind === 'progArray' ? $.progArray('m', { maxEntries: 2 })
      : kind === 'stackTrace' ? $.stackTrace('m', { maxEntries: 2 })
      : kind === 'queue' ? $.queue('m', u64, { maxEntries: 2 })
      : undefined;
    if (map === undefined) return undefined;
  }
  return row.params.map((p, i) => {
    switch (p) {
      case 'scalar': return 0;
      case 'ctx': case 'ctxOrNull': return ctx;
      case 'map': return map;
      case 'key': return 0;
      case 'value': return 1n;
      case 'valueOut': return $.struct(struct('v', { v: u64 })).field('v');
      case 'fixedMem': {
        const n = row.fixedSizes?.[i] ?? 8;
        return $.struct(struct(`f${n}`, n === 8 ? { v: u64 } : n === 4 ? { v: u32 } : { v: char(n) }));
      }
      default: return $.struct(Buf);
    }
  });
}

/**
 * The sweep program for helper `h`: a call with synthesized arguments (a maybe-null result
 * null-checked) in the first plain program type that may call it, compiled; undefined when the
 * helper has no prototype row, no plain program type, or arguments cannot be built.
 */
export function sweepProgram(h: Helper): { progType: ProgType; program: Program; compiled: CompiledProgram } | undefined {
  if (h.id === 0 || prototypeRow(h.name)?.params === undefined) return undefined;
  const progType = PLAIN_PROG_TYPES.find((t) => h.programTypes.includes(t));
  if (progType === undefined) return undefined;
  let built = false;
  const p = program('sweep', progType, (($: Builder<ProgType>, ctx: unknown) => {
    const args = synthesizeArgs($, ctx, h);
    if (args === undefined) return;
    const r = ($ as unknown as { callHelper(n: string, ...a: unknown[]): unknown }).callHelper(h.name, ...args);
    if (r instanceof Maybe) $.ifSome(r, () => {});
    built = true;
  }) as never);
  const compiled = compile(p);
  return built ? { progType, program: p, compiled } : undefined;
}
