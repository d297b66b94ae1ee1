/**
 * Stack traces to symbols: a stack id from `bpf_get_stackid` → the frames in a
 * `BPF_MAP_TYPE_STACK_TRACE` map → `{address, symbol}` per frame, kernel addresses through
 * kallsyms and user addresses through the process's mapped files and perf map.
 * @module
 */

import type { StackTrace } from '../maps/stack-trace.js';
import { kernelSymbols, type KernelSymbols } from './kernel-symbols.js';
import { formatSymbol, type ResolvedSymbol } from './resolved-symbol.js';
import { userSymbols, type UserSymbols } from './user-symbols.js';

/** Lowest kernel address on x86_64 and arm64 (the upper half of the address space). */
export const KERNEL_SPACE_START = 0xffff800000000000n;

/** One resolved frame. */
export interface StackFrame {
  /** The instruction pointer. */
  readonly address: bigint;
  /** Whether it is a kernel address. */
  readonly kernel: boolean;
  /** The symbol, when known. */
  readonly symbol?: ResolvedSymbol;
  /** `name+0xoff [module]`, or the hex address when the symbol is unknown. */
  readonly text: string;
}

/** `bpf_get_stackid` returned an error, or the stack id is not (or no longer) in the map. */
export class StackIdError extends Error {
  override name = 'StackIdError';
  /** The id. */
  readonly stackId: number;
  constructor(stackId: number, message: string) {
    super(`stack id ${stackId}: ${message}`);
    this.stackId = stackId;
  }
}

/** Where {@link resolveStack} finds symbols. */
export interface ResolveStackOptions {
  /** The process whose user addresses appear (needed to name user frames). */
  readonly pid?: number;
  /** Kernel symbols to use (default: {@link kernelSymbols}()). */
  readonly kernel?: KernelSymbols;
  /** User symbols to use (default: {@link userSymbols}(pid) when pid is given). */
  readonly user?: UserSymbols;
}

const ERRNO_NAMES: Record<number, string> = { 14: 'EFAULT (no stack could be read)', 17: 'EEXIST (hash collision with BPF_F_REUSE_STACKID unset)', 12: 'ENOMEM (the map is full)' };

/**
 * Resolves instruction pointers `frames` (innermost first) to symbols. Addresses at or above
 * {@link KERNEL_SPACE_START} are kernel addresses; the rest need `options.pid` (or
 * `options.user`) to be named, and stay hex otherwise.
 */
export function resolveFrames(frames: readonly bigint[], options: ResolveStackOptions = {}): StackFrame[] {
  let kernel = options.kernel;
  let user = options.user;
  return frames.map((address) => {
    const isKernel = address >= KERNEL_SPACE_START;
    let symbol: ResolvedSymbol | undefined;
    if (isKernel) {
      kernel ??= kernelSymbols();
      symbol = kernel.lookup(address);
    } else if (user !== undefined || options.pid !== undefined) {
      user ??= userSymbols(options.pid as number);
      symbol = user.lookup(address);
    }
    return symbol === undefined ? { address, kernel: isKernel, text: formatSymbol(undefined, address) } : { address, kernel: isKernel, symbol, text: formatSymbol(symbol, address) };
  });
}

/**
 * The frames of stack `stackId` in stack trace map `stacks`, resolved to symbols. A negative
 * `stackId` (the errno `bpf_get_stackid` returned) or an id missing from the map is a
 * {@link StackIdError}.
 */
export function resolveStack(stacks: StackTrace, stackId: number, options: ResolveStackOptions = {}): StackFrame[] {
  if (!Number.isInteger(stackId)) throw new StackIdError(stackId, 'not an integer');
  if (stackId < 0) throw new StackIdError(stackId, `bpf_get_stackid failed with ${ERRNO_NAMES[-stackId] ?? `errno ${-stackId}`}`);
  const frames = stacks.get(stackId);
  if (frames === undefined) throw new StackIdError(stackId, 'not in the stack trace map (never stored, or deleted)');
  return resolveFrames(frames, options);
}
