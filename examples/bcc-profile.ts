/**
 * A CPU profiler through the BCC-style facade (BCC's tools/profile.py, reduced): a perf_event
 * program on the cpu-clock of every CPU counts samples by process and kernel stack in a
 * BPF_HASH keyed by a struct; stacks live in a BPF_STACK_TRACE and are printed with `ksym`.
 * The C it translates:
 *
 *     struct key_t { u32 pid; int kernel_stack_id; char comm[16]; };
 *     BPF_HASH(counts, struct key_t);
 *     BPF_STACK_TRACE(stack_traces, 16384);
 *     int do_perf_event(struct bpf_perf_event_data *ctx) {
 *       struct key_t key = {}; key.pid = bpf_get_current_pid_tgid() >> 32;
 *       key.kernel_stack_id = stack_traces.get_stackid(&ctx->regs, 0);
 *       bpf_get_current_comm(&key.comm, sizeof(key.comm));
 *       counts.increment(key); return 0;
 *     }
 *     b.attach_perf_event(ev_type=PerfType.SOFTWARE, ev_config=PerfSWConfig.CPU_CLOCK,
 *                         fn_name="do_perf_event", sample_freq=99)
 *
 *     node --import tsx examples/bcc-profile.ts [SECONDS]     # as root
 */
import { pathToFileURL } from 'node:url';
import { BPF, BPF_HASH, BPF_STACK_TRACE } from '../src/bcc/index.js';
import { s32, u32 } from '../src/dsl/index.js';
import { char, struct } from '../src/types/index.js';

/** BCC's `struct key_t`. */
export const Key = struct('key_t', { pid: u32, kernel_stack_id: s32, comm: char(16) });

/** Loads the profiler and starts sampling every CPU `frequency` times a second. */
export function profile(frequency = 99) {
  const b = new BPF({
    tables: { counts: BPF_HASH(Key), stack_traces: BPF_STACK_TRACE(16384) },
    functions: {
      do_perf_event: {
        perf_event: ($, _ctx, t) => {
          const key = $.struct(Key, { pid: $.getCurrentPidTgid().shr(32n).cast(u32), kernel_stack_id: t.stack_traces.get_stackid(0).cast(s32) });
          $.getCurrentComm(key.field('comm'));
          t.counts.increment(key);
          return 0;
        },
      },
    },
  });
  try {
    b.attach_perf_event({ fn_name: 'do_perf_event', sample_freq: frequency });
  } catch (err) {
    b.close();
    throw err;
  }
  return b;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  using b = profile();
  await new Promise((r) => setTimeout(r, Number(process.argv[2] ?? 5) * 1000));
  const stacks = b.get('stack_traces');
  const rows = b.get('counts').items().sort((x, y) => Number(y[1] - x[1])).slice(0, 20);
  for (const [k, n] of rows) {
    for (const ip of stacks.walk(k.kernel_stack_id)) console.log(`    ${b.ksym(ip)}`);
    console.log(`    -                ${k.comm} (${k.pid})\n        ${n}\n`);
  }
}
