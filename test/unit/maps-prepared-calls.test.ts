// MapElemAccess's prepared calls (SyscallBackend.bpfPrepared): a backend that offers them gets
// one bound function per element operation, made once, with the command, the attr's address
// and its size; calls go through it while that backend is current, and through the backend in
// effect (its plain bpf()) as soon as another one is installed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BpfCmd, Errno, MapElemAccess, installBackend } from '../../syscalls/index.js';
import { FakeBackend } from '../support/fake-backend.js';

const test = suite('maps: prepared element calls');

/** A fake whose bpfAt/bpfPrepared record what they were given and answer like `bpf`. */
class PreparingBackend extends FakeBackend {
  readonly prepared: { cmd: number; at: number; size: number }[] = [];
  readonly preparedCalls: number[] = [];
  bpfAt(cmd: number, at: number, size: number): number {
    return this.bpf(cmd, this.buffer(BigInt(at))!, size);
  }
  bpfPrepared(cmd: number, at: number, size: number): () => number {
    this.prepared.push({ cmd, at, size });
    return () => {
      this.preparedCalls.push(cmd);
      return this.bpf(cmd, this.buffer(BigInt(at))!, size);
    };
  }
}

test('lookup, update and delete go through functions prepared once; another backend takes over at once', () => {
  const fast = new PreparingBackend((cmd) => (cmd === BpfCmd.MAP_DELETE_ELEM ? -Errno.ENOENT : 0));
  const restore = installBackend(fast);
  try {
    const acc = new MapElemAccess(9, 4, 8);
    assert.equal(fast.prepared.map((p) => [p.cmd, p.size]), [[BpfCmd.MAP_LOOKUP_ELEM, 32], [BpfCmd.MAP_UPDATE_ELEM, 32], [BpfCmd.MAP_DELETE_ELEM, 32]]);
    for (let i = 0; i < 3; i++) assert.is(acc.lookup(), 0);
    assert.is(acc.update(), 0);
    assert.is(acc.delete(), -Errno.ENOENT);
    assert.equal(fast.preparedCalls, [1, 1, 1, 2, 3]);
    // The prepared attr is the one the plain path fills: map_fd 9 at offset 0.
    assert.is(new DataView(fast.calls[0]!.attr.buffer).getUint32(0, true), 9);
    // Flags still reach the kernel: BPF_EXIST (2) in the update attr's flags field (offset 24).
    acc.update(2);
    assert.is(new DataView(fast.calls.at(-1)!.attr.buffer).getUint32(24, true), 2);
    assert.is(fast.preparedCalls.length, 6);
    const other = new FakeBackend(() => -Errno.ENOENT);
    const back = installBackend(other);
    try {
      assert.is(acc.lookup(), -Errno.ENOENT);
      assert.is(other.calls.length, 1, 'the installed backend answered');
      assert.is(fast.preparedCalls.length, 6, 'not the prepared function');
    } finally {
      back();
    }
    assert.is(acc.lookup(), 0);
    assert.is(fast.preparedCalls.length, 7);
  } finally {
    restore();
  }
});

test.run();
