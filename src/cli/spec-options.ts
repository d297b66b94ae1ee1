/**
 * Option values shared by the commands that take program specs: hex input and output (`run`,
 * `krun`), `--repeat`, `--log-level` (`verify`, `kload`).
 * @module
 */

import { hexToBytes } from 'ebpf-bytecode-utils';
import { UsageError, type CliIo } from './command.js';
import { verdictLine, type SpecVerdict } from '../spec/verdict.js';

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

/** The input of one run (`run`, `krun`): `--data`, `--ctx`, `--repeat`, each only when given. */
export interface RunInput {
  readonly data?: Uint8Array;
  readonly ctx?: Uint8Array;
  readonly repeat?: number;
}

/** Parses `--data HEX --ctx HEX --repeat N` into a {@link RunInput}. */
export function runInputArgs(values: { readonly data?: string; readonly ctx?: string; readonly repeat?: string }): RunInput {
  const data = hexArg('data', values.data);
  const ctx = hexArg('ctx', values.ctx);
  const repeat = repeatArg(values.repeat);
  return { ...(data !== undefined ? { data } : {}), ...(ctx !== undefined ? { ctx } : {}), ...(repeat !== undefined ? { repeat } : {}) };
}

/** Prints a run's result (`run`, `krun`): JSON Lines with `--json`, else two lines. */
export function writeRunResult(io: CliIo, json: boolean | undefined, retval: number | bigint, dataOut: Uint8Array | undefined): void {
  const r = `0x${retval.toString(16)}`;
  const d = toHex(dataOut);
  io.writeOut(json ? `${JSON.stringify({ retval: r, dataOut: d })}\n` : `retval ${r}\ndataOut ${d}\n`);
}

/** Prints a verdict (`verify`, `kload`): its JSON line with `--json`, else the log (or the error when there is no log). */
export function writeVerdict(io: CliIo, json: boolean | undefined, verdict: SpecVerdict): void {
  if (json) {
    io.writeOut(verdictLine(verdict));
    return;
  }
  io.writeOut(verdict.log === '' || verdict.log.endsWith('\n') ? verdict.log : `${verdict.log}\n`);
  if (verdict.verdict === 'reject' && verdict.log === '') io.writeOut(`${verdict.error}\n`);
}
