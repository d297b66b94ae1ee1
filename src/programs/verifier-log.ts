/**
 * Reading a kernel verifier log: the first error line, the instruction it refers to, and the
 * `processed N insns` count. Pure text functions (no kernel), shared by `Program` and the CLI.
 * @module
 */

/** Lines of the closing statistics, which are never the error. */
const STATS = [/^processed \d+ insns/, /^verification time/, /^stack depth/, /^-- END PROG LOAD LOG --$/];
/** An instruction line (`12: (85) call bpf_map_lookup_elem#1`) or a state line (`12: R1=…`). */
const INSN_LINE = /^(\d+): /;
/** Lines that carry state or source, not an error. */
const NOT_ERROR = [/^from \d+ to \d+: /, /^; /, /^func#\d+ @\d+$/, /^\d+: /, /^mark_precise: /, /^last_idx /, /^regs=/, /^parent /, /^Live regs before insn:/, /^\s*\d+: [.0-9]* ?\(/, /^Validating /, /^Func#\d+ /, /^caller:/, /^callee:/, /^returning from callee:/, /^to caller at /, /^propagating /];

function isStats(line: string): boolean {
  return STATS.some((r) => r.test(line));
}

/** What a verifier log says about a failure. */
export interface VerifierLogFacts {
  /** The verifier's first error line, in the kernel's wording (undefined when none is found). */
  readonly error: string | undefined;
  /** The instruction (8-byte slot index) the error refers to, when the log says. */
  readonly insn: number | undefined;
  /** `processed N insns`, when the log has the statistics line. */
  readonly processed: number | undefined;
}

/** The `N` of the log's `processed N insns` line, or undefined. */
export function processedInsns(log: string): number | undefined {
  const m = /^processed (\d+) insns/m.exec(log);
  return m === null ? undefined : Number(m[1]);
}

/**
 * The error of a failed load's log: the first line after the last instruction/state line that
 * is not statistics (the kernel prints its message right after the instruction it stopped at),
 * and that instruction's index. Errors found before any instruction is walked (`back-edge from
 * insn 1 to 0`, `unreachable insn 3`) name their instruction in the text (`insn N`), which is
 * then used.
 */
export function verifierLogFacts(log: string): VerifierLogFacts {
  const lines = log.split('\n').map((l) => l.replace(/\s+$/, ''));
  let lastInsnLine = -1;
  let lastInsn: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    const m = INSN_LINE.exec(lines[i]);
    if (m !== null) {
      lastInsnLine = i;
      lastInsn = Number(m[1]);
    }
  }
  let error: string | undefined;
  for (let i = lastInsnLine + 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || isStats(line) || NOT_ERROR.some((r) => r.test(line))) continue;
    error = line;
    break;
  }
  if (error === undefined) {
    // No line after the last instruction: the error may precede the walk; take the last non-stats line.
    for (let i = lines.length - 1; i >= 0; i--) {
      const line = lines[i].trim();
      if (line === '' || isStats(line)) continue;
      error = line;
      break;
    }
  }
  let insn = lastInsn;
  const named = error === undefined ? null : /\binsn (\d+)\b/.exec(error);
  if (named !== null) insn = Number(named[1]);
  else if (lastInsnLine < 0) insn = undefined;
  return { error, insn, processed: processedInsns(log) };
}
