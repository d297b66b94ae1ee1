// The C side of bench/maps.ts: the same map loops (hash and array) through raw syscall(SYS_bpf, ...), no libbpf.
// Usage: maps N_SINGLE N_BATCH_ENTRIES ROUNDS. Prints "name ns_per_op" lines (batch: ns per entry),
// in CPU time.
#define _GNU_SOURCE
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "bench-bpf.h"

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 200000;
  unsigned entries = argc > 2 ? (unsigned)atol(argv[2]) : 100000;
  int rounds = argc > 3 ? atoi(argv[3]) : 3;
  int fd = create_map(BPF_MAP_TYPE_HASH, 1024);
  int afd = create_map(BPF_MAP_TYPE_ARRAY, 1024);
  uint32_t key = 7;
  uint64_t value = 42;
  union bpf_attr elem;
  memset(&elem, 0, sizeof(elem));
  elem.map_fd = fd;
  elem.key = (uint64_t)(uintptr_t)&key;
  elem.value = (uint64_t)(uintptr_t)&value;
  sys_bpf(BPF_MAP_UPDATE_ELEM, &elem, 32);
  union bpf_attr aelem = elem;
  aelem.map_fd = afd;
  sys_bpf(BPF_MAP_UPDATE_ELEM, &aelem, 32);
  for (int r = 0; r < rounds; r++) {
    double t0 = now_ns();
    for (long i = 0; i < n; i++) sys_bpf(BPF_MAP_LOOKUP_ELEM, &elem, 32);
    printf("lookup %.1f\n", (now_ns() - t0) / n);
    t0 = now_ns();
    for (long i = 0; i < n; i++) { value = i; sys_bpf(BPF_MAP_UPDATE_ELEM, &elem, 32); }
    printf("update %.1f\n", (now_ns() - t0) / n);
    t0 = now_ns();
    for (long i = 0; i < n; i++) sys_bpf(BPF_MAP_LOOKUP_ELEM, &aelem, 32);
    printf("array_lookup %.1f\n", (now_ns() - t0) / n);
    t0 = now_ns();
    for (long i = 0; i < n; i++) { value = i; sys_bpf(BPF_MAP_UPDATE_ELEM, &aelem, 32); }
    printf("array_update %.1f\n", (now_ns() - t0) / n);
    // The floor of any bpf() call: a command number the kernel rejects at once (EINVAL).
    t0 = now_ns();
    for (long i = 0; i < n; i++) sys_bpf(9999, &elem, 32);
    printf("null %.1f\n", (now_ns() - t0) / n);
  }
  int big = create_map(BPF_MAP_TYPE_HASH, entries);
  uint32_t *keys = malloc(entries * 4);
  uint64_t *values = malloc(entries * 8);
  for (unsigned i = 0; i < entries; i++) { keys[i] = i; values[i] = i; }
  union bpf_attr b;
  memset(&b, 0, sizeof(b));
  b.batch.map_fd = big;
  b.batch.keys = (uint64_t)(uintptr_t)keys;
  b.batch.values = (uint64_t)(uintptr_t)values;
  b.batch.count = entries;
  if (sys_bpf(BPF_MAP_UPDATE_BATCH, &b, sizeof(b.batch)) < 0) { perror("BPF_MAP_UPDATE_BATCH"); exit(1); }
  unsigned chunk = 4096;
  uint64_t in = 0, out = 0;
  for (int r = 0; r < rounds; r++) {
    double t0 = now_ns();
    unsigned total = 0;
    int first = 1;
    for (;;) {
      memset(&b, 0, sizeof(b));
      b.batch.map_fd = big;
      b.batch.in_batch = first ? 0 : (uint64_t)(uintptr_t)&in;
      b.batch.out_batch = (uint64_t)(uintptr_t)&out;
      b.batch.keys = (uint64_t)(uintptr_t)keys;
      b.batch.values = (uint64_t)(uintptr_t)values;
      b.batch.count = chunk;
      long ret = sys_bpf(BPF_MAP_LOOKUP_BATCH, &b, sizeof(b.batch));
      total += b.batch.count;
      if (ret < 0) break;
      in = out;
      first = 0;
    }
    double dt = now_ns() - t0;
    if (total != entries) { fprintf(stderr, "batch: %u of %u entries\n", total, entries); exit(1); }
    printf("batch %.2f\n", dt / total);
  }
  return 0;
}
