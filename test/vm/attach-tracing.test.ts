// fentry / fexit / fmod_ret and LSM through tsbpf's attach API, firing for real inside the test VM
// (Debian 6.12 / 6.1 kernels, where BPF trampolines and the BPF LSM work): targets resolved in
// vmlinux BTF by tracingTarget / lsmTarget, programs loaded with Program.load, links made with
// attachTracing / attachLsm. The test opens /dev/null itself and checks the arguments and return
// values the programs saw, and the errno that fmod_ret and LSM programs inject for this process's
// main thread only. After each test no link or program it made is left in the kernel's lists.
//
// Runs only inside the VM (TSBPF_IN_VM=1); on the host every test skips with that reason.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, openSync } from 'node:fs';
import {
  Add, Call, Exit, JNE, Label, LoadMapPtr, LoadMem, Mov, R0, R1, R10, R2, R3, R4, R6, RSh, Size, StoreMem, encodeProgram, type ProgramItem,
} from 'ebpf-bytecode-utils';
import { closeFd, listIds, mapCreate } from '../../syscalls/index.js';
import { attachLsm, attachTracing, BtfTargetError, lsmTarget, tracingTarget, type Link } from '../../src/attach/index.js';
import { Program } from '../../src/programs/index.js';
import { RingBuffer } from '../../src/readers/index.js';

const test = suite('fentry/fexit/fmod_ret/lsm attach (vm)');
const inVm = process.env.TSBPF_IN_VM === '1';
const register = (name: string, fn: () => void | Promise<void>) => (inVm ? test(name, fn) : test.skip(name, fn));
if (!inVm) console.log('skip: fentry/fexit/fmod_ret/lsm attach (vm): not inside the test VM (TSBPF_IN_VM is not 1; run `npm run test:vm`)');

const BPF_FUNC_get_current_pid_tgid = 14;
const BPF_FUNC_probe_read_user_str = 114;
const BPF_FUNC_ringbuf_output = 130;
const BPF_FUNC_get_attach_cookie = 174;
const AT_FDCWD = 0xffffff9cn;
/** `struct pt_regs` offset of si (x86_64): PT_REGS_PARM2. */
const REGS_SI = 104;
const EXDEV = 18;
const EMLINK = 31;

/** One u64 (or 16-byte string) of an event. */
type Field =
  | { readonly arg: number } // ctx[arg]: the traced function's argument (or, after the last, fexit's return value)
  | { readonly argDeref: number; readonly off: number } // *(u64 *)(ctx[arg] + off), through a BTF pointer
  | { readonly userString: number } // 16 bytes of the user string ctx[arg] points to
  | { readonly cookie: true };

const sizeOf = (f: Field) => ('userString' in f ? 16 : 8);

/** A tracing program: for this process, sends `fields` to ring buffer `ring`; returns 0. */
function eventProgram(ring: number, fields: readonly Field[]): Uint8Array {
  const total = fields.reduce((n, f) => n + sizeOf(f), 0);
  const p: ProgramItem[] = [Mov.reg(R6, R1), Call.helper(BPF_FUNC_get_current_pid_tgid), RSh.imm(R0, 32), JNE.imm(R0, process.pid, 'out')];
  let slot = -total;
  for (const f of fields) {
    if ('arg' in f) p.push(LoadMem(R1, R6, 8 * f.arg, Size.DW), StoreMem(R10, slot, R1, Size.DW));
    else if ('argDeref' in f) p.push(LoadMem(R1, R6, 8 * f.argDeref, Size.DW), LoadMem(R1, R1, f.off, Size.DW), StoreMem(R10, slot, R1, Size.DW));
    else if ('cookie' in f) p.push(Mov.reg(R1, R6), Call.helper(BPF_FUNC_get_attach_cookie), StoreMem(R10, slot, R0, Size.DW));
    else {
      p.push(Mov.imm(R1, 0), StoreMem(R10, slot, R1, Size.DW), StoreMem(R10, slot + 8, R1, Size.DW));
      p.push(Mov.reg(R1, R10), Add.imm(R1, slot), Mov.imm(R2, 16), LoadMem(R3, R6, 8 * f.userString, Size.DW), Call.helper(BPF_FUNC_probe_read_user_str));
    }
    slot += sizeOf(f);
  }
  p.push(LoadMapPtr(R1, ring), Mov.reg(R2, R10), Add.imm(R2, -total), Mov.imm(R3, total), Mov.imm(R4, 0), Call.helper(BPF_FUNC_ringbuf_output));
  p.push(Label('out'), Mov.imm(R0, 0), Exit());
  return encodeProgram(p).bytes;
}

/** A program that returns `-errno` on this process's main thread (tid = pid) and 0 elsewhere. */
function denyProgram(errno: number): Uint8Array {
  return encodeProgram([
    Call.helper(BPF_FUNC_get_current_pid_tgid), Mov.reg32(R0, R0), JNE.imm(R0, process.pid, 'allow'),
    Mov.imm(R0, -errno), Exit(),
    Label('allow'), Mov.imm(R0, 0), Exit(),
  ]).bytes;
}

/**
 * Waits (up to 10 s: the VM is slow; trampoline links are freed after an RCU grace period) until
 * no link that was not in `linksBefore` and no program of `progIds` is left in the kernel's lists.
 */
async function gone(linksBefore: ReadonlySet<number>, progIds: readonly number[]): Promise<void> {
  const left = () => [...listIds('link').filter((id) => !linksBefore.has(id)).map((id) => `link ${id}`), ...listIds('prog').filter((id) => progIds.includes(id)).map((id) => `program ${id}`)];
  for (let i = 0; i < 100 && left().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(left(), [], 'nothing left in the kernel after close');
}

/** Loads `spec` (given the ring buffer's fd), runs `body` with it and the events read so far, closes everything and checks the lists. */
async function withProgram(spec: Parameters<typeof Program.load>[0] | ((ring: number) => Parameters<typeof Program.load>[0]), body: (prog: Program, events: () => DataView[]) => void): Promise<void> {
  const linksBefore = new Set(listIds('link'));
  const ring = mapCreate({ mapType: 27, keySize: 0, valueSize: 0, maxEntries: 1 << 16 });
  let progId = 0;
  try {
    const prog = Program.load(typeof spec === 'function' ? spec(ring) : spec);
    try {
      progId = prog.info().id;
      using reader = RingBuffer.create(ring);
      const events = (): DataView[] => {
        const out: DataView[] = [];
        for (let e = reader.read(); e !== undefined; e = reader.read()) out.push(new DataView(e.buffer.slice(e.byteOffset, e.byteOffset + e.byteLength)));
        return out;
      };
      body(prog, events);
    } finally {
      prog.close();
    }
  } finally {
    closeFd(ring);
  }
  await gone(linksBefore, [progId]);
}

function opens(n: number): number[] {
  const fds: number[] = [];
  for (let i = 0; i < n; i++) {
    const fd = openSync('/dev/null', 'r');
    fds.push(fd);
    closeSync(fd);
  }
  return fds;
}

/** The error code of opening /dev/null, or 'ok'. */
function openOutcome(): string {
  try {
    closeSync(openSync('/dev/null', 'r'));
    return 'ok';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

const decoder = new TextDecoder();
const cString = (v: DataView, off: number) => {
  const b = new Uint8Array(v.buffer, v.byteOffset + off, 16);
  return decoder.decode(b.subarray(0, b.indexOf(0) < 0 ? 16 : b.indexOf(0)));
};

register('fentry on do_sys_openat2 (attached with a cookie through BPF_LINK_CREATE): dfd, the user file name, the cookie', () => {
  const fields: Field[] = [{ arg: 0 }, { userString: 1 }, { cookie: true }];
  return withProgram((ring) => ({ ...tracingTarget('fentry', 'do_sys_openat2'), insns: eventProgram(ring, fields), name: 'fentry_test' }), (prog, events) => {
    const link: Link = attachTracing(prog.fd, { kind: 'fentry', function: 'do_sys_openat2', cookie: 0xc00c1en });
    try {
      assert.equal([link.kind, link.mode], ['fentry', 'bpf_link']);
      assert.is(link.info()[0]!.progId, prog.info().id);
      opens(3);
    } finally {
      link.close();
    }
    const got = events();
    assert.ok(got.length >= 3, `${got.length} events`);
    for (const e of got) {
      assert.is(e.getBigUint64(0, true) & 0xffffffffn, AT_FDCWD);
      assert.is(cString(e, 8), '/dev/null');
      assert.is(e.getBigUint64(24, true), 0xc00c1en);
    }
    opens(1);
    assert.is(events().length, 0, 'no event after close');
  });
});

register('fexit on do_sys_openat2 (BPF_RAW_TRACEPOINT_OPEN): the arguments and the return value, the new fd', () => {
  const fields: Field[] = [{ arg: 0 }, { arg: 3 }];
  return withProgram((ring) => ({ ...tracingTarget('fexit', 'do_sys_openat2'), insns: eventProgram(ring, fields) }), (prog, events) => {
    const link = attachTracing(prog.fd, { kind: 'fexit', function: 'do_sys_openat2' });
    let fds: number[];
    try {
      fds = opens(3);
    } finally {
      link.close();
    }
    const got = events();
    assert.equal(got.map((e) => e.getBigUint64(0, true) & 0xffffffffn), fds.map(() => AT_FDCWD));
    assert.equal(got.map((e) => e.getBigUint64(8, true)), fds.map(BigInt));
  });
});

register('fexit on __x64_sys_openat reads PT_REGS_PARM2 of the inner regs through the BTF pointer (KRETFUNC_PROBE)', () => {
  const fields: Field[] = [{ argDeref: 0, off: REGS_SI }, { arg: 1 }];
  return withProgram((ring) => ({ ...tracingTarget('fexit', '__x64_sys_openat'), insns: eventProgram(ring, fields) }), (prog, events) => {
    const link = attachTracing(prog.fd, { kind: 'fexit', function: '__x64_sys_openat' });
    let fds: number[];
    try {
      fds = opens(2);
    } finally {
      link.close();
    }
    const got = events();
    assert.ok(got.length >= 2, `${got.length} events`);
    for (const e of got) assert.ok(e.getBigUint64(0, true) > 0n, 'the file name pointer');
    for (const f of fds) assert.ok(got.some((e) => e.getBigUint64(8, true) === BigInt(f)), `fd ${f} returned`);
  });
});

register('fmod_ret on security_file_open: open(2) fails with the chosen errno (EXDEV) on this thread only, and works again after close', () =>
  withProgram({ ...tracingTarget('fmod_ret', 'security_file_open'), insns: denyProgram(EXDEV) }, (prog) => {
    assert.is(openOutcome(), 'ok');
    const link = attachTracing(prog.fd, { kind: 'fmod_ret', function: 'security_file_open' });
    let during: string;
    try {
      assert.is(link.kind, 'fmod_ret');
      during = openOutcome();
    } finally {
      link.close();
    }
    assert.is(during, 'EXDEV');
    assert.is(openOutcome(), 'ok');
  }));

register('LSM on file_open: denies open(2) with the chosen errno (EMLINK) on this thread only, allowed again after close', () =>
  withProgram({ ...lsmTarget('file_open'), insns: denyProgram(EMLINK) }, (prog) => {
    const link = attachLsm(prog.fd, 'file_open');
    let during: string;
    try {
      assert.equal([link.kind, link.target], ['lsm', 'file_open']);
      during = openOutcome();
    } finally {
      link.close();
    }
    assert.is(during, 'EMLINK');
    assert.is(openOutcome(), 'ok');
  }));

register('targets missing from vmlinux BTF are BtfTargetErrors naming them', () => {
  assert.throws(() => tracingTarget('fentry', 'no_such_function_tsbpf'), (e: unknown) => e instanceof BtfTargetError && /no_such_function_tsbpf/.test((e as Error).message));
  assert.throws(() => lsmTarget('no_such_hook'), (e: unknown) => e instanceof BtfTargetError && /bpf_lsm_no_such_hook/.test((e as Error).message));
});

test.run();
