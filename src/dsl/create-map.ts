/**
 * Creating one map of a compiled program in the kernel (`BPF_MAP_CREATE`), including the
 * template inner map a map-in-map needs for `inner_map_fd` (created first, closed once the outer
 * map exists: the kernel keeps the inner shape).
 * @module
 */

import { mapType } from 'ebpf-bytecode-utils';
import { closeFd } from '../../syscalls/close-fd.js';
import { mapCreate } from '../../syscalls/map-create.js';
import type { DslMapSpec } from './maps.js';

/** Creates the map `spec` describes and returns its fd. */
export function createDslMap(spec: DslMapSpec): number {
  const inner = spec.innerMap;
  const innerFd = inner === undefined ? undefined : mapCreate({ mapType: mapType(inner.type), keySize: inner.keySize, valueSize: inner.valueSize, maxEntries: inner.maxEntries, mapFlags: inner.flags });
  try {
    return mapCreate({ mapType: mapType(spec.type), keySize: spec.keySize, valueSize: spec.valueSize, maxEntries: spec.maxEntries, mapFlags: spec.flags, mapName: spec.name, ...(innerFd === undefined ? {} : { innerMapFd: innerFd }) });
  } finally {
    if (innerFd !== undefined) closeFd(innerFd);
  }
}
