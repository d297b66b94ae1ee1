// bench/btf-libbpf.c: libbpf's side of bench/btf. Loads vmlinux BTF with libbpf and looks up
// 10 named types by name and kind; prints one JSON line:
//   {"ns": <load + lookups>, "loadNs": …, "lookupNs": …, "cpuUs": …, "hwmDeltaKb": …, "rssDeltaKb": …, "found": N}
// Built and run by bench/btf.ts (gcc … -lbpf); standalone:
//   gcc -O2 -o /tmp/btf-libbpf bench/btf-libbpf.c -lbpf && /tmp/btf-libbpf [FILE]
// With FILE, btf__parse(FILE) is timed instead of btf__load_vmlinux_btf().
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

struct want {
	const char *name;
	int kind;
};

static const struct want WANT[10] = {
	{"task_struct", BTF_KIND_STRUCT}, {"mm_struct", BTF_KIND_STRUCT}, {"file", BTF_KIND_STRUCT},
	{"inode", BTF_KIND_STRUCT},       {"sk_buff", BTF_KIND_STRUCT},   {"sock", BTF_KIND_STRUCT},
	{"net_device", BTF_KIND_STRUCT},  {"cred", BTF_KIND_STRUCT},      {"pt_regs", BTF_KIND_STRUCT},
	{"bpf_prog", BTF_KIND_STRUCT},
};

static long long now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long cpu_us(void) {
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/** VmHWM or VmRSS from /proc/self/status, in kB. */
static long status_kb(const char *key) {
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	size_t n = strlen(key);
	if (f == NULL) return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, key, n) == 0 && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

int main(int argc, char **argv) {
	libbpf_set_print(NULL);
	// Reset the peak RSS to the current RSS (as bench/btf.ts does on its side); ignore failure.
	FILE *cr = fopen("/proc/self/clear_refs", "w");
	if (cr != NULL) {
		fputs("5", cr);
		fclose(cr);
	}
	long hwm0 = status_kb("VmHWM");
	long rss0 = status_kb("VmRSS");
	long long c0 = cpu_us();
	long long t0 = now_ns();
	struct btf *btf = argc > 1 ? btf__parse(argv[1], NULL) : btf__load_vmlinux_btf();
	long long t1 = now_ns();
	if (btf == NULL) {
		fprintf(stderr, "btf-libbpf: cannot load BTF: %s\n", strerror(errno));
		return 1;
	}
	int found = 0;
	for (int i = 0; i < 10; i++) {
		if (btf__find_by_name_kind(btf, WANT[i].name, WANT[i].kind) > 0) found++;
	}
	long long t2 = now_ns();
	long long c1 = cpu_us();
	long hwm1 = status_kb("VmHWM");
	long rss1 = status_kb("VmRSS");
	// After the measurement: what reading the file alone costs (libbpf's load includes it).
	long long r0 = now_ns();
	long long readBytes = 0;
	int fd = open(argc > 1 ? argv[1] : "/sys/kernel/btf/vmlinux", O_RDONLY);
	if (fd >= 0) {
		size_t cap = 16 << 20;
		char *buf = malloc(cap);
		ssize_t n;
		while (buf != NULL && (size_t)readBytes < cap && (n = read(fd, buf + readBytes, cap - readBytes)) > 0) readBytes += n;
		free(buf);
		close(fd);
	}
	long long readNs = now_ns() - r0;
	printf("{\"ns\":%lld,\"readNs\":%lld,\"loadNs\":%lld,\"lookupNs\":%lld,\"cpuUs\":%lld,\"hwmDeltaKb\":%ld,\"rssDeltaKb\":%ld,\"found\":%d,\"types\":%u}\n",
	       t2 - t0, readNs, t1 - t0, t2 - t1, c1 - c0, hwm1 - hwm0, rss1 - rss0, found, btf__type_cnt(btf) - 1);
	btf__free(btf);
	return 0;
}
