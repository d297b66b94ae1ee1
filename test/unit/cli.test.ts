// The `tsbpf` CLI: as users run it (`node bin/tsbpf.js …` in a child process) for the main paths,
// and in-process through main(argv, io) for the rest of the matrix (a child costs ~0.5 s of tsx
// start-up). Checks stdout bytes, exit codes (0 success, 2 bad input or usage) and that errors
// are one line on stderr.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { commands } from '../../src/cli/commands/index.js';
import { main } from '../../src/cli/main.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin/tsbpf.js');
const dir = mkdtempSync(path.join(tmpdir(), 'tsbpf-cli-'));

interface Result {
  readonly status: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

function tsbpf(args: readonly string[], input?: string | Uint8Array): Result {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, input: input ?? '', maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

/** The same through main() in this process, with stdin from `input`. */
async function tsbpfInProcess(args: readonly string[], input: string | Uint8Array = ''): Promise<Result> {
  const out: Buffer[] = [];
  let err = '';
  const status = await main(args, {
    writeOut: (data) => void out.push(Buffer.from(data)),
    writeErr: (text) => void (err += text),
    readStdin: async () => Buffer.from(input),
  });
  return { status, stdout: Buffer.concat(out), stderr: err };
}

/** Exit 2 and exactly one line on stderr, no stack trace. */
function assertUsageError(r: Result, line: string): void {
  assert.is(r.status, 2, r.stderr);
  assert.is(r.stderr, `${line}\n`);
  assert.is(r.stdout.length, 0);
}

function file(name: string, content: string | Uint8Array): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

const source = file('prog.s', ['r0 = 0', 'if r1 > 5 goto +1', 'r0 = 1 ll', 'exit', ''].join('\n'));
const bytesHex = 'b700000000000000' + '2501010005000000' + '18000000010000000000000000000000' + '9500000000000000';

test('asm FILE: raw little-endian bytes on stdout, exit 0', () => {
  const r = tsbpf(['asm', source]);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr, '');
  assert.is(r.stdout.toString('hex'), bytesHex);
});

test('asm --hex: one 8-byte slot per line; asm - reads stdin (kernel syntax here)', async () => {
  const r = await tsbpfInProcess(['asm', '--hex', source]);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.toString('utf8'), `${bytesHex.match(/.{16}/g)?.join('\n')}\n`);
  const k = await tsbpfInProcess(['asm', '-'], '0: (b7) r0 = 0\n1: (95) exit\n');
  assert.is(k.status, 0, k.stderr);
  assert.is(k.stdout.toString('hex'), 'b7000000000000009500000000000000');
});

test('asm: a syntax error is one line with line:column, exit 2', () => {
  assertUsageError(tsbpf(['asm', file('bad.s', 'r0 = 0\nexit\nif r1 > r11 goto +1\n')]), "tsbpf asm: 3:9: expected a register, found 'r11'");
});

test('asm: missing file, missing argument, unknown option, unresolved map', async () => {
  assertUsageError(await tsbpfInProcess(['asm', path.join(dir, 'nope.s')]), `tsbpf asm: cannot read '${path.join(dir, 'nope.s')}': no such file or directory`);
  assertUsageError(await tsbpfInProcess(['asm', dir]), `tsbpf asm: cannot read '${dir}': is a directory`);
  assertUsageError(await tsbpfInProcess(['asm']), "tsbpf asm: missing FILE (use '-' for stdin)");
  assertUsageError(await tsbpfInProcess(['asm', source, 'extra']), "tsbpf asm: unexpected argument 'extra'");
  assertUsageError(await tsbpfInProcess(['asm', '--bogus', source]), "tsbpf asm: unknown option '--bogus'");
  assertUsageError(await tsbpfInProcess(['asm', '-'], 'r1 = events ll\n'), "tsbpf asm: 1:6: unknown map 'events' (bind it in options.maps)");
});

test('disasm FILE: kernel syntax by default, llvm on request; stdin and --hex', async () => {
  const bin = file('prog.bin', Buffer.from(bytesHex, 'hex'));
  const kernel = tsbpf(['disasm', bin]);
  assert.is(kernel.status, 0, kernel.stderr);
  assert.is(kernel.stdout.toString('utf8'), '0: (b7) r0 = 0\n1: (25) if r1 > 0x5 goto pc+1\n2: (18) r0 = 0x1\n4: (95) exit\n');
  const stdin = await tsbpfInProcess(['disasm'], Buffer.from(bytesHex, 'hex'));
  assert.is(stdin.stdout.toString('utf8'), kernel.stdout.toString('utf8'));
  const llvm = await tsbpfInProcess(['disasm', '--syntax', 'llvm', '--hex'], `${bytesHex.slice(0, 20)}\n ${bytesHex.slice(20)}\n`);
  assert.is(llvm.status, 0, llvm.stderr);
  assert.is(llvm.stdout.toString('utf8'), 'r0 = 0\nif r1 > 5 goto +1\nr0 = 1 ll\nexit\n');
});

test('disasm --names: pseudo sources named so that asm reads them back to the same bytes', async () => {
  const hex = '18110000030000000000000000000000 18620000010000000000000008000000 9500000000000000';
  const plain = await tsbpfInProcess(['disasm', '--hex'], hex);
  assert.is(plain.stdout.toString('utf8'), '0: (18) r1 = 0x3\n2: (18) r2 = 0x800000001\n4: (95) exit\n');
  const named = await tsbpfInProcess(['disasm', '--hex', '--names'], hex);
  assert.is(named.stdout.toString('utf8'), '0: (18) r1 = map[fd:3]\n2: (18) r2 = map[idx:1]+8\n4: (95) exit\n');
  const back = await tsbpfInProcess(['asm', '--hex', '-'], named.stdout);
  assert.is(back.stdout.toString('utf8').replace(/\s+/g, ''), hex.replace(/\s+/g, ''));
  assertUsageError(await tsbpfInProcess(['disasm', '--names', '--syntax', 'llvm']), 'tsbpf disasm: --names goes with --syntax kernel');
});

test('disasm: bad input and bad usage are one line, exit 2', async () => {
  assertUsageError(tsbpf(['disasm'], Buffer.alloc(12)), 'tsbpf disasm: bytecode length 12 is not a multiple of 8');
  assertUsageError(await tsbpfInProcess(['disasm', '--hex'], 'b7 0z'), "tsbpf disasm: hex: 'z' at digit 3 is not a hex digit");
  assertUsageError(await tsbpfInProcess(['disasm', '--syntax', 'intel']), "tsbpf disasm: --syntax must be 'kernel' or 'llvm', not 'intel'");
  assertUsageError(await tsbpfInProcess(['disasm', '--syntax']), "tsbpf disasm: option '--syntax <value>' argument missing");
});

test('the dispatcher: unknown command, no command, --help', async () => {
  assertUsageError(tsbpf(['frobnicate']), "tsbpf: unknown command 'frobnicate'");
  // Contract commands not implemented yet are unknown until their registry line lands.
  for (const command of ['verify', 'kload', 'run', 'krun', 'btf', 'probe', 'opensnoop'].filter((c) => !Object.hasOwn(commands, c))) {
    assertUsageError(await tsbpfInProcess([command]), `tsbpf: unknown command '${command}'`);
  }
  assertUsageError(await tsbpfInProcess(['--frob']), "tsbpf: unknown option '--frob' (try 'tsbpf --help')");
  assertUsageError(await tsbpfInProcess([]), "tsbpf: missing command (try 'tsbpf --help')");
  const help = tsbpf(['--help']);
  assert.is(help.status, 0);
  assert.match(help.stdout.toString('utf8'), /^Usage: tsbpf <command>/);
  assert.match(help.stdout.toString('utf8'), /\n {2}asm {5}/);
  for (const command of ['asm', 'disasm']) {
    const r = await tsbpfInProcess([command, '--help']);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout.toString('utf8'), new RegExp(`^Usage: tsbpf ${command} `));
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
