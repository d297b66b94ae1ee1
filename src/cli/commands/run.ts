/**
 * `tsbpf run SPEC.json…`: runs program specs in the interpreter (verifier-sim), offline and
 * without root; the same input and output as `tsbpf krun`, which runs them in the kernel.
 * @module
 */

import { interpreterFromSpec, InterpreterError, kfuncNamesFromBtf } from '../../../verifier-sim/index.js';
import { kernelBtf } from '../../dsl/kernel-btf.js';
import { EXIT_OK, UsageError, parseArgsOrHelp, type CliIo, type Command } from '../command.js';
import { runInputArgs, writeRunResult } from '../spec-options.js';
import { readSpecFile } from '../spec-file.js';

/** kfunc names by BTF id from the running kernel's BTF (read on the first kfunc call; none where unreadable). */
const kernelKfuncNames = kfuncNamesFromBtf(() => {
  try {
    return kernelBtf();
  } catch {
    return undefined;
  }
});

const help = `Usage: tsbpf run [--json] [--data HEX] [--ctx HEX] [--repeat N] SPEC.json...

Runs each program spec in tsbpf's interpreter (no kernel, no root): creates its
maps in memory (with their init contents and prog_array slots), runs the
program on the given input and prints the return value and the data after the
run, as 'tsbpf krun' does with the kernel's BPF_PROG_TEST_RUN.

Options:
  --data HEX     input data (packet), hex, white space ignored
  --ctx HEX      input context (struct __sk_buff, xdp_md, …), hex
  --repeat N     run N times (maps keep their contents between runs)
  --json         one object per spec, one per line: {"retval": "0x…", "dataOut": "…"}
  -h, --help     show this help

Exit status: 0 every program ran, 2 bad input or usage, or a program that broke
a run-time rule (one line on stderr naming the instruction).
`;

/** The `run` command. */
export const run: Command = {
  name: 'run',
  help,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseArgsOrHelp(args, {
      json: { type: 'boolean' },
      data: { type: 'string' },
      ctx: { type: 'string' },
      repeat: { type: 'string' },
    }, help, io);
    if (parsed === undefined) return EXIT_OK;
    const { values, positionals } = parsed;
    if (positionals.length === 0) throw new UsageError('missing SPEC.json');
    const input = runInputArgs(values);
    for (const file of positionals) {
      const spec = await readSpecFile(file);
      try {
        const vm = interpreterFromSpec({
          progType: spec.progType,
          insns: spec.insns,
          maps: spec.maps,
        }, { kfuncs: kernelKfuncNames });
        const r = vm.run(input);
        writeRunResult(io, values.json, r.retval, r.dataOut);
      } catch (e) {
        if (e instanceof InterpreterError) throw new UsageError(`${file}: ${e.message}`);
        throw e;
      }
    }
    return EXIT_OK;
  },
};
