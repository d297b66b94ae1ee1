/**
 * {@link progInfo}: `struct bpf_prog_info` of a program fd, decoded.
 * @module
 */

import { AttrBuffer } from './attr/layout.js';
import { progInfoLayout } from './attr/prog-info.js';
import { objGetInfoByFd } from './obj-get-info-by-fd.js';

/** A program's `struct bpf_prog_info`, in JS types (64-bit fields as bigint). */
export interface ProgInfo {
  /** `enum bpf_prog_type` value. */
  readonly type: number;
  /** Program id. */
  readonly id: number;
  /** The program tag as 16 hex digits, as `bpftool` and fdinfo print it. */
  readonly tag: string;
  /** Name given at load time. */
  readonly name: string;
  /** Size of the JITed image in bytes (0 when not JITed or not visible). */
  readonly jitedProgLen: number;
  /** Size of the translated (post-verifier) instructions in bytes. */
  readonly xlatedProgLen: number;
  /** The translated instructions, when asked for with `xlatedInsns`. */
  readonly xlatedProgInsns: Uint8Array | undefined;
  /** Ids of the maps the program uses (with `mapIds`; else empty). */
  readonly mapIds: readonly number[];
  /** Number of maps the program uses. */
  readonly nrMapIds: number;
  /** Load time, ns since boot. */
  readonly loadTime: bigint;
  /** uid of the loader. */
  readonly createdByUid: number;
  /** Whether the license is GPL-compatible. */
  readonly gplCompatible: boolean;
  /** BTF object id of the program's BTF (0 when none). */
  readonly btfId: number;
  /** Cumulative run time (with BPF_ENABLE_STATS). */
  readonly runTimeNs: bigint;
  /** Run count (with BPF_ENABLE_STATS). */
  readonly runCnt: bigint;
  /** Recursion misses. */
  readonly recursionMisses: bigint;
  /** Instructions the verifier processed. Requires Linux 5.16. */
  readonly verifiedInsns: number;
  /** Attach target BTF object id / type id. */
  readonly attachBtfObjId: number;
  /** Attach target BTF type id. */
  readonly attachBtfId: number;
}

/** Which arrays {@link progInfo} also fetches (each costs a second call). */
export interface ProgInfoOptions {
  /** Fetch the translated instructions. */
  readonly xlatedInsns?: boolean;
  /** Fetch the ids of the maps the program uses. */
  readonly mapIds?: boolean;
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Reads `bpf_prog_info` of program `fd`. Throws a {@link SyscallError} on failure. */
export function progInfo(fd: number, options: ProgInfoOptions = {}): ProgInfo {
  let info = new AttrBuffer(progInfoLayout);
  objGetInfoByFd(fd, info.bytes);
  let xlated: Uint8Array | undefined;
  let maps: Uint32Array | undefined;
  const xlatedLen = info.u32('xlated_prog_len');
  const nrMaps = info.u32('nr_map_ids');
  if ((options.xlatedInsns && xlatedLen > 0) || (options.mapIds && nrMaps > 0)) {
    info = new AttrBuffer(progInfoLayout);
    if (options.xlatedInsns && xlatedLen > 0) {
      xlated = new Uint8Array(xlatedLen);
      info.set('xlated_prog_len', xlatedLen).pointer('xlated_prog_insns', xlated);
    }
    if (options.mapIds && nrMaps > 0) {
      maps = new Uint32Array(nrMaps);
      info.set('nr_map_ids', nrMaps).pointer('map_ids', new Uint8Array(maps.buffer));
    }
    objGetInfoByFd(fd, info.bytes, info.pointees);
  }
  return {
    type: info.u32('type'),
    id: info.u32('id'),
    tag: hex(info.raw('tag')),
    name: info.text('name'),
    jitedProgLen: info.u32('jited_prog_len'),
    xlatedProgLen: info.u32('xlated_prog_len'),
    xlatedProgInsns: xlated?.subarray(0, Math.min(xlated.byteLength, info.u32('xlated_prog_len'))),
    mapIds: maps === undefined ? [] : Array.from(maps.subarray(0, Math.min(maps.length, info.u32('nr_map_ids')))),
    nrMapIds: info.u32('nr_map_ids'),
    loadTime: info.u64('load_time'),
    createdByUid: info.u32('created_by_uid'),
    gplCompatible: info.u32('gpl_compatible') === 1,
    btfId: info.u32('btf_id'),
    runTimeNs: info.u64('run_time_ns'),
    runCnt: info.u64('run_cnt'),
    recursionMisses: info.u64('recursion_misses'),
    verifiedInsns: info.u32('verified_insns'),
    attachBtfObjId: info.u32('attach_btf_obj_id'),
    attachBtfId: info.u32('attach_btf_id'),
  };
}
