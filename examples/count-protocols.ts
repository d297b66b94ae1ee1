/**
 * Count packets per IP protocol with an XDP program written in the tsbpf eDSL.
 *
 * Builds the program, prints its disassembly, runs it in the interpreter on synthetic frames
 * (TCP, UDP, ICMP and a runt), prints the per-protocol counts; then, as root with BPF, loads it
 * into the kernel (whose verifier must accept it), runs the same frames with BPF_PROG_TEST_RUN
 * and prints the kernel's counts.
 *
 *     node --import tsx examples/count-protocols.ts
 *
 * The C equivalent (BCC):
 *
 *     BPF_HASH(counts, u32, u64, 256);
 *     int count_proto(struct xdp_md *ctx) {
 *       void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
 *       struct iphdr *ip = data + 14;
 *       if ((void *)(ip + 1) > data_end) return XDP_PASS;
 *       u32 proto = ip->protocol;
 *       u64 *v = counts.lookup(&proto);
 *       if (v) __sync_fetch_and_add(v, 1); else { u64 one = 1; counts.update(&proto, &one); }
 *       return XDP_PASS;
 *     }
 */
import { compile, dump, loadCompiled, simulate } from '../src/dsl/index.js';
import { PROTOCOL_NAMES as NAMES, countProtocols, demoFrames } from '../src/demo/count-protocols.js';
import { MapElemAccess } from '../syscalls/map-elem.js';
import { progTestRun } from '../syscalls/prog-test-run.js';

const frames = demoFrames;

function show(title: string, entries: Iterable<[number, bigint]>): void {
  console.log(title);
  for (const [proto, n] of [...entries].sort((a, b) => a[0] - b[0])) console.log(`  ${(NAMES[proto] ?? String(proto)).padEnd(6)} ${n}`);
}

const compiled = compile(countProtocols);
console.log(`${compiled.name}: ${compiled.progType}, ${compiled.insns.length} instructions, maps ${compiled.maps.map((m) => `${m.name} (${m.type} ${m.keySize}→${m.valueSize} × ${m.maxEntries})`).join(', ')}`);
console.log(dump(compiled));

const sim = simulate(compiled);
for (const f of frames) sim.run({ data: f });
show('interpreter:', sim.maps.counts.entries().map(([k, v]) => [new DataView(k.buffer, k.byteOffset).getUint32(0, true), new DataView(v.buffer, v.byteOffset).getBigUint64(0, true)]));

if (process.getuid?.() !== 0) {
  console.log(`kernel: skipped (not root: uid ${process.getuid?.() ?? '?'})`);
} else {
  using loaded = loadCompiled(compiled);
  for (const f of frames) progTestRun({ progFd: loaded.progFd, dataIn: f });
  const access = new MapElemAccess(loaded.mapFds.counts, 4, 8);
  const counts: [number, bigint][] = [];
  for (let first = true; access.next(first) === 0; first = false) {
    access.key.set(access.nextKey);
    if (access.lookup() === 0) counts.push([new DataView(access.key.buffer, access.key.byteOffset).getUint32(0, true), new DataView(access.value.buffer, access.value.byteOffset).getBigUint64(0, true)]);
  }
  show('kernel (verifier accepted, BPF_PROG_TEST_RUN):', counts);
}
