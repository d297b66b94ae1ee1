/**
 * The `bpf()` commands: `enum bpf_cmd` of `include/uapi/linux/bpf.h`, as of Linux 6.18.
 * @module
 */

/**
 * `bpf()` command numbers, named like the kernel's `BPF_*` enumerators without the prefix:
 * `BpfCmd.MAP_CREATE` is `BPF_MAP_CREATE`. The minimum kernel of each command is in its comment.
 */
export const BpfCmd = {
  /** Create a map; returns its fd. Requires Linux 3.18. */
  MAP_CREATE: 0,
  /** Look up an element. Requires Linux 3.18. */
  MAP_LOOKUP_ELEM: 1,
  /** Create or update an element. Requires Linux 3.18. */
  MAP_UPDATE_ELEM: 2,
  /** Delete an element. Requires Linux 3.18. */
  MAP_DELETE_ELEM: 3,
  /** Iterate keys. Requires Linux 3.18. */
  MAP_GET_NEXT_KEY: 4,
  /** Verify and load a program; returns its fd. Requires Linux 3.18. */
  PROG_LOAD: 5,
  /** Pin an object in bpffs. Requires Linux 4.4. */
  OBJ_PIN: 6,
  /** Open a pinned object. Requires Linux 4.4. */
  OBJ_GET: 7,
  /** Attach a program to a cgroup, sockmap, … Requires Linux 4.10. */
  PROG_ATTACH: 8,
  /** Detach a program. Requires Linux 4.10. */
  PROG_DETACH: 9,
  /** Run a program on synthetic input (also called `BPF_PROG_RUN`). Requires Linux 4.12. */
  PROG_TEST_RUN: 10,
  /** Alias of {@link BpfCmd.PROG_TEST_RUN} (`BPF_PROG_RUN`). Requires Linux 4.12. */
  PROG_RUN: 10,
  /** Iterate loaded program ids. Requires Linux 4.13. */
  PROG_GET_NEXT_ID: 11,
  /** Iterate map ids. Requires Linux 4.13. */
  MAP_GET_NEXT_ID: 12,
  /** Open a program by id. Requires Linux 4.13. */
  PROG_GET_FD_BY_ID: 13,
  /** Open a map by id. Requires Linux 4.13. */
  MAP_GET_FD_BY_ID: 14,
  /** `bpf_prog_info` / `bpf_map_info` / `bpf_btf_info` / `bpf_link_info` of an fd. Requires Linux 4.13. */
  OBJ_GET_INFO_BY_FD: 15,
  /** Programs attached to a cgroup or hook. Requires Linux 4.15. */
  PROG_QUERY: 16,
  /** Attach to a raw tracepoint (or a BTF-typed tracing program to its target). Requires Linux 4.17. */
  RAW_TRACEPOINT_OPEN: 17,
  /** Load BTF; returns its fd. Requires Linux 4.18. */
  BTF_LOAD: 18,
  /** Open BTF by id. Requires Linux 4.18. */
  BTF_GET_FD_BY_ID: 19,
  /** What a perf/tracepoint/raw_tp fd of a task is attached to. Requires Linux 4.18. */
  TASK_FD_QUERY: 20,
  /** Pop an element (queue/stack maps; hash maps since 5.14). Requires Linux 4.20. */
  MAP_LOOKUP_AND_DELETE_ELEM: 21,
  /** Make a map read-only for user space. Requires Linux 5.2. */
  MAP_FREEZE: 22,
  /** Iterate BTF ids. Requires Linux 5.4. */
  BTF_GET_NEXT_ID: 23,
  /** Batched lookup. Requires Linux 5.6. */
  MAP_LOOKUP_BATCH: 24,
  /** Batched lookup and delete. Requires Linux 5.6. */
  MAP_LOOKUP_AND_DELETE_BATCH: 25,
  /** Batched update. Requires Linux 5.6. */
  MAP_UPDATE_BATCH: 26,
  /** Batched delete. Requires Linux 5.6. */
  MAP_DELETE_BATCH: 27,
  /** Create a link (attach a program); returns the link fd. Requires Linux 5.7. */
  LINK_CREATE: 28,
  /** Replace a link's program. Requires Linux 5.7. */
  LINK_UPDATE: 29,
  /** Open a link by id. Requires Linux 5.8. */
  LINK_GET_FD_BY_ID: 30,
  /** Iterate link ids. Requires Linux 5.8. */
  LINK_GET_NEXT_ID: 31,
  /** Enable run-time statistics (`run_time_ns`, `run_cnt`). Requires Linux 5.8. */
  ENABLE_STATS: 32,
  /** Create a bpf_iter fd from an iterator link. Requires Linux 5.8. */
  ITER_CREATE: 33,
  /** Detach a link without closing it. Requires Linux 5.9. */
  LINK_DETACH: 34,
  /** Bind a map to a program. Requires Linux 5.10. */
  PROG_BIND_MAP: 35,
  /** Create a BPF token from a bpffs instance. Requires Linux 6.9. */
  TOKEN_CREATE: 36,
  /** Read a program's stdout/stderr BPF stream. Requires Linux 6.17. */
  PROG_STREAM_READ_BY_FD: 37,
} as const;
/** One of {@link BpfCmd}. */
export type BpfCmd = (typeof BpfCmd)[keyof typeof BpfCmd];

const names: string[] = [];
for (const [name, value] of Object.entries(BpfCmd)) names[value] ??= `BPF_${name}`;

/** The kernel's name of command `cmd` (`'BPF_MAP_CREATE'`), or `'BPF_CMD_<n>'` for an unknown number. */
export function bpfCmdName(cmd: number): string {
  return names[cmd] ?? `BPF_CMD_${cmd}`;
}
