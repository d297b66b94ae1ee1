// What a system call costs a process with a larger working set on a kernel with PTI and no PCID
// (this VM: every kernel entry and exit switches page tables, which flushes the whole TLB). The
// same BPF_MAP_LOOKUP_ELEM loop as bench/maps.c, but each iteration also reads one byte from
// each of K distinct pages (data, like a JIT's heap and stack) or calls K functions placed one
// per page (code, like V8's and koffi's call path). The TLB cost of the system call is
//   (syscall + touch K) - (touch K alone) - (syscall alone)
// per iteration, K × (per-page refill); bench/maps-variants.ts uses it to express Node's extra
// cost as "pages refilled per call". Prints the cost of getppid() (libc wrapper and syscall(2)),
// then lines "kind K ns_syscall ns_touch ns_both extra_per_page".
//
// Usage: maps-pti N K...
#define _GNU_SOURCE
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "bench-bpf.h"

#define PAGE 4096
#define MAX_PAGES 1024

static volatile unsigned char *data;
static void (*fns[MAX_PAGES])(void);
static volatile unsigned sink;

static inline void touch_data(int k) {
  for (int p = 0; p < k; p++) sink += data[(size_t)p * PAGE + (p * 64) % PAGE];
}

static inline void touch_code(int k) {
  for (int p = 0; p < k; p++) fns[p]();
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  int fd = create_map(BPF_MAP_TYPE_HASH, 16);
  uint32_t key = 7;
  uint64_t value = 42;
  union bpf_attr elem;
  memset(&elem, 0, sizeof(elem));
  elem.map_fd = fd;
  elem.key = (uint64_t)(uintptr_t)&key;
  elem.value = (uint64_t)(uintptr_t)&value;
  sys_bpf(BPF_MAP_UPDATE_ELEM, &elem, 32);

  data = mmap(NULL, (size_t)MAX_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  // One `ret` per page of an executable mapping: K calls touch K code pages.
  unsigned char *code = mmap(NULL, (size_t)MAX_PAGES * PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (data == MAP_FAILED || code == MAP_FAILED) { perror("mmap"); return 1; }
  for (int p = 0; p < MAX_PAGES; p++) {
    code[(size_t)p * PAGE + (p * 64) % PAGE] = 0xc3; // ret
    fns[p] = (void (*)(void))(code + (size_t)p * PAGE + (p * 64) % PAGE);
  }

  // The cheapest system call, through libc's wrapper and through syscall(2): the floor of any call.
  {
    double t0 = now_ns();
    for (long j = 0; j < n; j++) getppid();
    printf("getppid %.1f\n", (now_ns() - t0) / n);
    t0 = now_ns();
    for (long j = 0; j < n; j++) syscall(SYS_getppid);
    printf("syscall_getppid %.1f\n", (now_ns() - t0) / n);
  }
  for (int i = 2; i < argc; i++) {
    int k = atoi(argv[i]);
    if (k < 0 || k > MAX_PAGES) { fprintf(stderr, "K must be 0..%d\n", MAX_PAGES); return 2; }
    for (int kind = 0; kind < 2; kind++) {
      double t0 = now_ns();
      for (long j = 0; j < n; j++) sys_bpf(BPF_MAP_LOOKUP_ELEM, &elem, 32);
      double sys = (now_ns() - t0) / n;
      t0 = now_ns();
      if (kind == 0) for (long j = 0; j < n; j++) touch_data(k);
      else for (long j = 0; j < n; j++) touch_code(k);
      double touch = (now_ns() - t0) / n;
      t0 = now_ns();
      if (kind == 0) for (long j = 0; j < n; j++) { sys_bpf(BPF_MAP_LOOKUP_ELEM, &elem, 32); touch_data(k); }
      else for (long j = 0; j < n; j++) { sys_bpf(BPF_MAP_LOOKUP_ELEM, &elem, 32); touch_code(k); }
      double both = (now_ns() - t0) / n;
      printf("%s %d %.1f %.1f %.1f %.2f\n", kind == 0 ? "data" : "code", k, sys, touch, both, k == 0 ? 0.0 : (both - touch - sys) / k);
    }
  }
  return 0;
}
