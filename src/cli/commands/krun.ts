/**
 * `tsbpf krun SPEC.json…`: loads program specs into the running kernel and runs each once (or
 * `--repeat N` times) with `BPF_PROG_TEST_RUN` on the given data and context.
 * @module
 */

import { EXIT_NEGATIVE, EXIT_OK, UsageError, parseArgsOrHelp, type CliIo, type Command } from '../command.js';
import { verdictLine } from '../../spec/verdict.js';
import { loadForVerdict } from './kload.js';
import { readSpecFile } from '../spec-file.js';
import { runInputArgs, writeRunResult } from '../spec-options.js';

const help = `Usage: tsbpf krun [--json] [--data HEX] [--ctx HEX] [--repeat N] [--pin-root DIR] SPEC.json...

Loads each program spec into the running kernel (creating its maps) and runs it
with bpf(BPF_PROG_TEST_RUN) on synthetic input; prints the return value and the
data after the run. Every kernel object is closed before the next spec.

Options:
  --data HEX     input data (packet), hex, white space ignored
  --ctx HEX      input context (struct __sk_buff, xdp_md, …), hex
  --repeat N     run N times (the kernel's average duration is per run)
  --pin-root DIR where maps with "pinning": "by_name" are pinned and reused
                 (a bpffs mount, mounted when missing; default /sys/fs/bpf)
  --json         one object per spec, one per line:
                 {"retval": "0x…", "dataOut": "…"}; a rejected program prints
                 the kload result object instead
  -h, --help     show this help

Needs root. Exit status: 0 every program ran, 1 some program was rejected,
2 bad input or usage (one line on stderr).
`;

/** The `krun` command. */
export const krun: Command = {
  name: 'krun',
  help,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseArgsOrHelp(args, {
      json: { type: 'boolean' },
      data: { type: 'string' },
      ctx: { type: 'string' },
      repeat: { type: 'string' },
      'pin-root': { type: 'string' },
    }, help, io);
    if (parsed === undefined) return EXIT_OK;
    const { values, positionals } = parsed;
    if (positionals.length === 0) throw new UsageError('missing SPEC.json');
    const input = runInputArgs(values);
    let status = EXIT_OK;
    for (const file of positionals) {
      const spec = await readSpecFile(file);
      const { verdict, loaded } = loadForVerdict(file, spec, undefined, values['pin-root']);
      if (loaded === undefined) {
        status = EXIT_NEGATIVE;
        io.writeOut(values.json ? verdictLine(verdict) : `rejected: ${verdict.error ?? 'no error line'}${verdict.insn === null ? '' : ` (insn ${verdict.insn})`}\n`);
        continue;
      }
      try {
        const r = loaded.program.testRun(input);
        writeRunResult(io, values.json, r.retval, r.dataOut);
      } catch (e) {
        throw new UsageError(`${file}: ${(e as Error).message}`);
      } finally {
        loaded.close();
      }
    }
    return status;
  },
};
