/**
 * Option values shared by the commands that take program specs: hex input and output (`run`,
 * `krun`), `--repeat`, `--log-level` (`verify`, `kload`).
 * @module
 */

import { hexToBytes } from 'ebpf-bytecode-utils';
import { UsageError } from './command.js';

/** Parses the hex value of option `--name`, or undefined when absent; bad hex is a usage error. */
export function hexArg(name: string, text: string | undefined): Uint8Array | undefined {
  if (text === undefined) return undefined;
  try {
    return hexToBytes(text);
  } catch (e) {
    throw new UsageError(`--${name}: ${(e as Error).message}`);
  }
}

/** Lower-case hex of `bytes`, '' when undefined. */
export function toHex(bytes: Uint8Array | undefined): string {
  return bytes === undefined ? '' : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Parses `--repeat N` (a u32), or undefined when absent. */
export function repeatArg(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const repeat = Number(text);
  if (!/^\d+$/.test(text) || repeat > 0xffffffff) throw new UsageError(`--repeat must be a non-negative integer, not '${text}'`);
  return repeat;
}

/** Parses `--log-level N` (a u32), or `fallback` when absent. */
export function logLevelArg(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 0xffffffff) throw new UsageError(`--log-level must be a non-negative integer, not '${text}'`);
  return n;
}
