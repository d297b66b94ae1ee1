/**
 * examples/bcc-packet-counter.ts in the live kernel, two oracles: BPF_PROG_TEST_RUN on
 * synthetic frames (counts per protocol must equal the frames sent, a runt and an ARP frame
 * count nothing), and real traffic: XDP on a veth whose peer, in a network namespace, sends us N UDP
 * datagrams; the UDP count is N, and stays N once the program is removed.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { progTestRun } from '../../syscalls/prog-test-run.js';
import { packetCounter, XDP_PASS } from '../../examples/bcc-packet-counter.js';
import { kernelTest } from '../support/kernel.js';
import { createVethNs } from '../support/netns.js';

const test = suite('examples: bcc-packet-counter (kernel)');

function frame(proto: number, etherType = 0x0800, len = 64): Uint8Array {
  const f = new Uint8Array(len);
  f[12] = etherType >> 8;
  f[13] = etherType & 0xff;
  if (len > 23) f[23] = proto;
  if (len > 14) f[14] = 0x45;
  return f;
}

kernelTest(test, 'BPF_PROG_TEST_RUN: counts per protocol equal the frames run', () => {
  using b = packetCounter();
  const fd = b.load_func('count_packets');
  const sent = [6, 17, 6, 1, 6, 17, 47];
  for (const p of sent) assert.is(progTestRun({ progFd: fd, dataIn: frame(p) }).retval, XDP_PASS);
  progTestRun({ progFd: fd, dataIn: frame(6, 0x0800, 30) });   // runt: no IP header
  progTestRun({ progFd: fd, dataIn: frame(6, 0x0806) });       // ARP: not IP
  progTestRun({ progFd: fd, dataIn: frame(17), repeat: 1000 }); // 1000 more UDP, atomically added
  const counts = b.get('counts');
  const want = new Map<number, bigint>();
  for (const p of sent) want.set(p, (want.get(p) ?? 0n) + 1n);
  want.set(17, want.get(17)! + 1000n);
  for (let p = 0; p < 256; p++) assert.is(counts.get(p), want.get(p) ?? 0n, `protocol ${p}`);
  assert.is(counts.items().length, 256, 'an array has every index');
  counts.zero();
  assert.is(counts.get(6), 0n);
});

kernelTest(test, 'real traffic: XDP on a veth counts the UDP datagrams sent to it from a namespace', () => {
  const net = createVethNs();
  try {
    using b = packetCounter();
    b.attach_xdp({ dev: net.hostIf, fn_name: 'count_packets' });
    const send = (n: number) => {
      // bash's /dev/udp: one datagram per write; the kernel resolves the neighbour first (ARP, not counted).
      const r = net.bashInNs(`for i in $(seq ${n}); do echo x$i > /dev/udp/${net.hostIp}/9; done; echo sent`);
      assert.is(r.stdout.trim(), 'sent', r.stderr);
    };
    send(5);
    assert.is(b.get('counts').get(17), 5n);
    b.remove_xdp({ dev: net.hostIf });
    send(3);
    assert.is(b.get('counts').get(17), 5n, 'nothing counted after remove_xdp');
  } finally {
    net.remove();
  }
});

test.run();
