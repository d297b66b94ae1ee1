/**
 * Map type probes: create a minimal map of the type, with key/value sizes, capacity, flags and
 * companions (inner map, BTF) that the type accepts (as bpftool's `feature probe` and libbpf's
 * `libbpf_probe_bpf_map_type` do), then close it.
 * @module
 */

import { MapTypes, mapType, mapTypeName, type MapTypeName } from 'ebpf-bytecode-utils';
import { BpfCmd, bpfRaw, btfLoad, Errno, errnoName, errnoText, mapCreateAttrOf, type MapCreateOptions } from '../../syscalls/index.js';
import { probeEnvironment } from './probe-environment.js';
import { closeQuietly } from './probe-load.js';
import { EPERM_AS_ROOT, NEEDS_PRIVILEGES } from './program-types.js';
import { supported, unknown, unsupported, type ProbeResult } from './probe-result.js';

/** `BPF_F_NO_PREALLOC`. */
const BPF_F_NO_PREALLOC = 1 << 0;
/** `BPF_F_MMAPABLE`. */
const BPF_F_MMAPABLE = 1 << 10;
/**
 * Ring buffer size of the probe: 64 KiB, a power of two and a multiple of every page size Linux
 * uses on x86_64 and aarch64 (4, 16 and 64 KiB), as `max_entries` must be.
 */
const RINGBUF_PROBE_SIZE = 64 << 10;

/** How the minimal map of a type is created. */
interface MapTypeProbe {
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
  /** Needs an inner map (array of 4-byte values). */
  readonly innerMap?: boolean;
  /** Needs BTF for key and value (local storage maps: `int` key and value). */
  readonly btf?: boolean;
  /** `btf_vmlinux_value_type_id` (struct_ops). */
  readonly vmlinuxValueTypeId?: number;
  /** An errno that still means the type exists (struct_ops: ENOTSUPP for the bogus value type). */
  readonly typeExistsErrno?: number;
}

const plain: MapTypeProbe = { keySize: 4, valueSize: 4, maxEntries: 1 };
const localStorage: MapTypeProbe = { keySize: 4, valueSize: 4, maxEntries: 0, flags: BPF_F_NO_PREALLOC, btf: true };
const cgroupStorage: MapTypeProbe = { keySize: 16 /* struct bpf_cgroup_storage_key */, valueSize: 4, maxEntries: 0 };

/** Per-type deviations from a 4-byte key, 4-byte value, one-entry map. */
const probes: Readonly<Partial<Record<MapTypeName, MapTypeProbe>>> = {
  lpm_trie: { keySize: 8, valueSize: 8, maxEntries: 1, flags: BPF_F_NO_PREALLOC },
  stack_trace: { keySize: 4, valueSize: 8, maxEntries: 1 },
  array_of_maps: { ...plain, innerMap: true },
  hash_of_maps: { ...plain, innerMap: true },
  cgroup_storage: cgroupStorage,
  percpu_cgroup_storage: cgroupStorage,
  queue: { keySize: 0, valueSize: 4, maxEntries: 1 },
  stack: { keySize: 0, valueSize: 4, maxEntries: 1 },
  bloom_filter: { keySize: 0, valueSize: 4, maxEntries: 1 },
  ringbuf: { keySize: 0, valueSize: 0, maxEntries: RINGBUF_PROBE_SIZE },
  user_ringbuf: { keySize: 0, valueSize: 0, maxEntries: RINGBUF_PROBE_SIZE },
  arena: { keySize: 0, valueSize: 0, maxEntries: 1 /* page */, flags: BPF_F_MMAPABLE },
  sk_storage: localStorage,
  inode_storage: localStorage,
  task_storage: localStorage,
  cgrp_storage: localStorage,
  // A bogus vmlinux value type: a kernel with struct_ops maps answers ENOTSUPP.
  struct_ops: { ...plain, vmlinuxValueTypeId: 1, typeExistsErrno: Errno.ENOTSUPP },
};

/**
 * A BTF blob with one type, `[1] int` (signed, 32 bits): the key and value type of the local
 * storage probes (`include/uapi/linux/btf.h` layout: 24-byte header, types, strings `\0int\0`).
 */
export function intBtf(): Uint8Array {
  const b = new Uint8Array(24 + 16 + 5);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, 0xeb9f, true); // magic
  b[2] = 1; // version
  dv.setUint32(4, 24, true); // hdr_len
  dv.setUint32(8, 0, true); // type_off
  dv.setUint32(12, 16, true); // type_len
  dv.setUint32(16, 16, true); // str_off
  dv.setUint32(20, 5, true); // str_len
  dv.setUint32(24, 1, true); // name_off: "int"
  dv.setUint32(28, 1 << 24, true); // info: BTF_KIND_INT
  dv.setUint32(32, 4, true); // size
  dv.setUint32(36, (1 << 24) | 32, true); // BTF_INT_SIGNED, 32 bits
  b.set([0, 0x69, 0x6e, 0x74, 0], 40);
  return b;
}

/** `ringbuf map type`: how messages name a map type. */
export function mapTypeFeature(name: MapTypeName): string {
  return `${name} map type`;
}

/** Creates a map; the fd or `-errno`. */
function create(options: MapCreateOptions): number {
  return bpfRaw(BpfCmd.MAP_CREATE, mapCreateAttrOf(options));
}

/**
 * Classifies the result of creating the minimal map (exported for tests): an fd, or the errno
 * the type answers when it exists (struct_ops) → `supported`; EINVAL → `unsupported` (the
 * kernel does not know the type); EPERM → `unsupported` with every privilege, else `unknown`;
 * any other errno → `unsupported`, naming it.
 */
export function classifyMapCreate(name: MapTypeName, ret: number, privileged: boolean): ProbeResult {
  const feature = mapTypeFeature(name);
  if (ret >= 0) return supported(feature);
  const errno = -ret;
  if (errno === probes[name]?.typeExistsErrno) return supported(feature);
  if (errno === Errno.EPERM) return privileged ? unsupported(feature, EPERM_AS_ROOT.replace('to load it', 'to create it'), errno) : unknown(feature, NEEDS_PRIVILEGES, errno);
  if (errno === Errno.EINVAL) return unsupported(feature, 'the kernel does not know this map type (EINVAL)', errno);
  return unsupported(feature, `creating a minimal map fails with ${errnoName(errno)} (${errnoText(errno)})`, errno);
}

/**
 * Probes map type `type` (name or number): creates the minimal map of the type (with an inner
 * array map for map-in-maps, `int` BTF for local storage maps, a page-multiple size for ring
 * buffers, `BPF_F_MMAPABLE` for the arena), then closes everything it created.
 */
export function probeMapType(type: MapTypeName | number): ProbeResult {
  const name = mapTypeName(typeof type === 'number' ? type : mapType(type));
  const feature = mapTypeFeature(name);
  if (name === 'unspec') return unsupported(feature, 'not a map type');
  const spec = probes[name] ?? plain;
  const privileged = probeEnvironment().privileged();
  const owned: number[] = [];
  try {
    let innerMapFd: number | undefined;
    let btfFd: number | undefined;
    if (spec.innerMap) {
      const inner = create({ mapType: MapTypes.array, keySize: 4, valueSize: 4, maxEntries: 1 });
      if (inner < 0) return classifyMapCreate('array', inner, privileged).status === 'unknown' ? unknown(feature, NEEDS_PRIVILEGES, -inner) : unsupported(feature, `cannot create the inner array map (${errnoName(-inner)})`, -inner);
      owned.push(inner);
      innerMapFd = inner;
    }
    if (spec.btf) {
      try {
        btfFd = btfLoad({ btf: intBtf(), logLevel: 0 }).fd;
        owned.push(btfFd);
      } catch (e) {
        const errno = (e as { errno?: number }).errno ?? 0;
        if (errno === Errno.EPERM && !privileged) return unknown(feature, NEEDS_PRIVILEGES, errno);
        return unsupported(feature, `cannot load the BTF the map type needs (${e instanceof Error ? e.message : String(e)})`, errno);
      }
    }
    const ret = create({
      mapType: MapTypes[name],
      keySize: spec.keySize,
      valueSize: spec.valueSize,
      maxEntries: spec.maxEntries,
      ...(spec.flags !== undefined ? { mapFlags: spec.flags } : {}),
      ...(innerMapFd !== undefined ? { innerMapFd } : {}),
      ...(btfFd !== undefined ? { btfFd, btfKeyTypeId: 1, btfValueTypeId: 1 } : {}),
      ...(spec.vmlinuxValueTypeId !== undefined ? { btfVmlinuxValueTypeId: spec.vmlinuxValueTypeId } : {}),
    });
    if (ret >= 0) owned.push(ret);
    return classifyMapCreate(name, ret, privileged);
  } finally {
    for (const fd of owned) closeQuietly(fd);
  }
}
