/**
 * The child process of test/kernel/cleanup.test.ts: attaches two cgroup_skb programs to cgroup
 * `argv[2]` (one with PROG_ATTACH, one with a bpf_link), prints their ids as one JSON line, then
 * behaves as `argv[3]` says: `wait` (until a signal), `throw` (an uncaught exception), `exit`
 * (process.exit(3)), or `keep` (wait, with the PROG_ATTACH one taken out of the registry).
 * @module
 */

import { encodeProgram, Exit, Mov, R0 } from 'ebpf-bytecode-utils';
import { attachCgroup, keepOnExit } from '../../src/attach/index.js';
import { Program } from '../../src/programs/index.js';

const [cgroup, mode] = process.argv.slice(2);
const load = () => Program.load({ type: 'cgroup_skb', insns: encodeProgram([Mov.imm(R0, 1), Exit()]).bytes });
const a = load();
const b = load();
const attached = attachCgroup(a.fd, cgroup, 'cgroup_inet_ingress', { method: 'prog_attach' });
const linked = attachCgroup(b.fd, cgroup, 'cgroup_inet_ingress', { method: 'link' });
if (mode === 'keep') keepOnExit(attached);
process.stdout.write(`${JSON.stringify({ progs: [a.info().id, b.info().id], link: linked.info()[0].id })}\n`);
if (mode === 'throw') setTimeout(() => {
  throw new Error('cleanup-child: deliberate uncaught exception');
}, 20);
else if (mode === 'exit') setTimeout(() => process.exit(3), 20);
else setInterval(() => undefined, 1000);
