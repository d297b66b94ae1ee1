/**
 * The socket `BPF_PROG_TEST_RUN` hangs on every skb it builds (`bpf_prog_test_run_skb` in
 * net/bpf/test_run.c): `sk_alloc(AF_UNSPEC, bpf_dummy_proto)` + `sock_init_data(NULL, sk)`,
 * then, from the frame, the family (AF_INET for an IPv4 EtherType, AF_INET6 for IPv6) and the
 * addresses of the network header when it fits. Everything else a program can read through
 * `__sk_buff->sk` is zero, except `state` (TCP_CLOSE, 7) and `rx_queue_mapping` (-1, none
 * recorded). It is a full socket but not a TCP one (`bpf_tcp_sock` gives NULL) and no listener.
 * @module
 */

import { BPF_SOCK_SIZE } from '../helpers/socket-helpers.js';

/** Offsets in `struct bpf_sock` (include/uapi/linux/bpf.h). */
const FAMILY = 4;
const SRC_IP4 = 24;
const SRC_IP6 = 28;
const DST_IP4 = 52;
const DST_IP6 = 56;
const STATE = 72;
const RX_QUEUE_MAPPING = 76;
const ETH_HLEN = 14;
/** `TCP_CLOSE`, the state `sock_init_data` leaves. */
const TCP_CLOSE = 7;

/**
 * The `struct bpf_sock` bytes of the test-run socket of an skb built from Ethernet `frame`
 * (its EtherType at bytes 12–13; `sk_rcv_saddr` is the IP source address, `sk_daddr` the
 * destination).
 */
export function testRunSocket(frame: Uint8Array): Uint8Array {
  const sock = new Uint8Array(BPF_SOCK_SIZE);
  const v = new DataView(sock.buffer);
  const etherType = frame.length >= ETH_HLEN ? (frame[12] << 8) | frame[13] : 0;
  if (etherType === 0x0800) {
    v.setUint32(FAMILY, 2, true);
    if (frame.length >= ETH_HLEN + 20) {
      sock.set(frame.subarray(ETH_HLEN + 12, ETH_HLEN + 16), SRC_IP4);
      sock.set(frame.subarray(ETH_HLEN + 16, ETH_HLEN + 20), DST_IP4);
    }
  } else if (etherType === 0x86dd) {
    v.setUint32(FAMILY, 10, true);
    if (frame.length >= ETH_HLEN + 40) {
      sock.set(frame.subarray(ETH_HLEN + 8, ETH_HLEN + 24), SRC_IP6);
      sock.set(frame.subarray(ETH_HLEN + 24, ETH_HLEN + 40), DST_IP6);
    }
  }
  v.setUint32(STATE, TCP_CLOSE, true);
  v.setInt32(RX_QUEUE_MAPPING, -1, true);
  return sock;
}
