/**
 * BCC's KRETFUNC_PROBE on the openat syscall wrapper, through the BCC-style facade: at the
 * return of `__x64_sys_openat` (fexit), read the user's arguments from the *inner* `struct
 * pt_regs` the wrapper received (PT_REGS_PARM1/PARM2 of those registers: dfd and the filename
 * pointer) and the return value, and send them through BPF_PERF_OUTPUT. Needs fexit (Linux
 * 5.5+, ftrace function hooks allowed): the development machine refuses it, the test VM runs it
 * (test/vm/bcc-probes.test.ts). The C it translates:
 *
 *     struct event_t { u32 pid; int dfd; long ret; char path[64]; };
 *     BPF_PERF_OUTPUT(events);
 *     KRETFUNC_PROBE(__x64_sys_openat, struct pt_regs *regs, long ret) {
 *       struct event_t ev = {}; ev.pid = bpf_get_current_pid_tgid() >> 32;
 *       ev.dfd = PT_REGS_PARM1_CORE(regs); ev.ret = ret;
 *       bpf_probe_read_user_str(&ev.path, sizeof(ev.path), (void *)PT_REGS_PARM2_CORE(regs));
 *       events.perf_submit(ctx, &ev, sizeof(ev)); return 0;
 *     }
 *
 *     node --import tsx examples/bcc-kretfunc-openat.ts [SECONDS]     # as root, kernel with fexit
 */
import { pathToFileURL } from 'node:url';
import { BPF, BPF_PERF_OUTPUT } from '../src/bcc/index.js';
import { hostArch, ptRegsLayout } from '../src/dsl/pt-regs.js';
import { s32, s64, u32, u64 } from '../src/dsl/index.js';
import { char, struct, type Infer } from '../src/types/index.js';

/** BCC's `struct event_t`. */
export const OpenEvent = struct('event_t', { pid: u32, dfd: s32, ret: s64, path: char(64) });
/** A decoded event. */
export type OpenEvent = Infer<typeof OpenEvent>;

/** Loads the fexit probe and attaches it (the name's `kretfunc__` prefix does that). */
export function kretfuncOpenat() {
  const inner = ptRegsLayout(hostArch()).syscallParm; // PT_REGS_PARMn_SYSCALL offsets in the inner regs
  return new BPF({
    tables: { events: BPF_PERF_OUTPUT(OpenEvent) },
    functions: {
      kretfunc____x64_sys_openat: ($, ctx, t) => {
        const regs = $.let(u64, ctx.arg(0).cast(u64));
        const ev = $.struct(OpenEvent, {
          pid: $.getCurrentPidTgid().shr(32n).cast(u32),
          dfd: $.readKernel(u64, regs.add(BigInt(inner[0]))).cast(s32),
          ret: ctx.ret.cast(s64),
        });
        $.probeReadUserStr(ev.field('path'), $.readKernel(u64, regs.add(BigInt(inner[1]))));
        t.events.perf_submit(ev);
      },
    },
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  using b = kretfuncOpenat();
  const events = b.get('events');
  events.open_perf_buffer((_cpu, data) => { const e = events.event(data); console.log(`${e.pid} dfd=${e.dfd} ret=${e.ret} ${e.path}`); });
  const end = Date.now() + Number(process.argv[2] ?? 5) * 1000;
  while (Date.now() < end) b.perf_buffer_poll(100);
}
