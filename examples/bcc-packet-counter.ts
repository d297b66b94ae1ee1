/**
 * Packets per IP protocol with BPF_ARRAY and an atomic add, on XDP, through the BCC-style
 * facade. The C it translates:
 *
 *     BPF_ARRAY(counts, u64, 256);
 *     int count_packets(struct xdp_md *ctx) {
 *       void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
 *       struct ethhdr *eth = data; struct iphdr *ip = data + sizeof(*eth);
 *       if ((void *)(ip + 1) > data_end) return XDP_PASS;
 *       if (eth->h_proto != htons(ETH_P_IP)) return XDP_PASS;
 *       u32 proto = ip->protocol;
 *       u64 *v = counts.lookup(&proto);
 *       if (v) __sync_fetch_and_add(v, 1);        // counts.atomic_increment(proto)
 *       return XDP_PASS;
 *     }
 *
 *     node --import tsx examples/bcc-packet-counter.ts DEV [SECONDS]     # as root
 */
import { pathToFileURL } from 'node:url';
import { BPF, BPF_ARRAY } from '../src/bcc/index.js';
import { u32, u64 } from '../src/dsl/index.js';

/** `XDP_PASS`. */
export const XDP_PASS = 2;
/** `ETH_P_IP`. */
export const ETH_P_IP = 0x0800;

/** Loads the counter (attach it with `b.attach_xdp({ dev, fn_name: 'count_packets' })`). */
export function packetCounter() {
  return new BPF({
    tables: { counts: BPF_ARRAY(u64, 256) },
    functions: {
      count_packets: {
        xdp: ($, ctx, t) => {
          $.ifPacket(ctx, 0, 14 + 20, (p) => {
            $.if(p.u16be(12).eq(ETH_P_IP), () => t.counts.atomic_increment(p.u8(14 + 9).cast(u32)));
          });
          return XDP_PASS;
        },
      },
    },
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dev = process.argv[2];
  if (dev === undefined) throw new Error('usage: bcc-packet-counter.ts DEV [SECONDS]');
  using b = packetCounter();
  b.attach_xdp({ dev, fn_name: 'count_packets' });
  await new Promise((r) => setTimeout(r, Number(process.argv[3] ?? 5) * 1000));
  for (const [proto, n] of b.get('counts').items()) if (n > 0n) console.log(`protocol ${proto}: ${n}`);
}
