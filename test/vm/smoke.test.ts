// Smoke test of the VM test runner (test/vm/run-in-vm.sh, `npm run test:vm`): inside the guest,
// the kernel is a stock Debian kernel of the series the runner asked for, it has the kprobe PMU
// that the development machines lack, and bpf() works (a kprobe program loads).
//
// Runs only inside the VM (TSBPF_IN_VM=1, set by run-in-vm.sh); elsewhere it skips with that
// reason. Inside the VM nothing skips: a missing feature fails.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { closeFd, progLoad } from '../../syscalls/index.js';
import { kernelReason } from '../support/kernel.js';

const test = suite('vm smoke');
const inVm = process.env.TSBPF_IN_VM === '1';
const KPROBE_PMU = '/sys/bus/event_source/devices/kprobe/type';

function register(name: string, fn: () => void): void {
  if (inVm) test(name, fn);
  else test.skip(name, fn);
}
if (!inVm) console.log('skip: vm smoke: not inside the test VM (TSBPF_IN_VM is not 1; run `npm run test:vm`)');

register('the guest runs a stock Debian kernel of the requested series', () => {
  const version = readFileSync('/proc/version', 'utf8');
  assert.match(release(), /^\d+\.\d+\.\d+.*-amd64$/, `uname -r: ${release()}`);
  assert.ok(/Debian/.test(version), `/proc/version does not name Debian: ${version}`);
  const wanted = process.env.TSBPF_VM_KERNEL; // the series run.js booted (6.12 or 6.1)
  if (wanted !== undefined) {
    assert.ok(release().startsWith(`${wanted}.`), `asked for a ${wanted} kernel, got ${release()}`);
  }
});

register('the kprobe PMU exists (kprobes are configured)', () => {
  assert.ok(existsSync(KPROBE_PMU), `${KPROBE_PMU} is missing`);
  const type = Number(readFileSync(KPROBE_PMU, 'utf8').trim());
  assert.ok(Number.isInteger(type) && type > 0, `kprobe PMU type ${type}`);
});

register('bpf() works as root, and a kprobe program loads', () => {
  assert.is(kernelReason(), null);
  // BPF_PROG_TYPE_KPROBE = 2: r0 = 0; exit
  const insns = Uint8Array.from([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  const { fd } = progLoad({ progType: 2, insns, progName: 'smoke_kprobe', license: 'GPL' });
  assert.ok(fd > 0);
  closeFd(fd);
});

test.run();
