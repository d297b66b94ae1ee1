/**
 * A fake {@link SyscallBackend} for unit tests: records every call with a copy of its attr,
 * hands out fake addresses for buffers (and resolves them back), and answers with a scripted
 * handler.
 * @module
 */

import type { SyscallBackend } from '../../syscalls/backend.js';

/** One recorded `bpf()` call. */
export interface FakeBpfCall {
  /** The command. */
  readonly cmd: number;
  /** A copy of the attr bytes as passed. */
  readonly attr: Uint8Array;
  /** The size argument. */
  readonly size: number;
}

/** Answers a `bpf()` call: the result or `-errno`. May write into `attr` and into pointees (via `fake.buffer`). */
export type FakeBpfHandler = (cmd: number, attr: Uint8Array, fake: FakeBackend) => number;

/** The fake backend. */
export class FakeBackend implements SyscallBackend {
  /** Always `'fake'`. */
  readonly name = 'fake';
  /** Every bpf() call, in order. */
  readonly calls: FakeBpfCall[] = [];
  /** Every closed fd, in order. */
  readonly closed: number[] = [];
  private readonly byAddress = new Map<bigint, Uint8Array>();
  private readonly addresses = new WeakMap<Uint8Array, bigint>();
  private nextAddress = 0x7f00_0000_0000n;
  /** What `bpf()` does; by default it returns fd 3. */
  handler: FakeBpfHandler;

  constructor(handler: FakeBpfHandler = () => 3) {
    this.handler = handler;
  }

  /** Records the call, then answers with {@link FakeBackend.handler}. */
  bpf(cmd: number, attr: Uint8Array, size: number): number {
    this.calls.push({ cmd, attr: attr.slice(), size });
    return this.handler(cmd, attr, this);
  }

  /** Records `fd`; 0, or -EBADF for a negative fd. */
  close(fd: number): number {
    this.closed.push(fd);
    return fd >= 0 ? 0 : -9;
  }

  /** A stable fake address per buffer (0 for an empty one), resolvable with {@link FakeBackend.buffer}. */
  address(buf: Uint8Array): bigint {
    if (buf.byteLength === 0) return 0n;
    let a = this.addresses.get(buf);
    if (a === undefined) {
      a = this.nextAddress;
      this.nextAddress += 0x1_0000_0000n;
      this.addresses.set(buf, a);
      this.byAddress.set(a, buf);
    }
    return a;
  }

  /** The buffer a fake address points into (exact start only), or undefined. */
  buffer(address: bigint): Uint8Array | undefined {
    return this.byAddress.get(address);
  }
}
