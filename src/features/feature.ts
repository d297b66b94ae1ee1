/**
 * {@link Feature}: one thing the feature probes can be asked about, and its cache key.
 * @module
 */

import { helperById, helperByName, mapType, mapTypeName, programType, programTypeName, type MapTypeName, type ProgramTypeName } from 'ebpf-bytecode-utils';
import type { AttachKind } from './attach-kind.js';

/**
 * What can be probed: a program type, a map type, an attach kind, or a helper for a program
 * type. Types are lower-case kernel names without prefix (`'xdp'`, `'ringbuf'`) or numbers;
 * helpers are names (`'bpf_redirect'` or `'redirect'`) or ids.
 *
 * ```ts
 * assertSupported({ attach: 'kprobe' });
 * assertSupported({ mapType: 'ringbuf' });
 * assertSupported({ helper: 'bpf_ringbuf_output', programType: 'tracepoint' });
 * ```
 */
export type Feature =
  | { readonly programType: ProgramTypeName | number; readonly helper?: undefined }
  | { readonly mapType: MapTypeName | number }
  | { readonly attach: AttachKind }
  | { readonly helper: string | number; readonly programType: ProgramTypeName | number };

/** A {@link Feature} with names resolved (validated). */
export type ResolvedFeature =
  | { readonly kind: 'program_type'; readonly name: ProgramTypeName }
  | { readonly kind: 'map_type'; readonly name: MapTypeName }
  | { readonly kind: 'attach'; readonly name: AttachKind }
  | { readonly kind: 'helper'; readonly programType: ProgramTypeName; readonly helperId: number };

/**
 * Validates `f` and resolves names and numbers.
 * @throws RangeError for an unknown program type, map type or helper.
 */
export function resolveFeature(f: Feature): ResolvedFeature {
  if ('attach' in f) return { kind: 'attach', name: f.attach };
  if ('mapType' in f) return { kind: 'map_type', name: mapTypeName(mapType(f.mapType)) };
  const prog = programTypeName(programType(f.programType));
  if (f.helper === undefined) return { kind: 'program_type', name: prog };
  const h = typeof f.helper === 'number' ? helperById(f.helper) : helperByName(f.helper);
  if (h === undefined || h.id === 0) throw new RangeError(`unknown helper ${typeof f.helper === 'string' ? `'${f.helper}'` : String(f.helper)}`);
  return { kind: 'helper', programType: prog, helperId: h.id };
}

/** The cache key of a resolved feature: `prog:xdp`, `map:ringbuf`, `attach:kprobe`, `helper:xdp:23`. */
export function featureKey(f: ResolvedFeature): string {
  switch (f.kind) {
    case 'program_type':
      return `prog:${f.name}`;
    case 'map_type':
      return `map:${f.name}`;
    case 'attach':
      return `attach:${f.name}`;
    case 'helper':
      return `helper:${f.programType}:${f.helperId}`;
  }
}
