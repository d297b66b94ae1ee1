/**
 * `@line:<tag>` markers in a test's own source: tests of line info and source locations write
 * `// @line:tag` on a statement and ask which line it is, so the expectation follows the file
 * when lines move.
 * @module
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A test file's path, its lines, and the lookup of its `@line:` markers. */
export interface SourceLines {
  /** The file's absolute path. */
  readonly file: string;
  /** The file's lines (index 0 is line 1). */
  readonly lines: readonly string[];
  /** The 1-based line holding `@line:<tag>` (a line that calls `lineOf(` does not count); throws when there is none. */
  lineOf(tag: string): number;
}

/** Reads the file at `moduleUrl` (a test's `import.meta.url`). */
export function sourceLines(moduleUrl: string): SourceLines {
  const file = fileURLToPath(moduleUrl);
  const lines = readFileSync(file, 'utf8').split('\n');
  return {
    file,
    lines,
    lineOf(tag) {
      const i = lines.findIndex((l) => l.includes(`@line:${tag}`) && !l.includes('lineOf('));
      if (i < 0) throw new Error(`no @line:${tag} marker in ${file}`);
      return i + 1;
    },
  };
}
