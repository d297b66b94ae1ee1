/**
 * The BTF of a map's key and value: encoded, checked against the map's sizes, and loaded
 * (`BPF_BTF_LOAD`) for `BPF_MAP_CREATE`.
 * @module
 */

import { BtfError, describeType, encodeBtf, sizeOfType, type Type as BtfType } from 'ebpf-bytecode-utils';
import { btfLoad, SyscallError } from '../../syscalls/index.js';
import { KernelObjectError } from '../errors.js';

/** Loaded key/value BTF: the fd (owned by the caller) and the two type ids in it. */
export interface LoadedMapBtf {
  /** The BTF object's fd. */
  readonly fd: number;
  /** Type id of the key. */
  readonly keyId: number;
  /** Type id of the value. */
  readonly valueId: number;
}

/**
 * Encodes `btf.key` and `btf.value` into one blob and loads it. Throws a
 * {@link KernelObjectError} (`create map "x": …`) when a type's size is not the map's or the
 * kernel rejects the BTF (the message carries the kernel's BTF log line).
 */
export function loadMapBtf(btf: { readonly key: BtfType; readonly value: BtfType }, keySize: number, valueSize: number, description: string): LoadedMapBtf {
  for (const [what, t, size] of [['key', btf.key, keySize], ['value', btf.value, valueSize]] as const) {
    let actual: number;
    try {
      actual = sizeOfType(t);
    } catch (err) {
      if (err instanceof BtfError) throw new KernelObjectError('create', description, `${what} BTF: ${err.message}`);
      throw err;
    }
    if (actual !== size) throw new KernelObjectError('create', description, `${what} BTF ${describeType(t)} is ${actual} bytes but the ${what} size is ${size}`);
  }
  const encoded = encodeBtf([btf.key, btf.value]);
  let fd: number;
  try {
    fd = btfLoad({ btf: encoded.bytes }).fd;
  } catch (err) {
    if (err instanceof SyscallError) {
      const log = err.log?.trim().split('\n').filter((l) => l !== '').pop();
      throw new KernelObjectError('create', description, `the kernel rejected the key/value BTF${log ? `: ${log}` : ''}`, err);
    }
    throw err;
  }
  return { fd, keyId: encoded.typeId(btf.key), valueId: encoded.typeId(btf.value) };
}
