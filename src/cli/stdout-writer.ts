/**
 * Standard output without `process.stdout` where that is safe: creating `process.stdout` builds a
 * stream and loads Node's tty or net modules (~5 ms of start-up, issue #6), while a line written
 * with `fs.writeSync(1, …)` costs one system call. Node itself writes synchronously to files and
 * terminals; a pipe or socket that a parent handed over is blocking (libuv makes fds 0–2 of a
 * child blocking), so a synchronous write there waits exactly as a full pipe makes any writer wait.
 * When fd 1 is something else, or a write finds it non-blocking and full (EAGAIN), the writer
 * hands the rest of that write and every later one to `process.stdout`, so the bytes and their
 * order are the same either way.
 * @module
 */

import { fstatSync, writeSync } from 'node:fs';

/** How a failed write ends the process: `EPIPE` (the reader went away) or another error. */
export interface StdoutFailure {
  /** Called when the reader closed the pipe (`tsbpf … | head`). */
  onClosed(): void;
  /** Called with any other write error. */
  onError(error: NodeJS.ErrnoException): void;
}

/** Whether fd `fd` is a regular file, a pipe, a socket or a character device (a terminal, /dev/null). */
function writableSynchronously(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    return st.isFile() || st.isFIFO() || st.isSocket() || st.isCharacterDevice();
  } catch {
    return false;
  }
}

/**
 * A function that writes `data` to standard output: synchronously to fd 1 when it is a file, pipe,
 * socket or character device, else (and after the first EAGAIN) through `process.stdout`, which is
 * created only then. `failure` says what to do when a write fails.
 */
export function stdoutWriter(failure: StdoutFailure): (data: string | Uint8Array) => void {
  let stream: NodeJS.WriteStream | undefined;
  const streamOut = () => {
    if (stream === undefined) {
      stream = process.stdout;
      stream.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' ? failure.onClosed() : failure.onError(e)));
    }
    return stream;
  };
  let direct = writableSynchronously(1);
  return (data) => {
    if (!direct) {
      streamOut().write(typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      return;
    }
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let done = 0;
    while (done < bytes.byteLength) {
      try {
        done += writeSync(1, bytes, done, bytes.byteLength - done);
      } catch (e) {
        const error = e as NodeJS.ErrnoException;
        if (error.code === 'EAGAIN') {
          direct = false;
          streamOut().write(Buffer.from(bytes.buffer, bytes.byteOffset + done, bytes.byteLength - done));
          return;
        }
        if (error.code === 'EPIPE') failure.onClosed();
        else failure.onError(error);
        return;
      }
    }
  };
}
