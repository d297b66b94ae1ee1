/**
 * Builds a small C program with clang-14 (or cc) into a temporary directory and runs it as a child
 * whose stdout lines can be awaited: the processes that the symbols, USDT and stack tests probe.
 * @module
 */

import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The C compiler the tests use, or null when none is installed. */
export function cCompiler(): string | null {
  for (const cc of ['clang-14', 'clang', 'cc', 'gcc']) {
    try {
      execFileSync(cc, ['--version'], { stdio: 'ignore' });
      return cc;
    } catch {
      // try the next
    }
  }
  return null;
}

/** Compiles `source` to an executable; returns its path and a function removing the directory. */
export function buildC(source: string, flags: readonly string[] = []): { path: string; remove: () => void } {
  const cc = cCompiler();
  if (cc === null) throw new Error('no C compiler (clang-14, clang, cc, gcc) is installed');
  const dir = mkdtempSync(join(tmpdir(), 'tsbpf-c-'));
  writeFileSync(join(dir, 'prog.c'), source);
  const path = join(dir, 'prog');
  execFileSync(cc, ['-O1', '-fno-omit-frame-pointer', ...flags, '-o', path, join(dir, 'prog.c')], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A running child with line-oriented stdout. */
export class LineChild {
  /** The process. */
  readonly child: ChildProcessWithoutNullStreams;
  private buffered = '';
  private readonly lines: string[] = [];
  private waiter: (() => void) | undefined;

  /** Starts `path` with `args`. */
  constructor(path: string, args: readonly string[] = []) {
    this.child = spawn(path, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      this.buffered += chunk;
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        this.lines.push(this.buffered.slice(0, nl));
        this.buffered = this.buffered.slice(nl + 1);
      }
      this.waiter?.();
    });
    this.child.stdout.on('end', () => this.waiter?.());
  }

  /** The pid. */
  get pid(): number {
    return this.child.pid as number;
  }

  /** The next stdout line (rejects after `timeoutMs` or when stdout ends). */
  async line(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.child.stdout.readableEnded) throw new Error('child stdout ended');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line from the child within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.lines.shift() as string;
  }

  /** Writes `text` to the child's stdin. */
  send(text: string): void {
    this.child.stdin.write(text);
  }

  /** Kills the child and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const done = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await done;
  }
}
