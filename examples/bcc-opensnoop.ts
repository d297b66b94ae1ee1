/**
 * BCC's opensnoop on the BCC-style facade: the C program of BCC's tools/opensnoop.py (tracepoint
 * flavour), line for line in TypeScript. `sys_enter_openat` saves the filename pointer in
 * BPF_HASH `infotmp` keyed by pid_tgid; `sys_exit_openat` looks it up, submits an event with
 * the return value to BPF_PERF_OUTPUT `open_events`, and deletes the entry.
 *
 *     node --import tsx examples/bcc-opensnoop.ts [SECONDS]      # as root
 *
 * The C it translates:
 *
 *     BPF_HASH(infotmp, u64, struct val_t);
 *     BPF_PERF_OUTPUT(open_events);
 *     TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
 *       struct val_t val = {}; u64 id = bpf_get_current_pid_tgid();
 *       val.id = id; val.fname = args->filename; infotmp.update(&id, &val); return 0;
 *     }
 *     TRACEPOINT_PROBE(syscalls, sys_exit_openat) {
 *       u64 id = bpf_get_current_pid_tgid(); struct val_t *valp = infotmp.lookup(&id);
 *       if (valp == 0) return 0;
 *       struct data_t data = {}; data.pid = id >> 32; data.ret = args->ret;
 *       bpf_get_current_comm(&data.comm, sizeof(data.comm));
 *       bpf_probe_read_user_str(&data.fname, sizeof(data.fname), valp->fname);
 *       open_events.perf_submit(args, &data, sizeof(data)); infotmp.delete(&id); return 0;
 *     }
 */
import { pathToFileURL } from 'node:url';
import { BPF, BPF_HASH, BPF_PERF_OUTPUT } from '../src/bcc/index.js';
import { s32, u32, u64 } from '../src/dsl/index.js';
import { char, struct, type Infer } from '../src/types/index.js';

/** BCC's `struct val_t`. */
export const Val = struct('val_t', { id: u64, fname: u64 });
/** BCC's `struct data_t`. */
export const Data = struct('data_t', { pid: u32, ret: s32, comm: char(16), fname: char(255) });
/** A decoded event. */
export type Data = Infer<typeof Data>;

/** Loads and attaches opensnoop; close the result to detach. */
export function opensnoop() {
  return new BPF({
    tables: { infotmp: BPF_HASH(u64, Val), open_events: BPF_PERF_OUTPUT(Data) },
    functions: {
      tracepoint__syscalls__sys_enter_openat: ($, ctx, t) => {
        const id = $.let(u64, $.getCurrentPidTgid());
        const val = $.struct(Val, { id, fname: ctx.args.filename });
        t.infotmp.update(id, val);
        return 0;
      },
      tracepoint__syscalls__sys_exit_openat: ($, ctx, t) => {
        const id = $.let(u64, $.getCurrentPidTgid());
        $.ifSome(t.infotmp.lookup(id), (valp) => {
          const data = $.struct(Data, { pid: id.shr(32n).cast(u32), ret: ctx.args.ret.cast(s32) });
          $.getCurrentComm(data.field('comm'));
          $.probeReadUserStr(data.field('fname'), valp.field('fname').get());
          t.open_events.perf_submit(data);
          t.infotmp.delete(id);
        });
        return 0;
      },
    },
  });
}

/** One output line in BCC's layout: PID COMM FD ERR PATH. */
export function line(e: Data): string {
  const fd = e.ret >= 0 ? e.ret : -1;
  const err = e.ret >= 0 ? 0 : -e.ret;
  return `${String(e.pid).padEnd(6)} ${e.comm.padEnd(16)} ${String(fd).padStart(4)} ${String(err).padStart(3)} ${e.fname}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  using b = opensnoop();
  const events = b.get('open_events');
  events.open_perf_buffer((_cpu, data) => console.log(line(events.event(data))), { page_cnt: 64, lost_cb: (n) => console.error(`lost ${n} events`) });
  console.log('PID    COMM               FD ERR PATH');
  const end = Date.now() + Number(process.argv[2] ?? 5) * 1000;
  while (Date.now() < end) b.perf_buffer_poll(100);
}
