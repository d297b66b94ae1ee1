/**
 * Struct types: one declaration gives the C-ABI layout (as clang lays it out for `-target bpf`),
 * the BTF type graph node, the C definition, and a codec generated once per type.
 *
 * ```ts
 * const Event = struct('event', { pid: u32, uid: u32, ts: u64, comm: char(16), fname: char(256) });
 * Event.size; Event.offsetOf('ts');          // 296, 8
 * const ev = Event.decode(bytes, offset);    // { pid: number; uid: number; ts: bigint; comm: string; fname: string }
 * Event.encode(ev);                           // Uint8Array of 296 bytes
 * type E = Infer<typeof Event>;
 * ```
 * @module
 */

export { TypeKind, type TypeKindName, type CType, type SomeType, type Infer, type InferInput, type Simplify, type ByteSource, type ByteTarget } from './c-type.js';
export { TypeDeclarationError, EncodeError, DecodeRangeError } from './errors.js';
export { u8, u16, u32, u64, s8, s16, s32, s64, bool, INT_TYPES, type IntName, type IntValue, type IntType, type BoolType, type ScalarType } from './scalars.js';
export { char, type CharsType } from './chars.js';
export { array, type ArrayOfType, type ArrayOut, type ArrayIn, type TypedArrays } from './array.js';
export { ptr, type PtrType } from './pointer.js';
export { bits, type BitsSpec, type BitsValue } from './bitfield.js';
export { pad, type PadSpec } from './padding.js';
export { isCIdentifier, type FieldSpec, type Fields, type FieldLayout, type CompositeLayout } from './layout.js';
export {
  struct, union, isCompositeType, type StructType, type UnionType, type CompositeType, type CompositeInfo, type CompositeOptions,
  type StructValue, type StructInput, type UnionInput, type FieldValue, type FieldInput, type ValueFieldName,
} from './composite.js';
export { canGenerateCode, readerSource, type AnyType } from './codegen.js';
export { cDeclarations } from './c-source.js';
export { bindCodec, type BoundCodec } from './bound-codec.js';
