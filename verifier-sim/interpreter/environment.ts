/**
 * The deterministic stand-ins for the world outside a program: time, the current task, the CPU,
 * random numbers and stacks. A test sets what it needs; the rest has fixed defaults.
 * @module
 */

/** What helpers like `bpf_ktime_get_ns` and `bpf_get_current_pid_tgid` return. */
export interface Environment {
  /** `bpf_ktime_get_ns` (and `_boot_ns`, `_coarse_ns`, `_tai_ns`) returns this, then adds {@link ktimeStepNs}. */
  readonly ktimeNs: bigint;
  /** Nanoseconds added after each time read (0: time stands still). */
  readonly ktimeStepNs: bigint;
  /** `bpf_get_current_pid_tgid`: `tgid << 32 | pid`. */
  readonly pidTgid: bigint;
  /** `bpf_get_current_uid_gid`: `gid << 32 | uid`. */
  readonly uidGid: bigint;
  /** `bpf_get_current_comm` (truncated to 15 bytes and NUL-terminated). */
  readonly comm: string;
  /** Seed of `bpf_get_prandom_u32` (a xorshift32 sequence; 0 is replaced by 1). */
  readonly seed: number;
  /** `bpf_get_smp_processor_id`, and the CPU whose per-CPU values the program sees. */
  readonly cpu: number;
  /** Kernel stack `bpf_get_stackid` records (instruction pointers, innermost first). */
  readonly kernelStack: readonly bigint[];
  /** User stack `bpf_get_stackid` records with `BPF_F_USER_STACK`. */
  readonly userStack: readonly bigint[];
  /** Memory only `bpf_probe_read*` can reach: e.g. a string a tracepoint argument points to. */
  readonly memory: readonly { readonly address: bigint; readonly bytes: Uint8Array }[];
  /** Sockets `bpf_sk_lookup_tcp`/`_udp` and `bpf_skc_lookup_tcp` find (none: every lookup returns NULL). */
  readonly sockets: readonly FakeSocket[];
  /** Tasks `bpf_task_from_pid` finds (none: every lookup returns NULL). */
  readonly tasks: readonly FakeTask[];
  /** The current task's pid namespace, for `bpf_get_ns_current_pid_tgid`. */
  readonly pidNamespace: PidNamespace;
  /** `bpf_jiffies64`. */
  readonly jiffies64: bigint;
  /**
   * Ids of the current task's cgroup (default hierarchy, cgroup v2) and its ancestors, root
   * first: `bpf_get_current_cgroup_id` is the last, `bpf_get_current_ancestor_cgroup_id(level)`
   * the one at `level`. A cgroup's id is the inode number of its cgroup2 directory; the root's is 1.
   */
  readonly cgroupIds: readonly bigint[];
}

/**
 * The pid namespace of the current task as `bpf_get_ns_current_pid_tgid(dev, ino, …)` sees it:
 * the device and inode of its nsfs file (`stat /proc/self/ns/pid`) and the task's pid and tgid
 * inside it.
 */
export interface PidNamespace {
  /** `st_dev` of the namespace's nsfs inode. */
  readonly dev: bigint;
  /** `st_ino` of the namespace's nsfs inode. */
  readonly ino: bigint;
  /** The task's pid (thread id) in the namespace. */
  readonly pid: number;
  /** The task's tgid (process id) in the namespace. */
  readonly tgid: number;
}

/** A task of the simulated system, found by `bpf_task_from_pid(pid)`. */
export interface FakeTask {
  /** Its pid (the kernel looks it up in the caller's pid namespace). */
  readonly pid: number;
  /** The bytes of its `struct task_struct` that the program reads through the returned pointer (read-only). */
  readonly bytes: Uint8Array;
}

/**
 * A socket of the simulated network namespace, found by a lookup whose `struct bpf_sock_tuple`
 * (12 bytes for IPv4, 36 for IPv6) equals {@link tuple} byte for byte.
 */
export interface FakeSocket {
  /** Which lookups find it: `tcp` (`bpf_sk_lookup_tcp`, `bpf_skc_lookup_tcp`) or `udp` (`bpf_sk_lookup_udp`). */
  readonly protocol: 'tcp' | 'udp';
  /** The tuple bytes as the program passes them (addresses and ports in network byte order). */
  readonly tuple: Uint8Array;
  /** The `struct bpf_sock` the program reads through the returned pointer (80 bytes; zero-filled when shorter). */
  readonly sock: Uint8Array;
}

/**
 * The defaults: time 1 s and +1 µs per read, pid/tgid 4242/4242, uid/gid 1000/1000, comm `tsbpf`,
 * seed 1, CPU 0, no sockets, no tasks, the initial pid namespace (nsfs dev 4, inode 0xeffffffc,
 * `PROC_PID_INIT_INO`) with pid/tgid 4242, jiffies 2^32, the root cgroup (id 1).
 */
export const defaultEnvironment: Environment = {
  ktimeNs: 1_000_000_000n,
  ktimeStepNs: 1_000n,
  pidTgid: (4242n << 32n) | 4242n,
  uidGid: (1000n << 32n) | 1000n,
  comm: 'tsbpf',
  seed: 1,
  cpu: 0,
  kernelStack: [0xffffffff81000010n, 0xffffffff81000020n, 0xffffffff81000030n],
  userStack: [0x401010n, 0x401020n],
  memory: [],
  sockets: [],
  tasks: [],
  pidNamespace: { dev: 4n, ino: 0xeffffffcn, pid: 4242, tgid: 4242 },
  jiffies64: 1n << 32n,
  cgroupIds: [1n],
};

/** `defaultEnvironment` with the fields of `partial` in place. */
export function makeEnvironment(partial?: Partial<Environment>): Environment {
  return { ...defaultEnvironment, ...partial };
}
