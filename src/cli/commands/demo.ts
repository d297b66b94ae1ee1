/**
 * `tsbpf demo` (`npm run demo`): the pipeline demo of src/demo/pipeline.ts — an eDSL packet
 * counter compiled, printed in both syntaxes, assembled back, verified offline, interpreted, and
 * (when permitted) loaded and run in the kernel. Exit 1 when a stage disagrees.
 * @module
 */

import { EXIT_OK, parseOptionsOrHelp, type Command } from '../command.js';

const help = `Usage: tsbpf demo

The whole pipeline on one eDSL program (a per-protocol packet counter in XDP):
compile, disassemble in kernel and LLVM syntax, assemble back to the same
bytes, verify offline, run in the interpreter on synthetic frames, and —
when bpf() is permitted — load it into the running kernel, run the same
frames with BPF_PROG_TEST_RUN and compare the counts. Exit 1 on a mismatch.
`;

/** The `tsbpf demo` command. */
export const demo: Command = {
  name: 'demo',
  help,
  async run(args, io) {
    const values = parseOptionsOrHelp(args, {}, help, io);
    if (values === undefined) return EXIT_OK;
    const { runPipelineDemo } = await import('../../demo/pipeline.js');
    return runPipelineDemo((line) => io.writeOut(`${line}\n`));
  },
};
