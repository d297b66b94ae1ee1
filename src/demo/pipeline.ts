/**
 * The pipeline demo (`npm run demo`, `tsbpf demo`), end to end. A packet counter written in the TypeScript eDSL is
 * compiled to eBPF; its instructions are printed in the kernel's and LLVM's syntax and
 * assembled back to the same bytes; the offline verifier checks it; the interpreter runs it on
 * synthetic frames; then — when this process may use bpf() — the running kernel loads it (its
 * verifier must agree), runs the same frames with BPF_PROG_TEST_RUN, and its map must hold the
 * interpreter's counts. Exits 1 if any stage disagrees.
 * @module
 */

import { assemble, bytesToHex, disassembleKernel, disassembleLlvm, encode, pseudoImmName, resolve } from 'ebpf-bytecode-utils';
import { verify } from '../../verifier-sim/index.js';
import { compile, dump, loadCompiled, simulate } from '../dsl/index.js';
import { countProtocols, countsText, demoFrames as frames } from './count-protocols.js';
import { MapElemAccess, progTestRun, SyscallError } from '../../syscalls/index.js';

/**
 * Runs the demo, writing each line through `log`; resolves to 0 when every stage agrees, 1 when one
 * disagrees. The kernel stage is skipped (with the reason) when bpf() is not permitted.
 */
export async function runPipelineDemo(log: (line: string) => void): Promise<number> {
  let failed = false;
  const section = (title: string) => log(`\n== ${title}`);
  const check = (ok: boolean, what: string) => {
    log(`${ok ? 'ok' : 'MISMATCH'}: ${what}`);
    if (!ok) failed = true;
  };
  const compiled = compile(countProtocols);
  section(`${compiled.name}: ${compiled.progType}, ${compiled.insns.length} instructions, maps ${compiled.maps.map((m) => `${m.name} (${m.type} ${m.keySize}→${m.valueSize} × ${m.maxEntries})`).join(', ')}`);
  log(dump(compiled));

  section('text round trip');
  const byIndex = resolve(compiled.insns, { maps: Object.fromEntries(compiled.maps.map((m, i) => [m.name, i])) }).instructions;
  const bytes = encode(byIndex);
  // The kernel prints a map reference as a bare number; bpftool's names (map[fd:N]) keep its kind.
  const kernelText = disassembleKernel(byIndex, { immName: pseudoImmName }).join('\n');
  const llvmText = disassembleLlvm(byIndex).join('\n');
  check(bytesToHex(encode(assemble(kernelText).instructions)) === bytesToHex(bytes), 'kernel-syntax text assembles back to the same bytes');
  check(bytesToHex(encode(assemble(llvmText).instructions)) === bytesToHex(bytes), 'LLVM-syntax text assembles back to the same bytes');

  section('offline verifier (verifier-sim)');
  const offline = verify(byIndex, { progType: compiled.progType, license: compiled.license, maps: compiled.maps, logLevel: 1 });
  log(`${offline.verdict}${offline.error === null ? '' : `: ${offline.error}`}; ${offline.log.trim().split('\n').at(-1)}`);
  check(offline.verdict === 'accept', 'the offline verifier accepts the program');

  section('interpreter');
  const sim = simulate(compiled);
  for (const f of frames) sim.run({ data: f });
  const simCounts = sim.maps.counts.entries().map(([k, v]): [number, bigint] => [new DataView(k.buffer, k.byteOffset).getUint32(0, true), new DataView(v.buffer, v.byteOffset).getBigUint64(0, true)]);
  log(`counts after ${frames.length} frames: ${countsText(simCounts)}`);

  section('the running kernel');
  try {
    using loaded = loadCompiled(compiled, { logLevel: 1 });
    const processed = /processed (\d+) insns/.exec(loaded.log)?.[1];
    log(`loaded (verifier accepted; processed ${processed} insns, offline: ${offline.processed})`);
    check(String(offline.processed) === processed, "the offline verifier's processed count equals the kernel's");
    for (const f of frames) progTestRun({ progFd: loaded.progFd, dataIn: f });
    const access = new MapElemAccess(loaded.mapFds.counts, 4, 8);
    const kernelCounts: [number, bigint][] = [];
    for (let first = true; access.next(first) === 0; first = false) {
      access.key.set(access.nextKey);
      if (access.lookup() === 0) kernelCounts.push([new DataView(access.key.buffer, access.key.byteOffset).getUint32(0, true), new DataView(access.value.buffer, access.value.byteOffset).getBigUint64(0, true)]);
    }
    log(`counts after BPF_PROG_TEST_RUN on the same frames: ${countsText(kernelCounts)}`);
    check(countsText(kernelCounts) === countsText(simCounts), 'the kernel and the interpreter count the same');
  } catch (error) {
    if (!(error instanceof SyscallError)) throw error;
    log(`not loaded: ${error.message}`);
    if (error.code !== 'EPERM' && error.code !== 'ENOSYS') failed = true;
  }
  return failed ? 1 : 0;
}
