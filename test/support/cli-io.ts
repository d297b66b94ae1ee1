// What the tool tests share: a CLI io that keeps what a command writes, and the output and
// exit of a child process.
import type { ChildProcess } from 'node:child_process';
import type { CliIo } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';

/** A {@link CliIo} that keeps stdout in `out` and stderr in `err`; stdin is empty. */
export function memoryIo(): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    writeOut: (d: string | Uint8Array) => { io.out += typeof d === 'string' ? d : Buffer.from(d).toString(); },
    writeErr: (t: string) => { io.err += t; },
    readStdin: async () => new Uint8Array(0),
  };
  return io;
}

/** What a child wrote and how it ended, once it has closed its streams and exited. */
export function collect(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** Runs `tsbpf ARGS` in-process with a {@link memoryIo}: the exit status, stdout and stderr. */
export async function runCli(args: readonly string[]): Promise<{ status: number; out: string; err: string }> {
  const io = memoryIo();
  const status = await main([...args], io);
  return { status, out: io.out, err: io.err };
}
