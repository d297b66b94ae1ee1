/**
 * Loads through socket pointers (`check_sock_access` in kernel/bpf/verifier.c and the
 * `bpf_sock_common_is_valid_access`, `bpf_sock_is_valid_access`,
 * `bpf_tcp_sock_is_valid_access`, `bpf_xdp_sock_is_valid_access` callbacks of
 * net/core/filter.c): which offsets and sizes of `struct bpf_sock`, `struct bpf_tcp_sock` and
 * `struct bpf_xdp_sock` a program may read. Socket pointers are read-only.
 * @module
 */

import type { RegType } from './register-state.js';

/** Offsets of `struct bpf_sock` (include/uapi/linux/bpf.h, Linux 6.18); 80 bytes in all. */
export const BPF_SOCK = {
  bound_dev_if: 0,
  family: 4,
  type: 8,
  protocol: 12,
  mark: 16,
  priority: 20,
  src_ip4: 24,
  src_ip6: 28,
  src_port: 44,
  dst_port: 48,
  dst_ip4: 52,
  dst_ip6: 56,
  state: 72,
  rx_queue_mapping: 76,
  size: 80,
} as const;

/** Offsets of the 64-bit fields of `struct bpf_tcp_sock`; the struct ends after `icsk_retransmits` at 112. */
export const BPF_TCP_SOCK = { bytes_received: 80, bytes_acked: 88, size: 112 } as const;

/** `sizeof(struct bpf_xdp_sock)`: one `__u32 queue_id`. */
export const BPF_XDP_SOCK_SIZE = 4;

const inRange = (off: number, start: number, end: number): boolean => off >= start && off < end;

/** `bpf_ctx_narrow_access_ok`: a power-of-two size no wider than the field. */
function narrowOk(size: number, fieldSize: number): boolean {
  return size <= fieldSize && (size & (size - 1)) === 0;
}

/** `bpf_sock_is_valid_access`. */
function sockValid(off: number, size: number): boolean {
  const S = BPF_SOCK;
  if (off < 0 || off >= S.size) return false;
  if (off % size !== 0) return false;
  // Fields matched by their exact offset only (a narrow load inside them falls to the default).
  if (off === S.state || off === S.family || off === S.type || off === S.protocol || off === S.src_port || off === S.rx_queue_mapping) return narrowOk(size, 4);
  // `bpf_ctx_range` fields accept narrow loads anywhere inside them.
  if (inRange(off, S.src_ip4, S.src_ip4 + 4) || inRange(off, S.src_ip6, S.src_ip6 + 16) || inRange(off, S.dst_ip4, S.dst_ip4 + 4) || inRange(off, S.dst_ip6, S.dst_ip6 + 16)) return narrowOk(size, 4);
  if (inRange(off, S.dst_port, S.dst_port + 2)) return narrowOk(size, size === 4 ? 4 : 2);
  if (inRange(off, S.dst_port + 2, S.dst_ip4)) return false;
  return size === 4;
}

/** `bpf_sock_common_is_valid_access`: `struct bpf_sock` without `type` … `priority`. */
function sockCommonValid(off: number, size: number): boolean {
  if (inRange(off, BPF_SOCK.type, BPF_SOCK.priority + 4)) return false;
  return sockValid(off, size);
}

/** `bpf_tcp_sock_is_valid_access`. */
function tcpSockValid(off: number, size: number): boolean {
  if (off < 0 || off >= BPF_TCP_SOCK.size) return false;
  if (off % size !== 0) return false;
  if (off === BPF_TCP_SOCK.bytes_received || off === BPF_TCP_SOCK.bytes_acked) return size === 8;
  return size === 4;
}

/** `bpf_xdp_sock_is_valid_access`. */
function xdpSockValid(off: number, size: number): boolean {
  if (off < 0 || off >= BPF_XDP_SOCK_SIZE) return false;
  if (off % size !== 0) return false;
  return size === 4;
}

/**
 * Whether a read of `size` bytes at `off` through a (non-NULL) socket pointer of type `type`
 * is allowed; false for types that are not socket pointers.
 */
export function socketFieldReadable(type: RegType, off: number, size: number): boolean {
  switch (type) {
    case 'sock_common':
      return sockCommonValid(off, size);
    case 'sock':
      return sockValid(off, size);
    case 'tcp_sock':
      return tcpSockValid(off, size);
    case 'xdp_sock':
      return xdpSockValid(off, size);
    default:
      return false;
  }
}

/**
 * Whether `convert_ctx_accesses` can rewrite an allowed read (`bpf_tcp_sock_convert_ctx_access`
 * matches whole fields): 4-byte reads of the high halves of `bytes_received` and `bytes_acked`
 * pass `bpf_tcp_sock_is_valid_access` but have no conversion, and the kernel then fails the load
 * with `verifier bug: error during ctx access conversion (0)`.
 */
export function socketFieldConvertible(type: RegType, off: number, size: number): boolean {
  return !(type === 'tcp_sock' && size === 4 && (off === BPF_TCP_SOCK.bytes_received + 4 || off === BPF_TCP_SOCK.bytes_acked + 4));
}
