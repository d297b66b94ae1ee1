/**
 * `tsbpf verify SPEC.json…`: the offline verifier (verifier-sim) on program specs, with the
 * output of `tsbpf kload` (the kernel's verifier): the log, or one result object per spec.
 * @module
 */

import { existsSync } from 'node:fs';
import { decode, type Btf } from 'ebpf-bytecode-utils';
import { KERNEL_BTF_PATH, kernelBtf } from '../../dsl/kernel-btf.js';
import { verify } from '../../../verifier-sim/index.js';
import { possibleCpuCount } from '../../system/possible-cpus.js';
import { EXIT_NEGATIVE, EXIT_OK, UsageError, parseArgsOrHelp, type CliIo, type Command } from '../command.js';
import { readSpecFile } from '../spec-file.js';
import { logLevelArg, writeVerdict } from '../spec-options.js';

const help = `Usage: tsbpf verify [--json] [--log-level N] [--cpus N] SPEC.json...

Runs tsbpf's verifier simulator on each program spec, offline and without
root, and prints its log: the instruction lines, the first error line in the
kernel's wording and the closing 'processed N insns' line, as the Linux 6.18
verifier prints them ('tsbpf kload' asks the running kernel instead).

Options:
  --json           one result object per spec, one per line:
                   {"verdict":"accept"|"reject","error":…,"insn":…,
                    "processed":…,"log":…}
  --log-level N    0, 1 (default) or 2
  --cpus N         possible CPUs of the target kernel (bounds
                   bpf_get_smp_processor_id); default: this machine's
  --btf FILE       the target kernel's BTF (kernel struct pointers, kfunc
                   calls), read only when a program needs it; default:
                   /sys/kernel/btf/vmlinux when present; 'none' for a kernel
                   without BTF
  -h, --help       show this help

Exit status: 0 every program accepted, 1 some program rejected, 2 bad input or
usage (one line on stderr).
`;

function cpusOf(text: string | undefined): number | undefined {
  if (text === undefined) {
    try {
      return possibleCpuCount();
    } catch {
      return undefined; // not Linux: the verifier's default
    }
  }
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 8192) throw new UsageError(`--cpus must be an integer from 1 to 8192, not '${text}'`);
  return n;
}

/**
 * The kernel BTF the verifier gets, as a lazy provider (read on a program's first need, once per
 * process): FILE, none, or the running kernel's when present.
 */
function btfOf(text: string | undefined): (() => Btf | undefined) | undefined {
  if (text === 'none') return undefined;
  const path = text ?? KERNEL_BTF_PATH;
  if (text !== undefined && !existsSync(path)) throw new UsageError(`--btf: no such file: ${path}`);
  return () => {
    if (!existsSync(path)) return undefined;
    try {
      return kernelBtf(path);
    } catch (e) {
      throw new UsageError(`--btf: cannot decode ${path}: ${(e as Error).message}`);
    }
  };
}

/** The `verify` command. */
export const verifyCommand: Command = {
  name: 'verify',
  help,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const parsed = parseArgsOrHelp(args, {
      json: { type: 'boolean' },
      'log-level': { type: 'string' },
      cpus: { type: 'string' },
      btf: { type: 'string' },
    }, help, io);
    if (parsed === undefined) return EXIT_OK;
    const { values, positionals } = parsed;
    if (positionals.length === 0) throw new UsageError('missing SPEC.json');
    const logLevel = logLevelArg(values['log-level'], 1);
    if (logLevel > 2) throw new UsageError(`--log-level must be 0, 1 or 2, not ${logLevel}`);
    const possibleCpus = cpusOf(values.cpus);
    const btf = btfOf(values.btf);
    let status = EXIT_OK;
    for (const file of positionals) {
      const spec = await readSpecFile(file);
      let result;
      try {
        result = verify(decode(spec.insns), {
          progType: spec.progType,
          expectedAttachType: spec.expectedAttachType,
          license: spec.license,
          maps: spec.maps.map((m) => ({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags })),
          logLevel: logLevel as 0 | 1 | 2,
          ...(possibleCpus !== undefined ? { possibleCpus } : {}),
          ...(btf !== undefined ? { btf } : {}),
        });
      } catch (e) {
        if (e instanceof RangeError) throw new UsageError(`${file}: ${e.message}`);
        throw e;
      }
      if (result.verdict === 'reject') status = EXIT_NEGATIVE;
      writeVerdict(io, values.json, result);
    }
    return status;
  },
};
