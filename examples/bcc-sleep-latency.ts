/**
 * A log2 latency histogram through the BCC-style facade: how long `clock_nanosleep` calls take,
 * in microseconds, printed by `print_log2_hist` in BCC's layout. The C it translates:
 *
 *     BPF_HASH(start, u32, u64);
 *     BPF_HISTOGRAM(dist);
 *     TRACEPOINT_PROBE(syscalls, sys_enter_clock_nanosleep) {
 *       u32 tid = bpf_get_current_pid_tgid(); u64 ts = bpf_ktime_get_ns();
 *       start.update(&tid, &ts); return 0;
 *     }
 *     TRACEPOINT_PROBE(syscalls, sys_exit_clock_nanosleep) {
 *       u32 tid = bpf_get_current_pid_tgid(); u64 *tsp = start.lookup(&tid);
 *       if (tsp == 0) return 0;
 *       dist.increment(bpf_log2l((bpf_ktime_get_ns() - *tsp) / 1000));
 *       start.delete(&tid); return 0;
 *     }
 *
 *     node --import tsx examples/bcc-sleep-latency.ts [SECONDS]     # as root
 *
 * With `onlyListed`, only processes whose pid is a key of the `targets` hash are measured (the
 * test uses that to ignore the rest of the machine).
 */
import { pathToFileURL } from 'node:url';
import { BPF, BPF_HASH, BPF_HISTOGRAM } from '../src/bcc/index.js';
import { u32, u64, u8 } from '../src/dsl/index.js';

/** Loads and attaches the histogram. */
export function sleepLatency(options: { readonly onlyListed?: boolean } = {}) {
  return new BPF({
    tables: { targets: BPF_HASH(u32, u8, 64), start: BPF_HASH(u32, u64), dist: BPF_HISTOGRAM() },
    functions: {
      tracepoint__syscalls__sys_enter_clock_nanosleep: ($, _ctx, t) => {
        const id = $.let(u64, $.getCurrentPidTgid());
        const record = () => { t.start.update(id.cast(u32), $.ktimeGetNs()); };
        if (options.onlyListed) $.ifSome(t.targets.lookup(id.shr(32n).cast(u32)), record);
        else record();
        return 0;
      },
      tracepoint__syscalls__sys_exit_clock_nanosleep: ($, _ctx, t) => {
        const tid = $.let(u32, $.getCurrentPidTgid().cast(u32));
        $.ifSome(t.start.lookup(tid), (tsp) => {
          t.dist.increment($.log2l($.ktimeGetNs().sub(tsp.get()).div(1000n)));
          t.start.delete(tid);
        });
        return 0;
      },
    },
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  using b = sleepLatency();
  console.log('Tracing clock_nanosleep... Hit Ctrl-C to end.');
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, Number(process.argv[2] ?? 5) * 1000);
    process.once('SIGINT', () => { clearTimeout(t); resolve(); });
  });
  console.log();
  b.get('dist').print_log2_hist('usecs');
}
