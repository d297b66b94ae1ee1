/* A kfunc example: libbpf's bpf_for(i, 0, 10) summing i, as the eDSL's $.iterNum(0, 10, …)
 * builds it in bench/codegen.ts (open-coded numeric iterator, Linux 6.4). */
#include "bpf-min.h"

struct bpf_iter_num { __u64 __opaque[1]; } __attribute__((aligned(8)));
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __attribute__((section(".ksyms")));
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __attribute__((section(".ksyms")));
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __attribute__((section(".ksyms")));

SEC("xdp")
int iter_sum(void *ctx)
{
	struct bpf_iter_num it;
	int *p;
	__u32 sum = 0;

	bpf_iter_num_new(&it, 0, 10);
	while ((p = bpf_iter_num_next(&it)))
		sum += *p;
	bpf_iter_num_destroy(&it);
	return sum;
}
