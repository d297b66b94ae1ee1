/**
 * Reading the kernel verifier's log (shared by test/kernel/verifier-vs-kernel.test.ts and
 * bench/verifier-differential.ts).
 * @module
 */
import { disassembleKernel, type Instruction } from 'ebpf-bytecode-utils';

/**
 * The kernel's first error line: the first line after the last instruction line that is not a
 * state line. When the log was rewound into a padded instruction line (a popped branch cuts the
 * jump's state tail), the message continues that line: `8: (a5) if r6 < 0xa goto pc-1 infinite
 * loop detected at insn 8`; then the text after the instruction is the error.
 */
export function kernelErrorLine(log: string, insns: readonly Instruction[]): string | null {
  const lines = log.split('\n');
  const end = lines.findIndex((l) => l.startsWith('processed '));
  const body = (end < 0 ? lines : lines.slice(0, end)).filter((l) => l.length > 0);
  const isState = (l: string) => /^\d+: (R\d|safe)/.test(l) || l.startsWith('from ');
  let last = -1;
  body.forEach((l, i) => {
    if (/^\d+: \([0-9a-f]{2}\)/.test(l)) last = i;
  });
  if (last >= 0) {
    const text = disassembleKernel(insns).find((d) => body[last].startsWith(`${d} `));
    const rest = text === undefined ? '' : body[last].slice(text.length).trimStart();
    if (rest.length > 0 && !rest.startsWith(';') && !isState(rest)) return rest;
  }
  for (let i = last + 1; i < body.length; i++) if (!isState(body[i])) return body[i];
  return null;
}
