/**
 * String constants in BPF ELF objects: `writeObject` puts the `$.snprintf`/`$.strncmp` constants
 * of all its programs in one `.rodata` section with `R_BPF_64_64` relocations against the section
 * symbol, and libbpf (`bpftool prog loadall`, in a private bpffs) turns it into a frozen array
 * map read-only for programs; the loaded programs, run with BPF_PROG_TEST_RUN, format and compare
 * as the same programs loaded by tsbpf do. Skips with the reason when bpftool is missing.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Call } from 'ebpf-bytecode-utils';
import { loadCompiled, compile, program, writeObject, u32 } from '../../src/dsl/index.js';
import { ensureBpffs, isBpffs } from '../../src/maps/index.js';
import { char, struct } from '../../src/types/index.js';
import { closeFd } from '../../syscalls/close-fd.js';
import { objGet } from '../../syscalls/obj-pin.js';
import { progTestRun } from '../../syscalls/prog-test-run.js';
import { kernelTest } from '../support/kernel.js';
import { programLacks } from '../support/kernel-lacks.js';

const test = suite('object file .rodata (kernel)');

const Name = struct('name', { text: char(16) });

function missing(): string | null {
  const r = spawnSync('bpftool', ['version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'bpftool is not installed (apt-get install bpftool)';
  return programLacks('socket_filter', [Call.helper(165)]) ?? programLacks('socket_filter', [Call.helper(182)]);
}

function bpftool(...args: string[]): string {
  const r = spawnSync('bpftool', args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  assert.is(r.status, 0, `bpftool ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Two programs with string constants of their own (one shared): the object's .rodata holds both. */
function programs() {
  const fmt = program('fmt_len', 'socket_filter', ($, ctx) => {
    const out = $.struct(Name);
    return $.snprintf(out, 'len=%u!', [ctx.len]).cast(u32);
  });
  const cmp = program('cmp_name', 'socket_filter', ($) => {
    const name = $.struct(Name);
    $.if($.skbLoadBytes(0, name).ne(0n), () => $.return(99));
    const a = $.strncmp(name, 'bpftool');
    const b = $.strncmp(name, 'len=%u!'); // the same bytes as the other program's format
    return a.add(1n).add(b.add(1n).shl(4n)).cast(u32);
  });
  return [fmt, cmp] as const;
}

/** lib/string.c `strncmp(a, b, 16)` on Latin-1 strings: -1, 0 or 1. */
function cStrncmp(a: string, b: string): number {
  for (let i = 0; i < 16; i++) {
    const x = i < a.length ? a.charCodeAt(i) : 0;
    const y = i < b.length ? b.charCodeAt(i) : 0;
    if (x !== y) return x < y ? -1 : 1;
    if (x === 0) return 0;
  }
  return 0;
}

kernelTest(test, 'libbpf loads an object with .rodata: a frozen read-only map, programs that give what tsbpf-loaded ones give', () => {
  const [fmt, cmp] = programs();
  const work = mkdtempSync(path.join(tmpdir(), 'tsbpf-rodata-'));
  const fs = path.join(work, 'bpffs');
  mkdirSync(fs);
  try {
    ensureBpffs(fs);
    const object = path.join(work, 'strings.o');
    writeFileSync(object, writeObject([fmt, cmp]));
    bpftool('prog', 'loadall', object, path.join(fs, 'progs'), 'pinmaps', path.join(fs, 'maps'));
    const info = JSON.parse(bpftool('-j', 'map', 'show', 'pinned', path.join(fs, 'maps', 'strings_rodata'))) as { type: string; flags: number; frozen?: number; bytes_value: number };
    assert.is(info.type, 'array');
    assert.ok((info.flags & 0x80) !== 0, `BPF_F_RDONLY_PROG in flags ${info.flags}`);
    assert.is(info.frozen, 1, 'frozen');
    const dumped = bpftool('map', 'dump', 'pinned', path.join(fs, 'maps', 'strings_rodata'));
    const hex = Buffer.from('len=%u!\0bpftool\0', 'latin1').toString('hex').replace(/(..)/g, '$1 ').trim();
    assert.ok(dumped.replace(/\s+/g, ' ').includes(hex), `the constants, each once, in ${dumped}`);
    // The packets: after the 14-byte Ethernet header, the bytes strncmp compares.
    const packet = (text: string, bytes: number) => { const d = new Uint8Array(bytes); d.set(Buffer.from(text, 'latin1'), 14); return d; };
    const texts = ['bpftool', 'bpftoom', 'len=%u!', 'len=%u!x', 'a', ''];
    for (const [p, name] of [[fmt, 'fmt_len'], [cmp, 'cmp_name']] as const) {
      const fd = objGet(path.join(fs, 'progs', name));
      try {
        const own = loadCompiled(compile(p)); // not `using`: tsx miscompiles it inside loops
        try {
          for (const text of texts) {
            for (const bytes of [30, 77, 1500]) {
              const data = packet(text, bytes);
              const got = progTestRun({ progFd: fd, dataIn: data }).retval;
              assert.is(got, progTestRun({ progFd: own.progFd, dataIn: data }).retval, `${name} on ${JSON.stringify(text)}, ${bytes} bytes: libbpf's load and ours`);
              const want = name === 'fmt_len' ? `len=${bytes - 14}!`.length + 1 : (cStrncmp(text, 'bpftool') + 1) + ((cStrncmp(text, 'len=%u!') + 1) << 4);
              assert.is(got, want, `${name} on ${JSON.stringify(text)}, ${bytes} bytes: the JS result`);
            }
          }
        } finally {
          own.close();
        }
      } finally {
        closeFd(fd);
      }
    }
  } finally {
    if (isBpffs(fs)) execFileSync('umount', [fs]);
    rmSync(work, { recursive: true, force: true });
  }
}, missing);

test.run();
