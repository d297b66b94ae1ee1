/**
 * Socket lookups and their release (`bpf_sk_lookup_tcp`, `bpf_sk_lookup_udp`,
 * `bpf_skc_lookup_tcp`, `bpf_sk_release`; `bpf_sk_lookup` and `__bpf_sk_lookup` in
 * net/core/filter.c) over the fake socket table of the environment ({@link FakeSocket}): a
 * lookup returns a read-only pointer to the socket's `struct bpf_sock`, or NULL when nothing
 * matches, when the tuple size is neither IPv4's (12) nor IPv6's (36), when `flags` is not 0 or
 * when `netns` names another namespace than the caller's (only `BPF_F_CURRENT_NETNS`, any
 * negative 32-bit value, is simulated). `bpf_sk_release` takes back a pointer a lookup
 * returned, once; the socket's memory is then unreadable. `bpf_sk_fullsock`,
 * `bpf_tcp_sock` and `bpf_get_listener_sock` work on any simulated socket (lookups' and the
 * test-run socket of `__sk_buff->sk`).
 * @module
 */

import { InterpreterError } from '../errors.js';
import type { FakeSocket } from '../environment.js';
import { argMem, argSize, argU64, setR0, setR0Pointer } from './args.js';
import type { HelperContext, HelperFn } from './helper-context.js';
import type { Region } from '../region.js';

/** `sizeof(struct bpf_sock)`. */
export const BPF_SOCK_SIZE = 80;
/** `sizeof(tuple->ipv4)` and `sizeof(tuple->ipv6)` of `struct bpf_sock_tuple`. */
const TUPLE_SIZES: readonly number[] = [12, 36];

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function lookup(name: string, protocol: FakeSocket['protocol']): HelperFn {
  return (h: HelperContext) => {
    const size = argSize(h, 3);
    // The verifier checked R2/R3 as readable memory; read it as the kernel does (a copy of the tuple).
    const tuple = size === 0 ? new Uint8Array(0) : h.memory.read(argMem(h, 2, size, 'read', name), size);
    const netns = argU64(h, 4);
    const flags = argU64(h, 5);
    const currentNetns = BigInt.asIntN(32, netns) < 0n;
    if (flags !== 0n || !currentNetns || !TUPLE_SIZES.includes(size)) {
      setR0(h, 0);
      return;
    }
    const found = h.env.sockets.find((s) => s.protocol === protocol && sameBytes(s.tuple, tuple));
    if (found === undefined) {
      setR0(h, 0);
      return;
    }
    const bytes = new Uint8Array(BPF_SOCK_SIZE);
    bytes.set(found.sock.subarray(0, BPF_SOCK_SIZE));
    const region = h.memory.add('socket', bytes, { writable: false, label: `${protocol} socket` });
    setR0Pointer(h, region, 0);
  };
}

/** `struct bpf_sock *bpf_sk_lookup_tcp(ctx, tuple, tuple_size, netns, flags)`. */
export const skLookupTcp: HelperFn = lookup('bpf_sk_lookup_tcp', 'tcp');
/** `struct bpf_sock *bpf_sk_lookup_udp(ctx, tuple, tuple_size, netns, flags)`. */
export const skLookupUdp: HelperFn = lookup('bpf_sk_lookup_udp', 'udp');
/** `struct bpf_sock *bpf_skc_lookup_tcp(ctx, tuple, tuple_size, netns, flags)`: a full socket is a sock_common too. */
export const skcLookupTcp: HelperFn = lookup('bpf_skc_lookup_tcp', 'tcp');

/** `long bpf_sk_release(sock)`: 0; R1 must be a socket a lookup returned and not yet released. */
export const skRelease: HelperFn = (h) => {
  const t = h.tag[1];
  const region = t === 0 ? undefined : h.memory.regions[t];
  if (region === undefined || region.kind !== 'socket' || region.state === 2 || (h.lo[1] | 0) !== 0 || h.hi[1] !== region.baseHi) {
    throw new InterpreterError('helper_args', h.insn, 'bpf_sk_release: R1 is not a socket returned by a lookup', { helper: 'bpf_sk_release' });
  }
  if (region.state !== 0) throw new InterpreterError('helper_args', h.insn, 'bpf_sk_release: the socket was already released', { helper: 'bpf_sk_release' });
  region.state = 1;
  region.readable = false;
  setR0(h, 0);
};

/** The socket region R1 points to (at its start), or a `helper_args` error naming `helper`. */
function argSocket(h: HelperContext, helper: string): Region {
  const t = h.tag[1];
  const region = t === 0 ? undefined : h.memory.regions[t];
  if (region === undefined || region.kind !== 'socket' || (h.lo[1] | 0) !== 0 || h.hi[1] !== region.baseHi) {
    throw new InterpreterError('helper_args', h.insn, `${helper}: R1 is not a socket`, { helper });
  }
  return region;
}

/** `struct bpf_sock *bpf_sk_fullsock(sk)`: every simulated socket is a full socket. */
export const skFullsock: HelperFn = (h) => {
  setR0Pointer(h, argSocket(h, 'bpf_sk_fullsock'), 0);
};

/**
 * `struct bpf_tcp_sock *bpf_tcp_sock(sk)`: NULL unless the socket's `protocol` is IPPROTO_TCP;
 * then a zeroed `struct bpf_tcp_sock` (the simulated sockets carry no TCP state).
 */
export const tcpSock: HelperFn = (h) => {
  const region = argSocket(h, 'bpf_tcp_sock');
  if (region.view.getUint32(12, true) !== 6) {
    setR0(h, 0);
    return;
  }
  setR0Pointer(h, h.memory.add('socket', new Uint8Array(112), { writable: false, label: 'tcp_sock' }), 0);
};

/** `struct bpf_sock *bpf_get_listener_sock(sk)`: the socket when its `state` is TCP_LISTEN (10), else NULL. */
export const getListenerSock: HelperFn = (h) => {
  const region = argSocket(h, 'bpf_get_listener_sock');
  if (region.view.getUint32(72, true) === 10) setR0Pointer(h, region, 0);
  else setR0(h, 0);
};
