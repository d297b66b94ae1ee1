/**
 * BCC's opensnoop, written out in the tsbpf eDSL: `sys_enter_openat` saves the filename pointer
 * in a BPF_HASH `infotmp` keyed by pid_tgid; `sys_exit_openat` looks it up, reads the path, and
 * submits an event with the return value to BPF_PERF_OUTPUT `open_events`, then deletes the
 * entry. (`tsbpf opensnoop` is the full tool, with filters and --json: src/tools/opensnoop.ts.)
 *
 *     node --import tsx examples/opensnoop.ts [SECONDS]
 *
 * As root: loads both programs, attaches them, prints PID COMM FD ERR PATH for SECONDS (default
 * 5) or until Ctrl-C. Without root: prints the disassembly and runs both programs in the
 * interpreter on a synthetic open of /etc/hostname, printing the decoded event.
 *
 * The C equivalent (BCC):
 *
 *     struct val_t { u64 id; const char *fname; };
 *     struct data_t { u32 pid; int ret; char comm[TASK_COMM_LEN]; char fname[NAME_MAX]; };
 *     BPF_HASH(infotmp, u64, struct val_t);
 *     BPF_PERF_OUTPUT(open_events);
 *     TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
 *       struct val_t val = {}; u64 id = bpf_get_current_pid_tgid();
 *       val.id = id; val.fname = args->filename;
 *       infotmp.update(&id, &val); return 0;
 *     }
 *     TRACEPOINT_PROBE(syscalls, sys_exit_openat) {
 *       u64 id = bpf_get_current_pid_tgid(); struct val_t *valp = infotmp.lookup(&id);
 *       if (valp == 0) return 0;
 *       struct data_t data = {}; data.pid = id >> 32; data.ret = args->ret;
 *       bpf_get_current_comm(&data.comm, sizeof(data.comm));
 *       bpf_probe_read_user_str(&data.fname, sizeof(data.fname), valp->fname);
 *       open_events.perf_submit(args, &data, sizeof(data));
 *       infotmp.delete(&id); return 0;
 *     }
 */
import { pathToFileURL } from 'node:url';
import { compile, dump, loadProgramSet, s32, simulate, tracepointProgram, u32, u64, type Program } from '../src/dsl/index.js';
import { char, struct, type Infer } from '../src/types/index.js';
import { parseTracepointFormat, type TracepointFormat } from '../src/tracefs/index.js';

/** BCC's `struct val_t`. */
export const Val = struct('val_t', { id: u64, fname: u64 });
/** BCC's `struct data_t`. */
export const Data = struct('data_t', { pid: u32, ret: s32, comm: char(16), fname: char(255) });
/** A decoded event. */
export type Data = Infer<typeof Data>;

/** Builds both programs (formats from tracefs unless given). */
export function buildOpensnoop(formats: { enter?: TracepointFormat; exit?: TracepointFormat } = {}): { enter: Program<'tracepoint'>; exit: Program<'tracepoint'> } {
  const enter = tracepointProgram('syscalls', 'sys_enter_openat', ($, ctx) => {
    const infotmp = $.hash('infotmp', u64, Val, { maxEntries: 10240 });
    const id = $.let(u64, $.getCurrentPidTgid());
    const val = $.struct(Val, { id, fname: ctx.args.filename });
    infotmp.update(id, val);
    return 0;
  }, { name: 'trace_entry', ...(formats.enter === undefined ? {} : { format: formats.enter }) });
  const exit = tracepointProgram('syscalls', 'sys_exit_openat', ($, ctx) => {
    const infotmp = $.hash('infotmp', u64, Val, { maxEntries: 10240 });
    const openEvents = $.perfEventArray('open_events');
    const id = $.let(u64, $.getCurrentPidTgid());
    $.ifSome(infotmp.lookup(id), (valp) => {
      const data = $.struct(Data, { pid: id.shr(32n).cast(u32), ret: ctx.args.ret.cast(s32) });
      $.getCurrentComm(data.field('comm'));
      $.probeReadUserStr(data.field('fname'), valp.field('fname').get());
      openEvents.output(data);
      infotmp.delete(id);
    });
    return 0;
  }, { name: 'trace_return', ...(formats.exit === undefined ? {} : { format: formats.exit }) });
  return { enter, exit };
}

/** One output line in BCC's layout. */
export function line(e: Data): string {
  const fd = e.ret >= 0 ? e.ret : -1;
  const err = e.ret >= 0 ? 0 : -e.ret;
  return `${String(e.pid).padEnd(6)} ${e.comm.padEnd(16)} ${String(fd).padStart(4)} ${String(err).padStart(3)} ${e.fname}`;
}

async function live(seconds: number): Promise<void> {
  const { attachTracepoint } = await import('../src/attach/index.js');
  const { PerfBuffer } = await import('../src/readers/index.js');
  const { enter, exit } = buildOpensnoop();
  using set = loadProgramSet([compile(enter), compile(exit)]);
  using reader = PerfBuffer.create(set.mapFds.open_events, { decode: (dv) => Data.decode(dv), pageCount: 64 });
  using _exit = attachTracepoint(set.progFds.trace_return, 'syscalls', 'sys_exit_openat');
  using _enter = attachTracepoint(set.progFds.trace_entry, 'syscalls', 'sys_enter_openat');
  console.log('PID    COMM               FD ERR PATH');
  reader.open((e) => console.log(line(e)), { lost: (n) => console.error(`lost ${n} events`) });
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, seconds * 1000);
    process.once('SIGINT', () => { clearTimeout(t); resolve(); });
  });
}

/** The 6.x layout of the two records, for building without access to tracefs. */
export function fallbackFormats(): { enter: TracepointFormat; exit: TracepointFormat } {
  const field = (decl: string, off: number, size: number, signed: number) => `\tfield:${decl};\toffset:${off};\tsize:${size};\tsigned:${signed};`;
  const common = [field('unsigned short common_type', 0, 2, 0), field('int common_pid', 4, 4, 1), field('int __syscall_nr', 8, 4, 1)];
  return {
    enter: parseTracepointFormat(['name: sys_enter_openat', 'ID: 0', 'format:', ...common, field('int dfd', 16, 8, 0), field('const char * filename', 24, 8, 0), field('int flags', 32, 8, 0), field('umode_t mode', 40, 8, 0)].join('\n')),
    exit: parseTracepointFormat(['name: sys_exit_openat', 'ID: 0', 'format:', ...common, field('long ret', 16, 8, 1)].join('\n')),
  };
}

/** The formats of this kernel, or (without access to tracefs) {@link fallbackFormats}. */
function formatsOrFallback(): { enter?: TracepointFormat; exit?: TracepointFormat } {
  try {
    buildOpensnoop();
    return {};
  } catch {
    return fallbackFormats();
  }
}

function offline(): void {
  const { enter, exit } = buildOpensnoop(formatsOrFallback());
  const e = compile(enter);
  const x = compile(exit);
  console.log(`sys_enter_openat (${e.insns.length} insns):\n${dump(e)}\n\nsys_exit_openat (${x.insns.length} insns):\n${dump(x)}\n`);
  // The interpreter: enter saves the entry, exit finds it in the same (copied) hash.
  const address = 0x7fff1000n;
  const env = { comm: 'cat', memory: [{ address, bytes: new TextEncoder().encode('/etc/hostname\0') }] };
  const rec = new Uint8Array(48);
  new DataView(rec.buffer).setBigUint64(24, address, true);
  const se = simulate(e, { env });
  se.run({ ctx: rec });
  const sx = simulate(x, { env });
  for (const [k, v] of se.maps.infotmp.entries()) sx.maps.infotmp.set(k, v);
  const ret = new Uint8Array(24);
  new DataView(ret.buffer).setBigInt64(16, 3n, true);
  sx.run({ ctx: ret });
  const perf = sx.maps.open_events as unknown as { records(): { data: Uint8Array }[] };
  console.log('PID    COMM               FD ERR PATH');
  for (const r of perf.records()) console.log(line(Data.decode(r.data)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const root = process.getuid?.() === 0;
  if (root) await live(Number(process.argv[2] ?? 5));
  else offline();
}
