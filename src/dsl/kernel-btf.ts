/**
 * The running kernel's BTF as the eDSL reads it at build time: decoded once
 * (`/sys/kernel/btf/vmlinux`, lazily indexed by asm's {@link decodeBtf}), and the small type
 * questions programs ask of it: strip typedefs and qualifiers, the eDSL integer type of a
 * scalar, the C spelling of a type for messages.
 *
 * ```ts
 * const btf = kernelBtf();
 * const task = btf.find('struct', 'task_struct');
 * scalarTypeOf(resolveType(member.type));   // s32 for `pid_t pid`
 * ```
 * @module
 */

import { readFileSync } from 'node:fs';
import { decodeBtf, type Btf, type Type } from 'ebpf-bytecode-utils';
import { s16, s32, s64, s8, u16, u32, u64, u8, type IntType } from './c-types.js';
import { DslError } from './errors.js';

/** Where the running kernel's BTF is. */
export const KERNEL_BTF_PATH = '/sys/kernel/btf/vmlinux';

const cache = new Map<string, Btf>();

/**
 * The decoded BTF at `path` (the running kernel's by default), decoded once per path. Throws a
 * {@link DslError} saying what is missing when the file cannot be read (kernels without
 * `CONFIG_DEBUG_INFO_BTF`).
 */
export function kernelBtf(path = KERNEL_BTF_PATH): Btf {
  let btf = cache.get(path);
  if (btf !== undefined) return btf;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new DslError(`kernel BTF: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)}; the kernel needs CONFIG_DEBUG_INFO_BTF)`, { cause: err });
  }
  btf = decodeBtf(bytes);
  cache.set(path, btf);
  return btf;
}

/** `t` without typedefs, `const`, `volatile`, `restrict` and type tags. */
export function resolveType(t: Type): Type {
  let cur = t;
  for (let i = 0; i < 64; i++) {
    if (cur.kind === 'typedef' || cur.kind === 'const' || cur.kind === 'volatile' || cur.kind === 'restrict' || cur.kind === 'type_tag') cur = cur.target;
    else return cur;
  }
  throw new DslError('kernel BTF: a typedef chain of more than 64 links');
}

const UNSIGNED: Readonly<Record<number, IntType>> = { 1: u8, 2: u16, 4: u32, 8: u64 };
const SIGNED: Readonly<Record<number, IntType>> = { 1: s8, 2: s16, 4: s32, 8: s64 };

/**
 * The eDSL type of a BTF scalar: integers and enums by size and signedness, pointers as `u64`
 * kernel addresses; undefined for structs, unions, arrays, floats and `__int128`.
 */
export function scalarTypeOf(t: Type): IntType | undefined {
  const r = resolveType(t);
  switch (r.kind) {
    case 'int': return ((r.encoding & 1) !== 0 ? SIGNED : UNSIGNED)[r.size];
    case 'enum': case 'enum64': return (r.signed ? SIGNED : UNSIGNED)[r.size];
    case 'ptr': return u64;
    default: return undefined;
  }
}

/** Size in bytes of a BTF type (pointers 8), or undefined for void, functions and forward declarations. */
export function sizeOfType(t: Type): number | undefined {
  const r = resolveType(t);
  switch (r.kind) {
    case 'int': case 'enum': case 'enum64': case 'struct': case 'union': case 'float': return r.size;
    case 'ptr': return 8;
    case 'array': { const e = sizeOfType(r.element); return e === undefined ? undefined : e * r.length; }
    default: return undefined;
  }
}

/** A C-like spelling of `t` for messages: `struct task_struct *`, `pid_t`, `unsigned int`. */
export function typeText(t: Type): string {
  switch (t.kind) {
    case 'void': return 'void';
    case 'ptr': return `${typeText(t.target)} *`;
    case 'struct': case 'union': case 'enum': return `${t.kind === 'enum' ? 'enum' : t.kind} ${t.name || '(anon)'}`;
    case 'enum64': return `enum ${t.name || '(anon)'}`;
    case 'fwd': return `${t.fwdKind} ${t.name}`;
    case 'const': case 'volatile': case 'restrict': return `${t.kind} ${typeText(t.target)}`;
    case 'type_tag': return typeText(t.target);
    case 'array': return `${typeText(t.element)}[${t.length}]`;
    case 'func_proto': return 'function';
    default: return 'name' in t ? t.name : t.kind;
  }
}
