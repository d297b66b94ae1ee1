/**
 * Shared helper of kernel tests (`test/kernel/`): whether this process can use `bpf()`, and a
 * way to register a test that skips with a stated reason when it cannot.
 *
 * A kernel test skips only when the kernel is unavailable (not root, bpf() refused, koffi
 * missing, not Linux). When root and bpf() work, a feature that does not work FAILS the test.
 * @module
 */

import type { Callback, Test } from 'uvu';
import { closeFd } from '../../syscalls/close-fd.js';
import { SyscallError } from '../../syscalls/errors.js';
import { mapCreate } from '../../syscalls/map-create.js';

let cached: { reason: string | null } | undefined;

function probe(): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return `not root (uid ${process.getuid?.() ?? '?'})`;
  try {
    // BPF_MAP_TYPE_ARRAY, 4-byte key, 4-byte value, one entry.
    const fd = mapCreate({ mapType: 2, keySize: 4, valueSize: 4, maxEntries: 1 });
    closeFd(fd);
    return null;
  } catch (err) {
    if (err instanceof SyscallError) return `bpf() does not work here: ${err.message} (${err.code})`;
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Null when running as root and `bpf()` works (probed once by creating and closing a tiny array
 * map), else why kernel tests cannot run: `not root (uid 1000)`, `bpf() does not work here: …`.
 */
export function kernelReason(): string | null {
  cached ??= { reason: probe() };
  return cached.reason;
}

const announced = new WeakSet<object>();

/**
 * Registers `suite(name, fn)` when the kernel is available; otherwise registers a skipped test
 * and prints `skip: <name>: <reason>` (once per suite, for its first skipped test).
 *
 * `lacks` (optional) probes the running kernel for a feature the test needs beyond `bpf()`
 * (see `kernel-lacks.ts`): it runs at registration and returns null when the feature works,
 * else the reason, which is printed as `skip: <name>: <reason>` for this test.
 */
export function kernelTest<T>(suite: Test<T>, name: string, fn: Callback<T>, lacks?: () => string | null): void {
  const reason = kernelReason();
  if (reason === null) {
    const missing = lacks?.() ?? null;
    if (missing === null) suite(name, fn);
    else {
      console.log(`skip: ${name}: ${missing}`);
      suite.skip(name, fn);
    }
    return;
  }
  if (!announced.has(suite)) {
    announced.add(suite);
    console.log(`skip: ${name}: ${reason}`);
  }
  suite.skip(name, fn);
}
