/**
 * Kernel structs read by field name, resolved against the running kernel's BTF when the program
 * is built: `$.kernel(address, 'task_struct')` is a {@link KernelRef} to a kernel object;
 * `.field(name)` moves to a member at its BTF offset (through anonymous structs and unions), and
 * through a pointer member it first reads the pointer, like C's `->`; `.value()` reads a scalar
 * with `bpf_probe_read_kernel`. So BCC's `task->real_parent->tgid` is
 *
 * ```ts
 * const ppid = $.currentTask().field('real_parent').field('tgid').value();   // Expr<s32>
 * ```
 *
 * Each offset added to a base address carries a CO-RE access (`"0:57"` from `task_struct`), so
 * the compiled program lists `FIELD_BYTE_OFFSET` relocations (`coreRelos`) a loader for another
 * kernel can re-resolve. Bitfields are refused (read the containing word instead).
 * @module
 */

import type { Member, Struct, Type, Union } from 'ebpf-bytecode-utils';
import { u64, type IntType, type U64 } from './c-types.js';
import { DslError } from './errors.js';
import { Expr, type Operand } from './expr.js';
import { resolveType, scalarTypeOf, sizeOfType, typeText } from './kernel-btf.js';
import type { KernelReader } from './kprobe-context.js';
import type { CoreAccess, ExprNode } from './nodes.js';

/** A member found by name: its path of member indices (anonymous members included) and byte offset. */
interface FoundMember {
  readonly path: readonly number[];
  readonly offset: number;
  readonly member: Member;
}

function findMember(t: Struct | Union, name: string): FoundMember | undefined {
  for (let i = 0; i < t.members.length; i++) {
    const m = t.members[i];
    if (m.name === name) return { path: [i], offset: m.bitOffset, member: m };
    if (m.name === '') {
      const inner = resolveType(m.type);
      if (inner.kind === 'struct' || inner.kind === 'union') {
        const f = findMember(inner, name);
        if (f !== undefined) return { path: [i, ...f.path], offset: m.bitOffset + f.offset, member: f.member };
      }
    }
  }
  return undefined;
}

function memberNames(t: Struct | Union, out: string[] = []): string[] {
  for (const m of t.members) {
    if (m.name !== '') out.push(m.name);
    else { const inner = resolveType(m.type); if (inner.kind === 'struct' || inner.kind === 'union') memberNames(inner, out); }
  }
  return out;
}

/** A place in kernel memory with its BTF type (see the module notes). */
export class KernelRef {
  readonly #reader: KernelReader;
  /** Address of the root object. */
  readonly base: Expr<U64>;
  /** The root struct or union (for CO-RE), undefined when the place was not reached from one. */
  readonly root: Struct | Union | undefined;
  /** Bytes from `base` to this place. */
  readonly offset: number;
  /** CO-RE access indices from the root (after the leading 0). */
  readonly path: readonly number[];
  /** The BTF type of this place. */
  readonly type: Type;
  /** How this place was reached, for messages: `task_struct.real_parent->tgid`. */
  readonly text: string;

  /** A place (internal: made by `$.kernel` and the navigation methods). */
  constructor(reader: KernelReader, base: Expr<U64>, type: Type, text: string, root?: Struct | Union, offset = 0, path: readonly number[] = []) {
    this.#reader = reader;
    this.base = base;
    this.type = type;
    this.text = text;
    this.root = root;
    this.offset = offset;
    this.path = path;
  }

  /** The kernel address of this place (`base + offset`, the offset tagged for CO-RE). */
  get address(): Expr<U64> {
    if (this.root === undefined || this.path.length === 0) {
      if (this.offset === 0) return this.base;
      return this.base.add(BigInt(this.offset));
    }
    const core: CoreAccess = { rootName: this.root.name, rootKind: this.root.kind, access: ['0', ...this.path].join(':') };
    const node: ExprNode = { kind: 'binary', type: u64, op: 'add', left: this.base.node, right: { kind: 'const', type: u64, value: BigInt(this.offset), core } };
    return new Expr<U64>(node, u64);
  }

  /**
   * The member `name` (searched through anonymous structs and unions). On a pointer to a struct
   * or union, the pointer is read first (`->`). Throws a {@link DslError} listing the members
   * when there is none of that name, and for bitfields.
   */
  field(name: string): KernelRef {
    const t = resolveType(this.type);
    if (t.kind === 'ptr') return this.deref().field(name);
    if (t.kind !== 'struct' && t.kind !== 'union') throw new DslError(`kernel read: ${this.text} is a ${typeText(this.type)}, not a struct or union (no field '${name}')`);
    const f = findMember(t, name);
    if (f === undefined) throw new DslError(`kernel read: ${typeText(t)} has no field '${name}' in this kernel's BTF (fields: ${memberNames(t).slice(0, 40).join(', ')}${memberNames(t).length > 40 ? ', …' : ''})`);
    if (f.member.bitfieldSize !== 0 || f.offset % 8 !== 0) throw new DslError(`kernel read: ${typeText(t)}.${name} is a bitfield (${f.member.bitfieldSize} bits at bit ${f.offset}); read the word that holds it`);
    // A place not reached from a struct root becomes one when it is at the base address itself;
    // otherwise (inside an array behind a pointer) the access has no CO-RE form and stays plain.
    const root = this.root ?? (this.offset === 0 ? t : undefined);
    const path = this.root !== undefined ? [...this.path, ...f.path] : root !== undefined ? f.path : [];
    return new KernelRef(this.#reader, this.base, f.member.type, `${this.text}.${name}`, root, this.offset + f.offset / 8, path);
  }

  /** Element `i` (a constant) of an array member. */
  index(i: number): KernelRef {
    const t = resolveType(this.type);
    if (t.kind !== 'array') throw new DslError(`kernel read: ${this.text} is a ${typeText(this.type)}, not an array`);
    if (!Number.isInteger(i) || i < 0 || i >= t.length) throw new DslError(`kernel read: index ${i} is outside ${this.text}[${t.length}]`);
    const size = sizeOfType(t.element);
    if (size === undefined) throw new DslError(`kernel read: ${this.text} has elements of unknown size`);
    return new KernelRef(this.#reader, this.base, t.element, `${this.text}[${i}]`, this.root, this.offset + i * size, this.root === undefined ? [] : [...this.path, i]);
  }

  /** Reads this pointer-typed place and returns a place for what it points to (`*p`). */
  deref(): KernelRef {
    const t = resolveType(this.type);
    if (t.kind !== 'ptr') throw new DslError(`kernel read: ${this.text} is a ${typeText(this.type)}, not a pointer`);
    const target = resolveType(t.target);
    const root = target.kind === 'struct' || target.kind === 'union' ? target : undefined;
    return new KernelRef(this.#reader, this.value() as Expr<U64>, t.target, `${this.text}->`, root);
  }

  /** Reads the scalar at this place (integers and enums by size and sign, pointers as u64 addresses). */
  value(): Expr<IntType> {
    const st = scalarTypeOf(this.type);
    if (st === undefined) throw new DslError(`kernel read: ${this.text} is a ${typeText(this.type)}, not a scalar`);
    return this.#reader.readKernel(st, this.address);
  }

  /** Reads the scalar as `type`, which must be the BTF's type of the place (a {@link DslError} says which it is otherwise). */
  valueAs<T extends IntType>(type: T): Expr<T> {
    const st = scalarTypeOf(this.type);
    if (st !== type) throw new DslError(`kernel read: ${this.text} is ${typeText(this.type)} (${st?.name ?? 'not a scalar'}) in this kernel's BTF, not ${type.name}`);
    return this.value() as Expr<T>;
  }
}

/** The root place of `$.kernel(address, name)`: struct (or else union) `name` of `btf`. */
export function kernelRoot(reader: KernelReader, address: Operand<U64>, name: string, find: (kind: 'struct' | 'union', name: string) => Struct | Union | undefined): KernelRef {
  const t = find('struct', name) ?? find('union', name);
  if (t === undefined) throw new DslError(`kernel read: no struct or union '${name}' in the kernel's BTF`);
  const base = address instanceof Expr ? address : new Expr<U64>({ kind: 'const', type: u64, value: BigInt(address) }, u64);
  return new KernelRef(reader, base, t, name, t);
}
