/**
 * Reading instruction lines out of a verifier log, for tests that use the kernel as an oracle.
 * @module
 */

/**
 * The `N: (op) text` lines of a verifier log (any level), as the distinct texts seen for each
 * slot N, without the `; state` tail that log level 2 appends. At level 2 the verifier prints an
 * instruction once per path that visits it; state lines (`N: R1=ctx() …`, `from X to Y: …`) and
 * the indented `Live regs before insn` listing do not match.
 */
export function verifierLogLines(log: string): Map<number, Set<string>> {
  const seen = new Map<number, Set<string>>();
  for (const line of log.split('\n')) {
    const m = /^(\d+): \((..)\) (.*?)(\s+; .*)?$/.exec(line);
    if (m === null) continue;
    const slot = Number(m[1]);
    let texts = seen.get(slot);
    if (texts === undefined) seen.set(slot, (texts = new Set()));
    texts.add(`(${m[2]}) ${m[3]}`);
  }
  return seen;
}
