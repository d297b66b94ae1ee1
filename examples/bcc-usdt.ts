/**
 * USDT probes through the BCC-style facade: prints every firing of a USDT probe with its
 * arguments as integers (like BCC's `trace.py 'u:PATH:PROBE "%d %d", arg1, arg2'`). The C it
 * translates, for a probe with two arguments:
 *
 *     struct usdt_args_t { u32 pid; u32 argc; s64 arg1, …, arg6; };
 *     BPF_RINGBUF_OUTPUT(firings, 8);
 *     int on_probe(struct pt_regs *ctx) {
 *       struct usdt_args_t a = {}; a.pid = bpf_get_current_pid_tgid() >> 32; a.argc = 2;
 *       bpf_usdt_readarg(1, ctx, &a.arg1); bpf_usdt_readarg(2, ctx, &a.arg2);
 *       firings.ringbuf_output(&a, sizeof(a), 0); return 0;
 *     }
 *     u = USDT(path=PATH)          # or USDT(pid=PID)
 *     u.enable_probe(probe=PROBE, fn_name="on_probe")
 *     b = BPF(text=…, usdt_contexts=[u])
 *
 * Each argument is read with its own size and sign (`-4@%edi` is an s32) and widened to s64.
 *
 *     node --import tsx examples/bcc-usdt.ts PATH|PID [PROVIDER:]PROBE [SECONDS]     # as root
 */
import { pathToFileURL } from 'node:url';
import { BPF, BPF_RINGBUF_OUTPUT, USDT, bpf_usdt_readarg } from '../src/bcc/index.js';
import { s64, u32 } from '../src/dsl/index.js';
import { struct, type Infer } from '../src/types/index.js';

/** One firing: the process and up to six arguments (those beyond `argc` are 0). */
export const Firing = struct('usdt_args_t', { pid: u32, argc: u32, arg1: s64, arg2: s64, arg3: s64, arg4: s64, arg5: s64, arg6: s64 });
/** A decoded firing. */
export type Firing = Infer<typeof Firing>;

const ARG_FIELDS = ['arg1', 'arg2', 'arg3', 'arg4', 'arg5', 'arg6'] as const;

/**
 * Loads the program for probe `probe` (`name` or `provider:name`) of `target` (a binary path, or
 * a pid to trace that process only) and attaches it to every site of the probe.
 */
export function usdtArgs(target: string | number, probe: string) {
  const u = new USDT(typeof target === 'number' ? { pid: target } : { path: target });
  u.enable_probe({ probe, fn_name: 'on_probe' });
  const argc = Math.min(6, u.enabled[0]!.sites[0]!.args.length);
  return new BPF({
    tables: { firings: BPF_RINGBUF_OUTPUT(Firing, 8) },
    functions: {
      on_probe: {
        kprobe: ($, ctx, t) => {
          const f = $.struct(Firing, { pid: $.getCurrentPidTgid().shr(32n).cast(u32), argc });
          for (let i = 0; i < argc; i++) f.field(ARG_FIELDS[i]!).set(bpf_usdt_readarg(i + 1, ctx).cast(s64));
          t.firings.ringbuf_output(f);
          return 0;
        },
      },
    },
    usdt_contexts: [u],
  });
}

/** A firing as one line: `pid probe arg1 arg2 …`. */
export function formatFiring(probe: string, f: Firing): string {
  return [String(f.pid), probe, ...ARG_FIELDS.slice(0, f.argc).map((k) => String(f[k]))].join(' ');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [target, probe, seconds] = process.argv.slice(2);
  if (target === undefined || probe === undefined) throw new Error('usage: bcc-usdt.ts PATH|PID [PROVIDER:]PROBE [SECONDS]');
  using b = usdtArgs(/^\d+$/.test(target) ? Number(target) : target, probe);
  const firings = b.get('firings');
  firings.open_ring_buffer((_ctx, data) => console.log(formatFiring(probe, firings.event(data))));
  const end = Date.now() + Number(seconds ?? 5) * 1000;
  while (Date.now() < end) b.ring_buffer_poll(100);
}
