/**
 * `npm start`: the main job. Builds a small socket filter with the instruction builders, prints
 * it in the kernel's and LLVM's syntax, assembles both texts back to the same bytes, and — when
 * this process may use bpf() — loads it into the running kernel (printing the verifier's
 * verdict) and runs it on synthetic packets with BPF_PROG_TEST_RUN.
 * @module
 */

import {
  And, Exit, JEq, JNE, Label, LoadAbs, Mov, ProgramTypes, R0, R1, R6, Size,
  assemble, bytesToHex, disassembleKernel, disassembleLlvm, encode, encodeProgram,
} from 'ebpf-bytecode-utils';
import { closeFd, progLoad, progTestRun, SyscallError } from '../syscalls/index.js';

/** Packet classifier: returns the IP protocol for IPv4 frames, 0 for anything else. */
const program = encodeProgram([
  Mov.reg(R6, R1), // LD_ABS reads the skb in R6
  LoadAbs(Size.H, 12), // EtherType
  JNE.imm(R0, 0x0800, 'not-ipv4'),
  LoadAbs(Size.B, 23), // IPv4 protocol
  And.imm(R0, 0xff),
  JEq.imm(R0, 0, 'not-ipv4'),
  Exit(),
  Label('not-ipv4'),
  Mov.imm(R0, 0),
  Exit(),
]);

function frame(etherType: number, protocol: number): Uint8Array {
  const bytes = new Uint8Array(64);
  bytes[12] = etherType >> 8;
  bytes[13] = etherType & 0xff;
  bytes[14] = 0x45; // IPv4, IHL 5
  bytes[23] = protocol;
  return bytes;
}

function section(title: string): void {
  console.log(`\n== ${title}`);
}

section('kernel syntax (what the verifier log prints)');
const kernelLines = disassembleKernel(program.instructions);
console.log(kernelLines.join('\n'));
section('LLVM syntax (what llvm-objdump -d prints)');
const llvmLines = disassembleLlvm(program.instructions);
console.log(llvmLines.join('\n'));
section('bytes');
console.log(bytesToHex(program.bytes, '\n'));

section('round trip');
const fromKernel = encode(assemble(kernelLines.join('\n')).instructions);
const fromLlvm = encode(assemble(llvmLines.join('\n')).instructions);
const same = (a: Uint8Array) => bytesToHex(a) === bytesToHex(program.bytes);
console.log(`assemble(kernel text) ${same(fromKernel) ? '=' : '≠'} bytes; assemble(LLVM text) ${same(fromLlvm) ? '=' : '≠'} bytes`);
if (!same(fromKernel) || !same(fromLlvm)) process.exitCode = 1;

section('the running kernel');
let fd = -1;
try {
  const loaded = progLoad({ progType: ProgramTypes.sched_cls, insns: program.bytes, license: 'GPL', progName: 'tsbpf_demo', logLevel: 1 });
  fd = loaded.fd;
  console.log(`loaded as fd ${fd}; verifier: ${loaded.log.trim().split('\n').at(-1)}`);
  const cases: [string, Uint8Array][] = [
    ['IPv4/TCP', frame(0x0800, 6)],
    ['IPv4/UDP', frame(0x0800, 17)],
    ['IPv4/ICMP', frame(0x0800, 1)],
    ['IPv6', frame(0x86dd, 6)],
  ];
  for (const [name, data] of cases) {
    const run = progTestRun({ progFd: fd, dataIn: data, repeat: 1000 });
    console.log(`BPF_PROG_TEST_RUN ${name.padEnd(9)} → retval ${run.retval} (${run.duration} ns per run)`);
  }
} catch (error) {
  if (error instanceof SyscallError) console.log(`not loaded: ${error.message}`);
  else throw error;
} finally {
  if (fd >= 0) closeFd(fd);
}
