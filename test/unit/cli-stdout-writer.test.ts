/**
 * stdoutWriter (src/cli/stdout-writer.ts), the CLI's standard output without `process.stdout`:
 * the bytes that arrive (pipe, file) are exactly the bytes written, in order, without creating
 * `process.stdout`; a non-blocking pipe that fills up (EAGAIN) hands the rest to `process.stdout`
 * with nothing lost or reordered; a reader that goes away (EPIPE) calls `onClosed`. Each case runs
 * in a child process whose fd 1 is what the case needs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';

// The children run the writer as plain JavaScript (esbuild's transform of the source): under
// tsx's loader a child that is stopped by process.exit() from a write error can hang.
const workDir = mkdtempSync(path.join(tmpdir(), 'tsbpf-stdout-writer-'));
const writerModule = path.join(workDir, 'stdout-writer.cjs');
writeFileSync(writerModule, transformSync(readFileSync(fileURLToPath(new URL('../../src/cli/stdout-writer.ts', import.meta.url)), 'utf8'), { loader: 'ts', format: 'cjs' }).code);

/**
 * A child script: counts reads of `process.stdout` (the getter), runs `body` with `write` (the
 * writer) in scope, and reports `stdout-reads=N` and `closed` on stderr.
 */
function childScript(body: string): string {
  return `
let reads = 0;
const desc = Object.getOwnPropertyDescriptor(process, 'stdout');
Object.defineProperty(process, 'stdout', { configurable: true, enumerable: desc.enumerable, get() { reads++; return desc.get.call(process); } });
const { stdoutWriter } = require(${JSON.stringify(writerModule)});
const write = stdoutWriter({ onClosed: () => { process.stderr.write('closed\\n'); process.exit(0); }, onError: (e) => { process.stderr.write('error ' + e.code + '\\n'); process.exit(3); } });
${body}
process.on('exit', () => process.stderr.write('stdout-reads=' + reads + '\\n'));
`;
}

const NODE_ARGS = ['-e'];

/** Text with ASCII, multi-byte UTF-8 and raw bytes, as the CLI writes it (strings and Uint8Arrays). */
const PARTS_BODY = `write('PID    COMM\\n'); write(new Uint8Array([0, 1, 2, 255, 10])); write('päth → 😀\\n'); write(new Uint8Array(new Uint8Array([9, 65, 66, 67, 9]).buffer, 1, 3));`;
const PARTS_BYTES = Buffer.concat([Buffer.from('PID    COMM\n'), Buffer.from([0, 1, 2, 255, 10]), Buffer.from('päth → 😀\n'), Buffer.from('ABC')]);

test('to a pipe: the same bytes in order, and process.stdout never created', () => {
  const r = spawnSync(process.execPath, [...NODE_ARGS, childScript(PARTS_BODY)], { stdio: ['ignore', 'pipe', 'pipe'] });
  assert.is(r.status, 0, r.stderr.toString());
  assert.equal(r.stdout, PARTS_BYTES);
  assert.match(r.stderr.toString(), /stdout-reads=0\n/);
});

test('to a file: the same bytes in order, and process.stdout never created', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-stdout-'));
  try {
    const file = path.join(dir, 'out');
    const fd = openSync(file, 'w');
    const r = spawnSync(process.execPath, [...NODE_ARGS, childScript(PARTS_BODY)], { stdio: ['ignore', fd, 'pipe'] });
    closeSync(fd);
    assert.is(r.status, 0, r.stderr.toString());
    assert.equal(readFileSync(file), PARTS_BYTES);
    assert.match(r.stderr.toString(), /stdout-reads=0\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a non-blocking pipe that fills up: the rest goes through process.stdout, nothing lost or reordered', () => {
  // Creating process.stdout first makes the pipe non-blocking (libuv); the reader starts late, so
  // the 64 KiB pipe fills: a synchronous write stops part-way or fails with EAGAIN.
  const body = `process.stdout; for (let i = 0; i < 150; i++) write(String(i % 10).repeat(9999 + i) + '\\n'); write('end\\n');`;
  const r = spawnSync('sh', ['-c', `"$0" "$@" | { sleep 0.7; cat; }`, process.execPath, ...NODE_ARGS, childScript(body)], { maxBuffer: 1 << 24, timeout: 60_000 });
  assert.is(r.status, 0, r.stderr.toString());
  let expected = '';
  for (let i = 0; i < 150; i++) expected += `${String(i % 10).repeat(9999 + i)}\n`;
  assert.ok(r.stdout.toString() === `${expected}end\n`, 'every byte, in order');
});

test('a reader that goes away (EPIPE): onClosed is called', () => {
  // Writes until the writer reports the closed pipe (the timeout fails the test otherwise).
  const body = `const line = 'x'.repeat(4095) + '\\n'; for (;;) write(line);`;
  const r = spawnSync('sh', ['-c', `"$0" "$@" | head -c 1 >/dev/null`, process.execPath, ...NODE_ARGS, childScript(body)], { encoding: 'utf8', timeout: 60_000 });
  assert.is(r.signal, null, 'ended by itself');
  assert.match(r.stderr, /^closed\n/m);
});

test.after(() => rmSync(workDir, { recursive: true, force: true }));

test.run();
