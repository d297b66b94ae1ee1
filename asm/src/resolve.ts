/**
 * Resolution of labels and symbolic references (jump targets, subprogram calls, function
 * addresses, maps by name, kfuncs by name) into plain instructions, at encode time.
 * @module
 */

import { encode, type ByteOrderOptions } from './codec.js';
import { EncodeError, UnresolvedReferenceError } from './errors.js';
import { isLabel, makeInstruction, type Instruction, type ProgramItem } from './instruction.js';
import { Class, JmpOp, Pseudo } from './opcode.js';

/** Where a named map lives: a file descriptor, or an index into the load's `fd_array`. */
export type MapBinding = { readonly fd: number } | { readonly index: number };

/** A kfunc's BTF id and the fd_array slot of the module BTF that defines it (0: vmlinux). */
export interface KfuncBinding {
  readonly id: number;
  readonly moduleIndex?: number;
}

/** How {@link resolve} finds maps and kfuncs by name. */
export interface ResolveOptions {
  /** Map bindings: a record of fds, or a function returning a binding (undefined: unknown). */
  readonly maps?: Readonly<Record<string, number>> | ((name: string) => MapBinding | undefined);
  /** Kfunc bindings by name. */
  readonly kfuncs?: Readonly<Record<string, number>> | ((name: string) => KfuncBinding | undefined);
}

/** A resolved program: plain instructions and the slot of each label. */
export interface ResolvedProgram {
  readonly instructions: Instruction[];
  readonly labels: ReadonlyMap<string, number>;
}

function lookupMap(options: ResolveOptions | undefined, name: string): MapBinding | undefined {
  const maps = options?.maps;
  if (maps === undefined) return undefined;
  if (typeof maps === 'function') return maps(name);
  const fd = Object.hasOwn(maps, name) ? maps[name] : undefined;
  return fd === undefined ? undefined : { fd };
}

function lookupKfunc(options: ResolveOptions | undefined, name: string): KfuncBinding | undefined {
  const kfuncs = options?.kfuncs;
  if (kfuncs === undefined) return undefined;
  if (typeof kfuncs === 'function') return kfuncs(name);
  const id = Object.hasOwn(kfuncs, name) ? kfuncs[name] : undefined;
  return id === undefined ? undefined : { id };
}

/**
 * Resolves labels and references. Throws {@link UnresolvedReferenceError} naming the instruction
 * and the symbol when a label, map or kfunc is unknown, and {@link EncodeError} when a jump does
 * not fit its 16-bit offset.
 */
export function resolve(items: readonly ProgramItem[], options?: ResolveOptions): ResolvedProgram {
  const labels = new Map<string, number>();
  let slot = 0;
  for (const item of items) {
    if (isLabel(item)) {
      if (labels.has(item.label)) throw new EncodeError(`label '${item.label}' is defined twice`);
      labels.set(item.label, slot);
    } else {
      slot += typeof item.imm === 'bigint' ? 2 : 1;
    }
  }
  const out: Instruction[] = [];
  slot = 0;
  for (const item of items) {
    if (isLabel(item)) continue;
    const index = out.length;
    const ref = item.ref;
    if (ref === undefined) {
      out.push(item);
    } else if (ref.kind === 'map') {
      const binding = lookupMap(options, ref.name);
      if (binding === undefined) throw new UnresolvedReferenceError(`unknown map '${ref.name}'`, index, ref.name);
      const value = ref.valueOffset !== undefined;
      const byIndex = 'index' in binding;
      const n = byIndex ? binding.index : binding.fd;
      if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new EncodeError(`map '${ref.name}' has an invalid ${byIndex ? 'index' : 'fd'} ${String(n)}`, index);
      const src = byIndex ? (value ? Pseudo.MAP_IDX_VALUE : Pseudo.MAP_IDX) : value ? Pseudo.MAP_VALUE : Pseudo.MAP_FD;
      const imm = (BigInt(value ? ref.valueOffset >>> 0 : 0) << 32n) | BigInt(n);
      out.push(makeInstruction(item.code, item.dst, src, item.off, imm));
    } else if (ref.kind === 'kfunc') {
      const binding = lookupKfunc(options, ref.name);
      if (binding === undefined) throw new UnresolvedReferenceError(`unknown kfunc '${ref.name}'`, index, ref.name);
      out.push(makeInstruction(item.code, item.dst, item.src, binding.moduleIndex ?? item.off, binding.id | 0));
    } else {
      const target = labels.get(ref.label);
      if (target === undefined) throw new UnresolvedReferenceError(`unknown label '${ref.label}'`, index, ref.label);
      const delta = target - (slot + 1);
      if (ref.kind === 'call') {
        out.push(makeInstruction(item.code, item.dst, item.src, item.off, delta));
      } else if (ref.kind === 'func') {
        out.push(makeInstruction(item.code, item.dst, item.src, item.off, BigInt(delta >>> 0)));
      } else if (item.code === (Class.JMP32 | JmpOp.JA)) {
        out.push(makeInstruction(item.code, item.dst, item.src, item.off, delta));
      } else {
        if (delta < -0x8000 || delta > 0x7fff) {
          throw new EncodeError(`jump to '${ref.label}' is out of range: offset ${delta} does not fit in s16 (use Gotol for long jumps)`, index);
        }
        out.push(makeInstruction(item.code, item.dst, item.src, delta, item.imm));
      }
    }
    slot += typeof item.imm === 'bigint' ? 2 : 1;
  }
  return { instructions: out, labels };
}

/** Resolves a program (see {@link resolve}) and encodes it to bytecode. */
export function encodeProgram(items: readonly ProgramItem[], options?: ResolveOptions & ByteOrderOptions): ResolvedProgram & { readonly bytes: Uint8Array } {
  const resolved = resolve(items, options);
  return { ...resolved, bytes: encode(resolved.instructions, options) };
}
