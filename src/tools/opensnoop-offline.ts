/**
 * opensnoop without a kernel: builds the same two programs as the live tool, prints their
 * disassembly, checks them with the offline verifier (verifier-sim), and runs them in the
 * interpreter on one synthetic `openat()` — the entry record, then the exit record with the new
 * fd — with the hash `infotmp` shared between the two runs as in the kernel. The event the exit
 * program sends is decoded and printed as the live tool prints it. `npm start` runs this when the
 * process cannot use bpf() or tracefs.
 * @module
 */

import { resolve } from 'ebpf-bytecode-utils';
import { createMap, Interpreter, verify, type PerfEventArrayMap, type SimMap } from '../../verifier-sim/index.js';
import { compile, type CompiledProgram } from '../dsl/compile.js';
import { dump } from '../dsl/dump.js';
import { OpenEvent, opensnoopPrograms, toRecord, type OpenEventRecord } from './opensnoop.js';
import { formatOpenHeader, formatOpenLine } from './opensnoop-format.js';
import { SYS_ENTER_OPENAT_FORMAT, SYS_EXIT_OPENAT_FORMAT } from './syscall-tracepoint-formats.js';

/** The synthetic `openat()` the offline run traces. */
export interface SyntheticOpen {
  /** Process id. */
  readonly pid: number;
  /** Thread id. */
  readonly tid: number;
  /** User id. */
  readonly uid: number;
  /** Task name. */
  readonly comm: string;
  /** The path passed to `openat`. */
  readonly path: string;
  /** The `open` flags. */
  readonly flags: number;
  /** The return value: a new fd, or `-errno`. */
  readonly ret: number;
}

/** The default synthetic open: `cat` opening `/etc/hostname` with `O_RDONLY|O_CLOEXEC`, fd 3. */
export const DEFAULT_SYNTHETIC_OPEN: SyntheticOpen = { pid: 4242, tid: 4242, uid: 1000, comm: 'cat', path: '/etc/hostname', flags: 0o2000000, ret: 3 };

/** What {@link runOpensnoopOffline} found. */
export interface OffineOpensnoopResult {
  /** Offline verifier verdict per program (`accept`, or `reject: <error>`). */
  readonly verdicts: Readonly<Record<string, string>>;
  /** The decoded events the exit program sent. */
  readonly events: readonly OpenEventRecord[];
}

/** User-space address the synthetic path lives at. */
const PATH_ADDRESS = 0x7ffd_1000_0000n;
/** `bpf_ktime_get_ns` at the entry run (the exit run is 1 ms later). */
const ENTER_NS = 1_000_000_000n;

function verdictOf(c: CompiledProgram): string {
  const index = Object.fromEntries(c.maps.map((m, i) => [m.name, i]));
  const r = verify(resolve(c.insns, { maps: index }).instructions, { progType: c.progType, license: c.license, maps: c.maps });
  return r.verdict === 'accept' ? `accept (${r.processed} insns processed)` : `reject: ${r.error ?? 'no error line'}`;
}

/**
 * Builds, disassembles, verifies and interprets opensnoop on `open`, writing a report through
 * `write`; returns the verdicts and decoded events.
 */
export function runOpensnoopOffline(write: (text: string) => void, open: SyntheticOpen = DEFAULT_SYNTHETIC_OPEN): OffineOpensnoopResult {
  const progs = opensnoopPrograms({ formats: { enter: SYS_ENTER_OPENAT_FORMAT, exit: SYS_EXIT_OPENAT_FORMAT } });
  const compiled = { enter: compile(progs.enter), exit: compile(progs.exit) };
  const verdicts: Record<string, string> = {};
  for (const c of [compiled.enter, compiled.exit]) {
    write(`\n== ${c.name}: ${c.progType} on syscalls:${c === compiled.enter ? 'sys_enter_openat' : 'sys_exit_openat'}, ${c.insns.length} instructions\n`);
    write(`${dump(c)}\n`);
    verdicts[c.name] = verdictOf(c);
    write(`offline verifier: ${verdicts[c.name]}\n`);
  }

  // One set of simulated maps for both programs, by name, like the kernel's shared infotmp.
  const shared = new Map<string, SimMap>();
  const interpreterOf = (c: CompiledProgram, ktimeNs: bigint) => {
    const maps = c.maps.map((m) => {
      let sim = shared.get(m.name);
      if (sim === undefined) {
        sim = createMap({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name, cpus: 1 });
        shared.set(m.name, sim);
      }
      return sim;
    });
    const insns = resolve(c.insns, { maps: Object.fromEntries(c.maps.map((m, i) => [m.name, i])) }).instructions;
    return new Interpreter(insns, {
      progType: c.progType,
      maps,
      env: {
        pidTgid: (BigInt(open.pid) << 32n) | BigInt(open.tid),
        uidGid: (BigInt(open.uid) << 32n) | BigInt(open.uid),
        comm: open.comm,
        ktimeNs,
        memory: [{ address: PATH_ADDRESS, bytes: new TextEncoder().encode(`${open.path}\0`) }],
      },
    });
  };
  const enterRecord = new Uint8Array(SYS_ENTER_OPENAT_FORMAT.size);
  const enter = new DataView(enterRecord.buffer);
  enter.setUint16(0, SYS_ENTER_OPENAT_FORMAT.id, true);
  enter.setInt32(4, open.tid, true);
  enter.setBigInt64(16, -100n, true); // AT_FDCWD
  enter.setBigUint64(24, PATH_ADDRESS, true);
  enter.setBigUint64(32, BigInt(open.flags), true);
  const exitRecord = new Uint8Array(SYS_EXIT_OPENAT_FORMAT.size);
  const exit = new DataView(exitRecord.buffer);
  exit.setUint16(0, SYS_EXIT_OPENAT_FORMAT.id, true);
  exit.setInt32(4, open.tid, true);
  exit.setBigInt64(16, BigInt(open.ret), true);

  write(`\n== interpreter: ${open.comm} (pid ${open.pid}) opens ${open.path} (flags 0${open.flags.toString(8)}) → ${open.ret}\n`);
  const r1 = interpreterOf(compiled.enter, ENTER_NS).run({ ctx: enterRecord });
  const r2 = interpreterOf(compiled.exit, ENTER_NS + 1_000_000n).run({ ctx: exitRecord });
  write(`${compiled.enter.name} returned ${r1.retval}, ${compiled.exit.name} returned ${r2.retval}\n`);
  const records = (shared.get('events') as PerfEventArrayMap).records();
  const events = records.map((rec) => toRecord(OpenEvent.decode(rec.data), ENTER_NS));
  write(`events sent: ${events.length}; infotmp entries left: ${shared.get('infotmp')?.entries().length ?? 0}\n\n`);
  write(formatOpenHeader({ timestamp: true, uid: true, tid: false, flags: true }));
  for (const e of events) write(formatOpenLine(e, { timestamp: true, uid: true, tid: false, flags: true }));
  for (const e of events) write(`${JSON.stringify(e)}\n`);
  return { verdicts, events };
}
