/**
 * `tsbpf kload SPEC.json…`: loads program specs into the running kernel (creating their maps)
 * and reports the kernel verifier's verdict, in the result shape `tsbpf verify` uses.
 * @module
 */

import { VerifierError } from '../../programs/verifier-error.js';
import { verifierLogFacts } from '../../programs/verifier-log.js';
import type { ProgramSpecFile } from '../../spec/program-spec.js';
import type { SpecVerdict } from '../../spec/verdict.js';
import { loadSpec, type LoadedSpec } from '../../spec/load-spec.js';
import { EXIT_NEGATIVE, EXIT_OK, UsageError, parseArgsOrHelp, type CliIo, type Command } from '../command.js';
import { readSpecFile } from '../spec-file.js';
import { logLevelArg, writeVerdict } from '../spec-options.js';

const help = `Usage: tsbpf kload [--json] [--log-level N] [--pin-root DIR] SPEC.json...

Loads each program spec into the running kernel through bpf(BPF_PROG_LOAD),
creating its maps first (with their init contents and prog_array slots), and
prints the verifier log. Every kernel object is closed before the next spec.

Options:
  --json           one result object per spec, one per line:
                   {"verdict":"accept"|"reject","error":…,"insn":…,
                    "processed":…,"log":…}
  --log-level N    verifier log level (default 1; 2 is verbose and slow)
  --pin-root DIR   where maps with "pinning": "by_name" are pinned and reused
                   (a bpffs mount, mounted when missing; default /sys/fs/bpf)
  -h, --help       show this help

Needs root (or CAP_BPF + CAP_PERFMON/CAP_NET_ADMIN).
Exit status: 0 every program accepted, 1 some program rejected, 2 bad input
or usage (one line on stderr).
`;


/**
 * Loads `spec`; returns the verdict and, when accepted, the loaded objects (the caller closes
 * them). A failure that is not the kernel refusing a program is a UsageError naming `file`.
 */
export function loadForVerdict(file: string, spec: ProgramSpecFile, logLevel: number | undefined, pinRoot?: string): { verdict: SpecVerdict; loaded: LoadedSpec | undefined } {
  try {
    const loaded = loadSpec(spec, { ...(logLevel === undefined ? {} : { logLevel }), ...(pinRoot === undefined ? {} : { pinRoot }) });
    const log = loaded.program.log;
    return { verdict: { verdict: 'accept', error: null, insn: null, processed: verifierLogFacts(log).processed ?? 0, log }, loaded };
  } catch (e) {
    if (e instanceof VerifierError) {
      return { verdict: { verdict: 'reject', error: e.error, insn: e.insn, processed: e.processed ?? 0, log: e.log }, loaded: undefined };
    }
    throw new UsageError(`${file}: ${(e as Error).message}`);
  }
}


/** The `kload` command. */
export const kload: Command = {
  name: 'kload',
  help,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseArgsOrHelp(args, {
      json: { type: 'boolean' },
      'log-level': { type: 'string' },
      'pin-root': { type: 'string' },
    }, help, io);
    if (parsed === undefined) return EXIT_OK;
    const { values, positionals } = parsed;
    if (positionals.length === 0) throw new UsageError('missing SPEC.json');
    const logLevel = logLevelArg(values['log-level'], 1);
    let status = EXIT_OK;
    for (const file of positionals) {
      const spec = await readSpecFile(file);
      const { verdict, loaded } = loadForVerdict(file, spec, logLevel, values['pin-root']);
      loaded?.close();
      if (verdict.verdict === 'reject') status = EXIT_NEGATIVE;
      writeVerdict(io, values.json, verdict);
    }
    return status;
  },
};
