// bench/events-loadgen: calls getppid() at a fixed rate (RATE per second, TOTAL calls), in 1 ms
// ticks with a sleep between them (no busy waiting): the tracepoint load of bench/events.ts.
// Waits for a line on stdin before starting, so the tracer can attach first.
//   cc -O2 -o events-loadgen events-loadgen.c && ./events-loadgen RATE TOTAL
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: events-loadgen RATE TOTAL\n");
    return 2;
  }
  double rate = atof(argv[1]);
  long total = atol(argv[2]);
  printf("ready %d\n", getpid());
  fflush(stdout);
  char line[16];
  if (fgets(line, sizeof line, stdin) == NULL) return 1;
  double start = now();
  long done = 0;
  struct timespec tick = {0, 1000000};
  while (done < total) {
    long due = (long)((now() - start) * rate);
    if (due > total) due = total;
    for (; done < due; done++) syscall(SYS_getppid);
    nanosleep(&tick, NULL);
  }
  printf("done %ld %.3f\n", done, now() - start);
  fflush(stdout);
  return 0;
}
