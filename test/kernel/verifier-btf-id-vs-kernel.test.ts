/**
 * BTF-id pointers and kfunc calls: every row of the table in
 * `test/unit/verifier-btf-id.test.ts` (built from this machine's vmlinux BTF) is loaded with
 * `BPF_PROG_LOAD` at log level 1, and the kernel's verdict, first error line and log are
 * compared with `verify()` given the same BTF. Needs root, `bpf()` and
 * `/sys/kernel/btf/vmlinux`; skips with the reason otherwise.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { Call, Exit, LoadMem, Mov, R0, R1, R2, R6, Size, attachType, decodeBtf, encode, programType, resolve, type Btf, type Type } from 'ebpf-bytecode-utils';
import { verify } from '../../verifier-sim/verifier/index.js';
import { btfIdCases, btfIdRowLacks } from '../unit/verifier-btf-id.test.js';
import { firstMissing, verifierDialectMissing } from '../support/kernel-lacks.js';
import { kernelErrorLine } from '../../bench/verifier-kernel-log.js';
import { progLoad } from '../../syscalls/prog-load.js';
import { closeFd } from '../../syscalls/close-fd.js';
import { SyscallError } from '../../syscalls/errors.js';
import { kernelTest } from '../support/kernel.js';
import fc from 'fast-check';
import { numRuns } from '../support/num-runs.js';
import { plausibleBtfIdProgram } from '../../bench/verifier-btf-id-fuzz-program.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';
/**
 * Null when the comparisons can run: vmlinux BTF exists and the kernel's verifier speaks the
 * 6.18 dialect verifier-sim models ({@link verifierDialectMissing}; the BTF-id trust rules and
 * messages changed along with it, so on 6.12 and 6.1 every comparison would measure the
 * kernel's age).
 */
const lacksBtf = firstMissing(() => (existsSync(VMLINUX) ? null : `${VMLINUX} does not exist (kernel without CONFIG_DEBUG_INFO_BTF)`), verifierDialectMissing);

/** Where a tp_btf row attaches (`expected_attach_type`, `attach_btf_id`). */
interface Attach {
  readonly expectedAttachType?: string;
  readonly attachBtfId?: number;
}

/** Loads `insns` and returns whether the kernel accepted it, with its log at `level` (default 1). */
function kernelLoad(insns: Parameters<typeof encode>[0], progType: string, license: string, level = 1, attach: Attach = {}): { ok: boolean; log: string } {
  try {
    const r = progLoad({
      progType: programType(progType), insns: encode(insns), license, logLevel: level, logSize: level > 1 ? 1 << 22 : 1 << 16,
      ...(attach.expectedAttachType !== undefined ? { expectedAttachType: attachType(attach.expectedAttachType) } : {}),
      ...(attach.attachBtfId !== undefined ? { attachBtfId: attach.attachBtfId } : {}),
    });
    closeFd(r.fd);
    return { ok: true, log: r.log };
  } catch (e) {
    if (!(e instanceof SyscallError)) throw e;
    return { ok: false, log: (e as SyscallError & { log?: string }).log ?? '' };
  }
}

const suite = test;

kernelTest(
  suite,
  'verifier btf-id vs kernel: verdicts, first error lines and logs',
  () => {
    const btf = decodeBtf(readFileSync(VMLINUX));
    const rows = btfIdCases(btf).filter((r) => btfIdRowLacks(r, btf) === null);
    const wrong: string[] = [];
    let logsCompared = 0;
    const logsDiffering: string[] = [];
    for (const row of rows) {
      const license = row.license ?? 'GPL';
      const k = kernelLoad(row.insns, row.progType, license, 1, row);
      const kernelVerdict = k.ok ? 'accept' : 'reject';
      const kernelError = k.ok ? null : kernelErrorLine(k.log, row.insns);
      const s = verify(row.insns, { progType: row.progType, license, btf, logLevel: 1, expectedAttachType: row.expectedAttachType, attachBtfId: row.attachBtfId });
      if (kernelVerdict !== row.verdict || kernelError !== row.error) wrong.push(`table ${row.name}: kernel says ${kernelVerdict} ${kernelError ?? ''}`);
      if (s.verdict !== kernelVerdict || s.error !== kernelError) wrong.push(`verify ${row.name}: kernel ${kernelVerdict} ${kernelError ?? ''}, verify ${s.verdict} ${s.error ?? ''}`);
      logsCompared++;
      if (k.log !== s.log) logsDiffering.push(row.name);
    }
    console.log(`verifier btf-id vs kernel: ${rows.length} rows, ${rows.length - new Set(wrong.map((w) => w.split(':')[0].replace(/^\w+ /, ''))).size}/${rows.length} agree; level 1 logs identical for ${logsCompared - logsDiffering.length}/${logsCompared} rows`);
    assert.equal(wrong, []);
    assert.equal(logsDiffering, []);
    assert.ok(logsCompared >= rows.length / 2, `only ${logsCompared} of ${rows.length} logs compared`);
  },
  lacksBtf,
);

kernelTest(
  suite,
  'verifier btf-id vs kernel: level 2 logs (states on every line, the live-register table)',
  () => {
    const btf = decodeBtf(readFileSync(VMLINUX));
    const rows = btfIdCases(btf).filter((r) => btfIdRowLacks(r, btf) === null);
    const differing: string[] = [];
    let compared = 0;
    for (const row of rows) {
      const license = row.license ?? 'GPL';
      const k = kernelLoad(row.insns, row.progType, license, 2, row);
      // The stack-liveness trace (`(0) frame 0 insn 2 +written -8`) is not modelled.
      if (/^\(\d+\) (frame|live stack)/m.test(k.log)) continue;
      compared++;
      const s = verify(row.insns, { progType: row.progType, license, btf, logLevel: 2, expectedAttachType: row.expectedAttachType, attachBtfId: row.attachBtfId });
      if (k.log !== s.log) differing.push(row.name);
    }
    console.log(`verifier btf-id vs kernel: level 2 logs identical for ${compared - differing.length}/${compared} rows without stack-liveness lines (of ${rows.length})`);
    assert.equal(differing, []);
    assert.ok(compared >= rows.length / 2, `only ${compared} of ${rows.length} logs compared`);
  },
  lacksBtf,
);

/** The struct types behind the pointer members of `task_struct` (one per distinct struct), with each member's offset. */
function pointerMembers(btf: Btf, t: Type): { name: string; off: number; target: Type }[] {
  if (t.kind !== 'struct') return [];
  const seen = new Set<Type>();
  const out: { name: string; off: number; target: Type }[] = [];
  for (const m of t.members) {
    if (m.type.kind !== 'ptr' || m.bitfieldSize !== 0) continue;
    let target = m.type.target;
    while (target.kind === 'const' || target.kind === 'volatile' || target.kind === 'typedef' || target.kind === 'type_tag') target = target.target;
    if (target.kind !== 'struct' || seen.has(target) || target.size === 0) continue;
    seen.add(target);
    out.push({ name: m.name, off: m.bitOffset / 8, target });
  }
  return out;
}

kernelTest(
  suite,
  'verifier btf-id vs kernel: loads at every offset and size of task_struct and of the structs it points to',
  () => {
    const btf = decodeBtf(readFileSync(VMLINUX));
    const taskId = btf.idsByName('task_struct').find((i) => btf.kindOf(i) === 'struct')!;
    const taskT = btf.typeById(taskId);
    const sizes = [Size.B, Size.H, Size.W, Size.DW];
    const bytes = [1, 2, 4, 8];
    const programs: { what: string; items: Parameters<typeof resolve>[0] }[] = [];
    // task_struct itself: every 4th offset past its end, the load size turning 1, 2, 4, 8, 8, 4, 2, 1, …
    const sizeAt = (k: number) => [3, 2, 1, 0, 0, 1, 2, 3][k % 8];
    for (let off = 0, k = 0; off < (taskT as { size: number }).size + 8; off += 4, k++) {
      const i = sizeAt(k);
      programs.push({ what: `task_struct+${off}/${bytes[i]}`, items: [Call.helper(158), Mov.reg(R6, R0), LoadMem(R1, R6, off, sizes[i]), Mov.imm(R0, 0), Exit()] });
    }
    // One level down: the struct behind each pointer member (trusted, RCU or untrusted), first 64 bytes.
    for (const m of pointerMembers(btf, taskT)) {
      for (let off = 0, k = 0; off < Math.min(64, (m.target as { size: number }).size + 8); off += 4, k++) {
        const i = sizeAt(k);
        programs.push({ what: `${m.name}->+${off}/${bytes[i]}`, items: [Call.helper(158), Mov.reg(R6, R0), LoadMem(R1, R6, m.off, Size.DW), LoadMem(R2, R1, off, sizes[i]), Mov.imm(R0, 0), Exit()] });
      }
    }
    const wrong: string[] = [];
    let readable = 0;
    for (const { what, items } of programs) {
      const insns = resolve(items).instructions;
      const k = kernelLoad(insns, 'tracepoint', 'GPL');
      const kernelError = k.ok ? null : kernelErrorLine(k.log, insns);
      const s = verify(insns, { progType: 'tracepoint', btf });
      if (k.ok) readable++;
      if ((k.ok ? 'accept' : 'reject') !== s.verdict || kernelError !== s.error) wrong.push(`${what}: kernel ${kernelError ?? 'accept'}, verify ${s.error ?? 'accept'}`);
    }
    console.log(`verifier btf-id vs kernel: ${programs.length - wrong.length}/${programs.length} loads agree (${readable} readable)`);
    assert.equal(wrong.slice(0, 10), []);
  },
  lacksBtf,
);

kernelTest(
  suite,
  'verifier btf-id vs kernel: tp_btf context reads over a sample of the kernel tracepoints',
  () => {
    const btf = decodeBtf(readFileSync(VMLINUX));
    const traces: number[] = [];
    for (let id = 1; id < btf.typeCount; id++) if (btf.kindOf(id) === 'typedef' && btf.nameOf(id).startsWith('btf_trace_')) traces.push(id);
    // Every k-th tracepoint (about 120), plus the ones whose arguments may be NULL or errors.
    const step = Math.max(1, Math.floor(traces.length / 120));
    const sample = traces.filter((id, i) => i % step === 0 || ['btf_trace_sched_pi_setprio', 'btf_trace_mm_page_alloc', 'btf_trace_cachefiles_lookup', 'btf_trace_fib_table_lookup'].includes(btf.nameOf(id)));
    const wrong: string[] = [];
    let loads = 0;
    let readable = 0;
    for (const attachBtfId of sample) {
      for (let slot = 0; slot < 7; slot++) {
        for (const [size, deref] of [[Size.DW, false], [Size.W, false], [Size.DW, true]] as const) {
          const insns = resolve([LoadMem(R2, R1, slot * 8, size), ...(deref ? [LoadMem(R2, R2, 0, Size.B)] : []), Mov.imm(R0, 0), Exit()]).instructions;
          const attach = { expectedAttachType: 'trace_raw_tp', attachBtfId };
          const k = kernelLoad(insns, 'tracing', 'GPL', 1, attach);
          const kernelError = k.ok ? null : kernelErrorLine(k.log, insns);
          const v = verify(insns, { progType: 'tracing', btf, ...attach });
          loads++;
          if (k.ok) readable++;
          if ((k.ok ? 'accept' : 'reject') !== v.verdict || kernelError !== v.error) wrong.push(`${btf.nameOf(attachBtfId)} +${slot * 8}${deref ? ' deref' : ''}: kernel ${kernelError ?? 'accept'}, verify ${v.error ?? 'accept'}`);
        }
      }
    }
    console.log(`verifier btf-id vs kernel: tp_btf reads agree on ${loads - wrong.length}/${loads} (${sample.length} tracepoints, ${readable} accepted)`);
    assert.equal(wrong.slice(0, 10), []);
  },
  lacksBtf,
);

kernelTest(
  suite,
  'verifier btf-id vs kernel: random task-pointer and kfunc programs',
  () => {
    const btf = decodeBtf(readFileSync(VMLINUX));
    const samples = fc.sample(plausibleBtfIdProgram(btf), { numRuns: numRuns(300), seed: 20261207 });
    const wrong: string[] = [];
    let accepted = 0;
    for (const { progType, insns } of samples) {
      const k = kernelLoad(insns, progType, 'GPL');
      const kernelError = k.ok ? null : kernelErrorLine(k.log, insns);
      const s = verify(insns, { progType, btf });
      if (k.ok) accepted++;
      if ((k.ok ? 'accept' : 'reject') !== s.verdict || kernelError !== s.error) wrong.push(`${progType} ${Buffer.from(encode(insns)).toString('hex')}: kernel ${kernelError ?? 'accept'}, verify ${s.error ?? 'accept'}`);
    }
    console.log(`verifier btf-id vs kernel: random programs agree on ${samples.length - wrong.length}/${samples.length} (${accepted} accepted by the kernel)`);
    assert.equal(wrong.slice(0, 5), []);
  },
  lacksBtf,
);

test.run();
