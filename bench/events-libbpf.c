// bench/events-libbpf: the C/libbpf consumer that bench/events.ts runs side by side with its own
// reader. Opens map id ID (a ring buffer, or a perf event array whose per-CPU rings libbpf sets
// up itself with wakeup_events = 1), counts EXPECTED records of five u64 fields (reading every
// field, as a decoder would), and prints one JSON line: received, lost, and its CPU seconds
// (getrusage) from the first poll to the end. It stops at EXPECTED records, or IDLE_MS after the
// last one.
//   cc -O2 -o events-libbpf events-libbpf.c -lbpf && ./events-libbpf ring|perf ID EXPECTED IDLE_MS
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

struct counts {
  long received;
  long lost;
  unsigned long long sum;
};

static int on_ring(void *ctx, void *data, size_t size) {
  struct counts *c = ctx;
  const unsigned long long *f = data;
  if (size >= 40) c->sum += f[0] + f[1] + f[2] + f[3] + f[4];
  c->received++;
  return 0;
}

static void on_perf(void *ctx, int cpu, void *data, __u32 size) {
  on_ring(ctx, data, size);
}

static void on_lost(void *ctx, int cpu, __u64 n) {
  ((struct counts *)ctx)->lost += n;
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: events-libbpf ring|perf MAP_ID EXPECTED IDLE_MS\n");
    return 2;
  }
  int ring = strcmp(argv[1], "ring") == 0;
  int fd = bpf_map_get_fd_by_id(atoi(argv[2]));
  long expected = atol(argv[3]);
  int idle_ms = atoi(argv[4]);
  if (fd < 0) {
    fprintf(stderr, "events-libbpf: map id %s: %d\n", argv[2], fd);
    return 1;
  }
  struct counts c = {0};
  struct ring_buffer *rb = NULL;
  struct perf_buffer *pb = NULL;
  if (ring) rb = ring_buffer__new(fd, on_ring, &c, NULL);
  else pb = perf_buffer__new(fd, 64, on_perf, on_lost, &c, NULL);
  if (rb == NULL && pb == NULL) {
    fprintf(stderr, "events-libbpf: cannot set up the %s buffer\n", argv[1]);
    return 1;
  }
  printf("ready\n");
  fflush(stdout);
  double cpu0 = cpu_seconds();
  int idle = 0;
  while (c.received + c.lost < expected && idle < idle_ms) {
    int n = ring ? ring_buffer__poll(rb, 100) : perf_buffer__poll(pb, 100);
    if (n == -EINTR) continue;
    if (n < 0) {
      fprintf(stderr, "events-libbpf: poll failed: %d\n", n);
      break;
    }
    // The idle clock starts with the first event (the load generator starts after we are ready).
    if (c.received + c.lost > 0) idle = n == 0 ? idle + 100 : 0;
  }
  double cpu = cpu_seconds() - cpu0;
  printf("{\"received\":%ld,\"lost\":%ld,\"cpuS\":%.4f,\"stop\":\"%s\"}\n", c.received, c.lost, cpu, c.received + c.lost >= expected ? "all" : "idle");
  ring_buffer__free(rb);
  perf_buffer__free(pb);
  return 0;
}
