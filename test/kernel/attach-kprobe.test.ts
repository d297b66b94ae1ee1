// Kernel-facing parts of kprobe / kprobe.multi / fentry / LSM attach that run on any kernel,
// checked against the live kernel: syscall entry point names against /proc/kallsyms, the
// kprobe_multi attr fields against the kernel's BTF, and for each mechanism either a working
// attach (in the VM's Debian kernels) or the typed error the feature probe predicts (on the
// development kernel: no kprobes, no fprobe, trampolines blocked).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { AttachTypes } from 'ebpf-bytecode-utils';
import { closeFd, linkCreateAttr, progLoad, type Layout } from '../../syscalls/index.js';
import {
  attachKprobeMulti, attachLsm, attachSyscallKprobe, attachTracing, kernelSymbolExists, missingKernelSymbols, lsmTarget, ProbePmuError, SYSCALL_PREFIXES, syscallFunctionName,
  SyscallNameError, tracingTarget,
} from '../../src/attach/index.js';
import { NotSupportedError, probeAttachKind } from '../../src/features/index.js';
import { Program } from '../../src/programs/index.js';
import { kernelTest } from '../support/kernel.js';
import { BtfKind, vmlinuxBtf, type FlatMember } from '../support/mini-btf.js';

const test = suite('kprobe / kprobe.multi / fentry / lsm attach (kernel)');
const RETURN_0 = Uint8Array.from([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

const kallsyms = existsSync('/proc/kallsyms') ? readFileSync('/proc/kallsyms', 'utf8') : '';
/** Whether /proc/kallsyms has a line for symbol `name` (of vmlinux or a module). */
const listed = (name: string) => new RegExp(`^[0-9a-f]+ \\S ${name.replace(/[.$]/g, '\\$&')}(\\t.*)?$`, 'm').test(kallsyms);

/** `n` symbol names taken at evenly spaced places of /proc/kallsyms. */
function sampleNames(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const start = kallsyms.indexOf('\n', Math.floor((i * kallsyms.length) / n)) + 1;
    const line = kallsyms.slice(start, kallsyms.indexOf('\n', start));
    const name = line.split(/\s+/)[2];
    if (name !== undefined && name !== '') out.push(name);
  }
  return out;
}

kernelTest(test, 'syscallFunctionName: the entry point /proc/kallsyms lists, with the architecture prefix', () => {
  const prefix = SYSCALL_PREFIXES[process.arch];
  assert.ok(prefix !== undefined, `a prefix for ${process.arch}`);
  for (const sc of ['openat', 'getpid', 'kill', 'bpf']) {
    const expected = listed(`${prefix}${sc}`) ? `${prefix}${sc}` : `sys_${sc}`;
    assert.ok(listed(expected), `${expected} in /proc/kallsyms`);
    assert.is(syscallFunctionName(sc), expected);
  }
  assert.throws(() => syscallFunctionName('no_such_syscall_tsbpf'), (e: unknown) => e instanceof SyscallNameError && /no_such_syscall_tsbpf/.test((e as Error).message));
});

kernelTest(test, 'kernelSymbolExists agrees with /proc/kallsyms on a sample of names and near misses', () => {
  // Fewer in the VM, where each regular expression scan of the 5 MB list takes ~0.5 s.
  const sample = sampleNames(process.env.TSBPF_IN_VM === '1' ? 8 : 30);
  assert.ok(sample.length >= (process.env.TSBPF_IN_VM === '1' ? 6 : 25), `${sample.length} names sampled`);
  const misses: string[] = [];
  for (const n of sample) {
    assert.ok(kernelSymbolExists(n), n);
    for (const miss of [`${n}_tsbpf`, n.slice(1)]) {
      if (listed(miss)) continue;
      assert.not.ok(kernelSymbolExists(miss), `${miss} is not a symbol`);
      misses.push(miss);
    }
  }
  assert.equal(missingKernelSymbols([...sample, ...misses]), misses, 'the set lookup agrees');
});

kernelTest(test, 'link_create.kprobe_multi attr fields match the kernel BTF', () => {
  if (!existsSync('/sys/kernel/btf/vmlinux')) {
    console.log('skip: kprobe_multi attr layout: /sys/kernel/btf/vmlinux does not exist');
    return;
  }
  const btf = vmlinuxBtf();
  const attr = btf.find('bpf_attr', BtfKind.UNION);
  const found: FlatMember[][] = [];
  const walk = (id: number, base: number): void => {
    for (const k of btf.resolve(id).members) {
      const kt = btf.resolve(k.type);
      if (k.name === 'kprobe_multi') found.push(btf.flatMembers(kt.id, base + k.bitOffset));
      else if (k.name === '' && (kt.kind === BtfKind.STRUCT || kt.kind === BtfKind.UNION)) walk(kt.id, base + k.bitOffset);
    }
  };
  for (const m of attr.members.filter((m) => m.name === 'link_create')) walk(btf.resolve(m.type).id, m.bitOffset);
  assert.is(found.length, 1, 'one link_create.kprobe_multi');
  const layout = linkCreateAttr as Layout;
  for (const name of ['flags', 'cnt', 'syms', 'addrs', 'cookies']) {
    const ours = layout.fields[`kprobe_multi_${name}`]!;
    const k = found[0]!.find((m) => m.name === name);
    assert.ok(k !== undefined, `the kernel has kprobe_multi.${name}`);
    assert.is(`${name} @bit ${ours.offset * 8}, ${ours.size * 8} bits`, `${name} @bit ${k!.bitOffset}, ${k!.bits} bits`);
  }
});

kernelTest(test, 'syscall kprobes: attach where the kernel has kprobes, else the ProbePmuError the probe predicts', () => {
  const prog = progLoad({ progType: 2, insns: RETURN_0, license: 'GPL' });
  try {
    if (probeAttachKind('kprobe').status === 'supported') {
      const link = attachSyscallKprobe(prog.fd, 'getpid');
      assert.is(link.target, syscallFunctionName('getpid'));
      link.close();
    } else {
      assert.throws(() => attachSyscallKprobe(prog.fd, 'getpid'), (e: unknown) => e instanceof ProbePmuError && /CONFIG_KPROBE_EVENTS/.test((e as Error).message));
    }
  } finally {
    closeFd(prog.fd);
  }
});

kernelTest(test, 'kprobe.multi: attaches where the probe finds fprobe, else a NotSupportedError with the probe\'s reason', () => {
  const prog = progLoad({ progType: 2, insns: RETURN_0, license: 'GPL', expectedAttachType: AttachTypes.trace_kprobe_multi });
  try {
    const probe = probeAttachKind('kprobe_multi');
    const attach = () => attachKprobeMulti(prog.fd, { symbols: [syscallFunctionName('getpid')] });
    if (probe.status === 'supported') {
      const link = attach();
      assert.is(link.info()[0]!.progId > 0, true);
      link.close();
    } else {
      assert.throws(attach, (e: unknown) => e instanceof NotSupportedError && e.feature === 'kprobe_multi attach' && e.minimumKernel === '5.18' && /CONFIG_FPROBE/.test(e.message));
    }
  } finally {
    closeFd(prog.fd);
  }
});

kernelTest(test, 'fentry / fexit / LSM: a target the probe says works loads and attaches; else a NotSupportedError with the probe\'s reason', () => {
  const rows = [
    ['fentry', () => tracingTarget('fentry', 'bpf_fentry_test1'), (fd: number) => attachTracing(fd, { kind: 'fentry', function: 'bpf_fentry_test1' })],
    ['fexit', () => tracingTarget('fexit', 'bpf_fentry_test1'), (fd: number) => attachTracing(fd, { kind: 'fexit', function: 'bpf_fentry_test1' })],
    ['lsm', () => lsmTarget('file_open'), (fd: number) => attachLsm(fd, 'file_open')],
  ] as const;
  for (const [kind, target, attach] of rows) {
    const probe = probeAttachKind(kind);
    if (probe.status === 'supported') {
      const prog = Program.load({ ...target(), insns: RETURN_0 });
      try {
        const link = attach(prog.fd);
        assert.is(link.info()[0]!.progId, prog.info().id);
        link.close();
      } finally {
        prog.close();
      }
    } else {
      assert.throws(target, (e: unknown) => e instanceof NotSupportedError && e.feature === `${kind} attach` && e.reason === probe.reason, `${kind}: ${probe.reason}`);
    }
  }
});

test.run();
