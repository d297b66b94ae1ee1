/**
 * A return-value probe through the BCC-style facade: a uretprobe on a user function reads its
 * return value with `PT_REGS_RC` and the address it returns to with `PT_REGS_IP`, and sends
 * `{pid, ret, ip}` through BPF_RINGBUF_OUTPUT (`b.sym(ip, pid)` names the caller). The C it
 * translates:
 *
 *     struct ret_t { u32 pid; s64 ret; u64 ip; };
 *     BPF_RINGBUF_OUTPUT(rets, 8);
 *     int on_return(struct pt_regs *ctx) {
 *       struct ret_t r = {}; r.pid = bpf_get_current_pid_tgid() >> 32; r.ret = PT_REGS_RC(ctx);
 *       r.ip = PT_REGS_IP(ctx);
 *       rets.ringbuf_output(&r, sizeof(r), 0); return 0;
 *     }
 *     b.attach_uretprobe(name=PATH, sym=SYMBOL, fn_name="on_return")
 *
 *     node --import tsx examples/bcc-retvals.ts PATH SYMBOL [SECONDS]     # as root
 */
import { pathToFileURL } from 'node:url';
import { BPF, BPF_RINGBUF_OUTPUT } from '../src/bcc/index.js';
import { s64, u32, u64 } from '../src/dsl/index.js';
import { struct, type Infer } from '../src/types/index.js';

/** One return. */
export const Ret = struct('ret_t', { pid: u32, ret: s64, ip: u64 });
/** A decoded return. */
export type Ret = Infer<typeof Ret>;

/** Loads the probe and attaches it to the return of `symbol` in `path` (all processes, or `pid`). */
export function retvals(path: string, symbol: string, pid = -1) {
  const b = new BPF({
    tables: { rets: BPF_RINGBUF_OUTPUT(Ret, 8) },
    functions: {
      on_return: {
        kprobe: ($, ctx, t) => {
          const r = $.struct(Ret, { pid: $.getCurrentPidTgid().shr(32n).cast(u32), ret: ctx.rc.cast(s64), ip: ctx.ip });
          t.rets.ringbuf_output(r);
          return 0;
        },
      },
    },
  });
  try {
    b.attach_uretprobe({ name: path, sym: symbol, fn_name: 'on_return', pid });
  } catch (err) {
    b.close();
    throw err;
  }
  return b;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [path, symbol, seconds] = process.argv.slice(2);
  if (path === undefined || symbol === undefined) throw new Error('usage: bcc-retvals.ts PATH SYMBOL [SECONDS]');
  using b = retvals(path, symbol);
  const rets = b.get('rets');
  rets.open_ring_buffer((_ctx, data) => { const r = rets.event(data); console.log(`${r.pid} ${symbol} returned ${r.ret} to ${b.sym(r.ip, r.pid, false, true)}`); });
  const end = Date.now() + Number(seconds ?? 5) * 1000;
  while (Date.now() < end) b.ring_buffer_poll(100);
}
