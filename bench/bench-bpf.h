// What the C map benchmarks (bench/maps.c, bench/maps-pti.c) share: the raw bpf(2) call (no
// libbpf), map creation, and a CPU-time clock.
#ifndef TSBPF_BENCH_BPF_H
#define TSBPF_BENCH_BPF_H
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static inline long sys_bpf(int cmd, union bpf_attr *attr, unsigned size) { return syscall(SYS_bpf, cmd, attr, size); }

// CPU time of this process (user + system): robust against other load on the machine, where
// wall time mostly measures waiting for a CPU. The JS benchmarks measure the same way.
static inline double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

// A map with 4-byte keys and 8-byte values; exits on failure.
static inline int create_map(unsigned type, unsigned max) {
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.map_type = type;
  a.key_size = 4;
  a.value_size = 8;
  a.max_entries = max;
  int fd = sys_bpf(BPF_MAP_CREATE, &a, sizeof(a));
  if (fd < 0) { perror("BPF_MAP_CREATE"); exit(1); }
  return fd;
}
#endif
