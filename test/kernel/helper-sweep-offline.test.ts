/**
 * The helper sweep of dsl-helper-call.test.ts seen offline: for every helper `$.callHelper` can
 * call with synthesized arguments in a plain program type, the offline verifier must give the
 * live kernel's verdict and, for a rejection, its first error line. The interpreter then runs
 * each accepted program once; the helpers it does not simulate are listed (and counted, so a
 * regression shows). Both comparisons need a kernel whose verifier speaks verifier-sim's 6.18
 * dialect (`verifierDialectMissing`): older ones differ in helper prototypes and messages.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { helpers } from 'ebpf-bytecode-utils';
import { loadCompiled, simulate, type CompiledProgram } from '../../src/dsl/index.js';
import { VerifierError } from '../../src/programs/verifier-error.js';
import { verifierLogFacts } from '../../src/programs/verifier-log.js';
import { InterpreterError } from '../../verifier-sim/interpreter/index.js';
import { sweepProgram } from '../support/helper-call-args.js';
import { kernelTest } from '../support/kernel.js';
import { verifierDialectMissing } from '../support/kernel-lacks.js';
import { Add, Call, Exit, JNE, Label, LoadMapPtr, Mov, R0, R1, R2, R3, R4, R10, Size, StoreImm, encode, helperByName, mapType, programType, resolve, type Instruction, type ProgramItem } from 'ebpf-bytecode-utils';
import { progLoad } from '../../syscalls/prog-load.js';
import { closeFd } from '../../syscalls/close-fd.js';
import { mapCreate } from '../../syscalls/map-create.js';
import { SyscallError } from '../../syscalls/errors.js';
import { verify } from '../../verifier-sim/verifier/index.js';
import { kernelErrorLine } from '../../bench/verifier-kernel-log.js';

const test = suite('helper sweep: offline verifier and interpreter vs kernel');

/** The kernel's verdict on `c`: null when it loads, else its first error line. */
function kernelVerdict(c: CompiledProgram): string | null {
  try {
    loadCompiled(c).close();
    return null;
  } catch (e) {
    if (e instanceof VerifierError) return e.error;
    const log = (e as { log?: string }).log;
    const error = log === undefined ? undefined : verifierLogFacts(log).error;
    if (error === undefined) throw e;
    return error;
  }
}

/**
 * Helpers this machine's kernel refuses for reasons of its configuration, which a verifier
 * without the kernel's config cannot see: there the offline verifier accepts (as a kernel with
 * the feature would), and the sweep only checks that the kernel's refusal is the expected one.
 */
const CONFIG_REFUSALS: Readonly<Record<string, string>> = {
  bpf_probe_write_user: 'program of this type cannot use helper bpf_probe_write_user#36', // kernel lockdown (KERNEL.md)
  bpf_override_return: 'program of this type cannot use helper bpf_override_return#58', // CONFIG_BPF_KPROBE_OVERRIDE off
};

kernelTest(test, 'every swept helper: offline verdict and first error line = the kernel\'s; interpreter coverage listed', async () => {
  let swept = 0;
  let accepted = 0;
  const disagreements: string[] = [];
  const notSimulated: string[] = [];
  const interpreterErrors: string[] = [];
  for (const h of helpers) {
    const s = sweepProgram(h);
    if (s === undefined) continue;
    swept++;
    const kernel = kernelVerdict(s.compiled);
    const offline = await s.program.verify();
    const offlineError = offline.verdict === 'accept' ? null : offline.error;
    const configRefusal = CONFIG_REFUSALS[h.name];
    if (configRefusal !== undefined && offlineError === null) {
      if (kernel !== null) assert.is(kernel, configRefusal, `${h.name}: this kernel's refusal`);
      continue;
    }
    if (kernel !== offlineError) disagreements.push(`${h.name} (${s.progType}): kernel ${kernel ?? 'accepts'}, offline ${offlineError ?? 'accepts'}`);
    if (kernel !== null || offlineError !== null) continue;
    accepted++;
    try {
      simulate(s.compiled).run({ data: new Uint8Array(64) });
    } catch (e) {
      if (e instanceof InterpreterError && e.kind === 'unknown_helper') notSimulated.push(h.name);
      else interpreterErrors.push(`${h.name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  console.log(`  swept ${swept} helpers; both accept ${accepted}; verdict disagreements ${disagreements.length}`);
  for (const d of disagreements) console.log(`    disagreement: ${d}`);
  console.log(`  interpreter runs ${accepted - notSimulated.length - interpreterErrors.length} of ${accepted}; not simulated (${notSimulated.length}): ${notSimulated.join(', ')}`);
  for (const e of interpreterErrors) console.log(`    interpreter error: ${e}`);
  assert.ok(swept >= 90, `swept ${swept}`);
  assert.equal(disagreements, [], 'offline verifier agrees with the kernel on every swept helper');
  assert.equal(interpreterErrors, [], 'the interpreter runs or names as not simulated every accepted helper');
  // a ratchet: 60 of 98 on Linux 6.18 when this was written (33 before the packet, checksum, string, namespace and cgroup helpers)
  assert.ok(accepted - notSimulated.length >= 60, `interpreter simulates ${accepted - notSimulated.length} swept helpers`);
}, verifierDialectMissing);

const STRTOL = helperByName('bpf_strtol')!.id;
const MAP_LOOKUP = helperByName('bpf_map_lookup_elem')!.id;
/** `bpf_strtol(fp-32, 8, 0, <res in R4>)` with `res` set by `resInsns`, returning R0. */
function strtolWith(...resInsns: ProgramItem[]): Instruction[] {
  return resolve([StoreImm(R10, -32, 0x3231, Size.DW), ...resInsns, Mov.reg(R1, R10), Add.imm(R1, -32), Mov.imm(R2, 8), Mov.imm(R3, 0), Call.helper(STRTOL), Exit()]).instructions;
}
/** R4 = a pointer `off` bytes into the value of `maps[0]` (an array of 16-byte values), or return 0 when the lookup fails. */
const valueAt = (off: number): ProgramItem[] => [StoreImm(R10, -4, 0, Size.W), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapPtr(R1, 0), Call.helper(MAP_LOOKUP), JNE.imm(R0, 0, 'found'), Exit(), Label('found'), Mov.reg(R4, R0), Add.imm(R4, off)];

/** Fixed-size memory arguments (`bpf_strtol`'s `long *res`: 8 bytes, `MEM_ALIGNED`) placed well and badly. */
const fixedCases: readonly { readonly name: string; readonly insns: Instruction[]; readonly map?: boolean }[] = [
  { name: 'res on the stack, aligned', insns: strtolWith(Mov.reg(R4, R10), Add.imm(R4, -8)) },
  { name: 'res on the stack, misaligned', insns: strtolWith(Mov.reg(R4, R10), Add.imm(R4, -12)) },
  { name: 'res past the top of the stack', insns: strtolWith(Mov.reg(R4, R10), Add.imm(R4, -4)) },
  { name: 'res below the stack', insns: strtolWith(Mov.reg(R4, R10), Add.imm(R4, -520)) },
  { name: 'res in a map value, aligned', insns: strtolWith(...valueAt(8)), map: true },
  { name: 'res in a map value, misaligned', insns: strtolWith(...valueAt(4)), map: true },
  { name: 'res past the end of a map value', insns: strtolWith(...valueAt(12)), map: true },
  { name: 'res a scalar', insns: strtolWith(Mov.imm(R4, 0)) },
  { name: 'res the context', insns: resolve([Mov.reg(R4, R1), StoreImm(R10, -32, 0x3231, Size.DW), Mov.reg(R1, R10), Add.imm(R1, -32), Mov.imm(R2, 8), Mov.imm(R3, 0), Call.helper(STRTOL), Exit()]).instructions },
];

kernelTest(test, 'fixed-size memory arguments: offline verdict and first error line = the kernel\'s', () => {
  const map = { type: 'array', keySize: 4, valueSize: 16, maxEntries: 1, flags: 0 } as const;
  for (const c of fixedCases) {
    let kernel: string | null;
    const fd = c.map === true ? mapCreate({ mapType: mapType(map.type), keySize: map.keySize, valueSize: map.valueSize, maxEntries: map.maxEntries, mapFlags: 0 }) : -1;
    const insns = c.insns.map((i) => (i.code === 0x18 && i.src === 1 && typeof i.imm === 'bigint' ? { ...i, imm: BigInt(fd) } : i));
    try {
      const r = progLoad({ progType: programType('socket_filter'), insns: encode(insns), license: 'GPL', logLevel: 1, logSize: 1 << 20 });
      closeFd(r.fd);
      kernel = null;
    } catch (e) {
      if (!(e instanceof SyscallError) || e.log === undefined) throw e;
      kernel = kernelErrorLine(e.log, c.insns);
    } finally {
      if (fd >= 0) closeFd(fd);
    }
    const ours = verify(c.insns, { progType: 'socket_filter', license: 'GPL', ...(c.map === true ? { maps: [map] } : {}) });
    assert.is(ours.verdict === 'accept' ? null : ours.error, kernel, c.name);
  }
}, verifierDialectMissing);

test.run();
