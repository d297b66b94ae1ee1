/**
 * bpf-to-bpf subprograms, `bpf_loop` and ring buffer discards in one XDP program: each packet
 * carries a number (big-endian u32 at offset 0); the program counts the Collatz steps down to 1
 * in a `bpf_loop` callback (its state in a per-CPU array) (at most 1000 iterations, stopping early with `$.break()`), each step
 * computed by the subprogram `collatz_step`, and reports the number, its step count and the
 * highest value reached through a ring buffer — discarding the reservation when the number
 * needed fewer than {@link MIN_STEPS} steps, so the reader sees only the long ones.
 *
 *     node --import tsx examples/collatz-loop.ts 27 97 8 871
 *
 * Runs in the interpreter always, and in the kernel (BPF_PROG_TEST_RUN) as root; both print the
 * events they produced.
 *
 * The C equivalent:
 *
 *     static __noinline u64 collatz_step(u64 n) { return n & 1 ? 3 * n + 1 : n >> 1; }
 *     static long one_step(u64 i, void *ctx) {
 *       u32 zero = 0; struct state *s = bpf_map_lookup_elem(&state, &zero);
 *       if (!s || s->n <= 1) return 1;
 *       s->n = collatz_step(s->n); s->steps++; if (s->n > s->peak) s->peak = s->n;
 *       return 0;
 *     }
 *     …  bpf_loop(1000, one_step, NULL, 0);
 *        struct event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
 *        if (ev) { …; if (st.steps < MIN_STEPS) bpf_ringbuf_discard(ev, 0); else bpf_ringbuf_submit(ev, 0); }
 */
import { pathToFileURL } from 'node:url';
import { compile, loadCompiled, program, simulate, u32, u64, type CompiledProgram } from '../src/dsl/index.js';
import { RingBuffer } from '../src/readers/index.js';
import { struct, type Infer } from '../src/types/index.js';
import { progTestRun } from '../syscalls/prog-test-run.js';
import { RingbufMap } from '../verifier-sim/index.js';

/** Numbers needing fewer steps than this are not reported. */
export const MIN_STEPS = 20;
/** Most steps counted. */
export const MAX_STEPS = 1000;

/** What the reader receives. */
export const CollatzEvent = struct('collatz_event', { start: u32, steps: u32, peak: u64 });
/** A decoded {@link CollatzEvent}. */
export type CollatzEvent = Infer<typeof CollatzEvent>;

const State = struct('collatz_state', { n: u64, peak: u64, steps: u32 });

/** The XDP program. */
export function collatzProgram(): CompiledProgram {
  return compile(program('collatz', 'xdp', ($, ctx) => {
    const events = $.ringbuf('events', { size: 1 << 14 });
    const step = $.func('collatz_step', [u64], u64, ($, n) => {
      const next = $.let(u64, n.shr(1n));
      $.if(n.and(1n).eq(1n), () => next.set(n.mul(3n).add(1n)));
      return next;
    });
    // The loop's state lives in a per-CPU array value rather than on the stack: the verifier
    // tracks stack values exactly, and a value that steers branches (n here) would keep the
    // callback's states from converging; map values it does not track.
    const state = $.percpuArray('state', State, { maxEntries: 1 });
    $.ifPacket(ctx, 0, 4, (p) => {
      const start = $.let(u32, p.u32be(0));
      $.ifSome(state.lookup(0), (st) => {
        st.field('n').set(start.cast(u64));
        st.field('peak').set(start.cast(u64));
        st.field('steps').set(0);
      });
      $.loop(MAX_STEPS, () => {
        $.ifSome(state.lookup(0), (s) => {
          $.if(s.field('n').get().le(1n), () => $.break());
          const next = $.let(u64, step.call(s.field('n').get()));
          s.field('n').set(next);
          s.field('steps').set(s.field('steps').get().add(1));
          $.if(next.gt(s.field('peak').get()), () => s.field('peak').set(next));
        }, () => $.break());
      });
      $.ifSome(state.lookup(0), (st) => {
        $.ifSome(events.reserve(CollatzEvent), (ev, record) => {
          const steps = $.let(u32, st.field('steps').get());
          ev.field('start').set(start);
          ev.field('steps').set(steps);
          ev.field('peak').set(st.field('peak').get());
          $.if(steps.lt(MIN_STEPS), () => record.discard());
        });
      });
    });
    return 2; // XDP_PASS
  }));
}

/** A packet carrying `n`. */
export function collatzPacket(n: number): Uint8Array {
  const data = new Uint8Array(64);
  new DataView(data.buffer).setUint32(0, n >>> 0, false);
  return data;
}

/** Runs the program on packets carrying `numbers`, in the kernel; the events read back. */
export function runInKernel(compiled: CompiledProgram, numbers: readonly number[]): CollatzEvent[] {
  using loaded = loadCompiled(compiled);
  const reader = RingBuffer.create(loaded.mapFds.events, { decode: (dv) => CollatzEvent.decode(dv) });
  try {
    for (const n of numbers) progTestRun({ progFd: loaded.progFd, dataIn: collatzPacket(n) });
    const out: CollatzEvent[] = [];
    for (let e = reader.read(); e !== undefined; e = reader.read()) out.push(e);
    return out;
  } finally {
    reader.close();
  }
}

/** Runs the program on packets carrying `numbers` in the interpreter; the events its ring buffer holds. */
export function runInInterpreter(compiled: CompiledProgram, numbers: readonly number[]): CollatzEvent[] {
  const sim = simulate(compiled);
  for (const n of numbers) sim.run({ data: collatzPacket(n) });
  const ring = sim.maps.events;
  if (!(ring instanceof RingbufMap)) throw new TypeError('collatz: the simulated events map is not a ring buffer');
  return ring.consume().map((b) => CollatzEvent.decode(new DataView(b.buffer, b.byteOffset, b.byteLength)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const numbers = process.argv.slice(2).map(Number);
  const input = numbers.length > 0 ? numbers : [27, 97, 8, 871, 6171];
  const compiled = collatzProgram();
  console.log(`${compiled.name}: ${compiled.insns.length} instructions, functions: ${compiled.subprograms!.map((f) => `${f.name} at ${f.insn}`).join(', ')}`);
  const show = (where: string, events: readonly CollatzEvent[]) => {
    console.log(`${where}:`);
    for (const e of events) console.log(`  ${String(e.start).padStart(10)}  steps ${String(e.steps).padStart(4)}  peak ${e.peak}`);
  };
  show(`interpreter (numbers with at least ${MIN_STEPS} steps)`, runInInterpreter(compiled, input));
  if (process.getuid?.() !== 0) console.log(`kernel: skipped (not root: uid ${process.getuid?.() ?? '?'})`);
  else show(`kernel (numbers with at least ${MIN_STEPS} steps)`, runInKernel(compiled, input));
}
