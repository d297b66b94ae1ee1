/**
 * Whether kernel symbols exist, from `/proc/kallsyms`, read once per process (the kernel
 * generates the ~5 MB list slowly: ~0.1 s of CPU). One name is looked up by scanning the text;
 * many at once through a set of every name, built on demand.
 * @module
 */

import { readFileSync } from 'node:fs';

/** Where the kernel lists its symbols. */
export const KALLSYMS_PATH = '/proc/kallsyms';

const texts = new Map<string, string>();
const sets = new Map<string, ReadonlySet<string>>();

function kallsymsText(path: string): string {
  let text = texts.get(path);
  if (text === undefined) {
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      text = '';
    }
    texts.set(path, text);
  }
  return text;
}

/**
 * Whether `/proc/kallsyms` (or `path`) lists a symbol named exactly `name` (of vmlinux or of a
 * module). False when the file cannot be read.
 */
export function kernelSymbolExists(name: string, path = KALLSYMS_PATH): boolean {
  const text = kallsymsText(path);
  // Lines are `address type name` or `address type name\t[module]`.
  for (let i = text.indexOf(` ${name}`); i >= 0; i = text.indexOf(` ${name}`, i + 1)) {
    const end = i + 1 + name.length;
    const after = end === text.length ? 10 : text.charCodeAt(end);
    // Before the name: `<space><one-letter type><space>`.
    if ((after === 10 /* \n */ || after === 9 /* \t */) && text.charCodeAt(i - 2) === 32) return true;
  }
  return false;
}

/** The names of `names` that `/proc/kallsyms` (or `path`) does not list, in order. */
export function missingKernelSymbols(names: readonly string[], path = KALLSYMS_PATH): string[] {
  if (names.length <= 8) return names.filter((n) => !kernelSymbolExists(n, path));
  let set = sets.get(path);
  if (set === undefined) {
    const all = new Set<string>();
    for (const line of kallsymsText(path).split('\n')) {
      const a = line.indexOf(' ');
      const b = line.indexOf(' ', a + 1);
      if (a < 0 || b < 0) continue;
      const tab = line.indexOf('\t', b + 1);
      all.add(tab < 0 ? line.slice(b + 1) : line.slice(b + 1, tab));
    }
    sets.set(path, (set = all));
  }
  return names.filter((n) => !set.has(n));
}

/** Forgets the cached symbol list (after loading a module, or in tests). */
export function forgetKernelSymbols(): void {
  texts.clear();
  sets.clear();
}
